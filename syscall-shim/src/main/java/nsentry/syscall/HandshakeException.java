package nsentry.syscall;

/** The shim's Hello is missing or incompatible; the session must end. */
public final class HandshakeException extends Exception {
    private static final long serialVersionUID = 1L;

    public HandshakeException(String message) {
        super(message, null, false, false);
    }
}
