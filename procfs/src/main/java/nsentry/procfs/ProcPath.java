package nsentry.procfs;

import nsentry.nsfs.NsType;

/**
 * Classifies an absolute, normalised path under /proc into the files nsentry emulates.
 * The sentry resolves dirfd/cwd, "self" and "thread-self" first, so pids are numeric. Runs
 * for every intercepted open: it allocates only the result (and nothing for
 * {@link #NOT_EMULATED}).
 *
 * @param kind what the path is
 * @param pid the process id in the path (0 where none)
 * @param tid the thread id from /proc/PID/task/TID/..., or 0
 * @param entry the ns entry for {@link Kind#NS_ENTRY}
 * @param limitType the namespace type for {@link Kind#MAX_NAMESPACES}
 */
public record ProcPath(Kind kind, int pid, int tid, NsEntry entry, NsType limitType) {

    /** What kind of emulated file a path is. */
    public enum Kind {
        NS_ENTRY, NS_DIR, UID_MAP, GID_MAP, SETGROUPS, STATUS, MAX_NAMESPACES, HOSTNAME, DOMAINNAME, NOT_EMULATED
    }

    public static final ProcPath NOT_EMULATED = new ProcPath(Kind.NOT_EMULATED, 0, 0, null, null);
    private static final ProcPath HOSTNAME = new ProcPath(Kind.HOSTNAME, 0, 0, null, null);
    private static final ProcPath DOMAINNAME = new ProcPath(Kind.DOMAINNAME, 0, 0, null, null);
    private static final NsType[] TYPES = NsType.values();

    /** The pid to act on: the tid for task/TID paths, else the pid. */
    public int effectiveTid() {
        return tid != 0 ? tid : pid;
    }

    /** Classifies {@code path}. */
    public static ProcPath classify(String path) {
        if (!path.startsWith("/proc/")) {
            return NOT_EMULATED;
        }
        int p = 6;
        int n = path.length();
        if (path.startsWith("sys/", p)) {
            p += 4;
            if (path.startsWith("user/max_", p) && path.endsWith("_namespaces")) {
                int a = p + 9;
                int b = n - 11;
                for (NsType t : TYPES) {
                    String name = t.procName();
                    if (b - a == name.length() && path.startsWith(name, a)) {
                        return new ProcPath(Kind.MAX_NAMESPACES, 0, 0, null, t);
                    }
                }
                return NOT_EMULATED;
            }
            if (path.length() == p + 15 && path.startsWith("kernel/hostname", p)) {
                return HOSTNAME;
            }
            if (path.length() == p + 17 && path.startsWith("kernel/domainname", p)) {
                return DOMAINNAME;
            }
            return NOT_EMULATED;
        }
        int end = number(path, p);
        if (end < 0) {
            return NOT_EMULATED;
        }
        int pid = parse(path, p, end);
        if (pid <= 0 || end >= n) {
            return NOT_EMULATED;
        }
        p = end + 1; // skip '/'
        int tid = 0;
        if (path.startsWith("task/", p)) {
            int s = p + 5;
            int e = number(path, s);
            if (e < 0 || e >= n) {
                return NOT_EMULATED;
            }
            tid = parse(path, s, e);
            if (tid <= 0) {
                return NOT_EMULATED;
            }
            p = e + 1;
        }
        int rest = n - p;
        if (rest == 2 && path.startsWith("ns", p)) {
            return new ProcPath(Kind.NS_DIR, pid, tid, null, null);
        }
        if (rest > 3 && path.startsWith("ns/", p)) {
            NsEntry e = NsEntry.byName(path.subSequence(p + 3, n));
            return e == null ? NOT_EMULATED : new ProcPath(Kind.NS_ENTRY, pid, tid, e, null);
        }
        Kind k = rest == 7 && path.startsWith("uid_map", p) ? Kind.UID_MAP
                : rest == 7 && path.startsWith("gid_map", p) ? Kind.GID_MAP
                : rest == 9 && path.startsWith("setgroups", p) ? Kind.SETGROUPS
                : rest == 6 && path.startsWith("status", p) ? Kind.STATUS
                : Kind.NOT_EMULATED;
        return k == Kind.NOT_EMULATED ? NOT_EMULATED : new ProcPath(k, pid, tid, null, null);
    }

    /** Index after a run of digits starting at p followed by '/' or the end; -1 if none. */
    private static int number(String s, int p) {
        int i = p;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
        }
        if (i == p || i - p > 10 || (i < s.length() && s.charAt(i) != '/')) {
            return -1;
        }
        return i;
    }

    private static int parse(String s, int a, int b) {
        long v = 0;
        for (int i = a; i < b; i++) {
            v = v * 10 + (s.charAt(i) - '0');
        }
        return v > Integer.MAX_VALUE ? -1 : (int) v;
    }
}
