package nsentry.sentry.calls;

/**
 * What a normalised /proc path names, for the files nsentry emulates (fs/proc/base.c,
 * fs/proc/namespaces.c, kernel/user_namespace.c, /proc/sys).
 *
 * @param kind which file
 * @param pid the process directory's pid (0 for /proc/sys files)
 * @param tid the thread of /proc/PID/task/TID/..., or 0
 * @param name the ns entry name (ns files), the sysctl name, or the fd number (fd links)
 */
public record ProcTarget(Kind kind, int pid, int tid, String name) {

    public enum Kind { NS_ENTRY, UID_MAP, GID_MAP, SETGROUPS, STATUS, FD_LINK, MAX_NAMESPACES, UTS_NAME, OTHER }

    public static final ProcTarget OTHER = new ProcTarget(Kind.OTHER, 0, 0, "");

    /** The task whose file this is: the thread for task/TID paths, else the process. */
    public int taskId() {
        return tid != 0 ? tid : pid;
    }

    /** Classifies an absolute normalised path (as {@link ProcPaths#resolve} returns). */
    public static ProcTarget parse(String path) {
        if (!path.startsWith("/proc/")) {
            return OTHER;
        }
        String[] p = path.substring(6).split("/");
        if (p.length == 3 && p[0].equals("sys")) {
            if (p[1].equals("user") && p[2].startsWith("max_") && p[2].endsWith("_namespaces")) {
                return new ProcTarget(Kind.MAX_NAMESPACES, 0, 0, p[2]);
            }
            if (p[1].equals("kernel") && (p[2].equals("hostname") || p[2].equals("domainname"))) {
                return new ProcTarget(Kind.UTS_NAME, 0, 0, p[2]);
            }
            return OTHER;
        }
        int pid = number(p[0]);
        if (pid <= 0 || p.length < 2) {
            return OTHER;
        }
        int i = 1;
        int tid = 0;
        if (p.length >= 4 && p[1].equals("task")) {
            tid = number(p[2]);
            if (tid <= 0) {
                return OTHER;
            }
            i = 3;
        }
        int rest = p.length - i;
        if (rest == 2 && p[i].equals("ns")) {
            return isNsEntry(p[i + 1]) ? new ProcTarget(Kind.NS_ENTRY, pid, tid, p[i + 1]) : OTHER;
        }
        if (rest == 2 && p[i].equals("fd") && number(p[i + 1]) >= 0) {
            return new ProcTarget(Kind.FD_LINK, pid, tid, p[i + 1]);
        }
        if (rest == 1) {
            return switch (p[i]) {
                case "uid_map" -> new ProcTarget(Kind.UID_MAP, pid, tid, "uid_map");
                case "gid_map" -> new ProcTarget(Kind.GID_MAP, pid, tid, "gid_map");
                case "setgroups" -> new ProcTarget(Kind.SETGROUPS, pid, tid, "setgroups");
                case "status" -> new ProcTarget(Kind.STATUS, pid, tid, "status");
                default -> OTHER;
            };
        }
        return OTHER;
    }

    /** The ten entries of /proc/PID/ns, in the kernel's order. */
    public static final String[] NS_ENTRIES = {
        "net", "uts", "ipc", "pid", "pid_for_children", "user", "mnt", "cgroup", "time", "time_for_children"
    };

    static boolean isNsEntry(String name) {
        for (String e : NS_ENTRIES) {
            if (e.equals(name)) {
                return true;
            }
        }
        return false;
    }

    private static int number(String s) {
        if (s.isEmpty() || s.length() > 9) {
            return -1;
        }
        int v = 0;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < '0' || ch > '9') {
                return -1;
            }
            v = v * 10 + (ch - '0');
        }
        return v;
    }
}
