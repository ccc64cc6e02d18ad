package nsentry.syscall;

import nsentry.abi.Errno;

/**
 * A host syscall made by nsentry itself failed. Carries the errno and the call, e.g.
 * {@code pidfd_getfd(pidfd 7, fd 5): EPERM}.
 *
 * <p>{@link #errno()} is {@code null} for an errno number that {@link Errno} does not
 * name; {@link #errnoNumber()} always holds the number.
 */
public final class LinuxException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errnoNumber;

    public LinuxException(String call, int errnoNumber) {
        this(call, errnoNumber, null);
    }

    /** @param detail extra context appended to the message, or {@code null} */
    public LinuxException(String call, int errnoNumber, String detail) {
        this(call, errnoNumber, detail, null);
    }

    public LinuxException(String call, int errnoNumber, String detail, Throwable cause) {
        super(call + ": " + Errno.nameOf(errnoNumber) + (detail == null ? "" : " (" + detail + ")"), cause);
        this.call = call;
        this.errnoNumber = errnoNumber;
    }

    /** The call with its arguments, e.g. {@code pidfd_getfd(pidfd 7, fd 5)}. */
    public String call() {
        return call;
    }

    /** The errno, or {@code null} if {@link Errno} does not name this number. */
    public Errno errno() {
        return Errno.of(errnoNumber);
    }

    /** The positive errno number. */
    public int errnoNumber() {
        return errnoNumber;
    }

    /** Whether the call failed with {@code e}. */
    public boolean is(Errno e) {
        return e.number() == errnoNumber;
    }
}
