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
    private final java.util.Set<Integer> fsPartners = new java.util.HashSet<>();
    private boolean chrooted;
    private boolean noNewPrivs;
    private int dumpable = 1;
    private String comm;
    private PendingExec pendingExec;
    private ThreadExec threadExec;
    private boolean exited;
    private boolean realCreds = true;
    private EventLoop.Registration exitWatch;
    private int fsSharingChildren;
    private boolean pidNsInit;

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

    /**
     * Processes sharing this task's fs_struct through clone(CLONE_FS) (threads are counted
     * separately, from /proc). Kept on both sides; a partner that exited no longer counts.
     */
    public java.util.Set<Integer> fsPartners() {
        return fsPartners;
    }

    /** unshare(CLONE_FS) and friends: this task's fs_struct is its own again. */
    public void unshareFs() {
        fsPartners.clear();
        fsSharingChildren = 0;
    }

    /** The task called chroot inside the sandbox: its root differs from its mount namespace's root. */
    /** Whether this process is the init (first process) of its emulated pid namespace. */
    public boolean pidNsInit() {
        return pidNsInit;
    }

    void setPidNsInit(boolean pidNsInit) {
        this.pidNsInit = pidNsInit;
    }

    /** A clone(CLONE_FS) child is on its way: it shares this task's fs_struct. */
    public void addFsSharingChild() {
        fsSharingChildren++;
    }

    public int pendingFsSharingChildren() {
        return fsSharingChildren;
    }

    public void forgetPendingFsSharingChildren() {
        fsSharingChildren = 0;
    }

    /** Takes one pending CLONE_FS child, if any (for the child's registration). */
    boolean takeFsSharingChild() {
        if (fsSharingChildren == 0) {
            return false;
        }
        fsSharingChildren--;
        return true;
    }

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
     * An execve by another thread of this leader's process, which continues under this
     * task's tid if it succeeds: that thread, its own pending exec, and what this task
     * noted of the image.
     */
    public record ThreadExec(Task thread, PendingExec threadsOwn, PendingExec forLeader) {}

    public ThreadExec threadExec() {
        return threadExec;
    }

    public void setThreadExec(ThreadExec threadExec) {
        this.threadExec = threadExec;
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
