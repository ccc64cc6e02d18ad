package nsentry.nsfs;

import nsentry.abi.Capability;
import nsentry.abi.Errno;
import nsentry.abi.Nsfs;
import nsentry.abi.SyscallException;

/** Creating a user namespace (kernel/user_namespace.c create_user_ns). */
public final class UserNamespaceRules {
    private UserNamespaceRules() {}

    /**
     * create_user_ns(): a new user namespace below {@code cred}'s, owned by its euid/egid;
     * returns the credentials that enter it (set_cred_user_ns: securebits 0, inheritable 0,
     * permitted = effective = bounding = full, ambient 0; ids and groups unchanged).
     * Checks, in the kernel's order: parent level &gt; 32 → ENOSPC; max_user_namespaces at the
     * parent or any ancestor → ENOSPC; caller chrooted → EPERM; euid or egid unmapped in the
     * parent → EPERM. The new namespace has zero references (see {@link NamespaceRegistry}).
     *
     * @param cred the credentials being prepared (the caller's for unshare; the child's copy
     *     of the parent's for clone)
     * @param facts the calling task (only {@code chrooted} is used)
     */
    public static Credentials create(Credentials cred, TaskFacts facts, NamespaceRegistry reg, String label)
            throws SyscallException {
        UserNamespace parent = cred.userNs();
        if (parent.level() > Nsfs.MAX_USER_NS_LEVEL) {
            throw new SyscallException(Errno.ENOSPC, "create_user_ns", "the caller's user namespace "
                    + parent.describe() + " is already at level " + parent.level()
                    + "; user namespaces nest at most 32 levels below the initial one");
        }
        reg.charge(parent, cred.euid(), NsType.USER, "create_user_ns");
        if (facts.chrooted()) {
            reg.uncharge(parent, cred.euid(), NsType.USER);
            throw new SyscallException(Errno.EPERM, "create_user_ns", "the caller is chrooted (its root directory is"
                    + " not the root of its mount namespace); a chrooted process may not create a user namespace");
        }
        boolean uidOk = parent.hasMapping(cred.euid());
        if (!uidOk || !parent.hasMapping(cred.egid())) {
            reg.uncharge(parent, cred.euid(), NsType.USER);
            String what = !uidOk ? "euid (kuid " + cred.euid().unsigned() + ")" : "egid (kgid " + cred.egid().unsigned() + ")";
            throw new SyscallException(Errno.EPERM, "create_user_ns", "the caller's " + what
                    + " has no mapping in its user namespace " + parent.describe()
                    + "; write that namespace's " + (!uidOk ? "uid_map" : "gid_map") + " first");
        }
        boolean couldSetfcap = cred.hasEffective(Capability.CAP_SETFCAP);
        UserNamespace ns = reg.newUserNamespace(parent, cred.euid(), cred.egid(), couldSetfcap, label);
        return cred.enteringUserNs(ns);
    }
}
