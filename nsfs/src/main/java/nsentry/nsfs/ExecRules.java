package nsentry.nsfs;

import nsentry.abi.Capability;
import nsentry.abi.Errno;
import nsentry.abi.SyscallException;

/**
 * Credentials across execve (fs/exec.c bprm_fill_uid, prepare_exec_creds; security/commoncap.c
 * cap_bprm_creds_from_file). The emulated {@code noNewPrivs} is the workload's own prctl
 * setting, not the real flag nsentry always sets.
 */
public final class ExecRules {
    private ExecRules() {}

    /** S_ISUID, S_ISGID, S_IXGRP. */
    public static final int S_ISUID = 04000;
    public static final int S_ISGID = 02000;
    public static final int S_IXGRP = 00010;

    /**
     * File capabilities from security.capability, already decoded by the caller.
     *
     * @param rootid the global uid the caps belong to: for a v2 xattr make_kuid(fs userns, 0),
     *     for v3 make_kuid(fs userns, rootid); they apply only if this is root of the caller's
     *     namespace or an ancestor (rootid_owns_currentns)
     */
    public record FileCaps(long permitted, long inheritable, boolean effective, Kuid rootid) {}

    /**
     * The executable as the kernel sees it at exec.
     *
     * @param owner the inode owner (global, after any mount idmapping)
     * @param group the inode group
     * @param mode the inode mode bits (only S_ISUID/S_ISGID/S_IXGRP are used)
     * @param nosuid the file is on a nosuid mount (no set-id, no file caps)
     * @param caps file capabilities, or null
     */
    public record ExecFile(Kuid owner, Kgid group, int mode, boolean nosuid, FileCaps caps) {
        /** A plain executable without set-id bits or capabilities. */
        public static ExecFile plain(Kuid owner, Kgid group) {
            return new ExecFile(owner, group, 0755, false, null);
        }
    }

    /** As {@link #transform(Credentials, ExecFile, boolean, boolean)} with an unshared fs_struct. */
    public static Credentials transform(Credentials old, ExecFile file, boolean noNewPrivs) throws SyscallException {
        return transform(old, file, noNewPrivs, false);
    }

    /**
     * The credentials after a successful execve of {@code file}.
     * <ol>
     * <li>bprm_fill_uid: unless nosuid or no_new_privs, S_ISUID sets euid to the owner and
     * S_ISGID|S_IXGRP sets egid to the group, if both are mapped in the caller's namespace.</li>
     * <li>get_file_caps: P'(permitted) = (bset &amp; fP) | (pI &amp; fI) when caps apply; with the
     * effective bit and some fP outside bset → EPERM (the exec fails).</li>
     * <li>handle_privileged_root (unless SECBIT_NOROOT; skipped for setuid-root with file
     * caps): euid or ruid == root of the namespace → P' = bset | pI; euid root → effective.</li>
     * <li>A set-id or cap-gaining exec with no_new_privs or a shared fs_struct
     * (LSM_UNSAFE_*): euid/egid revert to uid/gid without CAP_SETUID (always with
     * no_new_privs), and P' ∩= old P.</li>
     * <li>suid = fsuid = euid, sgid = fsgid = egid; file caps or set-id clear ambient;
     * P' |= ambient; E' = effective ? P' : ambient; SECBIT_KEEP_CAPS cleared.</li>
     * </ol>
     *
     * @param fsShared another process shares the caller's fs_struct (LSM_UNSAFE_SHARE)
     */
    public static Credentials transform(Credentials old, ExecFile file, boolean noNewPrivs, boolean fsShared)
            throws SyscallException {
        UserNamespace ns = old.userNs();
        Kuid euid = old.euid();
        Kgid egid = old.egid();
        // bprm_fill_uid()
        if (!file.nosuid() && !noNewPrivs && (file.mode() & (S_ISUID | S_ISGID)) != 0 && ns.hasMapping(file.owner())
                && ns.hasMapping(file.group())) {
            if ((file.mode() & S_ISUID) != 0) {
                euid = file.owner();
            }
            if ((file.mode() & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP)) {
                egid = file.group();
            }
        }
        // get_file_caps()
        long permitted = 0;
        boolean effective = false;
        boolean hasFcap = false;
        FileCaps fc = file.caps();
        if (fc != null && !file.nosuid() && rootidOwnsCurrentNs(ns, fc.rootid())) {
            effective = fc.effective();
            hasFcap = true;
            permitted = (old.capBounding() & fc.permitted()) | (old.capInheritable() & fc.inheritable());
            if (effective && (fc.permitted() & ~permitted) != 0) {
                throw new SyscallException(Errno.EPERM, "bprm_caps_from_vfs_caps", "the file's permitted"
                        + " capabilities " + Capabilities.describe(fc.permitted() & ~permitted) + " are outside the"
                        + " bounding set, and its effective bit says it cannot run without them");
            }
        }
        Kuid rootUid = ns.makeKuid(0);
        // handle_privileged_root()
        if (!old.isSecure(Capability.SECBIT_NOROOT)) {
            boolean isSuidRoot = !old.uid().equals(rootUid) && euid.equals(rootUid);
            if (!(hasFcap && isSuidRoot)) {
                if (euid.equals(rootUid) || old.uid().equals(rootUid)) {
                    permitted = old.capBounding() | old.capInheritable();
                }
                if (euid.equals(rootUid)) {
                    effective = true;
                }
            }
        }
        boolean isSetid = !euid.equals(old.uid()) || !egid.equals(old.gid());
        boolean gained = (permitted & ~old.capPermitted()) != 0;
        if ((isSetid || gained) && (noNewPrivs || fsShared)) {
            if (!Capabilities.nsCapable(old, ns, Capability.CAP_SETUID) || noNewPrivs) {
                euid = old.uid();
                egid = old.gid();
            }
            permitted &= old.capPermitted();
        }
        long ambient = old.capAmbient();
        if (hasFcap || isSetid) {
            ambient = 0;
        }
        permitted |= ambient;
        long eff = effective ? permitted : ambient;
        Credentials n = new Credentials(old.uid(), euid, euid, euid, old.gid(), egid, egid, egid, old.groups(),
                old.capInheritable(), permitted, eff, old.capBounding(), ambient,
                old.securebits() & ~Capability.SECBIT_KEEP_CAPS, false, ns);
        return n;
    }

    /** rootid_owns_currentns(): kroot is uid 0 of the caller's namespace or one of its ancestors. */
    static boolean rootidOwnsCurrentNs(UserNamespace ns, Kuid kroot) {
        if (kroot == null || !kroot.isValid()) {
            return false;
        }
        for (UserNamespace n = ns; n != null; n = n.parent()) {
            if (n.fromKuid(kroot) == 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * exec_task_namespaces(): at exec a task enters its time_for_children namespace (a vfork
     * child switches here). Returns {@code ns} with time = timeForChildren.
     */
    public static NsSet namespacesAfterExec(NsSet ns) {
        return ns.time() == ns.timeForChildren() ? ns : ns.withTime(ns.timeForChildren());
    }
}
