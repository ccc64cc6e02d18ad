package nsentry.nsfs;

import nsentry.abi.Errno;
import nsentry.abi.Nsfs;
import nsentry.abi.SyscallException;

/**
 * ioctls on nsfs files (fs/nsfs.c ns_ioctl, ns_get_owner; kernel/pid_namespace.c
 * pidns_get_parent). The fd-returning ones give the namespace the new fd must refer to
 * (the sentry opens its backing file O_RDONLY|O_CLOEXEC and injects it).
 */
public final class NsIoctls {
    private NsIoctls() {}

    /** What an emulated ioctl produces. */
    public sealed interface Result permits FdResult, ValueResult, OwnerUidResult {}

    /** A new fd to this namespace. */
    public record FdResult(Namespace ns) implements Result {}

    /** A plain return value. */
    public record ValueResult(long value) implements Result {}

    /** NS_GET_OWNER_UID: write this uid_t to the user pointer (EFAULT there is the sentry's); returns 0. */
    public record OwnerUidResult(long uid) implements Result {}

    /**
     * ns_ioctl(): NS_GET_USERNS, NS_GET_PARENT, NS_GET_NSTYPE, NS_GET_OWNER_UID; any other
     * request → ENOTTY (the newer NS_GET_*ID ioctls are not emulated).
     */
    public static Result ioctl(TaskState caller, Namespace ns, long request) throws SyscallException {
        long req = request & 0xFFFFFFFFL;
        if (req == Nsfs.NS_GET_USERNS) {
            return new FdResult(getUserns(caller.cred(), ns));
        } else if (req == Nsfs.NS_GET_PARENT) {
            return new FdResult(getParent(caller, ns));
        } else if (req == Nsfs.NS_GET_NSTYPE) {
            return new ValueResult(ns.type().cloneFlag());
        } else if (req == Nsfs.NS_GET_OWNER_UID) {
            return new OwnerUidResult(getOwnerUid(caller.cred(), ns));
        }
        throw new SyscallException(Errno.ENOTTY, "ns_ioctl", String.format("ioctl 0x%x is not an nsfs request"
                + " nsentry emulates", req));
    }

    /**
     * ns_get_owner(): the owning user namespace (a user namespace's parent) if it is the
     * caller's user namespace or a descendant of it, else EPERM (also for the initial
     * user namespace, which has no owner).
     */
    public static UserNamespace getUserns(Credentials caller, Namespace ns) throws SyscallException {
        UserNamespace owner = ns.owner();
        UserNamespace mine = caller.userNs();
        for (UserNamespace p = owner; ; p = p.parent()) {
            if (p == null) {
                throw new SyscallException(Errno.EPERM, "ns_get_owner", owner == null
                        ? Explain.ns(ns) + " is the initial user namespace; it has no owner"
                        : "the owner of " + Explain.ns(ns) + ", " + owner.describe() + ", is outside the caller's"
                                + " user namespace " + mine.describe());
            }
            if (p == mine) {
                return owner;
            }
        }
    }

    /**
     * NS_GET_PARENT: user namespace → as NS_GET_USERNS; pid namespace → its parent if that
     * is the caller's active pid namespace or a descendant, else EPERM; other types EINVAL.
     */
    public static Namespace getParent(TaskState caller, Namespace ns) throws SyscallException {
        if (ns instanceof UserNamespace) {
            return getUserns(caller.cred(), ns);
        }
        if (ns instanceof PidNamespace pid) {
            PidNamespace parent = pid.parent();
            PidNamespace active = caller.activePidNs();
            for (PidNamespace p = parent; ; p = p.parent()) {
                if (p == null) {
                    throw new SyscallException(Errno.EPERM, "pidns_get_parent", parent == null
                            ? pid.linkText() + " is the initial pid namespace; it has no parent"
                            : "the parent of " + pid.linkText() + ", " + parent.linkText() + ", is outside the"
                                    + " caller's active pid namespace " + active.linkText());
                }
                if (p == active) {
                    return parent;
                }
            }
        }
        throw new SyscallException(Errno.EINVAL, "ns_ioctl", ns.linkText() + ": only user and pid namespaces have"
                + " parents");
    }

    /** NS_GET_OWNER_UID: user namespaces only (else EINVAL); the owner as seen from the caller (munged). */
    public static long getOwnerUid(Credentials caller, Namespace ns) throws SyscallException {
        if (!(ns instanceof UserNamespace u)) {
            throw new SyscallException(Errno.EINVAL, "ns_ioctl", "NS_GET_OWNER_UID works on user namespaces only;"
                    + " the fd refers to " + ns.linkText());
        }
        return caller.userNs().fromKuidMunged(u.ownerUid());
    }
}
