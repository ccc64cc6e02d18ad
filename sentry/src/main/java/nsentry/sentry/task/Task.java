package nsentry.sentry.task;

import nsentry.nsfs.TaskState;
import nsentry.syscall.EventLoop;

/**
 * One workload thread as the sentry models it (Linux's task_struct, reduced to what
 * namespaces and credentials need). Mutated only on the sentry's event loop.
 */
public final class Task {
    private final int tid;
    private final int tgid;
    private final int pidfd;
    private final long serial;
    private TaskState state;
    private boolean fsShared;
    private boolean chrooted;
    private boolean noNewPrivs;
    private int dumpable = 1;
    private String comm;
    private PendingExec pendingExec;
    private boolean exited;
    private boolean realCreds = true;
    private EventLoop.Registration exitWatch;

    Task(int tid, int tgid, int pidfd, long serial, TaskState state, String comm) {
        this.tid = tid;
        this.tgid = tgid;
        this.pidfd = pidfd;
        this.serial = serial;
        this.state = state;
        this.comm = comm;
    }

    public int tid() {
        return tid;
    }

    public int tgid() {
        return tgid;
    }

    public boolean isThreadGroupLeader() {
        return tid == tgid;
    }

    /** pidfd (PIDFD_THREAD) of this thread, owned by the task table. */
    public int pidfd() {
        return pidfd;
    }

    /** Order of registration, for stable listings. */
    public long serial() {
        return serial;
    }

    public TaskState state() {
        return state;
    }

    /** Replaces the task's credentials/namespaces (copy-on-write values). Use TaskTable.update. */
    void setState(TaskState state) {
        this.state = state;
    }

    public boolean fsShared() {
        return fsShared;
    }

    public void setFsShared(boolean fsShared) {
        this.fsShared = fsShared;
    }

    /** The task called chroot inside the sandbox: its root differs from its mount namespace's root. */
    public boolean chrooted() {
        return chrooted;
    }

    public void setChrooted(boolean chrooted) {
        this.chrooted = chrooted;
    }

    /** The workload's own PR_SET_NO_NEW_PRIVS (the real flag is always set by the shim). */
    public boolean noNewPrivs() {
        return noNewPrivs;
    }

    public void setNoNewPrivs(boolean noNewPrivs) {
        this.noNewPrivs = noNewPrivs;
    }

    public int dumpable() {
        return dumpable;
    }

    public void setDumpable(int dumpable) {
        this.dumpable = dumpable;
    }

    public String comm() {
        return comm;
    }

    public void setComm(String comm) {
        this.comm = comm;
    }

    public PendingExec pendingExec() {
        return pendingExec;
    }

    public void setPendingExec(PendingExec pendingExec) {
        this.pendingExec = pendingExec;
    }

    /**
     * Whether the task's emulated credentials are still its real ones (initial user
     * namespace, no emulated setuid exec): then set*id and capset also run in the kernel,
     * so a privileged workload that drops privileges really loses them.
     */
    public boolean realCreds() {
        return realCreds && state.cred().userNs().isInitial();
    }

    public void setRealCreds(boolean realCreds) {
        this.realCreds = realCreds;
    }

    public boolean exited() {
        return exited;
    }

    void markExited() {
        this.exited = true;
        if (exitWatch != null) {
            exitWatch.cancel();
        }
    }

    void setExitWatch(EventLoop.Registration exitWatch) {
        this.exitWatch = exitWatch;
    }

    @Override
    public String toString() {
        return "task " + tid + (tid != tgid ? " (thread of " + tgid + ")" : "") + " " + comm;
    }
}
