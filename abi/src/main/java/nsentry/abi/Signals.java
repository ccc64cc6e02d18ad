package nsentry.abi;

/** Signal numbers and names (x86_64). */
public final class Signals {
    private Signals() {}

    public static final int SIGHUP = 1;
    public static final int SIGINT = 2;
    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;
    public static final int SIGCHLD = 17;
    public static final int NSIG = 64;

    private static final String[] NAMES = {
        "0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
        "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
        "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
        "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"
    };

    public static String name(int sig) {
        if (sig >= 0 && sig < NAMES.length) {
            return NAMES[sig];
        }
        return sig <= NSIG ? "SIGRT_" + (sig - 32) : String.valueOf(sig);
    }
}
