package nsentry.nsfs;

import nsentry.abi.Capability;
import nsentry.abi.Errno;
import nsentry.abi.SyscallException;

/**
 * chroot(2)'s permission part (fs/open.c ksys_chroot). The sentry first does the path
 * lookup (EFAULT, ENAMETOOLONG, ENOENT, ENOTDIR, ELOOP, EACCES) and the MAY_EXEC check on
 * the directory (EACCES), then calls {@link #checkCapability}; on success only the root
 * changes (cwd stays).
 */
public final class ChrootRules {
    private ChrootRules() {}

    /** CAP_SYS_CHROOT in the caller's own user namespace, else EPERM. */
    public static void checkCapability(Credentials c) throws SyscallException {
        if (!Capabilities.nsCapable(c, c.userNs(), Capability.CAP_SYS_CHROOT)) {
            throw new SyscallException(Errno.EPERM, "chroot", Explain.lacks(c, Capability.CAP_SYS_CHROOT,
                    c.userNs()));
        }
    }

    /**
     * The proposed unprivileged chroot (not in Linux; an opt-in nsentry policy): allowed
     * without CAP_SYS_CHROOT when no_new_privs is set, the fs_struct is not shared and the
     * new root is under the current root. Throws EPERM otherwise.
     */
    public static void checkUnprivileged(Credentials c, boolean noNewPrivs, boolean fsShared,
            boolean newRootUnderCurrentRoot) throws SyscallException {
        if (Capabilities.nsCapable(c, c.userNs(), Capability.CAP_SYS_CHROOT)) {
            return;
        }
        if (!noNewPrivs || fsShared || !newRootUnderCurrentRoot) {
            throw new SyscallException(Errno.EPERM, "chroot (unprivileged policy)", Explain.lacks(c,
                    Capability.CAP_SYS_CHROOT, c.userNs()) + "; the unprivileged variant also needs "
                    + (!noNewPrivs ? "no_new_privs set" : fsShared ? "an unshared fs_struct"
                            : "the new root to be under the current root"));
        }
    }
}
