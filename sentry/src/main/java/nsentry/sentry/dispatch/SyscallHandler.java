package nsentry.sentry.dispatch;

import nsentry.abi.SyscallException;

/** Decodes one intercepted syscall and delegates to the model. */
@FunctionalInterface
public interface SyscallHandler {
    /**
     * @throws SyscallException the call fails with that errno (the trace shows the rule)
     * @throws TaskGone the notification is no longer valid (the thread died or was interrupted)
     */
    Verdict handle(Call call) throws SyscallException, TaskGone;
}
