package nsentry.sentry.dispatch;

/** The notification stopped being valid while it was handled: nothing may be answered. */
public final class TaskGone extends Exception {
    private static final long serialVersionUID = 1L;

    public TaskGone(String what) {
        super(what, null, false, false);
    }
}
