package nsentry.syscall;

/**
 * The seccomp user-notification ioctls and their structs (include/uapi/linux/seccomp.h),
 * with the request numbers computed as {@code _IOC(dir, '!', nr, size)} does.
 */
public final class SeccompIoctl {
    private SeccompIoctl() {}

    private static final int IOC_NRSHIFT = 0;
    private static final int IOC_TYPESHIFT = 8;
    private static final int IOC_SIZESHIFT = 16;
    private static final int IOC_DIRSHIFT = 30;
    private static final int IOC_WRITE = 1;
    private static final int IOC_READ = 2;

    /** SECCOMP_IOC_MAGIC. */
    public static final int MAGIC = '!';

    /** sizeof(struct seccomp_notif): u64 id, u32 pid, u32 flags, struct seccomp_data (64). */
    public static final int SIZEOF_NOTIF = 80;
    /** sizeof(struct seccomp_notif_resp): u64 id, s64 val, s32 error, u32 flags. */
    public static final int SIZEOF_NOTIF_RESP = 24;
    /** sizeof(struct seccomp_notif_addfd): u64 id, u32 flags, u32 srcfd, u32 newfd, u32 newfd_flags. */
    public static final int SIZEOF_NOTIF_ADDFD = 24;

    /** SECCOMP_IOCTL_NOTIF_RECV = _IOWR('!', 0, struct seccomp_notif). */
    public static final long NOTIF_RECV = ioc(IOC_READ | IOC_WRITE, 0, SIZEOF_NOTIF);
    /** SECCOMP_IOCTL_NOTIF_SEND = _IOWR('!', 1, struct seccomp_notif_resp). */
    public static final long NOTIF_SEND = ioc(IOC_READ | IOC_WRITE, 1, SIZEOF_NOTIF_RESP);
    /** SECCOMP_IOCTL_NOTIF_ID_VALID = _IOW('!', 2, __u64). */
    public static final long NOTIF_ID_VALID = ioc(IOC_WRITE, 2, 8);
    /** SECCOMP_IOCTL_NOTIF_ADDFD = _IOW('!', 3, struct seccomp_notif_addfd). */
    public static final long NOTIF_ADDFD = ioc(IOC_WRITE, 3, SIZEOF_NOTIF_ADDFD);
    /** SECCOMP_IOCTL_NOTIF_SET_FLAGS = _IOW('!', 4, __u64); the flags are passed by value. */
    public static final long NOTIF_SET_FLAGS = ioc(IOC_WRITE, 4, 8);

    /** seccomp_notif_resp.flags: let the syscall run in the kernel. */
    public static final int USER_NOTIF_FLAG_CONTINUE = 1;
    /** seccomp_notif_addfd.flags: install at newfd (dup2-like) instead of the lowest free fd. */
    public static final int ADDFD_FLAG_SETFD = 1;
    /** seccomp_notif_addfd.flags: install and answer the notification with the new fd atomically. */
    public static final int ADDFD_FLAG_SEND = 2;
    /** SECCOMP_IOCTL_NOTIF_SET_FLAGS flag (Linux 6.6): wake the handler on the waker's CPU. */
    public static final int USER_NOTIF_FD_SYNC_WAKE_UP = 1;

    static long ioc(int dir, int nr, int size) {
        return ((long) dir << IOC_DIRSHIFT) | ((long) size << IOC_SIZESHIFT)
                | ((long) MAGIC << IOC_TYPESHIFT) | ((long) nr << IOC_NRSHIFT);
    }
}
