package nsentry.abi;

/** prctl(2) options that nsentry emulates (include/uapi/linux/prctl.h). */
public final class Prctl {
    private Prctl() {}

    public static final int PR_GET_DUMPABLE = 3;
    public static final int PR_SET_DUMPABLE = 4;
    public static final int PR_GET_KEEPCAPS = 7;
    public static final int PR_SET_KEEPCAPS = 8;
    public static final int PR_CAPBSET_READ = 23;
    public static final int PR_CAPBSET_DROP = 24;
    public static final int PR_GET_SECUREBITS = 27;
    public static final int PR_SET_SECUREBITS = 28;
    public static final int PR_SET_NO_NEW_PRIVS = 38;
    public static final int PR_GET_NO_NEW_PRIVS = 39;
    public static final int PR_CAP_AMBIENT = 47;
    public static final int PR_CAP_AMBIENT_IS_SET = 1;
    public static final int PR_CAP_AMBIENT_RAISE = 2;
    public static final int PR_CAP_AMBIENT_LOWER = 3;
    public static final int PR_CAP_AMBIENT_CLEAR_ALL = 4;

    /** The options the seccomp filter sends to the sentry; all others run natively. */
    public static final int[] EMULATED = {
        PR_GET_DUMPABLE, PR_SET_DUMPABLE, PR_GET_KEEPCAPS, PR_SET_KEEPCAPS, PR_CAPBSET_READ, PR_CAPBSET_DROP,
        PR_GET_SECUREBITS, PR_SET_SECUREBITS, PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS, PR_CAP_AMBIENT
    };
}
