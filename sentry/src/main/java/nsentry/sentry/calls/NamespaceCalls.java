package nsentry.sentry.calls;

import nsentry.abi.CloneFlags;
import nsentry.abi.Errno;
import nsentry.abi.SyscallException;
import nsentry.nsfs.CloneRules;
import nsentry.nsfs.Namespace;
import nsentry.nsfs.NsType;
import nsentry.nsfs.SetnsRules;
import nsentry.nsfs.TaskState;
import nsentry.nsfs.UnshareRules;
import nsentry.nsfs.UserNamespace;
import nsentry.sentry.dispatch.Call;
import nsentry.sentry.dispatch.TaskGone;
import nsentry.sentry.dispatch.Verdict;
import nsentry.sentry.runtime.Kernel;
import nsentry.sentry.task.ProcStatus;
import nsentry.sentry.task.Task;
import nsentry.sentry.task.TaskTable;
import nsentry.syscall.LittleEndian;

/**
 * unshare, clone, clone3 and setns (kernel/fork.c, kernel/nsproxy.c). These are never
 * passed to the kernel with namespace flags: the model decides, and clone really forks
 * through the shim's rewrite without the flags.
 */
public final class NamespaceCalls {
    private final Kernel kernel;
    private final NsFiles nsFiles;

    public NamespaceCalls(Kernel kernel, NsFiles nsFiles) {
        this.kernel = kernel;
        this.nsFiles = nsFiles;
    }

    /** unshare(flags) — ksys_unshare. */
    public Verdict unshare(Call c) throws SyscallException {
        long flags = c.arg(0);
        Task t = c.task();
        if (c.tracing()) {
            c.describe(CloneFlags.describe(flags, false));
        }
        TaskState before = t.state();
        TaskState after = UnshareRules.unshare(before, kernel.facts(t), flags, kernel.registry(),
                label("unshare", t));
        if ((flags & (CloneFlags.CLONE_FS | CloneFlags.CLONE_NEWNS | CloneFlags.CLONE_NEWUSER)) != 0) {
            unshareFs(t); // the fs_struct is copied (unshare_fs)
        }
        kernel.updateState(t, after);
        touchedNew(c, before, after);
        if ((flags & CloneFlags.CLONE_NS_ALL) == 0) {
            // Only FS/FILES/SYSVSEM (and the thread checks): the kernel unshares them for real.
            return new Verdict.Continue("no namespace flags: the kernel unshares the rest");
        }
        return enteredUserNs(c, before, after);
    }

    /** clone(flags, stack, parent_tid, child_tid, tls) with namespace flags — copy_process. */
    public Verdict clone(Call c) throws SyscallException {
        long flags = c.arg(0);
        Task t = c.task();
        if (c.tracing()) {
            c.describe(CloneFlags.describe(flags, true) + ", " + ptr(c.arg(1)));
        }
        TaskState child = CloneRules.child(t.state(), kernel.facts(t), flags, false, kernel.registry(),
                label("clone", t));
        if ((flags & CloneFlags.CLONE_NS_CLONE) == 0) {
            return forkNatively(t, flags);
        }
        touchedNew(c, t.state(), child);
        return kernel.rewrites().request(c, child, flags & CloneFlags.CLONE_NS_CLONE, 0);
    }

    /** clone3(args, size) — the struct is copied first (copy_clone_args_from_user). */
    public Verdict clone3(Call c) throws SyscallException, TaskGone {
        long addr = c.arg(0);
        long size = c.arg(1);
        if (c.tracing()) {
            c.describe(ptr(addr) + ", " + size);
        }
        CloneRules.checkClone3Size(size);
        byte[] raw = c.read(addr, (int) size);
        long flags = LittleEndian.u64(raw, 0);
        if (c.tracing()) {
            c.describe("{flags=" + CloneFlags.describe(flags, false) + ", exit_signal=" + LittleEndian.u64(raw, 32) + "}, " + size);
        }
        CloneRules.validateClone3Args(size, raw);
        Task t = c.task();
        if ((flags & CloneFlags.CLONE_NS_ALL) == 0) {
            CloneRules.child(t.state(), kernel.facts(t), flags, true, kernel.registry(), label("clone3", t));
            // No namespace flags: the kernel runs it (threads, posix_spawn). A racing thread
            // could add flags before the kernel copies the struct; it would get only what its
            // real privileges allow (see SECURITY.md).
            return forkNatively(t, flags);
        }
        TaskState child = CloneRules.child(t.state(), kernel.facts(t), flags, true, kernel.registry(),
                label("clone3", t));
        touchedNew(c, t.state(), child);
        return kernel.rewrites().request(c, child, flags & CloneFlags.CLONE_NS_ALL, addr);
    }

    /** A clone the model allows and the kernel runs as asked; a CLONE_FS sibling shares the fs_struct. */
    private static Verdict forkNatively(Task t, long flags) {
        if ((flags & CloneFlags.CLONE_FS) != 0 && (flags & CloneFlags.CLONE_THREAD) == 0) {
            t.addFsSharingChild();
        }
        return Verdict.cont();
    }

    private void unshareFs(Task t) {
        for (int p : t.fsPartners()) {
            Task other = kernel.tasks().lookup(p);
            if (other != null) {
                other.fsPartners().remove(t.tid());
            }
        }
        t.unshareFs();
    }

    /** setns(fd, nstype) — kernel/nsproxy.c setns. */
    public Verdict setns(Call c) throws SyscallException, TaskGone {
        int fd = c.intArg(0);
        int nstype = c.intArg(1);
        Task t = c.task();
        NsFiles.FdTarget target = nsFiles.identify(c, fd);
        if (c.tracing()) {
            c.describe(fd + "<" + target.describe() + ">, " + (nstype == 0 ? "0" : CloneFlags.describe(nstype & 0xffffffffL, false)));
        }
        TaskState before = t.state();
        TaskState after;
        if (target instanceof NsFiles.NsTarget ns) {
            c.touched(ns.namespace());
            // Joining a uts/ipc/net/cgroup/pid namespace consults no thread count: skip the /proc read.
            boolean consults = (ns.namespace().type().cloneFlag() & SetnsRules.TYPES_CONSULTING_TASK_FACTS) != 0;
            after = SetnsRules.setnsFd(before, consults ? kernel.facts(t) : kernel.factsWithoutProcReads(t),
                    ns.namespace(), nstype);
        } else if (target instanceof NsFiles.PidfdTarget p) {
            SetnsRules.checkSetnsFlags(nstype); // flags before the target (check_setns_flags)
            ProcStatus status = p.pid() > 0 ? ProcStatus.read(kernel.linux(), p.pid()) : null;
            SetnsRules.PidfdTarget alive = status == null ? SetnsRules.PidfdTarget.GONE
                    : status.isZombie() ? SetnsRules.PidfdTarget.EXITING : SetnsRules.PidfdTarget.ALIVE;
            Task other = status == null ? null : sandboxTask(p.pid());
            if (status != null && other == null) {
                throw new SyscallException(Errno.EPERM, "validate_nsset", "process " + p.pid() + " is not part of "
                        + "the sandbox; its real namespaces are outside nsentry's model and cannot be joined");
            }
            after = SetnsRules.setnsPidfd(before, kernel.facts(t), other == null ? before : other.state(), alive,
                    nstype, other != null && PtraceAccess.readRealCreds(t, other));
        } else if (target instanceof NsFiles.PathOnlyFd) {
            throw new SyscallException(Errno.EBADF, "setns", "fd " + fd + " is an O_PATH fd");
        } else {
            throw new SyscallException(target instanceof NsFiles.BadFd ? Errno.EBADF : Errno.EINVAL, "setns",
                    "fd " + fd + " is " + target.describe() + ", not a namespace file or a pidfd");
        }
        if (after.cred().userNs() != before.cred().userNs() || after.ns().mnt() != before.ns().mnt()) {
            unshareFs(t);
        }
        kernel.updateState(t, after);
        return enteredUserNs(c, before, after);
    }

    /** Success (0); a task now in another nested user namespace gets its stat owners translated. */
    private Verdict enteredUserNs(Call c, TaskState before, TaskState after) {
        UserNamespace ns = after.cred().userNs();
        if (ns == before.cred().userNs() || ns.isInitial()) {
            return Verdict.value(0);
        }
        return kernel.ownerViews().entered(c, ns, 0);
    }

    /** The sandbox task {@code pid}, registering it if the sentry has not seen it yet; null if foreign. */
    private Task sandboxTask(int pid) {
        Task t = kernel.tasks().lookup(pid);
        if (t != null) {
            return t;
        }
        if (!kernel.tasks().isSandboxProcess(pid)) {
            return null;
        }
        try {
            return kernel.tasks().registerUnknown(pid);
        } catch (TaskTable.TooManyTasks e) {
            return null;
        }
    }

    /** Namespaces in {@code after} that {@code before} did not have, for the trace. */
    private static void touchedNew(Call c, TaskState before, TaskState after) {
        for (NsType type : NsType.values()) {
            Namespace a = NsFiles.namespaceOf(after, type, false);
            Namespace b = NsFiles.namespaceOf(before, type, false);
            if (a != b && a != null) {
                c.touched(a);
            }
            if (type == NsType.PID || type == NsType.TIME) {
                Namespace ac = NsFiles.namespaceOf(after, type, true);
                if (ac != NsFiles.namespaceOf(before, type, true) && ac != a && ac != null) {
                    c.touched(ac);
                }
            }
        }
    }

    private static String label(String how, Task t) {
        return "created by " + how + " in " + (t.comm() == null ? "" : t.comm() + " ") + "(tid " + t.tid() + ")";
    }


    static String ptr(long addr) {
        return addr == 0 ? "NULL" : "0x" + Long.toHexString(addr);
    }
}
