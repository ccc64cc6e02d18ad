package nsentry.procfs;

import nsentry.nsfs.NsType;

/** The entries of /proc/PID/ns, in the kernel's order (fs/proc/namespaces.c ns_entries). */
public enum NsEntry {
    NET("net", NsType.NET),
    UTS("uts", NsType.UTS),
    IPC("ipc", NsType.IPC),
    PID("pid", NsType.PID),
    PID_FOR_CHILDREN("pid_for_children", NsType.PID),
    USER("user", NsType.USER),
    MNT("mnt", NsType.MNT),
    CGROUP("cgroup", NsType.CGROUP),
    TIME("time", NsType.TIME),
    TIME_FOR_CHILDREN("time_for_children", NsType.TIME);

    private static final NsEntry[] VALUES = values();

    private final String fileName;
    private final NsType type;

    NsEntry(String fileName, NsType type) {
        this.fileName = fileName;
        this.type = type;
    }

    /** The directory entry name, e.g. "pid_for_children". */
    public String fileName() {
        return fileName;
    }

    public NsType type() {
        return type;
    }

    /** The entry named {@code name}, or null. */
    public static NsEntry byName(CharSequence name) {
        for (NsEntry e : VALUES) {
            if (e.fileName.contentEquals(name)) {
                return e;
            }
        }
        return null;
    }
}
