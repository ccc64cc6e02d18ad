package nsentry.procfs;

import nsentry.abi.Capability;
import nsentry.abi.Errno;
import nsentry.abi.SyscallException;
import nsentry.nsfs.Capabilities;
import nsentry.nsfs.Credentials;
import nsentry.nsfs.Kgid;
import nsentry.nsfs.Kuid;
import nsentry.nsfs.UserNamespace;

/**
 * Ownership and DAC of per-task /proc files (fs/proc/base.c task_dump_owner,
 * fs/namei.c generic_permission), e.g. opening uid_map (0644) for writing.
 */
public final class ProcDac {
    private ProcDac() {}

    /** The owner of a /proc/PID file. */
    public record Owner(Kuid uid, Kgid gid) {}

    /**
     * task_dump_owner(): the task's euid/egid; for a non-dumpable task, root of its mm's
     * user namespace (global root if unmapped); global root if it has no mm.
     */
    public static Owner taskFileOwner(Credentials task, boolean dumpable, UserNamespace mmUserNs) {
        if (mmUserNs == null) {
            return new Owner(Kuid.ROOT, Kgid.ROOT);
        }
        if (dumpable) {
            return new Owner(task.euid(), task.egid());
        }
        Kuid u = mmUserNs.makeKuid(0);
        Kgid g = mmUserNs.makeKgid(0);
        return new Owner(u.isValid() ? u : Kuid.ROOT, g.isValid() ? g : Kgid.ROOT);
    }

    /**
     * generic_permission() for a regular file of {@code mode} owned by {@code owner}: the
     * owner, group (fsgid or a supplementary group) or other bits; failing those,
     * CAP_DAC_OVERRIDE (or CAP_DAC_READ_SEARCH for a read) in the caller's namespace with
     * the owner mapped there. EACCES otherwise.
     */
    public static void checkOpen(Credentials c, Owner owner, int mode, boolean read, boolean write)
            throws SyscallException {
        int want = (read ? 4 : 0) | (write ? 2 : 0);
        int bits;
        if (c.fsuid().equals(owner.uid())) {
            bits = (mode >> 6) & 7;
        } else if (c.fsgid().equals(owner.gid()) || c.groups().contains(owner.gid())) {
            bits = (mode >> 3) & 7;
        } else {
            bits = mode & 7;
        }
        if ((bits & want) == want) {
            return;
        }
        if (Capabilities.capableWrtInodeUidgid(c, owner.uid(), owner.gid(), Capability.CAP_DAC_OVERRIDE)) {
            return;
        }
        if (!write && Capabilities.capableWrtInodeUidgid(c, owner.uid(), owner.gid(), Capability.CAP_DAC_READ_SEARCH)) {
            return;
        }
        UserNamespace ns = c.userNs();
        throw new SyscallException(Errno.EACCES, "generic_permission", String.format("file mode %o owned by %d:%d"
                + " does not allow %s to fsuid %d, and the caller lacks CAP_DAC_OVERRIDE", mode,
                ns.fromKuidMunged(owner.uid()), ns.fromKgidMunged(owner.gid()),
                write ? (read ? "reading and writing" : "writing") : "reading", ns.fromKuidMunged(c.fsuid())));
    }
}
