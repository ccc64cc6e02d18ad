package nsentry.abi;

/** clone(2)/unshare(2) flags (include/uapi/linux/sched.h). */
public final class CloneFlags {
    private CloneFlags() {}

    public static final long CSIGNAL = 0x000000ffL;
    public static final long CLONE_NEWTIME = 0x00000080L;
    public static final long CLONE_VM = 0x00000100L;
    public static final long CLONE_FS = 0x00000200L;
    public static final long CLONE_FILES = 0x00000400L;
    public static final long CLONE_SIGHAND = 0x00000800L;
    public static final long CLONE_PIDFD = 0x00001000L;
    public static final long CLONE_PTRACE = 0x00002000L;
    public static final long CLONE_VFORK = 0x00004000L;
    public static final long CLONE_PARENT = 0x00008000L;
    public static final long CLONE_THREAD = 0x00010000L;
    public static final long CLONE_NEWNS = 0x00020000L;
    public static final long CLONE_SYSVSEM = 0x00040000L;
    public static final long CLONE_SETTLS = 0x00080000L;
    public static final long CLONE_PARENT_SETTID = 0x00100000L;
    public static final long CLONE_CHILD_CLEARTID = 0x00200000L;
    public static final long CLONE_DETACHED = 0x00400000L;
    public static final long CLONE_UNTRACED = 0x00800000L;
    public static final long CLONE_CHILD_SETTID = 0x01000000L;
    public static final long CLONE_NEWCGROUP = 0x02000000L;
    public static final long CLONE_NEWUTS = 0x04000000L;
    public static final long CLONE_NEWIPC = 0x08000000L;
    public static final long CLONE_NEWUSER = 0x10000000L;
    public static final long CLONE_NEWPID = 0x20000000L;
    public static final long CLONE_NEWNET = 0x40000000L;
    public static final long CLONE_IO = 0x80000000L;
    /** clone3 only (64-bit flags). */
    public static final long CLONE_CLEAR_SIGHAND = 0x100000000L;
    public static final long CLONE_INTO_CGROUP = 0x200000000L;

    /** Every namespace flag (CLONE_NS_ALL in include/linux/nsproxy.h plus NEWTIME). */
    public static final long CLONE_NS_ALL = CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
            | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWTIME;

    /** Namespace flags clone(2) accepts (NEWTIME shares its bit with CSIGNAL there). */
    public static final long CLONE_NS_CLONE = CLONE_NS_ALL & ~CLONE_NEWTIME;

    /** Flags valid for unshare(2) (kernel/fork.c check_unshare_flags). */
    public static final long UNSHARE_VALID = CLONE_THREAD | CLONE_FS | CLONE_NEWNS | CLONE_SIGHAND | CLONE_VM
            | CLONE_FILES | CLONE_SYSVSEM | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUSER
            | CLONE_NEWPID | CLONE_NEWCGROUP | CLONE_NEWTIME;

    private static final String[] NAMES = {
        "CLONE_VM", "CLONE_FS", "CLONE_FILES", "CLONE_SIGHAND", "CLONE_PIDFD", "CLONE_PTRACE", "CLONE_VFORK",
        "CLONE_PARENT", "CLONE_THREAD", "CLONE_NEWNS", "CLONE_SYSVSEM", "CLONE_SETTLS", "CLONE_PARENT_SETTID",
        "CLONE_CHILD_CLEARTID", "CLONE_DETACHED", "CLONE_UNTRACED", "CLONE_CHILD_SETTID", "CLONE_NEWCGROUP",
        "CLONE_NEWUTS", "CLONE_NEWIPC", "CLONE_NEWUSER", "CLONE_NEWPID", "CLONE_NEWNET", "CLONE_IO",
        "CLONE_CLEAR_SIGHAND", "CLONE_INTO_CGROUP"
    };

    /**
     * Decodes flags the way strace prints them, e.g. "CLONE_NEWUSER|CLONE_NEWNS|SIGCHLD".
     * @param withSignal whether the low byte is an exit signal (clone) or CLONE_NEWTIME (unshare, clone3)
     */
    public static String describe(long flags, boolean withSignal) {
        StringBuilder sb = new StringBuilder();
        for (int bit = 8; bit < 8 + NAMES.length; bit++) {
            if ((flags & (1L << bit)) != 0) {
                append(sb, NAMES[bit - 8]);
            }
        }
        long rest = flags & ~((1L << (8 + NAMES.length)) - 1);
        long low = flags & CSIGNAL;
        if (!withSignal && (low & CLONE_NEWTIME) != 0) {
            append(sb, "CLONE_NEWTIME");
            low &= ~CLONE_NEWTIME;
        }
        if (low != 0) {
            append(sb, withSignal ? Signals.name((int) low) : "0x" + Long.toHexString(low));
        }
        if (rest != 0) {
            append(sb, "0x" + Long.toHexString(rest));
        }
        return sb.length() == 0 ? "0" : sb.toString();
    }

    private static void append(StringBuilder sb, String name) {
        if (sb.length() > 0) {
            sb.append('|');
        }
        sb.append(name);
    }
}
