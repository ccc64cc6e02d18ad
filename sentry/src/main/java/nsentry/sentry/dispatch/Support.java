package nsentry.sentry.dispatch;

/** How completely nsentry emulates a syscall (gVisor-style support record). */
public enum Support {
    /** Emulated with Linux's rules and errnos. */
    FULL,
    /** Emulated for the cases named in the entry's note; the rest runs natively. */
    PARTIAL,
    /** Intercepted only to observe (e.g. exec detection); the kernel runs it. */
    OBSERVED
}
