package nsentry.nsfs;

import static nsentry.nsfs.Fx.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import nsentry.abi.Capability;
import nsentry.abi.Errno;
import nsentry.abi.Prctl;
import nsentry.abi.Securebits;
import org.junit.jupiter.api.Test;

class CapabilityRulesTest {
    final Fx fx = new Fx();
    static final long FULL = Capability.FULL_SET;
    static final long SETUID = 1L << Capability.CAP_SETUID;
    static final long NET = 1L << Capability.CAP_NET_ADMIN;

    @Test
    void capgetLayout() throws Exception {
        byte[] v3 = CapabilityRules.capget(fx.root(), Capability.VERSION_3, 0);
        assertEquals(24, v3.length);
        assertEquals(-1, v3[0]); // effective low word all ones
        assertEquals(0xff, v3[12] & 0xff, "effective high word: caps 32..39");
        assertEquals(0x01, v3[13] & 0xff, "cap 40");
        assertEquals(0, v3[14]);
        byte[] v1 = CapabilityRules.capget(fx.root(), Capability.VERSION_1, 0);
        assertEquals(12, v1.length);
        fails(Errno.EINVAL, () -> CapabilityRules.capget(fx.root(), 0x12345678, 0));
        fails(Errno.EINVAL, () -> CapabilityRules.capget(fx.root(), Capability.VERSION_3, -1));
        CapabilityRules.CapSets s = new CapabilityRules.CapSets(SETUID | (1L << 40), FULL, NET);
        assertEquals(s, CapabilityRules.decode(CapabilityRules.encode(s, 2), 2));
        assertArrayEquals(CapabilityRules.encode(s, 2), CapabilityRules.encode(CapabilityRules.decode(
                CapabilityRules.encode(s, 2), 2), 2));
    }

    @Test
    void capsetRules() throws Exception {
        Credentials r = fx.root();
        Credentials n = CapabilityRules.capset(r, new CapabilityRules.CapSets(SETUID, SETUID | NET, NET));
        assertEquals(SETUID, n.capEffective());
        assertEquals(SETUID | NET, n.capPermitted());
        assertEquals(NET, n.capInheritable());
        // permitted cannot grow
        fails(Errno.EPERM, () -> CapabilityRules.capset(n, new CapabilityRules.CapSets(0, FULL, 0)));
        // effective must be within the new permitted
        fails(Errno.EPERM, () -> CapabilityRules.capset(n, new CapabilityRules.CapSets(NET | SETUID, SETUID, 0)));
        // inheritable beyond inh|prm without CAP_SETPCAP
        long admin = 1L << Capability.CAP_SYS_ADMIN;
        fails(Errno.EPERM, () -> CapabilityRules.capset(n, new CapabilityRules.CapSets(0, SETUID, admin)));
        // inheritable beyond bounding even with CAP_SETPCAP
        Credentials b = r.withBounding(FULL & ~admin).withCaps(0, FULL, FULL, FULL & ~admin, 0);
        fails(Errno.EPERM, () -> CapabilityRules.capset(b, new CapabilityRules.CapSets(FULL, FULL, admin)));
        // pid other than 0 and self
        fails(Errno.EPERM, () -> CapabilityRules.capset(r, Capability.VERSION_3, 7, 8, new byte[24]));
        // v1 clears the high words
        Credentials v1 = CapabilityRules.capset(r, Capability.VERSION_1, 0, 8,
                CapabilityRules.encode(new CapabilityRules.CapSets(FULL, FULL, 0), 1));
        assertEquals(0xFFFFFFFFL, v1.capPermitted());
        // ambient keeps only bits in new permitted and inheritable
        Credentials a = r.withCaps(NET | SETUID, FULL, FULL, FULL, NET | SETUID);
        assertEquals(NET, CapabilityRules.capset(a, new CapabilityRules.CapSets(0, FULL, NET)).capAmbient());
    }

    @Test
    void boundingSet() throws Exception {
        assertEquals(1, CapabilityRules.capbsetRead(fx.user(1000), Capability.CAP_SYS_ADMIN));
        fails(Errno.EINVAL, () -> CapabilityRules.capbsetRead(fx.root(), 41));
        fails(Errno.EPERM, () -> CapabilityRules.capbsetDrop(fx.user(1000), 99), "EPERM before EINVAL");
        fails(Errno.EINVAL, () -> CapabilityRules.capbsetDrop(fx.root(), 99));
        Credentials d = CapabilityRules.capbsetDrop(fx.root(), Capability.CAP_NET_ADMIN);
        assertEquals(0, CapabilityRules.capbsetRead(d, Capability.CAP_NET_ADMIN));
    }

    @Test
    void securebits() throws Exception {
        Credentials r = fx.root();
        int lockAll = Capability.SECBIT_KEEP_CAPS_LOCKED | Capability.SECBIT_NOROOT | Capability.SECBIT_NOROOT_LOCKED;
        Credentials l = CapabilityRules.setSecurebits(r, lockAll);
        assertEquals(lockAll, CapabilityRules.getSecurebits(l));
        fails(Errno.EPERM, () -> CapabilityRules.setSecurebits(l, lockAll & ~Capability.SECBIT_NOROOT));
        fails(Errno.EPERM, () -> CapabilityRules.setSecurebits(l, Capability.SECBIT_NOROOT
                | Capability.SECBIT_KEEP_CAPS_LOCKED), "unlocking");
        fails(Errno.EPERM, () -> CapabilityRules.setSecurebits(r, 1 << 20), "unknown bit");
        fails(Errno.EPERM, () -> CapabilityRules.setKeepcaps(l, 1));
        fails(Errno.EINVAL, () -> CapabilityRules.setKeepcaps(r, 2));
        Credentials k = CapabilityRules.setKeepcaps(r, 1);
        assertEquals(1, CapabilityRules.getKeepcaps(k));
        assertEquals(Capability.SECBIT_KEEP_CAPS, k.securebits());
        // without CAP_SETPCAP: only the exec bits, and only as a change (probed on 6.18)
        Credentials u = fx.user(1000);
        Credentials e = CapabilityRules.setSecurebits(u, Securebits.SECBIT_EXEC_RESTRICT_FILE);
        assertEquals(Securebits.SECBIT_EXEC_RESTRICT_FILE, e.securebits());
        fails(Errno.EPERM, () -> CapabilityRules.setSecurebits(e, Securebits.SECBIT_EXEC_RESTRICT_FILE));
        fails(Errno.EPERM, () -> CapabilityRules.setSecurebits(e, Securebits.SECBIT_EXEC_RESTRICT_FILE
                | Capability.SECBIT_KEEP_CAPS));
        fails(Errno.EPERM, () -> CapabilityRules.setSecurebits(u, 0), "no change without CAP_SETPCAP");
    }

    @Test
    void ambient() throws Exception {
        Credentials c = fx.root().withCaps(NET, FULL, FULL, FULL, 0);
        var r = CapabilityRules.capAmbient(c, Prctl.PR_CAP_AMBIENT_RAISE, Capability.CAP_NET_ADMIN, 0, 0);
        assertEquals(NET, r.cred().capAmbient());
        assertEquals(1, CapabilityRules.capAmbient(r.cred(), Prctl.PR_CAP_AMBIENT_IS_SET, Capability.CAP_NET_ADMIN,
                0, 0).value());
        fails(Errno.EPERM, () -> CapabilityRules.capAmbient(c, Prctl.PR_CAP_AMBIENT_RAISE, Capability.CAP_SETUID, 0,
                0));
        fails(Errno.EPERM, () -> CapabilityRules.capAmbient(c.withSecurebits(Capability.SECBIT_NO_CAP_AMBIENT_RAISE),
                Prctl.PR_CAP_AMBIENT_RAISE, Capability.CAP_NET_ADMIN, 0, 0));
        fails(Errno.EINVAL, () -> CapabilityRules.capAmbient(c, Prctl.PR_CAP_AMBIENT_RAISE, 41, 0, 0));
        fails(Errno.EINVAL, () -> CapabilityRules.capAmbient(c, Prctl.PR_CAP_AMBIENT_RAISE, 12, 1, 0));
        fails(Errno.EINVAL, () -> CapabilityRules.capAmbient(c, 9, 12, 0, 0));
        fails(Errno.EINVAL, () -> CapabilityRules.capAmbient(c, Prctl.PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0));
        assertEquals(0, CapabilityRules.capAmbient(r.cred(), Prctl.PR_CAP_AMBIENT_LOWER, 12, 0, 0).cred()
                .capAmbient());
        assertEquals(0, CapabilityRules.capAmbient(r.cred(), Prctl.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0).cred()
                .capAmbient());
    }
}
