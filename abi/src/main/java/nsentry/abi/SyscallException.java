package nsentry.abi;

import java.util.Objects;

/**
 * A syscall's failure as Linux reports it: an errno plus, for the trace, the rule that
 * refused the call and the facts behind it. Thrown by the model, caught by handlers.
 */
public final class SyscallException extends Exception {
    private static final long serialVersionUID = 1L;

    private final Errno errno;
    private final String rule;

    /**
     * @param errno the errno the caller sees
     * @param rule the kernel function whose check refused the call, e.g. "userns_install"
     * @param explanation the facts, e.g. "caller has 3 threads; joining a user namespace needs a single-threaded process"
     */
    public SyscallException(Errno errno, String rule, String explanation) {
        super(explanation, null, false, false);
        this.errno = Objects.requireNonNull(errno);
        this.rule = Objects.requireNonNull(rule);
    }

    public Errno errno() {
        return errno;
    }

    public String rule() {
        return rule;
    }

    public String explanation() {
        return getMessage();
    }

    @Override
    public String toString() {
        return "-" + errno.name() + ": " + getMessage() + " (" + rule + ")";
    }
}
