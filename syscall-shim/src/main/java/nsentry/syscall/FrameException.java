package nsentry.syscall;

/**
 * The peer broke the framing or sent a message that does not parse. The message is the
 * reason the session ends, e.g. {@code frame of 2000000 bytes exceeds limit 1048576}.
 */
public final class FrameException extends Exception {
    private static final long serialVersionUID = 1L;

    public FrameException(String reason) {
        super(reason, null, false, false);
    }

    public String reason() {
        return getMessage();
    }
}
