package nsentry.sentry.dispatch;

import nsentry.abi.Errno;
import nsentry.abi.SyscallException;

/** A handler's answer to one intercepted syscall. */
public sealed interface Verdict {

    /** The call returns this value (emulated). */
    record Value(long value) implements Verdict {}

    /** The call fails with an errno; the explanation and rule go to the trace. */
    record Failure(Errno errno, String rule, String explanation) implements Verdict {
        public static Failure of(SyscallException e) {
            return new Failure(e.errno(), e.rule(), e.explanation());
        }
    }

    /** The kernel runs the call as the workload made it (nothing to emulate). */
    record Continue(String note) implements Verdict {}

    /** The handler already answered (e.g. an fd injected with ADDFD's SEND flag). */
    record Answered(long value, String note) implements Verdict {}

    /** The answer comes later (e.g. after the shim's clone rewrite). */
    record Deferred(String note) implements Verdict {}

    static Verdict value(long v) {
        return new Value(v);
    }

    static Verdict fail(Errno errno, String rule, String explanation) {
        return new Failure(errno, rule, explanation);
    }

    static Verdict cont() {
        return CONTINUE;
    }

    Continue CONTINUE = new Continue("");
}
