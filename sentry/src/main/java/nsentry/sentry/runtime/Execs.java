package nsentry.sentry.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import nsentry.abi.SyscallException;
import nsentry.nsfs.Credentials;
import nsentry.nsfs.ExecRules;
import nsentry.nsfs.Kgid;
import nsentry.nsfs.Kuid;
import nsentry.sentry.dispatch.Call;
import nsentry.sentry.dispatch.TaskGone;
import nsentry.sentry.dispatch.Verdict;
import nsentry.sentry.task.ImageWitness;
import nsentry.sentry.task.PendingExec;
import nsentry.sentry.task.Task;
import nsentry.syscall.StatResult;

/**
 * execve/execveat without ptrace (spikes.md §3): the call runs natively; the sentry
 * notes the calling image ({@link ImageWitness}) and, at the task's next notification,
 * applies the exec credential rules (security/commoncap.c cap_bprm_creds_from_file) if
 * the image was replaced. Setuid/setgid bits are emulated (the real ones are off under no_new_privs), so
 * newuidmap/newgidmap run as emulated root, as on a host.
 */
public final class Execs {
    private static final int AT_FDCWD = -100;
    private static final int AT_EMPTY_PATH = 0x1000;

    private final Kernel kernel;

    Execs(Kernel kernel) {
        this.kernel = kernel;
    }

    /** execve(path, argv, envp) */
    public Verdict execve(Call c) throws SyscallException, TaskGone {
        String path = c.readPath(c.arg(0));
        if (c.tracing()) {
            c.describe("\"" + path + "\", " + ptr(c.arg(1)) + ", " + ptr(c.arg(2)));
        }
        remember(c, AT_FDCWD, path, 0);
        return Verdict.cont();
    }

    /** execveat(dirfd, path, argv, envp, flags) */
    public Verdict execveat(Call c) throws SyscallException, TaskGone {
        String path = c.readPath(c.arg(1));
        if (c.tracing()) {
            c.describe(c.intArg(0) + ", \"" + path + "\", " + ptr(c.arg(2)) + ", " + ptr(c.arg(3)) + ", 0x"
                    + Long.toHexString(c.arg(4)));
        }
        remember(c, c.intArg(0), path, c.intArg(4));
        return Verdict.cont();
    }

    private void remember(Call c, int dirfd, String path, int flags) {
        Path file = resolve(c.tid(), dirfd, path, flags);
        PendingExec.ExecFileInfo info = file == null ? null : fileInfo(file.toString());
        PendingExec earlier = c.task().pendingExec();
        if (earlier != null) { // not reached: every handler confirms first (confirmPendingExec)
            earlier.image().close(kernel.linux());
        }
        ImageWitness image = ImageWitness.take(kernel.linux(), kernel.memory(), c.tid());
        String shown = file == null ? path : file.toString();
        PendingExec own = new PendingExec(shown, image, info);
        Task t = c.task();
        t.setPendingExec(own);
        if (t.tid() != t.tgid()) {
            rememberForLeader(t, own, shown, info);
        }
    }

    /**
     * An exec from a thread other than the leader continues, if it succeeds, under the
     * leader's tid (fs/exec.c de_thread: the thread takes over the leader's pid): the leader
     * task notes it too, to be confirmed at the next notification under that tid.
     */
    private void rememberForLeader(Task thread, PendingExec threadsOwn, String shown,
            PendingExec.ExecFileInfo info) {
        Task leader = kernel.tasks().lookup(thread.tgid());
        if (leader == null || leader.exited()) {
            return; // the leader made no call yet; the next notification under its tid registers it afresh
        }
        dropThreadExec(leader);
        ImageWitness image = ImageWitness.take(kernel.linux(), kernel.memory(), leader.tid());
        leader.setThreadExec(new Task.ThreadExec(thread, threadsOwn, new PendingExec(shown, image, info)));
    }

    private void dropThreadExec(Task leader) {
        Task.ThreadExec te = leader.threadExec();
        if (te != null) {
            leader.setThreadExec(null);
            te.forLeader().image().close(kernel.linux());
        }
    }

    /**
     * Called before every handler: if the task's last execve, or one another thread of its
     * process made while it leads it, replaced the image ({@link ImageWitness}), apply the
     * exec transformation now, before this call is answered.
     */
    public void confirmPendingExec(Call c) {
        Task t = c.task();
        if (t.pendingExec() != null || t.threadExec() != null) { // small enough for C1 to inline at every call
            confirm(c);
        }
    }

    private void confirm(Call c) {
        Task t = c.task();
        PendingExec pending = t.pendingExec();
        if (pending != null) {
            t.setPendingExec(null);
            boolean execed = pending.image().replaced(kernel.linux(), kernel.memory(), c.tid());
            pending.image().close(kernel.linux());
            if (execed) {
                apply(t, pending, t.noNewPrivs());
                dropThreadExec(t); // this task's own exec replaced the image any thread had noted
                return;
            }
        }
        Task.ThreadExec te = t.threadExec();
        if (te == null) {
            return;
        }
        if (te.forLeader().image().replaced(kernel.linux(), kernel.memory(), c.tid())) {
            // The thread's exec succeeded: the process goes on with that thread's state.
            dropThreadExec(t);
            kernel.tasks().update(t, te.thread().state());
            t.setNoNewPrivs(te.thread().noNewPrivs());
            t.setRealCreds(te.thread().realCreds());
            apply(t, te.forLeader(), te.thread().noNewPrivs());
        } else if (te.thread().exited() || te.thread().pendingExec() != te.threadsOwn()) {
            dropThreadExec(t); // the thread went on after a failed exec, or ended without one
        }
    }

    /** The exec credential rules for task {@code t}, whose image {@code pending} replaced. */
    private void apply(Task t, PendingExec pending, boolean noNewPrivs) {
        Credentials before = t.state().cred();
        Credentials after;
        try {
            after = ExecRules.transform(before, execFile(pending.file(), before), noNewPrivs,
                    kernel.tasks().sharesFsWithProcess(t));
        } catch (SyscallException e) {
            // The kernel would have failed this exec (e.g. file capabilities outside the
            // bounding set); it already succeeded natively, so the task keeps its credentials.
            if (kernel.tracer().enabled()) {
                kernel.tracer().note(kernel.now(), t.tid(), "exec of " + pending.path() + ": " + e);
            }
            return;
        }
        kernel.updateCred(t, after);
        t.setComm(comm(pending.path()));
        if (after != before && !after.euid().equals(before.euid()) || after != before && !after.egid().equals(before.egid())) {
            t.setRealCreds(false);
        }
        if (kernel.tracer().enabled()) {
            kernel.tracer().note(kernel.now(), t.tid(), "exec of " + pending.path() + " confirmed"
                    + (after.equals(before) ? "" : "; credentials now " + CredentialsText.of(after)));
        }
    }

    /** What the model needs of the program file; set-id bits do not apply to scripts (binfmt_script). */
    private static ExecRules.ExecFile execFile(PendingExec.ExecFileInfo info, Credentials caller) {
        if (info == null) {
            return ExecRules.ExecFile.plain(caller.euid(), caller.egid());
        }
        int mode = info.script() ? info.mode() & ~06000 : info.mode();
        return new ExecRules.ExecFile(new Kuid(info.uid()), new Kgid(info.gid()), mode, false, null);
    }

    private static Path resolve(int tid, int dirfd, String path, int flags) {
        if (path.isEmpty() && (flags & AT_EMPTY_PATH) != 0) {
            return Path.of("/proc/" + tid + "/fd/" + dirfd);
        }
        if (path.startsWith("/")) {
            return Path.of(path);
        }
        String base = dirfd == AT_FDCWD ? "/proc/" + tid + "/cwd" : "/proc/" + tid + "/fd/" + dirfd;
        try {
            return Files.readSymbolicLink(Path.of(base)).resolve(path);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The program file's mode and owners (stat, following links as execve does) and whether
     * it starts with "#!". Only a regular file is opened, and without blocking (a FIFO
     * swapped in meanwhile must not stall the sentry); execve refuses anything else anyway.
     */
    private PendingExec.ExecFileInfo fileInfo(String file) {
        byte[] raw = kernel.linux().fstatatRaw(AT_FDCWD, file, 0, new int[1]);
        if (raw == null) {
            return null;
        }
        StatResult st = StatResult.of(raw);
        boolean script = false;
        if (st.fileType() == StatResult.S_IFREG) {
            byte[] head = new byte[2];
            script = kernel.linux().readFileRaw(file, head) == 2 && head[0] == '#' && head[1] == '!';
        }
        return new PendingExec.ExecFileInfo(st.mode(), st.uid(), st.gid(), script);
    }

    /** The task's comm after exec: the file name's first 15 bytes (TASK_COMM_LEN - 1). */
    private static String comm(String path) {
        int slash = path.lastIndexOf('/');
        String name = slash < 0 || slash == path.length() - 1 ? path : path.substring(slash + 1);
        return name.length() > 15 ? name.substring(0, 15) : name;
    }

    private static String ptr(long addr) {
        return addr == 0 ? "NULL" : "0x" + Long.toHexString(addr);
    }
}
