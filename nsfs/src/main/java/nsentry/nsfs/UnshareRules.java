package nsentry.nsfs;

import nsentry.abi.Capability;
import nsentry.abi.CloneFlags;
import nsentry.abi.Errno;
import nsentry.abi.SyscallException;

/** unshare(2) (kernel/fork.c ksys_unshare, check_unshare_flags; kernel/nsproxy.c). */
public final class UnshareRules {
    private UnshareRules() {}

    /**
     * ksys_unshare(): the implied flags (NEWUSER → THREAD|FS, VM → SIGHAND, SIGHAND →
     * THREAD, NEWNS → FS), check_unshare_flags() (EINVAL), then the user namespace
     * (create_user_ns errors), then CAP_SYS_ADMIN in the (new) user namespace for any other
     * namespace (EPERM), then create_new_namespaces (EINVAL/ENOSPC). A shared fs_struct is
     * copied, not refused. NEWPID and NEWTIME change only what children get. Unsharing
     * CLONE_FILES/FS/SYSVSEM/THREAD/VM/SIGHAND alone leaves the state unchanged (the sentry
     * lets the real kernel do those parts).
     *
     * @return the caller's new state (new namespaces have zero references until the caller
     *     adopts the state with {@link NamespaceRegistry#replace})
     */
    public static TaskState unshare(TaskState s, TaskFacts f, long flags, NamespaceRegistry reg, String label)
            throws SyscallException {
        long fl = impliedFlags(flags);
        checkUnshareFlags(fl, f);
        Credentials cur = s.cred();
        Credentials newCred = null;
        if ((fl & CloneFlags.CLONE_NEWUSER) != 0) {
            newCred = UserNamespaceRules.create(cur, f, reg, label);
        }
        NsSet ns = s.ns();
        if ((fl & NamespaceCreation.NEW_NON_USER) != 0) {
            // unshare_nsproxy_namespaces()
            UserNamespace userNs = newCred != null ? newCred.userNs() : cur.userNs();
            try {
                if (!Capabilities.nsCapable(cur, userNs, Capability.CAP_SYS_ADMIN)) {
                    throw new SyscallException(Errno.EPERM, "unshare_nsproxy_namespaces", "unsharing "
                            + NamespaceCreation.typeNames(fl) + " namespaces needs CAP_SYS_ADMIN; "
                            + Explain.lacks(cur, Capability.CAP_SYS_ADMIN, userNs)
                            + " (add CLONE_NEWUSER to create a user namespace in the same call)");
                }
                ns = NamespaceCreation.create(fl, ns, userNs, cur.euid(), s.activePidNs(), cur, reg, label);
            } catch (SyscallException e) {
                if (newCred != null) {
                    reg.discard(newCred.userNs());
                }
                throw e;
            }
        }
        return new TaskState(newCred != null ? newCred : cur, ns, s.activePidNs());
    }

    /** The flags ksys_unshare() adds before checking. */
    public static long impliedFlags(long flags) {
        long fl = flags;
        if ((fl & CloneFlags.CLONE_NEWUSER) != 0) {
            fl |= CloneFlags.CLONE_THREAD | CloneFlags.CLONE_FS;
        }
        if ((fl & CloneFlags.CLONE_VM) != 0) {
            fl |= CloneFlags.CLONE_SIGHAND;
        }
        if ((fl & CloneFlags.CLONE_SIGHAND) != 0) {
            fl |= CloneFlags.CLONE_THREAD;
        }
        if ((fl & CloneFlags.CLONE_NEWNS) != 0) {
            fl |= CloneFlags.CLONE_FS;
        }
        return fl;
    }

    /** check_unshare_flags() on the already-implied flags. */
    public static void checkUnshareFlags(long fl, TaskFacts f) throws SyscallException {
        long bad = fl & ~CloneFlags.UNSHARE_VALID;
        if (bad != 0) {
            throw new SyscallException(Errno.EINVAL, "check_unshare_flags", "unshare does not accept "
                    + CloneFlags.describe(bad, false));
        }
        if ((fl & (CloneFlags.CLONE_THREAD | CloneFlags.CLONE_SIGHAND | CloneFlags.CLONE_VM)) != 0
                && f.multithreaded()) {
            String why = (fl & CloneFlags.CLONE_NEWUSER) != 0 ? "unsharing a user namespace (which implies CLONE_THREAD)"
                    : "unsharing " + CloneFlags.describe(fl & (CloneFlags.CLONE_THREAD | CloneFlags.CLONE_SIGHAND
                            | CloneFlags.CLONE_VM), false);
            throw new SyscallException(Errno.EINVAL, "check_unshare_flags", "caller has " + f.threadsInGroup()
                    + " threads; " + why + " needs a single-threaded process");
        }
        if ((fl & (CloneFlags.CLONE_SIGHAND | CloneFlags.CLONE_VM)) != 0 && f.sighandShared()) {
            throw new SyscallException(Errno.EINVAL, "check_unshare_flags",
                    "the caller shares its signal handlers with another process (CLONE_SIGHAND); cannot unshare them");
        }
        if ((fl & CloneFlags.CLONE_VM) != 0 && !f.singleThreaded()) {
            throw new SyscallException(Errno.EINVAL, "check_unshare_flags",
                    "the caller shares its address space with another process; cannot unshare CLONE_VM");
        }
    }
}
