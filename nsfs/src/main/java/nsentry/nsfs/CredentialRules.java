package nsentry.nsfs;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import nsentry.abi.Capability;
import nsentry.abi.Errno;
import nsentry.abi.SyscallException;

/**
 * The uid/gid system calls (kernel/sys.c __sys_setuid and friends, kernel/groups.c) with
 * the capability fix-ups of security/commoncap.c cap_task_fix_setuid. Ids are read in the
 * caller's user namespace: an unmapped id is EINVAL, missing permission EPERM. An argument of
 * -1 ((uid_t)-1, i.e. 4294967295) means "unchanged" where Linux says so. Getters return
 * ids as seen in the task's namespace (65534 where unmapped).
 */
public final class CredentialRules {
    private CredentialRules() {}

    /** NGROUPS_MAX. */
    public static final int NGROUPS_MAX = 65536;
    /** CAP_FS_SET: the capabilities that follow fsuid 0 (include/linux/capability.h). */
    public static final long CAP_FS_SET = bit(Capability.CAP_CHOWN) | bit(Capability.CAP_MKNOD)
            | bit(Capability.CAP_DAC_OVERRIDE) | bit(Capability.CAP_DAC_READ_SEARCH) | bit(Capability.CAP_FOWNER)
            | bit(Capability.CAP_FSETID) | bit(Capability.CAP_MAC_OVERRIDE) | bit(Capability.CAP_LINUX_IMMUTABLE);

    private static final long UNCHANGED = 0xFFFFFFFFL;

    /** Result of setfsuid/setfsgid: they never fail, they return the previous value. */
    public record FsIdResult(Credentials cred, long previous) {}

    /** getresuid/getresgid values in the caller's namespace. */
    public record ResIds(long real, long effective, long saved) {}

    private static long bit(int cap) {
        return 1L << cap;
    }

    /** Normalises a syscall argument (uid_t, 32 bits) to 0..4294967295. */
    private static long u32(long id) {
        return id & 0xFFFFFFFFL;
    }

    private static Kuid kuid(Credentials c, long id) {
        return c.userNs().makeKuid(u32(id));
    }

    private static Kgid kgid(Credentials c, long id) {
        return c.userNs().makeKgid(u32(id));
    }

    private static SyscallException unmapped(String rule, String what, long id, Credentials c) {
        return new SyscallException(Errno.EINVAL, rule, what + " " + u32(id) + " has no mapping in the caller's user"
                + " namespace " + c.userNs().describe());
    }

    private static boolean capSetuid(Credentials c) {
        return Capabilities.nsCapable(c, c.userNs(), Capability.CAP_SETUID);
    }

    private static boolean capSetgid(Credentials c) {
        return Capabilities.nsCapable(c, c.userNs(), Capability.CAP_SETGID);
    }

    private static SyscallException eperm(String rule, Credentials old, int cap, String what) {
        return new SyscallException(Errno.EPERM, rule, what + "; " + Explain.lacks(old, cap, old.userNs()));
    }

    private static String ids(Credentials c, Kuid a, Kuid b, Kuid s) {
        UserNamespace ns = c.userNs();
        return ns.fromKuidMunged(a) + "/" + ns.fromKuidMunged(b) + "/" + ns.fromKuidMunged(s);
    }

    private static String gids(Credentials c, Kgid a, Kgid b, Kgid s) {
        UserNamespace ns = c.userNs();
        return ns.fromKgidMunged(a) + "/" + ns.fromKgidMunged(b) + "/" + ns.fromKgidMunged(s);
    }

    /** __sys_setuid(). */
    public static Credentials setuid(Credentials old, long uid) throws SyscallException {
        Kuid k = kuid(old, uid);
        if (!k.isValid()) {
            throw unmapped("__sys_setuid", "uid", uid, old);
        }
        Kuid nuid = old.uid();
        Kuid nsuid = old.suid();
        if (capSetuid(old)) {
            nuid = k;
            nsuid = k;
        } else if (!k.equals(old.uid()) && !k.equals(old.suid())) {
            throw eperm("__sys_setuid", old, Capability.CAP_SETUID, "uid " + u32(uid)
                    + " is neither the real nor the saved uid (r/e/s " + ids(old, old.uid(), old.euid(), old.suid()) + ")");
        }
        Credentials n = old.withUids(nuid, k, nsuid, k);
        return fixSetuid(n, old);
    }

    /** __sys_setgid(). */
    public static Credentials setgid(Credentials old, long gid) throws SyscallException {
        Kgid k = kgid(old, gid);
        if (!k.isValid()) {
            throw unmapped("__sys_setgid", "gid", gid, old);
        }
        if (capSetgid(old)) {
            return old.withGids(k, k, k, k);
        }
        if (k.equals(old.gid()) || k.equals(old.sgid())) {
            return old.withGids(old.gid(), k, old.sgid(), k);
        }
        throw eperm("__sys_setgid", old, Capability.CAP_SETGID, "gid " + u32(gid)
                + " is neither the real nor the saved gid (r/e/s " + gids(old, old.gid(), old.egid(), old.sgid()) + ")");
    }

    /** __sys_setreuid(). */
    public static Credentials setreuid(Credentials old, long ruid, long euid) throws SyscallException {
        Kuid kr = kuid(old, ruid);
        Kuid ke = kuid(old, euid);
        if (u32(ruid) != UNCHANGED && !kr.isValid()) {
            throw unmapped("__sys_setreuid", "ruid", ruid, old);
        }
        if (u32(euid) != UNCHANGED && !ke.isValid()) {
            throw unmapped("__sys_setreuid", "euid", euid, old);
        }
        Kuid nuid = old.uid();
        Kuid neuid = old.euid();
        if (u32(ruid) != UNCHANGED) {
            nuid = kr;
            if (!old.uid().equals(kr) && !old.euid().equals(kr) && !capSetuid(old)) {
                throw eperm("__sys_setreuid", old, Capability.CAP_SETUID, "ruid " + u32(ruid)
                        + " is neither the real nor the effective uid (r/e/s " + ids(old, old.uid(), old.euid(), old.suid()) + ")");
            }
        }
        if (u32(euid) != UNCHANGED) {
            neuid = ke;
            if (!old.uid().equals(ke) && !old.euid().equals(ke) && !old.suid().equals(ke) && !capSetuid(old)) {
                throw eperm("__sys_setreuid", old, Capability.CAP_SETUID, "euid " + u32(euid)
                        + " is not the real, effective or saved uid (r/e/s " + ids(old, old.uid(), old.euid(), old.suid()) + ")");
            }
        }
        Kuid nsuid = old.suid();
        if (u32(ruid) != UNCHANGED || (u32(euid) != UNCHANGED && !ke.equals(old.uid()))) {
            nsuid = neuid;
        }
        return fixSetuid(old.withUids(nuid, neuid, nsuid, neuid), old);
    }

    /** __sys_setregid(). */
    public static Credentials setregid(Credentials old, long rgid, long egid) throws SyscallException {
        Kgid kr = kgid(old, rgid);
        Kgid ke = kgid(old, egid);
        if (u32(rgid) != UNCHANGED && !kr.isValid()) {
            throw unmapped("__sys_setregid", "rgid", rgid, old);
        }
        if (u32(egid) != UNCHANGED && !ke.isValid()) {
            throw unmapped("__sys_setregid", "egid", egid, old);
        }
        Kgid ngid = old.gid();
        Kgid negid = old.egid();
        if (u32(rgid) != UNCHANGED) {
            if (old.gid().equals(kr) || old.egid().equals(kr) || capSetgid(old)) {
                ngid = kr;
            } else {
                throw eperm("__sys_setregid", old, Capability.CAP_SETGID, "rgid " + u32(rgid)
                        + " is neither the real nor the effective gid (r/e/s " + gids(old, old.gid(), old.egid(), old.sgid()) + ")");
            }
        }
        if (u32(egid) != UNCHANGED) {
            if (old.gid().equals(ke) || old.egid().equals(ke) || old.sgid().equals(ke) || capSetgid(old)) {
                negid = ke;
            } else {
                throw eperm("__sys_setregid", old, Capability.CAP_SETGID, "egid " + u32(egid)
                        + " is not the real, effective or saved gid (r/e/s " + gids(old, old.gid(), old.egid(), old.sgid()) + ")");
            }
        }
        Kgid nsgid = old.sgid();
        if (u32(rgid) != UNCHANGED || (u32(egid) != UNCHANGED && !ke.equals(old.gid()))) {
            nsgid = negid;
        }
        return old.withGids(ngid, negid, nsgid, negid);
    }

    /** __sys_setresuid(), including its no-op fast path. */
    public static Credentials setresuid(Credentials old, long ruid, long euid, long suid) throws SyscallException {
        Kuid kr = kuid(old, ruid);
        Kuid ke = kuid(old, euid);
        Kuid ks = kuid(old, suid);
        boolean r = u32(ruid) != UNCHANGED;
        boolean e = u32(euid) != UNCHANGED;
        boolean s = u32(suid) != UNCHANGED;
        if (r && !kr.isValid()) {
            throw unmapped("__sys_setresuid", "ruid", ruid, old);
        }
        if (e && !ke.isValid()) {
            throw unmapped("__sys_setresuid", "euid", euid, old);
        }
        if (s && !ks.isValid()) {
            throw unmapped("__sys_setresuid", "suid", suid, old);
        }
        if ((!r || kr.equals(old.uid())) && (!e || (ke.equals(old.euid()) && ke.equals(old.fsuid())))
                && (!s || ks.equals(old.suid()))) {
            return old;
        }
        boolean rNew = r && !isOneOf(kr, old);
        boolean eNew = e && !isOneOf(ke, old);
        boolean sNew = s && !isOneOf(ks, old);
        if ((rNew || eNew || sNew) && !capSetuid(old)) {
            long bad = rNew ? u32(ruid) : eNew ? u32(euid) : u32(suid);
            throw eperm("__sys_setresuid", old, Capability.CAP_SETUID, "uid " + bad
                    + " is not the real, effective or saved uid (r/e/s " + ids(old, old.uid(), old.euid(), old.suid()) + ")");
        }
        Kuid nuid = r ? kr : old.uid();
        Kuid neuid = e ? ke : old.euid();
        Kuid nsuid = s ? ks : old.suid();
        return fixSetuid(old.withUids(nuid, neuid, nsuid, neuid), old);
    }

    /** __sys_setresgid(), including its no-op fast path. */
    public static Credentials setresgid(Credentials old, long rgid, long egid, long sgid) throws SyscallException {
        Kgid kr = kgid(old, rgid);
        Kgid ke = kgid(old, egid);
        Kgid ks = kgid(old, sgid);
        boolean r = u32(rgid) != UNCHANGED;
        boolean e = u32(egid) != UNCHANGED;
        boolean s = u32(sgid) != UNCHANGED;
        if (r && !kr.isValid()) {
            throw unmapped("__sys_setresgid", "rgid", rgid, old);
        }
        if (e && !ke.isValid()) {
            throw unmapped("__sys_setresgid", "egid", egid, old);
        }
        if (s && !ks.isValid()) {
            throw unmapped("__sys_setresgid", "sgid", sgid, old);
        }
        if ((!r || kr.equals(old.gid())) && (!e || (ke.equals(old.egid()) && ke.equals(old.fsgid())))
                && (!s || ks.equals(old.sgid()))) {
            return old;
        }
        boolean rNew = r && !isOneOf(kr, old);
        boolean eNew = e && !isOneOf(ke, old);
        boolean sNew = s && !isOneOf(ks, old);
        if ((rNew || eNew || sNew) && !capSetgid(old)) {
            long bad = rNew ? u32(rgid) : eNew ? u32(egid) : u32(sgid);
            throw eperm("__sys_setresgid", old, Capability.CAP_SETGID, "gid " + bad
                    + " is not the real, effective or saved gid (r/e/s " + gids(old, old.gid(), old.egid(), old.sgid()) + ")");
        }
        Kgid ngid = r ? kr : old.gid();
        Kgid negid = e ? ke : old.egid();
        Kgid nsgid = s ? ks : old.sgid();
        return old.withGids(ngid, negid, nsgid, negid);
    }

    private static boolean isOneOf(Kuid k, Credentials c) {
        return k.equals(c.uid()) || k.equals(c.euid()) || k.equals(c.suid());
    }

    private static boolean isOneOf(Kgid k, Credentials c) {
        return k.equals(c.gid()) || k.equals(c.egid()) || k.equals(c.sgid());
    }

    /** __sys_setfsuid(): never fails; returns the previous fsuid (munged) and the new credentials. */
    public static FsIdResult setfsuid(Credentials old, long uid) {
        long prev = old.userNs().fromKuidMunged(old.fsuid());
        Kuid k = kuid(old, uid);
        if (!k.isValid()) {
            return new FsIdResult(old, prev);
        }
        if ((k.equals(old.uid()) || k.equals(old.euid()) || k.equals(old.suid()) || k.equals(old.fsuid())
                || capSetuid(old)) && !k.equals(old.fsuid())) {
            Credentials n = old.withUids(old.uid(), old.euid(), old.suid(), k);
            // cap_task_fix_setuid(LSM_SETID_FS)
            if (!old.isSecure(Capability.SECBIT_NO_SETUID_FIXUP)) {
                Kuid root = old.userNs().makeKuid(0);
                if (old.fsuid().equals(root) && !k.equals(root)) {
                    n = n.withEffective(n.capEffective() & ~CAP_FS_SET);
                }
                if (!old.fsuid().equals(root) && k.equals(root)) {
                    n = n.withEffective(n.capEffective() | (n.capPermitted() & CAP_FS_SET));
                }
            }
            return new FsIdResult(n, prev);
        }
        return new FsIdResult(old, prev);
    }

    /** __sys_setfsgid(): never fails; returns the previous fsgid (munged). */
    public static FsIdResult setfsgid(Credentials old, long gid) {
        long prev = old.userNs().fromKgidMunged(old.fsgid());
        Kgid k = kgid(old, gid);
        if (!k.isValid()) {
            return new FsIdResult(old, prev);
        }
        if ((k.equals(old.gid()) || k.equals(old.egid()) || k.equals(old.sgid()) || k.equals(old.fsgid())
                || capSetgid(old)) && !k.equals(old.fsgid())) {
            return new FsIdResult(old.withGids(old.gid(), old.egid(), old.sgid(), k), prev);
        }
        return new FsIdResult(old, prev);
    }

    /**
     * cap_task_fix_setuid() for LSM_SETID_ID/RE/RES (cap_emulate_setxuid), unless
     * SECBIT_NO_SETUID_FIXUP: leaving root for all of r/e/s uid clears permitted and
     * effective (unless keep-caps) and ambient; euid root → non-root clears effective;
     * non-root → root euid sets effective = permitted.
     */
    static Credentials fixSetuid(Credentials n, Credentials old) {
        if (old.isSecure(Capability.SECBIT_NO_SETUID_FIXUP)) {
            return n;
        }
        Kuid root = old.userNs().makeKuid(0);
        long prm = n.capPermitted();
        long eff = n.capEffective();
        long amb = n.capAmbient();
        boolean wasRoot = old.uid().equals(root) || old.euid().equals(root) || old.suid().equals(root);
        boolean isRoot = n.uid().equals(root) || n.euid().equals(root) || n.suid().equals(root);
        if (wasRoot && !isRoot) {
            if (!old.isSecure(Capability.SECBIT_KEEP_CAPS)) {
                prm = 0;
                eff = 0;
            }
            amb = 0;
        }
        if (old.euid().equals(root) && !n.euid().equals(root)) {
            eff = 0;
        }
        if (!old.euid().equals(root) && n.euid().equals(root)) {
            eff = prm;
        }
        return n.withCaps(n.capInheritable(), prm, eff, n.capBounding(), amb);
    }

    /**
     * setgroups(2) (kernel/groups.c): may_setgroups() (CAP_SETGID in the caller's namespace,
     * that namespace's gid_map written and setgroups allowed) else EPERM; size &gt; 65536 →
     * EINVAL; an unmapped gid → EINVAL. The list is stored sorted (groups_sort).
     */
    public static Credentials setgroups(Credentials old, long[] gids) throws SyscallException {
        UserNamespace ns = old.userNs();
        if (!capSetgid(old)) {
            throw new SyscallException(Errno.EPERM, "may_setgroups", Explain.lacks(old, Capability.CAP_SETGID, ns));
        }
        if (ns.gidMap().isEmpty()) {
            throw new SyscallException(Errno.EPERM, "userns_may_setgroups", "the gid_map of " + ns.describe()
                    + " has not been written yet");
        }
        if (!ns.setgroupsAllowed()) {
            throw new SyscallException(Errno.EPERM, "userns_may_setgroups", "setgroups is denied in " + ns.describe()
                    + " (its /proc/PID/setgroups says \"deny\")");
        }
        checkSetgroupsSize(gids.length);
        List<Kgid> list = new ArrayList<>(gids.length);
        for (long g : gids) {
            Kgid k = kgid(old, g);
            if (!k.isValid()) {
                throw unmapped("groups_from_user", "group", g, old);
            }
            list.add(k);
        }
        list.sort(Comparator.comparingLong(Kgid::unsigned));
        return old.withGroups(list);
    }

    /** setgroups(2)'s size check, for the sentry to run before reading the list: (unsigned) size &gt; 65536 → EINVAL. */
    public static void checkSetgroupsSize(long size) throws SyscallException {
        if (Long.compareUnsigned(size & 0xFFFFFFFFL, NGROUPS_MAX) > 0) {
            throw new SyscallException(Errno.EINVAL, "setgroups", "group list size " + (int) size
                    + " is larger than NGROUPS_MAX (" + NGROUPS_MAX + ")");
        }
    }

    /**
     * getgroups(2): size &lt; 0 → EINVAL; size 0 → just the count; size smaller than the
     * count → EINVAL; else the groups as seen in the caller's namespace (munged).
     */
    public static long[] getgroups(Credentials c, int size) throws SyscallException {
        if (size < 0) {
            throw new SyscallException(Errno.EINVAL, "getgroups", "negative size " + size);
        }
        int n = c.groups().size();
        if (size != 0 && n > size) {
            throw new SyscallException(Errno.EINVAL, "getgroups", "the caller has " + n
                    + " supplementary groups but the buffer holds " + size);
        }
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = c.userNs().fromKgidMunged(c.groups().get(i));
        }
        return out;
    }

    public static long getuid(Credentials c) {
        return c.userNs().fromKuidMunged(c.uid());
    }

    public static long geteuid(Credentials c) {
        return c.userNs().fromKuidMunged(c.euid());
    }

    public static long getgid(Credentials c) {
        return c.userNs().fromKgidMunged(c.gid());
    }

    public static long getegid(Credentials c) {
        return c.userNs().fromKgidMunged(c.egid());
    }

    public static ResIds getresuid(Credentials c) {
        UserNamespace ns = c.userNs();
        return new ResIds(ns.fromKuidMunged(c.uid()), ns.fromKuidMunged(c.euid()), ns.fromKuidMunged(c.suid()));
    }

    public static ResIds getresgid(Credentials c) {
        UserNamespace ns = c.userNs();
        return new ResIds(ns.fromKgidMunged(c.gid()), ns.fromKgidMunged(c.egid()), ns.fromKgidMunged(c.sgid()));
    }
}
