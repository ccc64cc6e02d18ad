package nsentry.nsfs;

import nsentry.abi.Capability;
import nsentry.abi.Errno;
import nsentry.abi.SyscallException;

/**
 * pivot_root(2) (fs/namespace.c). Order: {@link #checkCapability} (EPERM, before any lookup),
 * then the sentry's lookups of new_root and put_old (ENOENT/ENOTDIR/...), then
 * {@link #checkMounts} with the facts it found.
 */
public final class PivotRootRules {
    private PivotRootRules() {}

    /** may_mount(): CAP_SYS_ADMIN over the caller's mount namespace's owner, else EPERM. */
    public static void checkCapability(TaskState caller) throws SyscallException {
        MountNamespace mnt = caller.ns().mnt();
        if (!Capabilities.nsCapable(caller.cred(), mnt.owner(), Capability.CAP_SYS_ADMIN)) {
            throw new SyscallException(Errno.EPERM, "pivot_root", "pivot_root needs CAP_SYS_ADMIN over the owner of "
                    + mnt.linkText() + "; " + Explain.lacks(caller.cred(), Capability.CAP_SYS_ADMIN, mnt.owner()));
        }
    }

    /**
     * Facts about the mounts involved, each named after the kernel's test.
     *
     * @param putOldMountShared IS_MNT_SHARED(old_mnt)
     * @param newRootParentShared IS_MNT_SHARED(new_mnt-&gt;mnt_parent)
     * @param rootParentShared IS_MNT_SHARED(root_mnt-&gt;mnt_parent)
     * @param rootInCallerMntNs check_mnt(root_mnt)
     * @param newRootInCallerMntNs check_mnt(new_mnt)
     * @param newRootLocked MNT_LOCKED on new_root's mount
     * @param newRootUnlinked d_unlinked(new.dentry)
     * @param newRootIsRootMount new_mnt == root_mnt
     * @param putOldIsRootMount old_mnt == root_mnt
     * @param rootIsMountpoint path_mounted(&amp;root)
     * @param rootMountAttached mnt_has_parent(root_mnt)
     * @param newRootIsMountpoint path_mounted(&amp;new)
     * @param newRootMountAttached mnt_has_parent(new_mnt)
     * @param putOldUnderNewRoot is_path_reachable(old_mnt, old.dentry, &amp;new)
     * @param newRootUnderRoot is_path_reachable(new_mnt, new.dentry, &amp;root)
     */
    public record MountFacts(boolean putOldMountShared, boolean newRootParentShared, boolean rootParentShared,
            boolean rootInCallerMntNs, boolean newRootInCallerMntNs, boolean newRootLocked, boolean newRootUnlinked,
            boolean newRootIsRootMount, boolean putOldIsRootMount, boolean rootIsMountpoint, boolean rootMountAttached,
            boolean newRootIsMountpoint, boolean newRootMountAttached, boolean putOldUnderNewRoot,
            boolean newRootUnderRoot) {}

    /** The post-lookup checks in the kernel's order. */
    public static void checkMounts(MountFacts m) throws SyscallException {
        String r = "pivot_root";
        if (m.putOldMountShared() || m.newRootParentShared() || m.rootParentShared()) {
            throw new SyscallException(Errno.EINVAL, r, (m.putOldMountShared() ? "put_old's mount"
                    : m.newRootParentShared() ? "new_root's parent mount" : "the current root's parent mount")
                    + " has shared propagation (make it private first)");
        }
        if (!m.rootInCallerMntNs() || !m.newRootInCallerMntNs()) {
            throw new SyscallException(Errno.EINVAL, r, (!m.rootInCallerMntNs() ? "the current root" : "new_root")
                    + " is not in the caller's mount namespace");
        }
        if (m.newRootLocked()) {
            throw new SyscallException(Errno.EINVAL, r, "new_root's mount is locked (inherited into a less"
                    + " privileged mount namespace)");
        }
        if (m.newRootUnlinked()) {
            throw new SyscallException(Errno.ENOENT, r, "new_root has been unlinked");
        }
        if (m.newRootIsRootMount() || m.putOldIsRootMount()) {
            throw new SyscallException(Errno.EBUSY, r, (m.newRootIsRootMount() ? "new_root" : "put_old")
                    + " is on the current root mount");
        }
        if (!m.rootIsMountpoint() || !m.rootMountAttached()) {
            throw new SyscallException(Errno.EINVAL, r, "the current root is not a mount point");
        }
        if (!m.newRootIsMountpoint() || !m.newRootMountAttached()) {
            throw new SyscallException(Errno.EINVAL, r, "new_root is not a mount point");
        }
        if (!m.putOldUnderNewRoot()) {
            throw new SyscallException(Errno.EINVAL, r, "put_old is not at or under new_root");
        }
        if (!m.newRootUnderRoot()) {
            throw new SyscallException(Errno.EINVAL, r, "new_root is not under the current root");
        }
    }
}
