package nsentry.abi;

/**
 * securebits as of Linux 6.14+ (include/uapi/linux/securebits.h), including the exec
 * bits that unprivileged tasks may set. {@link Capability#SECURE_ALL_BITS} predates
 * these; prctl(PR_SET_SECUREBITS) emulation uses the values here.
 */
public final class Securebits {
    private Securebits() {}

    public static final int SECBIT_EXEC_RESTRICT_FILE = 1 << 8;
    public static final int SECBIT_EXEC_RESTRICT_FILE_LOCKED = 1 << 9;
    public static final int SECBIT_EXEC_DENY_INTERACTIVE = 1 << 10;
    public static final int SECBIT_EXEC_DENY_INTERACTIVE_LOCKED = 1 << 11;

    /** SECURE_ALL_BITS (6.14+). */
    public static final int SECURE_ALL_BITS = Capability.SECURE_ALL_BITS | SECBIT_EXEC_RESTRICT_FILE
            | SECBIT_EXEC_DENY_INTERACTIVE;
    /** SECURE_ALL_LOCKS = SECURE_ALL_BITS &lt;&lt; 1. */
    public static final int SECURE_ALL_LOCKS = SECURE_ALL_BITS << 1;
    /** Bits a task may change without CAP_SETPCAP (SECURE_ALL_UNPRIVILEGED). */
    public static final int SECURE_ALL_UNPRIVILEGED = SECBIT_EXEC_RESTRICT_FILE | SECBIT_EXEC_DENY_INTERACTIVE;
}
