package nsentry.nsfs;

import static nsentry.nsfs.Fx.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import nsentry.abi.Capability;
import nsentry.abi.CloneFlags;
import nsentry.abi.Errno;
import nsentry.nsfs.ExecRules.ExecFile;
import nsentry.nsfs.ExecRules.FileCaps;
import org.junit.jupiter.api.Test;

class ExecRulesTest {
    final Fx fx = new Fx();
    static final long FULL = Capability.FULL_SET;
    static final long NET = 1L << Capability.CAP_NET_ADMIN;
    final ExecFile plain = ExecFile.plain(Kuid.ROOT, Kgid.ROOT);

    @Test
    void rootKeepsFullCapsOthersLoseThem() throws Exception {
        Credentials r = ExecRules.transform(fx.root().withKeepCaps(true), plain, false);
        assertEquals(FULL, r.capPermitted());
        assertEquals(FULL, r.capEffective());
        assertFalse(r.keepCaps(), "exec clears SECBIT_KEEP_CAPS");
        Credentials kept = fx.user(1000).withCaps(0, FULL, FULL, FULL, 0);
        Credentials u = ExecRules.transform(kept, plain, false);
        assertEquals(0, u.capPermitted());
        assertEquals(0, u.capEffective());
        // a user-ns creator (uid 1000, not root there) loses its caps at exec until uid 0 is mapped to it
        TaskState s = fx.unshare(fx.state(fx.user(1000)), CloneFlags.CLONE_NEWUSER);
        assertEquals(0, ExecRules.transform(s.cred(), plain, false).capEffective());
        Fx.map(s.userNs(), true, 0, 1000, 1);
        assertEquals(FULL, ExecRules.transform(s.cred(), plain, false).capEffective());
        // SECBIT_NOROOT: root gets nothing special
        assertEquals(0, ExecRules.transform(fx.root().withSecurebits(Capability.SECBIT_NOROOT), plain, false)
                .capPermitted());
    }

    @Test
    void ruidRootOnlyGetsPermittedNotEffective() throws Exception {
        Credentials c = fx.root().withUids(Kuid.ROOT, Kuid.of(1000), Kuid.of(1000), Kuid.of(1000));
        Credentials n = ExecRules.transform(c, plain, false);
        assertEquals(FULL, n.capPermitted());
        assertEquals(0, n.capEffective());
    }

    @Test
    void ambientSurvivesPlainExec() throws Exception {
        Credentials c = fx.user(1000).withCaps(NET, NET, NET, FULL, NET);
        Credentials n = ExecRules.transform(c, plain, false);
        assertEquals(NET, n.capPermitted());
        assertEquals(NET, n.capEffective());
        assertEquals(NET, n.capAmbient());
        // set-id exec clears ambient
        ExecFile suid = new ExecFile(Kuid.of(2000), Kgid.ROOT, 04755, false, null);
        assertEquals(0, ExecRules.transform(c, suid, false).capAmbient());
    }

    @Test
    void setuidAndSetgidBits() throws Exception {
        ExecFile suidRoot = new ExecFile(Kuid.ROOT, Kgid.ROOT, 04755, false, null);
        Credentials n = ExecRules.transform(fx.user(1000), suidRoot, false);
        assertEquals(Kuid.ROOT, n.euid());
        assertEquals(Kuid.ROOT, n.suid());
        assertEquals(Kuid.of(1000), n.uid());
        assertEquals(FULL, n.capEffective());
        // no_new_privs and nosuid disable it
        assertEquals(Kuid.of(1000), ExecRules.transform(fx.user(1000), suidRoot, true).euid());
        assertEquals(0, ExecRules.transform(fx.user(1000), suidRoot, true).capPermitted());
        ExecFile nosuid = new ExecFile(Kuid.ROOT, Kgid.ROOT, 04755, true, null);
        assertEquals(Kuid.of(1000), ExecRules.transform(fx.user(1000), nosuid, false).euid());
        // setgid needs group execute
        ExecFile sgidNoX = new ExecFile(Kuid.ROOT, Kgid.of(50), 02745, false, null);
        assertEquals(Kgid.of(1000), ExecRules.transform(fx.user(1000), sgidNoX, false).egid());
        ExecFile sgid = new ExecFile(Kuid.ROOT, Kgid.of(50), 02755, false, null);
        Credentials g = ExecRules.transform(fx.user(1000), sgid, false);
        assertEquals(Kgid.of(50), g.egid());
        assertEquals(Kgid.of(50), g.sgid());
        // owner unmapped in the caller's ns: bits ignored
        TaskState s = fx.unshare(fx.state(fx.user(1000)), CloneFlags.CLONE_NEWUSER);
        Fx.map(s.userNs(), true, 0, 1000, 1);
        Fx.map(s.userNs(), false, 0, 1000, 1);
        assertEquals(Kuid.of(1000), ExecRules.transform(s.cred(), suidRoot, false).euid());
    }

    @Test
    void fileCaps() throws Exception {
        FileCaps fc = new FileCaps(NET, 0, true, Kuid.ROOT);
        ExecFile f = new ExecFile(Kuid.ROOT, Kgid.ROOT, 0755, false, fc);
        Credentials n = ExecRules.transform(fx.user(1000), f, false);
        assertEquals(NET, n.capPermitted());
        assertEquals(NET, n.capEffective());
        // not effective: permitted only
        ExecFile g = new ExecFile(Kuid.ROOT, Kgid.ROOT, 0755, false, new FileCaps(NET, 0, false, Kuid.ROOT));
        assertEquals(0, ExecRules.transform(fx.user(1000), g, false).capEffective());
        // no_new_privs: gained caps are dropped
        assertEquals(0, ExecRules.transform(fx.user(1000), f, true).capPermitted());
        // outside the bounding set with the effective bit: EPERM
        Credentials bnd = fx.user(1000).withBounding(FULL & ~NET);
        fails(Errno.EPERM, () -> ExecRules.transform(bnd, f, false));
        // caps whose rootid is not root of this ns or an ancestor do not apply
        ExecFile foreign = new ExecFile(Kuid.ROOT, Kgid.ROOT, 0755, false, new FileCaps(NET, 0, true, Kuid.of(5000)));
        assertEquals(0, ExecRules.transform(fx.user(1000), foreign, false).capPermitted());
    }
}
