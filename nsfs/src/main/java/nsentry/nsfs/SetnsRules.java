package nsentry.nsfs;

import nsentry.abi.Capability;
import nsentry.abi.CloneFlags;
import nsentry.abi.Errno;
import nsentry.abi.SyscallException;

/**
 * setns(2) (kernel/nsproxy.c setns, prepare_nsset, validate_ns, validate_nsset,
 * commit_nsset, and the per-type *_install functions). Every capability check uses the
 * caller's CURRENT (pre-join) credentials; "the new user namespace" is the joined one when
 * CLONE_NEWUSER is part of the same call. All-or-nothing: on any error nothing changes.
 * When CLONE_NEWNS was joined the sentry must reset the caller's root and cwd to the mount
 * namespace's root (mntns_install); with other flags too, that applies to every task
 * sharing the fs_struct (commit_nsset copies a private fs_struct back).
 */
public final class SetnsRules {
    private SetnsRules() {}

    /** What became of the task a pidfd refers to. */
    public enum PidfdTarget {
        /** Running: its namespaces can be joined. */
        ALIVE,
        /** Exiting or a zombie: its nsproxy is gone (ESRCH after the ptrace check). */
        EXITING,
        /** Reaped (pid_task() finds nothing): ESRCH. */
        GONE
    }

    /**
     * The namespace types whose install consults {@link TaskFacts}: mnt (mntns_install:
     * fs->users, the root), user (userns_install: thread_group_empty, fs->users) and time
     * (timens_install: current_is_single_threaded). Joining any other type needs only the
     * caller's credentials, so the sentry can skip gathering the facts (a /proc read) for
     * them; SetnsRulesTest checks that the facts make no difference there.
     */
    public static final long TYPES_CONSULTING_TASK_FACTS = CloneFlags.CLONE_NEWNS | CloneFlags.CLONE_NEWUSER
            | CloneFlags.CLONE_NEWTIME;

    /**
     * setns(fd, nstype) with an nsfs fd for {@code target}: nstype not 0 and not the
     * namespace's CLONE_NEW* value → EINVAL; then that type's install checks.
     */
    public static TaskState setnsFd(TaskState caller, TaskFacts f, Namespace target, int nstype)
            throws SyscallException {
        long type = target.type().cloneFlag();
        if (nstype != 0 && nstype != type) {
            throw new SyscallException(Errno.EINVAL, "setns", "nstype " + Explain.flags(Integer.toUnsignedLong(nstype))
                    + " does not match the namespace the fd refers to (" + target.linkText() + ", "
                    + Explain.flags(type) + ")");
        }
        Nsset set = new Nsset(caller, type);
        install(set, caller, f, target);
        return set.result();
    }

    /**
     * check_setns_flags(): pidfd setns needs a non-zero subset of the namespace flags (the
     * int argument is sign-extended, as in the kernel).
     */
    public static void checkSetnsFlags(int flags) throws SyscallException {
        long fl = flags; // sign-extends like the kernel's int → unsigned long
        if (fl == 0 || (fl & ~CloneFlags.CLONE_NS_ALL) != 0) {
            throw new SyscallException(Errno.EINVAL, "check_setns_flags", fl == 0
                    ? "setns on a pidfd needs at least one CLONE_NEW* flag"
                    : "flags " + Explain.flags(Integer.toUnsignedLong(flags)) + " contain bits that are not namespace types");
        }
    }

    /**
     * setns(pidfd, flags): check_setns_flags (EINVAL); target reaped → ESRCH; no
     * PTRACE_MODE_READ_REALCREDS access → EPERM; exiting or zombie → ESRCH; then install the
     * target's namespaces in the order user, mnt, uts, ipc, pid, cgroup, net, time — its
     * credentials' user namespace, its active pid namespace and its own time namespace.
     *
     * @param target the target task's state (ignored unless {@code status} is ALIVE)
     * @param ptraceReadAllowed result of {@link PtraceRules#mayAccess} with REALCREDS
     */
    public static TaskState setnsPidfd(TaskState caller, TaskFacts f, TaskState target, PidfdTarget status,
            int flags, boolean ptraceReadAllowed) throws SyscallException {
        checkSetnsFlags(flags);
        if (status == PidfdTarget.GONE) {
            throw new SyscallException(Errno.ESRCH, "validate_nsset", "the process the pidfd refers to has been reaped");
        }
        if (!ptraceReadAllowed) {
            throw new SyscallException(Errno.EPERM, "validate_nsset", "the caller may not inspect the target process"
                    + " (PTRACE_MODE_READ_REALCREDS: different uids/gids and no CAP_SYS_PTRACE over it)");
        }
        if (status == PidfdTarget.EXITING) {
            throw new SyscallException(Errno.ESRCH, "validate_nsset",
                    "the process the pidfd refers to is exiting or a zombie; its namespaces are gone");
        }
        long fl = Integer.toUnsignedLong(flags);
        Nsset set = new Nsset(caller, fl);
        for (NsType t : NsType.SETNS_INSTALL_ORDER) {
            if ((fl & t.cloneFlag()) != 0) {
                install(set, caller, f, target.namespace(t));
            }
        }
        return set.result();
    }

    /** struct nsset: the private copy being built. */
    private static final class Nsset {
        final long flags;
        final TaskState caller;
        Credentials cred;
        NsSet ns;

        Nsset(TaskState caller, long flags) {
            this.caller = caller;
            this.flags = flags;
            this.cred = caller.cred();
            this.ns = caller.ns();
        }

        /** nsset->cred->user_ns: the joined user namespace if NEWUSER was installed already. */
        UserNamespace userNs() {
            return cred.userNs();
        }

        /** The new state; the caller's own when nothing changed (re-joining its namespaces). */
        TaskState result() {
            if (cred == caller.cred() && ns == caller.ns()) {
                return caller;
            }
            return new TaskState(cred, ns, caller.activePidNs());
        }
    }

    private static void install(Nsset set, TaskState caller, TaskFacts f, Namespace target) throws SyscallException {
        Credentials cur = caller.cred();
        switch (target.type()) {
            case USER -> userns(set, cur, f, (UserNamespace) target);
            case MNT -> {
                MountNamespace m = (MountNamespace) target;
                // mntns_install()
                if (!Capabilities.nsCapable(cur, m.owner(), Capability.CAP_SYS_ADMIN)) {
                    throw eperm("mntns_install", m, cur, Capability.CAP_SYS_ADMIN, m.owner());
                }
                if (!Capabilities.nsCapable(cur, set.userNs(), Capability.CAP_SYS_CHROOT)) {
                    throw eperm("mntns_install", m, cur, Capability.CAP_SYS_CHROOT, set.userNs());
                }
                if (!Capabilities.nsCapable(cur, set.userNs(), Capability.CAP_SYS_ADMIN)) {
                    throw eperm("mntns_install", m, cur, Capability.CAP_SYS_ADMIN, set.userNs());
                }
                // prepare_nsset() copies the fs_struct unless CLONE_NEWNS is the only flag
                if (set.flags == CloneFlags.CLONE_NEWNS && f.fsShared()) {
                    throw new SyscallException(Errno.EINVAL, "mntns_install", "the caller shares its root and cwd"
                            + " (fs_struct, CLONE_FS) with another task; it cannot join a mount namespace alone");
                }
                set.ns = set.ns.withMnt(m);
            }
            case UTS -> {
                UtsNamespace u = (UtsNamespace) target;
                capPair("utsns_install", set, cur, u);
                set.ns = set.ns.withUts(u);
            }
            case IPC -> {
                IpcNamespace i = (IpcNamespace) target;
                capPair("ipcns_install", set, cur, i);
                set.ns = set.ns.withIpc(i);
            }
            case NET -> {
                NetNamespace n = (NetNamespace) target;
                capPair("netns_install", set, cur, n);
                set.ns = set.ns.withNet(n);
            }
            case CGROUP -> {
                CgroupNamespace c = (CgroupNamespace) target;
                // cgroupns_install() checks the new user namespace first
                if (!Capabilities.nsCapable(cur, set.userNs(), Capability.CAP_SYS_ADMIN)) {
                    throw eperm("cgroupns_install", c, cur, Capability.CAP_SYS_ADMIN, set.userNs());
                }
                if (!Capabilities.nsCapable(cur, c.owner(), Capability.CAP_SYS_ADMIN)) {
                    throw eperm("cgroupns_install", c, cur, Capability.CAP_SYS_ADMIN, c.owner());
                }
                set.ns = set.ns.withCgroup(c);
            }
            case PID -> {
                PidNamespace p = (PidNamespace) target;
                capPair("pidns_install", set, cur, p);
                PidNamespace active = caller.activePidNs();
                if (!active.isAncestorOf(p)) {
                    throw new SyscallException(Errno.EINVAL, "pidns_install", "pid namespace " + p.linkText()
                            + " (level " + p.level() + ") is not the caller's active pid namespace "
                            + active.linkText() + " (level " + active.level() + ") or a descendant of it");
                }
                set.ns = set.ns.withPidForChildren(p);
            }
            case TIME -> {
                TimeNamespace t = (TimeNamespace) target;
                if (!f.singleThreaded()) {
                    throw new SyscallException(Errno.EUSERS, "timens_install", f.multithreaded()
                            ? "caller has " + f.threadsInGroup() + " threads; joining a time namespace needs a"
                                    + " single-threaded process"
                            : "the caller shares its memory with another process; joining a time namespace needs"
                                    + " a single-threaded process");
                }
                capPair("timens_install", set, cur, t);
                set.ns = set.ns.withTime(t).withTimeForChildren(t);
            }
        }
    }

    /** userns_install(). */
    private static void userns(Nsset set, Credentials cur, TaskFacts f, UserNamespace u) throws SyscallException {
        if (u == cur.userNs()) {
            throw new SyscallException(Errno.EINVAL, "userns_install", "the caller is already in user namespace "
                    + u.describe() + "; re-entering it (which would regain capabilities) is not allowed");
        }
        if (f.multithreaded()) {
            throw new SyscallException(Errno.EINVAL, "userns_install", "caller has " + f.threadsInGroup()
                    + " threads; joining a user namespace needs a single-threaded process");
        }
        if (f.fsShared()) {
            throw new SyscallException(Errno.EINVAL, "userns_install", "the caller shares its root and cwd"
                    + " (fs_struct, CLONE_FS) with another task; joining a user namespace needs its own");
        }
        if (!Capabilities.nsCapable(cur, u, Capability.CAP_SYS_ADMIN)) {
            throw eperm("userns_install", u, cur, Capability.CAP_SYS_ADMIN, u);
        }
        set.cred = set.cred.enteringUserNs(u);
    }

    /** The common pair: CAP_SYS_ADMIN over the namespace's owner and over the new user namespace. */
    private static void capPair(String rule, Nsset set, Credentials cur, Namespace ns) throws SyscallException {
        if (!Capabilities.nsCapable(cur, ns.owner(), Capability.CAP_SYS_ADMIN)) {
            throw eperm(rule, ns, cur, Capability.CAP_SYS_ADMIN, ns.owner());
        }
        if (!Capabilities.nsCapable(cur, set.userNs(), Capability.CAP_SYS_ADMIN)) {
            throw eperm(rule, ns, cur, Capability.CAP_SYS_ADMIN, set.userNs());
        }
    }

    private static SyscallException eperm(String rule, Namespace target, Credentials cur, int cap, UserNamespace in) {
        String role = target.owner() == in && !(target instanceof UserNamespace)
                ? " (the owner of " + target.linkText() + ")"
                : in == target ? "" : " (the user namespace being joined)";
        return new SyscallException(Errno.EPERM, rule, "joining " + Explain.ns(target) + ": "
                + Explain.lacks(cur, cap, in) + role);
    }
}
