package nsentry.sentry.runtime;

import java.util.HashMap;
import java.util.Map;

import nsentry.abi.CloneFlags;
import nsentry.abi.Errno;
import nsentry.abi.Sysno;
import nsentry.nsfs.TaskState;
import nsentry.proto.ReleaseTask;
import nsentry.proto.RewriteClone;
import nsentry.proto.RewriteResult;
import nsentry.proto.SentryMessage;
import nsentry.sentry.dispatch.Call;
import nsentry.sentry.dispatch.Verdict;
import nsentry.sentry.task.Task;
import nsentry.sentry.task.TaskTable;

/**
 * clone/clone3 with namespace flags: the model decides, then the shim makes the thread
 * restart the call without the flags (ptrace, on demand only) and holds the new child
 * stopped until the sentry has registered it with the state the model computed
 * (DESIGN.md "ptrace only on demand").
 */
public final class Rewrites {
    private record Pending(Call call, Task parent, TaskState child, long flags, long startNs) {}

    private final Kernel kernel;
    private final Map<Long, Pending> pending = new HashMap<>();

    Rewrites(Kernel kernel) {
        this.kernel = kernel;
    }

    /** Asks the shim to run the call without {@code stripFlags}; the child gets {@code child}. */
    public Verdict request(Call c, TaskState child, long stripFlags, long cloneArgsAddr) {
        kernel.registry().retain(child);
        pending.put(c.notification().id(), new Pending(c, c.task(), child, stripFlags, kernel.now()));
        kernel.shim().send(SentryMessage.newBuilder().setRewriteClone(RewriteClone.newBuilder()
                .setNotificationId(c.notification().id())
                .setTid(c.tid())
                .setSyscallNr(c.nr())
                .setInstructionPointer(c.notification().instructionPointer())
                .setStripFlags(stripFlags)
                .setCloneArgsAddr(cloneArgsAddr)).build());
        return new Verdict.Deferred("the shim restarts it without " + CloneFlags.describe(stripFlags, false));
    }

    public int inFlight() {
        return pending.size();
    }

    public void onResult(RewriteResult r) {
        Pending p = pending.remove(r.getNotificationId());
        if (p == null) {
            note(r.getTid(), "rewrite result for unknown notification " + r.getNotificationId() + " ignored");
            return;
        }
        String call = Sysno.name(p.call().nr()) + "(" + (p.call().decodedArgs() == null ? "" : p.call().decodedArgs()) + ")";
        try {
            switch (r.getOutcome()) {
                case CHILD_CREATED -> {
                    Task child;
                    try {
                        child = kernel.tasks().registerChild(r.getChildTid(), p.child(), p.parent());
                    } catch (TaskTable.TooManyTasks e) {
                        child = null;
                    }
                    kernel.shim().send(SentryMessage.newBuilder().setRelease(ReleaseTask.newBuilder()
                            .setNotificationId(r.getNotificationId()).setTid(r.getTid())
                            .setChildTid(r.getChildTid())
                            .setChildViewId(kernel.ownerViews().forChild(p.child().cred().userNs()))).build());
                    note(r.getTid(), call + " = " + r.getChildTid() + " (rewritten; child registered"
                            + (child == null ? " FAILED: too many tasks" : "") + ")");
                }
                case NOT_SEIZED -> {
                    kernel.listener().respondError(r.getNotificationId(), Errno.EPERM);
                    kernel.traceRefusal(r.getTid(), p.call(), Errno.EPERM, "nsentry",
                            "the thread is already traced (" + r.getDetail() + "); nsentry needs ptrace for one"
                            + " moment to fork without the namespace flags (detach strace/gdb from this thread or"
                            + " trace its children only)");
                }
                case CALL_FAILED -> note(r.getTid(), call + " = -" + Errno.nameOf(r.getErrorNumber())
                        + " (the kernel's fork failed: " + r.getDetail() + ")");
                case INTERRUPTED -> note(r.getTid(), call + " interrupted by a signal before the restart; "
                        + "it returns EINTR or comes back");
                default -> note(r.getTid(), call + ": unexpected rewrite outcome " + r.getOutcome());
            }
        } finally {
            kernel.registry().release(p.child());
        }
    }

    private void note(int tid, String message) {
        if (kernel.tracer().enabled()) {
            kernel.tracer().note(kernel.now(), tid, message);
        }
    }
}
