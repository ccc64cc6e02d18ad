package nsentry.nsfs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import nsentry.abi.Capability;
import nsentry.abi.CloneFlags;
import nsentry.abi.Errno;
import nsentry.abi.Nsfs;
import nsentry.abi.Signals;
import nsentry.abi.SyscallException;

/** clone(2)/clone3(2) (kernel/fork.c kernel_clone, copy_process, copy_creds; kernel/nsproxy.c copy_namespaces). */
public final class CloneRules {
    private CloneRules() {}

    /** CLONE_ARGS_SIZE_VER0/1/2. */
    public static final int CLONE_ARGS_SIZE_VER0 = 64;
    public static final int CLONE_ARGS_SIZE_VER1 = 80;
    public static final int CLONE_ARGS_SIZE_VER2 = 88;
    /** TASK_SIZE_MAX on x86_64 (4-level paging), the access_ok() limit. */
    public static final long TASK_SIZE_MAX = 0x7ffffffff000L;

    /** Decoded struct clone_args. */
    public record Clone3Args(long flags, long pidfd, long childTid, long parentTid, long exitSignal, long stack,
            long stackSize, long tls, long setTid, long setTidSize, long cgroup) {}

    /**
     * The flags legacy clone(2) passes on: lower_32_bits(flags) &amp; ~CSIGNAL (the low byte is
     * the exit signal, so CLONE_NEWTIME cannot be asked for with clone).
     */
    public static long legacyFlags(long rawFlags) {
        return rawFlags & 0xffffffffL & ~CloneFlags.CSIGNAL;
    }

    /**
     * copy_clone_args_from_user()'s size checks, before the sentry reads the struct:
     * size &gt; PAGE_SIZE → E2BIG; size &lt; 64 → EINVAL.
     */
    public static void checkClone3Size(long size) throws SyscallException {
        if (size < 0 || size > Nsfs.PAGE_SIZE) {
            throw new SyscallException(Errno.E2BIG, "copy_clone_args_from_user", "clone_args size " + size
                    + " is larger than a page (" + Nsfs.PAGE_SIZE + ")");
        }
        if (size < CLONE_ARGS_SIZE_VER0) {
            throw new SyscallException(Errno.EINVAL, "copy_clone_args_from_user", "clone_args size " + size
                    + " is smaller than the first version of the struct (" + CLONE_ARGS_SIZE_VER0 + " bytes)");
        }
    }

    /**
     * copy_clone_args_from_user() + clone3_args_valid() + kernel_clone()'s pidfd check, in
     * that order. {@code raw} holds exactly the {@code size} bytes the workload passed
     * (little-endian). Reading set_tid (EFAULT) is left to the caller.
     */
    public static Clone3Args validateClone3Args(long size, byte[] raw) throws SyscallException {
        checkClone3Size(size);
        if (raw.length != size) {
            throw new IllegalArgumentException("raw clone_args must be exactly size bytes");
        }
        // copy_struct_from_user(): a larger struct is fine if the unknown tail is zero
        for (int i = CLONE_ARGS_SIZE_VER2; i < raw.length; i++) {
            if (raw[i] != 0) {
                throw new SyscallException(Errno.E2BIG, "copy_struct_from_user", "clone_args has non-zero byte at"
                        + " offset " + i + ", beyond the " + CLONE_ARGS_SIZE_VER2 + " bytes this kernel knows");
            }
        }
        ByteBuffer b = ByteBuffer.allocate(CLONE_ARGS_SIZE_VER2).order(ByteOrder.LITTLE_ENDIAN);
        b.put(raw, 0, (int) Math.min(size, CLONE_ARGS_SIZE_VER2));
        b.flip();
        b.limit(CLONE_ARGS_SIZE_VER2);
        Clone3Args a = new Clone3Args(b.getLong(0), b.getLong(8), b.getLong(16), b.getLong(24), b.getLong(32),
                b.getLong(40), b.getLong(48), b.getLong(56), b.getLong(64), b.getLong(72), b.getLong(80));
        String rule = "copy_clone_args_from_user";
        if (Long.compareUnsigned(a.setTidSize(), Nsfs.MAX_PID_NS_LEVEL) > 0) {
            throw new SyscallException(Errno.EINVAL, rule, "set_tid_size " + Long.toUnsignedString(a.setTidSize())
                    + " is larger than " + Nsfs.MAX_PID_NS_LEVEL);
        }
        if (a.setTid() == 0 && a.setTidSize() > 0) {
            throw new SyscallException(Errno.EINVAL, rule, "set_tid_size is " + a.setTidSize() + " but set_tid is NULL");
        }
        if (a.setTid() != 0 && a.setTidSize() == 0) {
            throw new SyscallException(Errno.EINVAL, rule, "set_tid is given but set_tid_size is 0");
        }
        if ((a.exitSignal() & ~CloneFlags.CSIGNAL) != 0 || a.exitSignal() > Signals.NSIG) {
            throw new SyscallException(Errno.EINVAL, rule, "exit_signal " + Long.toUnsignedString(a.exitSignal())
                    + " is not a valid signal");
        }
        if ((a.flags() & CloneFlags.CLONE_INTO_CGROUP) != 0
                && (Long.compareUnsigned(a.cgroup(), Integer.MAX_VALUE) > 0 || size < CLONE_ARGS_SIZE_VER2)) {
            throw new SyscallException(Errno.EINVAL, rule, "CLONE_INTO_CGROUP needs a " + CLONE_ARGS_SIZE_VER2
                    + "-byte clone_args and a valid cgroup fd");
        }
        // clone3_args_valid()
        String rv = "clone3_args_valid";
        long unknown = a.flags() & ~(0xffffffffL | CloneFlags.CLONE_CLEAR_SIGHAND | CloneFlags.CLONE_INTO_CGROUP);
        if (unknown != 0) {
            throw new SyscallException(Errno.EINVAL, rv, "clone3 flags contain unknown bits 0x"
                    + Long.toHexString(unknown));
        }
        long reserved = a.flags() & (CloneFlags.CLONE_DETACHED | (CloneFlags.CSIGNAL & ~CloneFlags.CLONE_NEWTIME));
        if (reserved != 0) {
            throw new SyscallException(Errno.EINVAL, rv, "clone3 does not accept "
                    + ((reserved & CloneFlags.CLONE_DETACHED) != 0 ? "CLONE_DETACHED"
                            : "signal bits 0x" + Long.toHexString(reserved) + " in flags (use exit_signal)"));
        }
        if ((a.flags() & (CloneFlags.CLONE_SIGHAND | CloneFlags.CLONE_CLEAR_SIGHAND))
                == (CloneFlags.CLONE_SIGHAND | CloneFlags.CLONE_CLEAR_SIGHAND)) {
            throw new SyscallException(Errno.EINVAL, rv, "CLONE_SIGHAND and CLONE_CLEAR_SIGHAND together");
        }
        if ((a.flags() & (CloneFlags.CLONE_THREAD | CloneFlags.CLONE_PARENT)) != 0 && a.exitSignal() != 0) {
            throw new SyscallException(Errno.EINVAL, rv, "exit_signal must be 0 with CLONE_THREAD or CLONE_PARENT");
        }
        if (a.stack() == 0 ? a.stackSize() != 0 : (a.stackSize() == 0
                || Long.compareUnsigned(a.stack(), TASK_SIZE_MAX) > 0
                || Long.compareUnsigned(a.stackSize(), TASK_SIZE_MAX - a.stack()) > 0)) {
            throw new SyscallException(Errno.EINVAL, rv, "stack 0x" + Long.toHexString(a.stack()) + " with stack_size "
                    + Long.toUnsignedString(a.stackSize()) + " is not a valid user stack");
        }
        // kernel_clone()
        if ((a.flags() & CloneFlags.CLONE_PIDFD) != 0 && (a.flags() & CloneFlags.CLONE_PARENT_SETTID) != 0
                && a.pidfd() == a.parentTid()) {
            throw new SyscallException(Errno.EINVAL, "kernel_clone",
                    "CLONE_PIDFD and CLONE_PARENT_SETTID point at the same memory");
        }
        return a;
    }

    /**
     * The child's state for clone/clone3 with {@code flags} (already decoded: for clone,
     * {@link #legacyFlags}), following copy_process()'s checks in order: NEWNS|FS, NEWUSER|FS,
     * THREAD without SIGHAND, SIGHAND without VM, PARENT from a pid-namespace init, THREAD
     * with NEWUSER/NEWPID or after unshare(NEWPID), VM (not vfork) after unshare(NEWTIME),
     * PIDFD with DETACHED (all EINVAL); for legacy clone PIDFD with PARENT_SETTID (EINVAL,
     * kernel_clone); then copy_creds (create_user_ns), then copy_namespaces (EPERM without
     * CAP_SYS_ADMIN in the child's user namespace, judged with the parent's credentials;
     * NEWIPC|SYSVSEM EINVAL; create_new_namespaces). The parent's state is unchanged.
     */
    public static TaskState child(TaskState parent, TaskFacts f, long flags, boolean clone3, NamespaceRegistry reg,
            String label) throws SyscallException {
        long fl = flags;
        if (!clone3 && (fl & CloneFlags.CLONE_PIDFD) != 0 && (fl & CloneFlags.CLONE_PARENT_SETTID) != 0) {
            throw new SyscallException(Errno.EINVAL, "kernel_clone", "clone(2) returns the pidfd through the"
                    + " parent_tid pointer, so CLONE_PIDFD and CLONE_PARENT_SETTID cannot be combined");
        }
        String rule = "copy_process";
        if ((fl & (CloneFlags.CLONE_NEWNS | CloneFlags.CLONE_FS)) == (CloneFlags.CLONE_NEWNS | CloneFlags.CLONE_FS)) {
            throw new SyscallException(Errno.EINVAL, rule, "CLONE_NEWNS with CLONE_FS: a child in a new mount"
                    + " namespace cannot share the parent's root and cwd");
        }
        if ((fl & (CloneFlags.CLONE_NEWUSER | CloneFlags.CLONE_FS)) == (CloneFlags.CLONE_NEWUSER | CloneFlags.CLONE_FS)) {
            throw new SyscallException(Errno.EINVAL, rule, "CLONE_NEWUSER with CLONE_FS: a child in a new user"
                    + " namespace cannot share the parent's fs_struct");
        }
        if ((fl & CloneFlags.CLONE_THREAD) != 0 && (fl & CloneFlags.CLONE_SIGHAND) == 0) {
            throw new SyscallException(Errno.EINVAL, rule, "CLONE_THREAD needs CLONE_SIGHAND");
        }
        if ((fl & CloneFlags.CLONE_SIGHAND) != 0 && (fl & CloneFlags.CLONE_VM) == 0) {
            throw new SyscallException(Errno.EINVAL, rule, "CLONE_SIGHAND needs CLONE_VM");
        }
        if ((fl & CloneFlags.CLONE_PARENT) != 0 && f.isPidNsInit()) {
            throw new SyscallException(Errno.EINVAL, rule, "the caller is the init process of its pid namespace;"
                    + " it cannot create siblings with CLONE_PARENT");
        }
        if ((fl & CloneFlags.CLONE_THREAD) != 0) {
            if ((fl & (CloneFlags.CLONE_NEWUSER | CloneFlags.CLONE_NEWPID)) != 0) {
                throw new SyscallException(Errno.EINVAL, rule, "a thread (CLONE_THREAD) cannot be created in a new"
                        + ((fl & CloneFlags.CLONE_NEWUSER) != 0 ? " user" : " pid") + " namespace");
            }
            if (parent.activePidNs() != parent.ns().pidForChildren()) {
                throw new SyscallException(Errno.EINVAL, rule, "the caller unshared a pid namespace ("
                        + parent.ns().pidForChildren().linkText() + "); its threads must stay in its active pid"
                        + " namespace " + parent.activePidNs().linkText());
            }
        }
        if ((fl & (CloneFlags.CLONE_VM | CloneFlags.CLONE_VFORK)) == CloneFlags.CLONE_VM
                && parent.ns().time() != parent.ns().timeForChildren()) {
            throw new SyscallException(Errno.EINVAL, rule, "the caller unshared a time namespace ("
                    + parent.ns().timeForChildren().linkText() + "); a child sharing its memory (CLONE_VM without"
                    + " CLONE_VFORK) cannot enter it");
        }
        if ((fl & CloneFlags.CLONE_PIDFD) != 0 && (fl & CloneFlags.CLONE_DETACHED) != 0) {
            throw new SyscallException(Errno.EINVAL, rule, "CLONE_PIDFD cannot be combined with CLONE_DETACHED");
        }
        // copy_creds()
        Credentials pc = parent.cred();
        Credentials cc = pc;
        boolean newUser = (fl & CloneFlags.CLONE_NEWUSER) != 0;
        if (newUser) {
            cc = UserNamespaceRules.create(pc, f, reg, label);
        }
        // copy_namespaces()
        NsSet pn = parent.ns();
        NsSet cn;
        try {
            if ((fl & NamespaceCreation.NEW_NON_USER) == 0) {
                cn = pn;
            } else {
                UserNamespace userNs = cc.userNs();
                if (!Capabilities.nsCapable(pc, userNs, Capability.CAP_SYS_ADMIN)) {
                    throw new SyscallException(Errno.EPERM, "copy_namespaces", "creating "
                            + NamespaceCreation.typeNames(fl) + " namespaces needs CAP_SYS_ADMIN; "
                            + Explain.lacks(pc, Capability.CAP_SYS_ADMIN, userNs)
                            + " (add CLONE_NEWUSER to create a user namespace in the same call)");
                }
                if ((fl & (CloneFlags.CLONE_NEWIPC | CloneFlags.CLONE_SYSVSEM))
                        == (CloneFlags.CLONE_NEWIPC | CloneFlags.CLONE_SYSVSEM)) {
                    throw new SyscallException(Errno.EINVAL, "copy_namespaces", "CLONE_NEWIPC with CLONE_SYSVSEM: a"
                            + " child in a new ipc namespace cannot share the parent's semaphore undo list");
                }
                cn = NamespaceCreation.create(fl, pn, userNs, pc.euid(), parent.activePidNs(), pc, reg, label);
            }
        } catch (SyscallException e) {
            if (newUser) {
                reg.discard(cc.userNs());
            }
            throw e;
        }
        // timens_on_fork(): a child not sharing the mm enters time_for_children
        if ((fl & CloneFlags.CLONE_VM) == 0 && cn.time() != cn.timeForChildren()) {
            cn = cn.withTime(cn.timeForChildren());
        }
        PidNamespace active = (fl & CloneFlags.CLONE_THREAD) != 0 ? parent.activePidNs() : cn.pidForChildren();
        return new TaskState(cc, cn, active);
    }
}
