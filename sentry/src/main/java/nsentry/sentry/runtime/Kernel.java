package nsentry.sentry.runtime;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongSupplier;

import nsentry.nsfs.IdMap;
import nsentry.nsfs.Credentials;
import nsentry.nsfs.Namespace;
import nsentry.nsfs.NamespaceRegistry;
import nsentry.nsfs.TaskFacts;
import nsentry.nsfs.TaskState;
import nsentry.proto.NamespaceRef;
import nsentry.proto.TraceEvent;
import nsentry.proto.WorkloadStarted;
import nsentry.sentry.dispatch.Call;
import nsentry.sentry.task.Task;
import nsentry.sentry.task.TaskTable;
import nsentry.sentry.trace.Tracer;
import nsentry.syscall.ControlChannel;
import nsentry.syscall.EventLoop;
import nsentry.syscall.Linux;
import nsentry.syscall.SeccompListener;
import nsentry.syscall.WorkloadMemory;

/**
 * The sentry's namespace kernel for one sandbox: the model (namespaces, tasks) and the
 * native means to act on the workload. Handlers get everything through this object.
 * Only the event loop thread uses it.
 */
public final class Kernel implements TaskTable.StateListener {
    private final Linux linux;
    private final EventLoop loop;
    private final SeccompListener listener;
    private final ControlChannel shim;
    private final SandboxOptions options;
    private final Tracer tracer;
    private final PrintStream err;
    private final LongSupplier clock;
    private final WorkloadMemory memory;
    private final NsBacking backing;
    private final NamespaceRegistry registry;
    private final TaskTable tasks;
    private final FdBand band;
    private final Rewrites rewrites;
    private final OwnerViews ownerViews;
    private final Execs execs;
    private final boolean realRoot;
    private nsentry.sentry.calls.ProcFileCalls procFiles;

    Kernel(Linux linux, EventLoop loop, SeccompListener listener, ControlChannel shim, SandboxOptions options,
            WorkloadStarted started, IdMap[] launchedRootView, Tracer tracer, PrintStream err, LongSupplier clock) {
        this.linux = linux;
        this.loop = loop;
        this.listener = listener;
        this.shim = shim;
        this.options = options;
        this.tracer = tracer;
        this.err = err;
        this.clock = clock;
        this.memory = new WorkloadMemory(linux);
        this.backing = new NsBacking(linux);
        this.band = new FdBand(linux, started.getFdBandBase(), started.getFdBandSize());
        this.registry = InitialState.registry(backing);
        Credentials real = InitialState.realCredentials(registry.initialUserNs());
        this.realRoot = real.euid().value() == 0;
        TaskState initial = InitialState.taskState(registry, real, options.emulatedRoot());
        this.tasks = new TaskTable(linux, loop, initial, this, options.maxTasks());
        this.rewrites = new Rewrites(this);
        this.execs = new Execs(this);
        this.ownerViews = new OwnerViews(this, !options.debuggable());
        if (launchedRootView != null) {
            ownerViews.launchedIn(initial.cred().userNs(), launchedRootView[0], launchedRootView[1]);
        }
    }

    /**
     * The sandbox is over: closes every fd the model holds (tasks' pidfds, namespace backing
     * files, emulated files). Nothing is used afterwards. On the loop thread.
     */
    void releaseAll() {
        tasks.releaseAll();
        if (procFiles != null) {
            procFiles.releaseAll();
        }
        backing.releaseAll();
    }

    public Linux linux() {
        return linux;
    }

    public EventLoop loop() {
        return loop;
    }

    public SeccompListener listener() {
        return listener;
    }

    public ControlChannel shim() {
        return shim;
    }

    public WorkloadMemory memory() {
        return memory;
    }

    public NsBacking backing() {
        return backing;
    }

    public NamespaceRegistry registry() {
        return registry;
    }

    public TaskTable tasks() {
        return tasks;
    }

    public FdBand band() {
        return band;
    }

    public OwnerViews ownerViews() {
        return ownerViews;
    }

    public Rewrites rewrites() {
        return rewrites;
    }

    public Execs execs() {
        return execs;
    }

    /** The emulated /proc files (set once the dispatch table is built). */
    public nsentry.sentry.calls.ProcFileCalls procFiles() {
        return procFiles;
    }

    public void setProcFiles(nsentry.sentry.calls.ProcFileCalls procFiles) {
        this.procFiles = procFiles;
    }

    public Tracer tracer() {
        return tracer;
    }

    /** Where the sentry's own messages about this sandbox go (its user's stderr). */
    public PrintStream err() {
        return err;
    }

    public long now() {
        return clock.getAsLong();
    }

    /** Whether the sandbox runs with real root privileges (then chroot and the like are real). */
    public boolean realRoot() {
        return realRoot;
    }

    public SandboxOptions options() {
        return options;
    }

    /** Replaces a task's credentials (copy-on-write), registering unseen children first. */
    public void updateCred(Task t, Credentials cred) {
        if (cred != t.state().cred()) {
            tasks.update(t, new TaskState(cred, t.state().ns(), t.state().activePidNs()));
        }
    }

    /**
     * Commits credentials a set*id/capset/prctl call computed. A task whose emulated
     * credentials are still its real ones lets the kernel make the same change, so that a
     * privileged workload that drops privileges really loses them; otherwise the call is
     * answered with 0.
     */
    public nsentry.sentry.dispatch.Verdict commitCred(Task t, Credentials next) {
        boolean real = t.realCreds();
        updateCred(t, next);
        return real ? new nsentry.sentry.dispatch.Verdict.Continue("real credentials change too")
                : nsentry.sentry.dispatch.Verdict.value(0);
    }

    public void updateState(Task t, TaskState state) {
        tasks.update(t, state);
    }

    /** What the rules need to know about the calling task, read fresh. */
    public TaskFacts facts(Task t) {
        int threads = tasks.threadsInGroup(t);
        // Threads share the fs_struct; so does a process with a clone(CLONE_FS) sibling.
        boolean fsShared = threads > 1 || tasks.sharesFsWithProcess(t);
        return new TaskFacts(threads, fsShared, threads > 1, threads > 1,
                t.state().activePidNs(), t.chrooted(), t.pidNsInit());
    }

    /**
     * The facts without the /proc reads behind {@link #facts} (thread count, fs sharing):
     * for rules that do not consult those, e.g. joining a namespace of a type outside
     * {@code SetnsRules.TYPES_CONSULTING_TASK_FACTS}.
     */
    public TaskFacts factsWithoutProcReads(Task t) {
        return new TaskFacts(1, false, false, false, t.state().activePidNs(), t.chrooted(), t.pidNsInit());
    }

    // ------------------------------------------------------------------ reference counting

    @Override
    public void acquired(TaskState state) {
        registry.retain(state);
    }

    @Override
    public void released(TaskState state) {
        registry.release(state);
    }

    @Override
    public void registered(Task task, String how) {
        if (tracer.enabled()) {
            tracer.note(now(), task.tid(), "new task (" + how + ")" + (task.comm() == null ? "" : ": " + task.comm()));
        }
    }

    @Override
    public void exited(Task task) {
        if (tracer.enabled()) {
            tracer.note(now(), task.tid(), "task exited");
        }
    }

    // ------------------------------------------------------------------ trace support

    /** A refusal decided after the call was deferred (e.g. a clone rewrite), as a trace event. */
    public void traceRefusal(int tid, Call call, nsentry.abi.Errno errno, String rule, String explanation) {
        if (!tracer.enabled()) {
            return;
        }
        TraceEvent.Builder e = TraceEvent.newBuilder().setTimeNs(now()).setTid(tid)
                .setSyscall(nsentry.abi.Sysno.name(call.nr()))
                .setArgs(call.decodedArgs() == null ? "" : call.decodedArgs())
                .setErrnoName(errno.name()).setRule(rule).setExplanation(explanation).setVerdict("emulated");
        describeNamespaces(call, e);
        tracer.emit(e.build());
    }

    /** Adds the namespaces a call created or joined to its trace event. */
    public void describeNamespaces(Call call, TraceEvent.Builder e) {
        for (Namespace ns : call.touchedNamespaces()) {
            e.addNamespaces(ref(ns));
        }
    }

    /** user:[inode] with a human label: who created it and, for user namespaces, the depth. */
    public static NamespaceRef ref(Namespace ns) {
        String label = ns.label() == null ? "" : ns.label();
        if (ns instanceof nsentry.nsfs.UserNamespace u && !u.isInitial()) {
            label = label + (label.isEmpty() ? "" : ", ") + "depth " + u.level();
        }
        return NamespaceRef.newBuilder().setType(ns.type().procName()).setInode(ns.inode()).setLabel(label).build();
    }

    /** Reads a real /proc file of the sentry's own, for initial values. */
    static String readProc(String path) {
        String text = readProcFile(path);
        return text == null ? "" : text.trim();
    }

    /** A real /proc file's text, or null if it cannot be read. */
    public static String readProcFile(String path) {
        try {
            return Files.readString(Path.of(path), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }
}
