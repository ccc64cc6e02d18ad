package nsentry.sentry.runtime;

import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;

import nsentry.abi.Errno;
import nsentry.abi.Signals;
import nsentry.abi.Sysno;
import nsentry.abi.SyscallException;
import nsentry.nsfs.IdMap;
import nsentry.proto.KillTree;
import nsentry.proto.LaunchConfig;
import nsentry.proto.SentryMessage;
import nsentry.proto.ShimMessage;
import nsentry.proto.TraceEvent;
import nsentry.proto.WorkloadExited;
import nsentry.proto.WorkloadStarted;
import nsentry.sentry.calls.Dispatch;
import nsentry.sentry.debug.DebugServer;
import nsentry.sentry.dispatch.Call;
import nsentry.sentry.dispatch.TaskGone;
import nsentry.sentry.dispatch.Verdict;
import nsentry.sentry.task.ProcStatus;
import nsentry.sentry.task.Task;
import nsentry.sentry.task.TaskTable;
import nsentry.sentry.trace.Tracer;
import nsentry.syscall.ControlChannel;
import nsentry.syscall.EventLoop;
import nsentry.syscall.Handshake;
import nsentry.syscall.HandshakeException;
import nsentry.syscall.Linux;
import nsentry.syscall.LinuxException;
import nsentry.syscall.Notification;
import nsentry.syscall.SeccompListener;
import nsentry.syscall.WorkloadMemory;

/**
 * One sandbox: the control link to the shim, the seccomp listener, the task table and
 * the namespace model, all driven by one event loop (single writer, no locks).
 */
public final class Sandbox implements ControlChannel.Listener {

    /**
     * The sentry's first two messages to the shim, which depend only on the options. They are
     * built by {@link #prepare} on the main thread while jffi loads on another: the first
     * protobuf messages of a JVM set up protobuf's runtime and the descriptors of
     * nsentry.proto, ~10 ms that the workload would otherwise wait for (BENCHMARKS.md).
     *
     * @param rootView --root: the {uid map, gid map} of the owner view that {@code launch}
     *        carries; null otherwise
     */
    public record Opening(SentryMessage hello, SentryMessage launch, IdMap[] rootView) {}

    /** The hello and the launch configuration for {@code options}. */
    public static Opening prepare(SandboxOptions options) {
        LaunchConfig.Builder launch = LaunchConfig.newBuilder()
                .addAllArgv(options.command()).setEmulatedRoot(options.emulatedRoot())
                .setDebuggable(options.debuggable());
        IdMap[] rootView = null;
        if (options.emulatedRoot() && !options.debuggable()) {
            rootView = InitialState.rootMaps();
            launch.setInitialView(OwnerViews.view(OwnerViews.ROOT_VIEW_ID, rootView[0], rootView[1]));
        }
        return new Opening(SentryMessage.newBuilder().setHello(Handshake.sentryHello()).build(),
                SentryMessage.newBuilder().setLaunch(launch).build(), rootView);
    }

    private final Linux linux;
    private final EventLoop loop;
    private final SandboxOptions options;
    private final Opening opening;
    private final Tracer tracer;
    private final PrintStream err;
    private final ShimLink link;
    private final long startNs = System.nanoTime();
    private final CountDownLatch done = new CountDownLatch(1);

    private ControlChannel shim;
    private boolean shimHelloSeen;
    private boolean shimClosed;
    private SeccompListener listener;
    private EventLoop.Registration listenerWatch;
    private WorkloadMemory memory;
    private Kernel kernel;
    private Dispatch dispatch;
    private volatile int exitCode = 0;
    private boolean workloadExited;
    private DebugServer debug;

    public Sandbox(Linux linux, EventLoop loop, SandboxOptions options, Opening opening, ShimLink link) {
        this.linux = linux;
        this.loop = loop;
        this.options = options;
        this.opening = opening;
        this.tracer = options.tracer();
        this.link = link;
        this.err = link.err();
    }

    /** Connects to the shim through {@code link} and runs until the workload is gone. */
    public int run() throws InterruptedException {
        loop.execute(() -> {
            shim = ControlChannel.open(loop, linux, link.controlFd(), this);
            shim.send(opening.hello());
        });
        done.await();
        return exitCode;
    }

    long now() {
        return System.nanoTime() - startNs;
    }

    // ------------------------------------------------------------------ shim link

    @Override
    public void onMessage(ShimMessage m) {
        switch (m.getBodyCase()) {
            case HELLO -> {
                try {
                    Handshake.checkPeer(m.getHello());
                } catch (HandshakeException e) {
                    failClosed("protocol error from shim: " + e.getMessage());
                    return;
                }
                shimHelloSeen = true;
                shim.send(opening.launch());
            }
            case WORKLOAD_STARTED -> workloadStarted(m.getWorkloadStarted());
            case WORKLOAD_EXITED -> workloadExited(m.getWorkloadExited());
            case REWRITE_RESULT -> {
                if (kernel != null) {
                    kernel.rewrites().onResult(m.getRewriteResult());
                }
            }
            case ERROR -> failClosed("shim reported: " + m.getError().getMessage());
            default -> failClosed("protocol error from shim: unexpected message " + m.getBodyCase());
        }
        if (!shimHelloSeen && m.getBodyCase() != ShimMessage.BodyCase.HELLO) {
            failClosed("protocol error from shim: " + m.getBodyCase() + " before hello");
        }
    }

    @Override
    public void onClosed(String reason) {
        shimClosed = true;
        if (workloadExited) {
            finish(exitCode);
            return;
        }
        failClosed("shim exited unexpectedly (" + reason + ")");
    }

    private void workloadStarted(WorkloadStarted started) {
        int listenerFd;
        try {
            listenerFd = linux.recvFd(link.fdChannel());
        } catch (LinuxException e) {
            failClosed("could not receive the seccomp listener from the shim: " + e.getMessage());
            return;
        }
        listener = new SeccompListener(linux, listenerFd);
        listener.enableSyncWakeup();
        memory = new WorkloadMemory(linux);
        kernel = new Kernel(linux, loop, listener, shim, options, started, opening.rootView(), tracer, err, this::now);
        dispatch = new Dispatch(kernel);
        kernel.tasks().setRootPid(started.getPid());
        ProcStatus root = ProcStatus.read(linux, started.getPid());
        if (root != null) {
            kernel.tasks().setShimPid(root.ppid());
        }
        if (tracer.enabled()) {
            tracer.note(now(), started.getPid(), "workload started: " + String.join(" ", options.command())
                    + " (intercepting " + started.getFilteredSyscallsCount() + " syscalls)");
        }
        listenerWatch = loop.watchDirect(listenerFd, this::onNotification);
        debug = DebugServer.start(kernel, link.shimPid(), err); // nsentry ps / ns; reads the model on this loop only
    }

    private void workloadExited(WorkloadExited exited) {
        workloadExited = true;
        exitCode = exited.getSignal() != 0 ? 128 + exited.getSignal() : exited.getExitCode();
        if (tracer.enabled()) {
            tracer.note(now(), exited.getPid(), exited.getSignal() != 0
                    ? "workload killed by " + Signals.name(exited.getSignal())
                    : "workload exited with status " + exited.getExitCode());
        }
    }

    /** The workload must not run on unemulated: kill it, say why, exit non-zero. */
    void failClosed(String reason) {
        boolean told = false;
        if (shim != null && !shimClosed) {
            try {
                // The shim prints the reason, kills the tree and exits 125.
                shim.send(SentryMessage.newBuilder().setKillTree(KillTree.newBuilder().setReason(reason)).build());
                told = true;
            } catch (RuntimeException ignored) {
                // the shim may be gone already; we kill what we know below
            }
        }
        if (!told) {
            err.println("nsentry: " + reason + "; workload killed");
            err.flush();
        }
        killWorkload();
        finish(125);
    }

    private void killWorkload() {
        if (kernel != null) {
            for (Task t : kernel.tasks().all()) {
                try {
                    linux.kill(t.tid(), Signals.SIGKILL);
                } catch (LinuxException ignored) {
                    // already gone
                }
            }
            int root = kernel.tasks().rootPid();
            if (root > 0) {
                killTree(root);
            }
        }
    }

    private void killTree(int pid) {
        for (int child : ProcStatus.children(pid)) {
            killTree(child);
        }
        try {
            linux.kill(pid, Signals.SIGKILL);
        } catch (LinuxException ignored) {
            // gone
        }
    }

    private void finish(int code) {
        exitCode = code;
        if (debug != null) {
            debug.close(); // removes the socket, on every path that ends the sandbox
            debug = null;
        }
        if (listenerWatch != null) {
            listenerWatch.cancel(); // before the close: the loop polls this fd
            listenerWatch = null;
        }
        if (listener != null) {
            listener.close();
            listener = null;
        }
        if (kernel != null) {
            kernel.releaseAll(); // a sentry server goes on with other sandboxes
            kernel = null;
        }
        done.countDown(); // the control socket closes with the event loop, the fd channel after it
    }

    // ------------------------------------------------------------------ notifications

    /**
     * The listener fd is readable: receive one notification without polling again (poll
     * just said one is pending, and only the sentry receives, so RECV cannot block: a
     * notification whose thread died meanwhile comes back as ENOENT).
     */
    private void onNotification(int events) {
        SeccompListener l = listener;
        if (l == null || (events & EventLoop.EPOLLIN) == 0) {
            return;
        }
        Notification n = l.receivePending();
        if (n == null) {
            return;
        }
        long t0 = tracer.enabled() ? System.nanoTime() : 0; // only the trace wants the time
        if (n.arch() != Sysno.AUDIT_ARCH_X86_64) {
            l.respondError(n.id(), Errno.ENOSYS);
            return;
        }
        Task task = kernel.tasks().lookup(n.tid());
        try {
            if (task == null) {
                task = kernel.tasks().registerUnknown(n.tid());
                if (task == null) {
                    return; // the thread died before we could look at it
                }
            }
        } catch (TaskTable.TooManyTasks e) {
            l.respondError(n.id(), Errno.EAGAIN);
            trace(n, null, new Verdict.Failure(Errno.EAGAIN, "nsentry", e.getMessage()), t0);
            return;
        }
        Call call = new Call(n, task, memory, l, tracer.enabled());
        Verdict verdict;
        try {
            kernel.execs().confirmPendingExec(call);
            kernel.procFiles().drainPipes(); // writes made before this call take effect first
            verdict = dispatch.handle(call);
        } catch (SyscallException e) {
            verdict = Verdict.Failure.of(e);
        } catch (TaskGone gone) {
            if (tracer.enabled()) {
                tracer.note(now(), n.tid(), Sysno.name(n.nr()) + ": " + gone.getMessage());
            }
            return;
        } catch (RuntimeException bug) {
            err.println("nsentry: internal error handling " + Sysno.name(n.nr()) + " for tid " + n.tid() + ": " + bug);
            bug.printStackTrace(err);
            verdict = new Verdict.Failure(Errno.ENOSYS, "nsentry", "internal error: " + bug);
        }
        answer(l, n, verdict);
        if (tracer.enabled()) {
            trace(n, call, verdict, t0);
        }
    }

    private static void answer(SeccompListener l, Notification n, Verdict verdict) {
        if (verdict instanceof Verdict.Value v) {
            l.respondValue(n.id(), v.value());
        } else if (verdict instanceof Verdict.Failure f) {
            l.respondError(n.id(), f.errno());
        } else if (verdict instanceof Verdict.Continue) {
            l.respondContinue(n.id());
        }
        // Answered and Deferred: the reply was or will be sent elsewhere.
    }

    private void trace(Notification n, Call call, Verdict verdict, long t0) {
        TraceEvent.Builder e = TraceEvent.newBuilder()
                .setTimeNs(t0 - startNs)
                .setTid(n.tid())
                .setSyscall(Sysno.name(n.nr()))
                .setArgs(call != null && call.decodedArgs() != null ? call.decodedArgs() : rawArgs(n))
                .setDurationNs(System.nanoTime() - t0);
        if (verdict instanceof Verdict.Value v) {
            e.setResult(v.value()).setVerdict("emulated");
        } else if (verdict instanceof Verdict.Failure f) {
            e.setErrnoName(f.errno().name()).setExplanation(f.explanation()).setRule(f.rule()).setVerdict("emulated");
        } else if (verdict instanceof Verdict.Continue c) {
            e.setVerdict("continued").setExplanation(c.note());
        } else if (verdict instanceof Verdict.Answered a) {
            e.setResult(a.value()).setVerdict("injected-fd").setExplanation(a.note());
        } else if (verdict instanceof Verdict.Deferred d) {
            e.setVerdict("deferred").setExplanation(d.note());
        }
        if (call != null) {
            kernel.describeNamespaces(call, e);
        }
        tracer.emit(e.build());
    }

    private static String rawArgs(Notification n) {
        return "0x" + Long.toHexString(n.arg0()) + ", 0x" + Long.toHexString(n.arg1()) + ", 0x"
                + Long.toHexString(n.arg2());
    }
}
