package nsentry.nsfs;

import static nsentry.nsfs.Fx.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import nsentry.abi.Capability;
import nsentry.abi.CloneFlags;
import nsentry.abi.Errno;
import org.junit.jupiter.api.Test;

class CredentialRulesTest {
    final Fx fx = new Fx();
    static final long FULL = Capability.FULL_SET;

    @Test
    void setuidAsRootDropsCapsUnlessKeepcaps() throws Exception {
        Credentials c = CredentialRules.setuid(fx.root(), 1000);
        assertEquals(Kuid.of(1000), c.uid());
        assertEquals(Kuid.of(1000), c.suid());
        assertEquals(Kuid.of(1000), c.fsuid());
        assertEquals(0, c.capPermitted());
        assertEquals(0, c.capEffective());
        Credentials k = CredentialRules.setuid(fx.root().withKeepCaps(true).withAmbient(0), 1000);
        assertEquals(FULL, k.capPermitted(), "keepcaps keeps permitted");
        assertEquals(0, k.capEffective(), "effective is cleared when euid leaves 0");
        // back to root? not allowed: uid 0 is neither real nor saved any more
        fails(Errno.EPERM, () -> CredentialRules.setuid(k.withEffective(0), 0));
    }

    @Test
    void unmappedIsEinvalBeforeEperm() throws Exception {
        TaskState s = fx.unshare(fx.state(fx.user(1000)), CloneFlags.CLONE_NEWUSER);
        var ex = fails(Errno.EINVAL, () -> CredentialRules.setuid(s.cred(), 0));
        assertEquals("__sys_setuid", ex.rule());
        Fx.map(s.userNs(), true, 0, 1000, 1);
        Credentials c = CredentialRules.setuid(s.cred(), 0);
        assertEquals(0, CredentialRules.getuid(c));
        assertEquals(FULL, c.capEffective(), "root in its namespace keeps caps");
        fails(Errno.EINVAL, () -> CredentialRules.setgid(s.cred(), 0));
        fails(Errno.EINVAL, () -> CredentialRules.setuid(fx.user(1000), 4294967295L));
        fails(Errno.EPERM, () -> CredentialRules.setuid(fx.user(1000), 0));
        fails(Errno.EPERM, () -> CredentialRules.setgid(fx.user(1000), 0));
        assertEquals(65534, CredentialRules.getgid(s.cred()));
    }

    @Test
    void setreuidAndSavedUid() throws Exception {
        Credentials c = fx.user(1000).withUids(Kuid.of(1000), Kuid.of(1000), Kuid.of(2000), Kuid.of(1000));
        Credentials n = CredentialRules.setreuid(c, -1, 2000);
        assertEquals(Kuid.of(2000), n.euid());
        assertEquals(Kuid.of(2000), n.suid(), "euid != old ruid: suid follows euid");
        Credentials m = CredentialRules.setreuid(c, 4294967295L, 1000);
        assertEquals(Kuid.of(2000), m.suid(), "euid == old ruid and ruid unchanged: suid kept");
        fails(Errno.EPERM, () -> CredentialRules.setreuid(c, 2000, -1)); // ruid may only be r or e
        fails(Errno.EPERM, () -> CredentialRules.setreuid(c, -1, 3000));
        Credentials swapped = CredentialRules.setreuid(fx.user(1000).withUids(Kuid.of(1000), Kuid.of(2000),
                Kuid.of(2000), Kuid.of(2000)), 2000, 1000);
        assertEquals(Kuid.of(2000), swapped.uid());
        assertEquals(Kuid.of(1000), swapped.euid());
        assertEquals(Kuid.of(1000), swapped.suid());
    }

    @Test
    void setresuidNoopAndCaps() throws Exception {
        Credentials r = fx.root();
        assertSame(r, CredentialRules.setresuid(r, -1, -1, -1));
        assertSame(r, CredentialRules.setresuid(r, 0, 0, 0));
        Credentials e = CredentialRules.setresuid(r, 0, 1000, 0);
        assertEquals(0, e.capEffective(), "euid left 0: effective cleared");
        assertEquals(FULL, e.capPermitted(), "still root in r and s: permitted kept");
        Credentials back = CredentialRules.setresuid(e, -1, 0, -1);
        assertEquals(FULL, back.capEffective(), "euid back to 0: effective = permitted");
        Credentials gone = CredentialRules.setresuid(r.withAmbient(0), 1000, 1000, 1000);
        assertEquals(0, gone.capPermitted());
        fails(Errno.EPERM, () -> CredentialRules.setresuid(gone, 1000, 1000, 0));
        // SECBIT_NO_SETUID_FIXUP keeps everything
        Credentials nf = CredentialRules.setresuid(r.withSecurebits(Capability.SECBIT_NO_SETUID_FIXUP), 1000, 1000,
                1000);
        assertEquals(FULL, nf.capEffective());
        // ambient is cleared when leaving root even with keepcaps
        Credentials amb = r.withCaps(1L << 12, FULL, FULL, FULL, 1L << 12).withKeepCaps(true);
        assertEquals(0, CredentialRules.setresuid(amb, 1000, 1000, 1000).capAmbient());
    }

    @Test
    void setresgidAndSetregid() throws Exception {
        Credentials u = fx.user(1000).withGids(Kgid.of(1000), Kgid.of(1000), Kgid.of(50), Kgid.of(1000));
        Credentials g = CredentialRules.setresgid(u, -1, 50, -1);
        assertEquals(Kgid.of(50), g.egid());
        assertEquals(Kgid.of(50), g.fsgid());
        fails(Errno.EPERM, () -> CredentialRules.setresgid(u, 51, -1, -1));
        Credentials rg = CredentialRules.setregid(u, 1000, 50);
        assertEquals(Kgid.of(50), rg.sgid());
        Credentials root = CredentialRules.setgid(fx.root(), 77);
        assertEquals(Kgid.of(77), root.sgid());
        Credentials nonroot = CredentialRules.setgid(u, 50);
        assertEquals(Kgid.of(1000), nonroot.gid());
        assertEquals(Kgid.of(50), nonroot.egid());
    }

    @Test
    void setfsuidNeverFailsAndMovesFsCaps() {
        var r = CredentialRules.setfsuid(fx.root(), 1000);
        assertEquals(0, r.previous());
        assertEquals(Kuid.of(1000), r.cred().fsuid());
        assertEquals(0, r.cred().capEffective() & CredentialRules.CAP_FS_SET);
        assertEquals(1L << Capability.CAP_SYS_ADMIN, r.cred().capEffective() & (1L << Capability.CAP_SYS_ADMIN));
        var back = CredentialRules.setfsuid(r.cred(), 0);
        assertEquals(1000, back.previous());
        assertEquals(FULL, back.cred().capEffective());
        var denied = CredentialRules.setfsuid(fx.user(1000), 0);
        assertSame(fx.user(1000).getClass(), denied.cred().getClass());
        assertEquals(Kuid.of(1000), denied.cred().fsuid());
        assertEquals(1000, CredentialRules.setfsgid(fx.user(1000), 5).previous());
        assertEquals(Kgid.of(1000), CredentialRules.setfsgid(fx.user(1000), 5).cred().fsgid());
    }

    @Test
    void setgroupsRules() throws Exception {
        Credentials c = CredentialRules.setgroups(fx.root(), new long[] {30, 4, 27});
        assertEquals(List.of(Kgid.of(4), Kgid.of(27), Kgid.of(30)), c.groups(), "sorted");
        assertArrayEquals(new long[] {4, 27, 30}, CredentialRules.getgroups(c, 0));
        fails(Errno.EINVAL, () -> CredentialRules.getgroups(c, 2));
        fails(Errno.EINVAL, () -> CredentialRules.getgroups(c, -1));
        fails(Errno.EPERM, () -> CredentialRules.setgroups(fx.user(1000), new long[0]));
        fails(Errno.EINVAL, () -> CredentialRules.setgroups(fx.root(), new long[65537]));
        fails(Errno.EINVAL, () -> CredentialRules.setgroups(fx.root(), new long[] {4294967295L}));
        TaskState s = fx.unshare(fx.state(fx.user(1000)), CloneFlags.CLONE_NEWUSER);
        var ex = fails(Errno.EPERM, () -> CredentialRules.setgroups(s.cred(), new long[0]));
        assertEquals("userns_may_setgroups", ex.rule());
        s.userNs().denySetgroups();
        Fx.map(s.userNs(), false, 0, 1000, 1);
        ex = fails(Errno.EPERM, () -> CredentialRules.setgroups(s.cred(), new long[0]));
        assertEquals("userns_may_setgroups", ex.rule());
        // groups outside the map read as 65534
        Credentials withGroups = s.cred().withGroups(List.of(Kgid.of(27)));
        assertArrayEquals(new long[] {65534}, CredentialRules.getgroups(withGroups, 10));
    }
}
