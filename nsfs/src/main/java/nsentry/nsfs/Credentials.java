package nsentry.nsfs;

import java.util.List;
import java.util.Objects;
import nsentry.abi.Capability;

/**
 * A task's credentials (struct cred): global ids, supplementary groups, the five
 * capability sets (bit masks over {@link Capability#FULL_SET}), securebits and the user
 * namespace. Immutable; every change produces a new value (commit_creds). {@code keepCaps}
 * mirrors SECBIT_KEEP_CAPS in {@code securebits} (the kernel stores it only there) and the
 * two must agree; {@link #withSecurebits} and {@link #withKeepCaps} keep them in step.
 */
public record Credentials(Kuid uid, Kuid euid, Kuid suid, Kuid fsuid, Kgid gid, Kgid egid, Kgid sgid, Kgid fsgid,
        List<Kgid> groups, long capInheritable, long capPermitted, long capEffective, long capBounding,
        long capAmbient, int securebits, boolean keepCaps, UserNamespace userNs) {

    public Credentials {
        Objects.requireNonNull(uid);
        Objects.requireNonNull(euid);
        Objects.requireNonNull(suid);
        Objects.requireNonNull(fsuid);
        Objects.requireNonNull(gid);
        Objects.requireNonNull(egid);
        Objects.requireNonNull(sgid);
        Objects.requireNonNull(fsgid);
        Objects.requireNonNull(userNs);
        groups = List.copyOf(groups);
        for (long set : new long[] {capInheritable, capPermitted, capEffective, capBounding, capAmbient}) {
            if ((set & ~Capability.FULL_SET) != 0) {
                throw new IllegalArgumentException("capability bits beyond CAP_LAST_CAP: 0x" + Long.toHexString(set));
            }
        }
        if (keepCaps != ((securebits & Capability.SECBIT_KEEP_CAPS) != 0)) {
            throw new IllegalArgumentException("keepCaps disagrees with SECBIT_KEEP_CAPS in securebits");
        }
    }

    /**
     * Credentials with every id equal to {@code uid}/{@code gid}, the given groups, and
     * the capability sets the kernel gives such a task: full permitted/effective when uid
     * is the namespace's root, none otherwise (bounding always full).
     */
    public static Credentials of(Kuid uid, Kgid gid, List<Kgid> groups, UserNamespace ns) {
        boolean root = uid.equals(ns.makeKuid(0));
        long caps = root ? Capability.FULL_SET : 0;
        return new Credentials(uid, uid, uid, uid, gid, gid, gid, gid, groups, 0, caps, caps, Capability.FULL_SET, 0,
                0, false, ns);
    }

    public Credentials withUids(Kuid uid, Kuid euid, Kuid suid, Kuid fsuid) {
        return new Credentials(uid, euid, suid, fsuid, gid, egid, sgid, fsgid, groups, capInheritable, capPermitted,
                capEffective, capBounding, capAmbient, securebits, keepCaps, userNs);
    }

    public Credentials withGids(Kgid gid, Kgid egid, Kgid sgid, Kgid fsgid) {
        return new Credentials(uid, euid, suid, fsuid, gid, egid, sgid, fsgid, groups, capInheritable, capPermitted,
                capEffective, capBounding, capAmbient, securebits, keepCaps, userNs);
    }

    public Credentials withGroups(List<Kgid> groups) {
        return new Credentials(uid, euid, suid, fsuid, gid, egid, sgid, fsgid, groups, capInheritable, capPermitted,
                capEffective, capBounding, capAmbient, securebits, keepCaps, userNs);
    }

    /** All five capability sets at once. */
    public Credentials withCaps(long inheritable, long permitted, long effective, long bounding, long ambient) {
        return new Credentials(uid, euid, suid, fsuid, gid, egid, sgid, fsgid, groups, inheritable, permitted,
                effective, bounding, ambient, securebits, keepCaps, userNs);
    }

    public Credentials withEffective(long effective) {
        return withCaps(capInheritable, capPermitted, effective, capBounding, capAmbient);
    }

    public Credentials withAmbient(long ambient) {
        return withCaps(capInheritable, capPermitted, capEffective, capBounding, ambient);
    }

    public Credentials withBounding(long bounding) {
        return withCaps(capInheritable, capPermitted, capEffective, bounding, capAmbient);
    }

    /** New securebits; keepCaps follows SECBIT_KEEP_CAPS. */
    public Credentials withSecurebits(int bits) {
        return new Credentials(uid, euid, suid, fsuid, gid, egid, sgid, fsgid, groups, capInheritable, capPermitted,
                capEffective, capBounding, capAmbient, bits, (bits & Capability.SECBIT_KEEP_CAPS) != 0, userNs);
    }

    /** Sets or clears SECBIT_KEEP_CAPS. */
    public Credentials withKeepCaps(boolean keep) {
        int bits = keep ? securebits | Capability.SECBIT_KEEP_CAPS : securebits & ~Capability.SECBIT_KEEP_CAPS;
        return withSecurebits(bits);
    }

    /** Only the user namespace changes (no capability reset; see set_cred_user_ns for that). */
    public Credentials withUserNs(UserNamespace ns) {
        return new Credentials(uid, euid, suid, fsuid, gid, egid, sgid, fsgid, groups, capInheritable, capPermitted,
                capEffective, capBounding, capAmbient, securebits, keepCaps, ns);
    }

    /**
     * set_cred_user_ns() (kernel/user_namespace.c): the credentials a task gets on entering
     * {@code ns} by creation or setns: securebits 0, inheritable 0, permitted = effective =
     * bounding = full, ambient 0; ids and groups unchanged.
     */
    public Credentials enteringUserNs(UserNamespace ns) {
        return new Credentials(uid, euid, suid, fsuid, gid, egid, sgid, fsgid, groups, 0, Capability.FULL_SET,
                Capability.FULL_SET, Capability.FULL_SET, 0, 0, false, ns);
    }

    /** issecure(bit). */
    public boolean isSecure(int secbit) {
        return (securebits & secbit) != 0;
    }

    /** cap_raised(cap_effective, cap). */
    public boolean hasEffective(int cap) {
        return (capEffective & (1L << cap)) != 0;
    }

    @Override
    public String toString() {
        return "uid=" + uid.unsigned() + "/" + euid.unsigned() + "/" + suid.unsigned() + "/" + fsuid.unsigned()
                + " gid=" + gid.unsigned() + "/" + egid.unsigned() + "/" + sgid.unsigned() + "/" + fsgid.unsigned()
                + " groups=" + groups.stream().map(g -> Long.toString(g.unsigned())).toList()
                + String.format(" inh=%x prm=%x eff=%x bnd=%x amb=%x sec=%x", capInheritable, capPermitted,
                        capEffective, capBounding, capAmbient, securebits)
                + " userns=" + userNs.inode();
    }

    // equals/hashCode written out: a record's generated ones bootstrap
    // java.lang.runtime.ObjectMethods on first use (tens of ms on JDK 17, inside whichever
    // syscall compares a model value first). StartupCostIT checks none is left.
    @Override
    public boolean equals(Object o) {
        return o instanceof Credentials c && c.uid.equals(uid) && c.euid.equals(euid) && c.suid.equals(suid)
                && c.fsuid.equals(fsuid) && c.gid.equals(gid) && c.egid.equals(egid) && c.sgid.equals(sgid)
                && c.fsgid.equals(fsgid) && c.groups.equals(groups) && c.capInheritable == capInheritable
                && c.capPermitted == capPermitted && c.capEffective == capEffective && c.capBounding == capBounding
                && c.capAmbient == capAmbient && c.securebits == securebits && c.keepCaps == keepCaps
                && c.userNs == userNs;
    }

    @Override
    public int hashCode() {
        int h = uid.hashCode();
        h = h * 31 + euid.hashCode();
        h = h * 31 + suid.hashCode();
        h = h * 31 + fsuid.hashCode();
        h = h * 31 + gid.hashCode();
        h = h * 31 + egid.hashCode();
        h = h * 31 + sgid.hashCode();
        h = h * 31 + fsgid.hashCode();
        h = h * 31 + groups.hashCode();
        h = h * 31 + Long.hashCode(capInheritable);
        h = h * 31 + Long.hashCode(capPermitted);
        h = h * 31 + Long.hashCode(capEffective);
        h = h * 31 + Long.hashCode(capBounding);
        h = h * 31 + Long.hashCode(capAmbient);
        h = h * 31 + securebits;
        h = h * 31 + Boolean.hashCode(keepCaps);
        return h * 31 + System.identityHashCode(userNs);
    }
}
