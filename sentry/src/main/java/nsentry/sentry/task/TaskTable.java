package nsentry.sentry.task;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import nsentry.nsfs.NsSet;
import nsentry.nsfs.PidNamespace;
import nsentry.nsfs.TaskState;
import nsentry.syscall.EventLoop;
import nsentry.syscall.Linux;
import nsentry.syscall.LinuxException;

/**
 * Every workload thread the sentry knows, with exact lifecycle (DESIGN.md "Process
 * lifecycle without ptrace"):
 * <ul>
 * <li>a task is registered at its first intercepted syscall, its parent read from /proc;
 * <li>before a task's credentials or namespaces change, its not-yet-known descendants are
 *     registered with the old state, so inheritance is exact;
 * <li>tasks are identified by a pidfd (PIDFD_THREAD), whose readiness reports the exit.
 * </ul>
 * Only the sentry's event loop touches this table.
 */
public final class TaskTable {
    /** PIDFD_THREAD (O_EXCL): a pidfd for a thread rather than a thread-group leader. */
    private static final int PIDFD_THREAD = 0x80;

    /** Notified when states start or stop being referenced (namespace reference counting). */
    public interface StateListener {
        void acquired(TaskState state);

        void released(TaskState state);

        void registered(Task task, String how);

        void exited(Task task);
    }

    private final Linux linux;
    private final EventLoop loop;
    private final TaskState initialState;
    private final StateListener listener;
    private final Map<Integer, Task> byTid = new HashMap<>();
    /**
     * The task {@link #lookup} found last: a workload's calls mostly come from one thread
     * in a row, and this skips boxing the tid and the hash lookup (the sentry's code is C1
     * only, which does not remove the box). Cleared when that task leaves the table.
     */
    private Task lastLookedUp;
    /** Pid namespaces that have had a process (identity set; forgotten with the namespace). */
    private final java.util.Set<PidNamespace> populatedPidNs =
            java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>());
    private long nextSerial;
    private int rootPid = -1;
    private final int maxTasks;
    private final ProcScan scan;

    public TaskTable(Linux linux, EventLoop loop, TaskState initialState, StateListener listener, int maxTasks) {
        this.linux = linux;
        this.scan = new ProcScan(linux);
        this.loop = loop;
        this.initialState = initialState;
        this.listener = listener;
        this.maxTasks = maxTasks;
    }

    public void setRootPid(int pid) {
        this.rootPid = pid;
    }

    public int rootPid() {
        return rootPid;
    }

    public Task lookup(int tid) {
        Task last = lastLookedUp;
        if (last != null && last.tid() == tid) {
            return last;
        }
        Task t = byTid.get(tid);
        if (t != null) {
            lastLookedUp = t;
        }
        return t;
    }

    public int size() {
        return byTid.size();
    }

    public Collection<Task> all() {
        List<Task> tasks = new ArrayList<>(byTid.values());
        tasks.sort(Comparator.comparingLong(Task::serial));
        return tasks;
    }

    /**
     * Whether the task's fs_struct is shared with another live process (a clone(CLONE_FS)
     * sibling). Unseen CLONE_FS children are looked for first; those not found have exited.
     */
    public boolean sharesFsWithProcess(Task t) {
        if (t.pendingFsSharingChildren() > 0) {
            registerUnknownDescendants(t.tgid(), t.state(), 0);
            t.forgetPendingFsSharingChildren();
        }
        t.fsPartners().removeIf(p -> {
            Task other = byTid.get(p);
            if (other == null) {
                return true;
            }
            ProcStatus s = ProcStatus.read(linux, p);
            return s == null || s.isZombie();
        });
        return !t.fsPartners().isEmpty();
    }

    /**
     * Whether a process was ever seen in {@code pidNs} (pidns_for_children_get: the first
     * child makes it exist), after registering {@code parent}'s unseen children.
     */
    public boolean hasMemberOf(PidNamespace pidNs, Task parent) {
        registerUnknownDescendants(parent.tgid(), parent.state(), 0);
        return populatedPidNs.contains(pidNs);
    }

    /** Whether {@code pid} descends from the workload's first process (or from the shim, which adopts orphans). */
    public boolean isSandboxProcess(int pid) {
        int p = pid;
        for (int depth = 0; depth < 4096 && p > 1; depth++) {
            if (p == rootPid || byTid.containsKey(p)) {
                return true;
            }
            ProcStatus s = ProcStatus.read(linux, p);
            if (s == null) {
                return false;
            }
            if (s.ppid() == shimPid) {
                return true;
            }
            p = s.ppid();
        }
        return false;
    }

    private int shimPid = -1;

    public void setShimPid(int pid) {
        this.shimPid = pid;
    }

    /** A pidfd for task {@code t}'s process (pidfd_getfd needs one): its thread-group leader's if known. */
    public int processPidfd(Task t) {
        Task leader = byTid.get(t.tgid());
        return leader != null ? leader.pidfd() : t.pidfd();
    }

    /**
     * Number of live threads in task {@code t}'s thread group, from /proc (exact, fresh:
     * the "Threads:" count of its status, read as the link count of /proc/PID/task).
     */
    public int threadsInGroup(Task t) {
        int threads = scan.threadCount(t.tgid());
        return threads <= 0 ? 1 : threads;
    }

    /**
     * Registers a thread seen for the first time: its state is inherited from its thread
     * group (a new thread) or from its parent process (a new process).
     *
     * @return the task, or null if the thread is already gone
     */
    public Task registerUnknown(int tid) throws TooManyTasks {
        return registerUnknown(tid, 0);
    }

    private Task registerUnknown(int tid, int depth) throws TooManyTasks {
        NewThread found = NewThread.open(linux, tid);
        if (found == null) {
            return null;
        }
        Task t = null;
        try {
            t = registerFound(tid, found, depth);
        } finally {
            if (t == null || t.pidfd() != found.pidfd()) {
                linux.close(found.pidfd());
            }
        }
        return t;
    }

    private Task registerFound(int tid, NewThread found, int depth) throws TooManyTasks {
        TaskState inherited;
        String how;
        String comm;
        boolean fsFromParent = false;
        Task sibling = anyThreadOf(found.tgid());
        if (found.tgid() != tid && sibling != null) {
            inherited = sibling.state();
            how = "new thread of " + found.tgid();
            comm = sibling.comm(); // a new thread starts with its creator's comm
        } else {
            Task parent = byTid.get(found.ppid());
            if (parent == null) {
                parent = anyThreadOf(found.ppid());
            }
            if (parent == null && depth < 64 && found.ppid() > 1 && found.ppid() != shimPid
                    && found.ppid() != tid) {
                // The parent has made no intercepted call yet (its child's notification came
                // first): it still has what it inherited; register it first, up the tree.
                parent = registerUnknown(found.ppid(), depth + 1);
            }
            if (parent == null && found.ppid() == shimPid && depth == 0) {
                // Orphaned before its first intercepted call and adopted by the shim (the
                // subreaper): its parent has exited. Exits not processed yet hand their
                // orphans their state now (see adoptOrphans).
                processPendingExits();
                Task adopted = byTid.get(tid);
                if (adopted != null) {
                    return adopted;
                }
            }
            if (parent != null) {
                inherited = forkedChild(parent.state());
                how = "child of " + parent.tid();
                fsFromParent = parent.takeFsSharingChild();
                comm = parent.comm(); // fork copies comm; exec renames (Execs)
            } else {
                inherited = initialState;
                how = tid == rootPid || rootPid < 0 ? "workload root"
                        : "parent " + found.ppid() + " unknown (orphaned before its first intercepted call); "
                        + "initial state";
                ProcStatus status = ProcStatus.read(linux, tid);
                comm = status == null ? null : status.name();
            }
        }
        Task t = add(tid, found.tgid(), inherited, comm, how, found.pidfd());
        if (t != null && fsFromParent) {
            Task parent = byTid.get(found.ppid()) != null ? byTid.get(found.ppid()) : anyThreadOf(found.ppid());
            if (parent != null) {
                t.fsPartners().add(parent.tid());
                parent.fsPartners().add(t.tid());
            }
        }
        if (t != null && sibling != null && sibling != t) {
            t.setNoNewPrivs(sibling.noNewPrivs());
        }
        return t;
    }

    /** Registers a child created by a clone rewrite, with the state the model computed. */
    public Task registerChild(int childTid, TaskState state, Task parent) throws TooManyTasks {
        Task existing = byTid.get(childTid);
        if (existing != null) {
            update(existing, state);
            return existing;
        }
        ProcStatus status = ProcStatus.read(linux, childTid);
        int tgid = status != null ? status.tgid() : childTid;
        Task t = add(childTid, tgid, state, parent.comm(), "clone child of " + parent.tid());
        if (t != null) {
            t.setNoNewPrivs(parent.noNewPrivs());
        }
        return t;
    }

    /**
     * Changes a task's state. First registers, with the task's old state, every descendant
     * of its process that the sentry has not seen yet: they were forked before this change
     * and keep what they inherited.
     */
    public void update(Task t, TaskState newState) {
        if (newState == t.state() || newState.equals(t.state())) {
            return; // nothing changes, for the task nor for what its unseen children inherited
        }
        int threads = scan.threadCount(t.tgid());
        registerUnknownDescendants(t.tgid(), t.state(), threads);
        if (threads == 1 && t.tid() == t.tgid()) {
            // The task is the process's only thread, and it is blocked in this call: no
            // thread can be unseen.
            setState(t, newState);
            return;
        }
        for (int thread : ProcStatus.threads(t.tgid())) {
            // Threads created before the change but not yet seen keep the old state too.
            if (thread != t.tid() && !byTid.containsKey(thread)) {
                try {
                    add(thread, t.tgid(), t.state(), t.comm(), "thread of " + t.tgid() + " seen before a change");
                } catch (TooManyTasks e) {
                    break;
                }
            }
        }
        setState(t, newState);
    }

    private void setState(Task t, TaskState newState) {
        listener.acquired(newState);
        TaskState old = t.state();
        t.setState(newState);
        listener.released(old);
    }

    /**
     * What a child process inherits (copy_process/copy_namespaces): its active pid namespace
     * is the parent's pid_for_children, its time namespace the parent's time_for_children.
     */
    public static TaskState forkedChild(TaskState parent) {
        NsSet ns = parent.ns();
        if (ns.pidForChildren() == parent.activePidNs() && ns.time() == ns.timeForChildren()) {
            return parent;
        }
        return new TaskState(parent.cred(), ns.withTime(ns.timeForChildren()), ns.pidForChildren());
    }

    /**
     * Registers the unseen children of process {@code pid} (and theirs) with {@code state}
     * as inherited. {@code threads}: the process's thread count if just read, else ≤ 0.
     */
    private void registerUnknownDescendants(int pid, TaskState state, int threads) {
        if (threads <= 0) {
            threads = scan.threadCount(pid);
        }
        for (int attempt = 0; attempt < 2; attempt++) {
            for (int child : scan.children(pid, threads)) {
                if (byTid.containsKey(child)) {
                    continue;
                }
                ProcStatus cs = ProcStatus.read(linux, child);
                if (cs == null) {
                    continue;
                }
                Task added;
                try {
                    added = add(child, cs.tgid(), forkedChild(state), cs.name(), "child of " + pid
                            + " seen before its parent changed");
                } catch (TooManyTasks e) {
                    return;
                }
                Task parent = anyThreadOf(pid);
                if (added != null && parent != null && parent.takeFsSharingChild()) {
                    added.fsPartners().add(parent.tid());
                    parent.fsPartners().add(added.tid());
                }
                registerUnknownDescendants(child, forkedChild(state), 0);
            }
        }
    }

    private Task anyThreadOf(int tgid) {
        Task leader = byTid.get(tgid);
        if (leader != null && leader.tgid() == tgid) {
            return leader;
        }
        for (Task t : byTid.values()) {
            if (t.tgid() == tgid) {
                return t;
            }
        }
        return null;
    }

    private Task add(int tid, int tgid, TaskState state, String comm, String how) throws TooManyTasks {
        if (byTid.size() >= maxTasks) {
            throw new TooManyTasks(maxTasks);
        }
        int pidfd;
        try {
            pidfd = linux.pidfdOpen(tid, tid == tgid ? 0 : PIDFD_THREAD);
        } catch (LinuxException e) {
            return null; // already gone
        }
        Task t = null;
        try {
            t = add(tid, tgid, state, comm, how, pidfd);
        } finally {
            if (t == null) {
                linux.close(pidfd);
            }
        }
        return t;
    }

    /** Registers a task with its pidfd; on success the task owns the pidfd. */
    private Task add(int tid, int tgid, TaskState state, String comm, String how, int pidfd) throws TooManyTasks {
        if (byTid.size() >= maxTasks) {
            throw new TooManyTasks(maxTasks);
        }
        Task t = new Task(tid, tgid, pidfd, nextSerial++, state, comm);
        if (!state.activePidNs().isInitial() && tid == tgid && populatedPidNs.add(state.activePidNs())) {
            t.setPidNsInit(true); // the first process of a pid namespace is its init
        }
        if (byTid.put(tid, t) != null) {
            lastLookedUp = null;
        }
        listener.acquired(state);
        t.setExitWatch(loop.watchReadable(pidfd, () -> exited(t)));
        listener.registered(t, how);
        return t;
    }

    /**
     * The sandbox is over: every task still known is forgotten and its fds (pidfd, exec
     * witnesses) closed, with no model change (a sentry server runs other sandboxes after).
     */
    public void releaseAll() {
        for (Task t : new ArrayList<>(byTid.values())) {
            t.markExited();
            closeFds(t);
        }
        byTid.clear();
        lastLookedUp = null;
    }

    /** The pidfd reported the exit (also called when a tid turns out to be reused). */
    public void exited(Task t) {
        if (t.exited()) {
            return;
        }
        t.markExited();
        if (t.isThreadGroupLeader() && t.state() != initialState) {
            adoptOrphans(t);
        }
        byTid.remove(t.tid(), t);
        if (lastLookedUp == t) {
            lastLookedUp = null;
        }
        listener.exited(t);
        listener.released(t.state());
        closeFds(t);
    }

    /** A task that is gone: its pidfd and the witnesses of an exec never confirmed. */
    private void closeFds(Task t) {
        if (t.pendingExec() != null) { // an exec never confirmed: the task left first
            t.pendingExec().image().close(linux);
            t.setPendingExec(null);
        }
        if (t.threadExec() != null) {
            t.threadExec().forLeader().image().close(linux);
            t.setThreadExec(null);
        }
        linux.close(t.pidfd());
    }

    /**
     * A process that exits hands its children to the shim (the subreaper). Those the sentry
     * has not seen yet were forked by it (or by an unseen descendant of it) and inherit its
     * state: register them now, before they make their first call. This is how a double-
     * forked daemon such as podman's pause process keeps its parent's namespaces.
     */
    private void adoptOrphans(Task exited) {
        if (shimPid <= 0) {
            return;
        }
        int sentry = linux.getpid();
        for (int child : ProcStatus.children(shimPid)) {
            if (child == sentry || child == rootPid || byTid.containsKey(child)) {
                continue;
            }
            ProcStatus cs = ProcStatus.read(linux, child);
            if (cs == null) {
                continue;
            }
            try {
                add(child, cs.tgid(), forkedChild(exited.state()), cs.name(), "orphan of " + exited.tid()
                        + ", adopted by the shim");
                registerUnknownDescendants(child, forkedChild(exited.state()), 0);
            } catch (TooManyTasks e) {
                return;
            }
        }
    }

    /** Processes exits whose pidfd events are still queued (the task is a zombie or gone). */
    private void processPendingExits() {
        for (Task t : new ArrayList<>(byTid.values())) {
            ProcStatus s = ProcStatus.read(linux, t.tid());
            if (s == null || s.isZombie()) {
                exited(t);
            }
        }
    }

    /** Thrown when the workload has more threads than the sentry's task bound. */
    public static final class TooManyTasks extends Exception {
        private static final long serialVersionUID = 1L;

        TooManyTasks(int max) {
            super("more than " + max + " tasks", null, false, false);
        }
    }
}
