package nsentry.abi;

/** nsfs constants (include/uapi/linux/nsfs.h, include/linux/proc_ns.h, fs/nsfs.c). */
public final class Nsfs {
    private Nsfs() {}

    public static final int NSIO = 0xb7;
    public static final long NS_GET_USERNS = 0xb701L;
    public static final long NS_GET_PARENT = 0xb702L;
    public static final long NS_GET_NSTYPE = 0xb703L;
    public static final long NS_GET_OWNER_UID = 0xb704L;
    public static final long NS_GET_MNTNS_ID = 0x8008b705L;
    public static final long NS_GET_PID_FROM_PIDNS = 0x8004b706L;
    public static final long NS_GET_TGID_FROM_PIDNS = 0x8004b707L;
    public static final long NS_GET_PID_IN_PIDNS = 0x8004b708L;
    public static final long NS_GET_TGID_IN_PIDNS = 0x8004b709L;
    public static final long NS_GET_ID = 0x8008b70dL;

    public static final long NSFS_MAGIC = 0x6e736673L;

    /** Initial namespace inode numbers (include/linux/proc_ns.h, 6.18). */
    public static final long PROC_IPC_INIT_INO = 0xEFFFFFFFL;
    public static final long PROC_UTS_INIT_INO = 0xEFFFFFFEL;
    public static final long PROC_USER_INIT_INO = 0xEFFFFFFDL;
    public static final long PROC_PID_INIT_INO = 0xEFFFFFFCL;
    public static final long PROC_CGROUP_INIT_INO = 0xEFFFFFFBL;
    public static final long PROC_TIME_INIT_INO = 0xEFFFFFFAL;
    public static final long PROC_NET_INIT_INO = 0xEFFFFFF9L;
    public static final long PROC_MNT_INIT_INO = 0xEFFFFFF8L;
    /** Dynamically allocated namespace inodes start here. */
    public static final long PROC_DYNAMIC_FIRST = 0xF0000000L;

    /** Overflow ids shown for unmapped ids (/proc/sys/kernel/overflowuid). */
    public static final int OVERFLOW_UID = 65534;
    public static final int OVERFLOW_GID = 65534;

    /** Deepest user-namespace level (kernel/user_namespace.c: parent->level > 32 → ENOSPC). */
    public static final int MAX_USER_NS_LEVEL = 32;
    /** Deepest pid-namespace level (MAX_PID_NS_LEVEL). */
    public static final int MAX_PID_NS_LEVEL = 32;
    /** uid_map/gid_map lines (UID_GID_MAP_MAX_EXTENTS). */
    public static final int UID_GID_MAP_MAX_EXTENTS = 340;
    public static final int PAGE_SIZE = 4096;
    /** __NEW_UTS_LEN */
    public static final int NEW_UTS_LEN = 64;
}
