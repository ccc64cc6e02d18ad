package nsentry.nsfs;

import static nsentry.nsfs.Fx.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import nsentry.abi.Capability;
import nsentry.abi.Errno;
import org.junit.jupiter.api.Test;

class UserNamespaceRulesTest {
    final Fx fx = new Fx();

    @Test
    void creatorGetsFullCapsInTheNewNamespace() throws Exception {
        Credentials c = fx.user(1000).withGroups(List.of(Kgid.of(27))).withKeepCaps(true);
        Credentials n = UserNamespaceRules.create(c, fx.facts(), fx.reg, "t");
        UserNamespace ns = n.userNs();
        assertSame(fx.init, ns.parent());
        assertEquals(1, ns.level());
        assertEquals(Kuid.of(1000), ns.ownerUid());
        assertEquals(Kgid.of(1000), ns.ownerGid());
        assertEquals(Capability.FULL_SET, n.capPermitted());
        assertEquals(Capability.FULL_SET, n.capEffective());
        assertEquals(Capability.FULL_SET, n.capBounding());
        assertEquals(0, n.capInheritable());
        assertEquals(0, n.capAmbient());
        assertEquals(0, n.securebits());
        assertFalse(n.keepCaps());
        assertEquals(c.uid(), n.uid());
        assertEquals(List.of(Kgid.of(27)), n.groups());
        assertFalse(ns.parentCouldSetfcap(), "uid 1000 had no CAP_SETFCAP");
        assertTrue(ns.uidMap().isEmpty());
        assertTrue(ns.setgroupsAllowed());
        assertEquals(65534, ns.fromKuidMunged(n.uid()), "no map yet: overflow uid");
        assertTrue(UserNamespaceRules.create(fx.root(), fx.facts(), fx.reg, "t").userNs().parentCouldSetfcap());
    }

    @Test
    void level33IsTheDeepest() throws Exception {
        Credentials c = fx.root();
        for (int i = 1; i <= 33; i++) {
            c = UserNamespaceRules.create(c, fx.facts(), fx.reg, "t");
            Fx.map(c.userNs(), true, 0, 0, 1);
            Fx.map(c.userNs(), false, 0, 0, 1);
            assertEquals(i, c.userNs().level());
        }
        Credentials deepest = c;
        var ex = fails(Errno.ENOSPC, () -> UserNamespaceRules.create(deepest, fx.facts(), fx.reg, "t"));
        assertEquals("create_user_ns", ex.rule());
    }

    @Test
    void limitsArePerNamespaceAndEuidAtEveryAncestor() throws Exception {
        fx.init.setMaxNamespaces(NsType.USER, 2);
        Credentials a = UserNamespaceRules.create(fx.user(1000), fx.facts(), fx.reg, "t");
        UserNamespaceRules.create(fx.user(1000), fx.facts(), fx.reg, "t");
        fails(Errno.ENOSPC, () -> UserNamespaceRules.create(fx.user(1000), fx.facts(), fx.reg, "t"));
        UserNamespaceRules.create(fx.user(1001), fx.facts(), fx.reg, "t"); // other euid: own count
        assertEquals(2, fx.init.namespaceCount(NsType.USER, Kuid.of(1000)));
        // nested creation is charged to 1000 in init as well: already at 2
        Fx.map(a.userNs(), true, 0, 1000, 1);
        Fx.map(a.userNs(), false, 0, 1000, 1);
        fails(Errno.ENOSPC, () -> UserNamespaceRules.create(a, fx.facts(), fx.reg, "t"));
        assertEquals(0, a.userNs().namespaceCount(NsType.USER, Kuid.of(1000)), "partial charge undone");
        fx.init.setMaxNamespaces(NsType.USER, 3);
        Credentials nested = UserNamespaceRules.create(a, fx.facts(), fx.reg, "t");
        assertEquals(1, a.userNs().namespaceCount(NsType.USER, Kuid.of(1000)));
        assertEquals(3, fx.init.namespaceCount(NsType.USER, Kuid.of(1000)));
        // the limit of the intermediate namespace applies too
        a.userNs().setMaxNamespaces(NsType.USER, 0);
        fails(Errno.ENOSPC, () -> UserNamespaceRules.create(nested.withUserNs(a.userNs()), fx.facts(), fx.reg, "t"));
    }

    @Test
    void chrootedIsEpermButLimitsComeFirst() {
        TaskFacts chrooted = fx.facts().withChrooted(true);
        fails(Errno.EPERM, () -> UserNamespaceRules.create(fx.user(1000), chrooted, fx.reg, "t"));
        assertEquals(0, fx.init.namespaceCount(NsType.USER, Kuid.of(1000)), "charge returned on EPERM");
        fx.init.setMaxNamespaces(NsType.USER, 0);
        fails(Errno.ENOSPC, () -> UserNamespaceRules.create(fx.user(1000), chrooted, fx.reg, "t"));
    }

    @Test
    void unmappedEuidOrEgidIsEperm() throws Exception {
        Credentials inner = UserNamespaceRules.create(fx.user(1000), fx.facts(), fx.reg, "t");
        fails(Errno.EPERM, () -> UserNamespaceRules.create(inner, fx.facts(), fx.reg, "t"));
        Fx.map(inner.userNs(), true, 0, 1000, 1);
        var ex = fails(Errno.EPERM, () -> UserNamespaceRules.create(inner, fx.facts(), fx.reg, "t"));
        assertTrue(ex.explanation().contains("egid"), ex.explanation());
        Fx.map(inner.userNs(), false, 0, 1000, 1);
        UserNamespaceRules.create(inner, fx.facts(), fx.reg, "t");
        // chroot is checked before the mapping
        Credentials bare = UserNamespaceRules.create(fx.user(1000), fx.facts(), fx.reg, "t");
        var ex2 = fails(Errno.EPERM, () -> UserNamespaceRules.create(bare, fx.facts().withChrooted(true), fx.reg, "t"));
        assertTrue(ex2.explanation().contains("chroot"), ex2.explanation());
    }

    @Test
    void setgroupsFlagIsInherited() throws Exception {
        Credentials a = UserNamespaceRules.create(fx.user(1000), fx.facts(), fx.reg, "t");
        a.userNs().denySetgroups();
        Fx.map(a.userNs(), true, 0, 1000, 1);
        Fx.map(a.userNs(), false, 0, 1000, 1);
        Credentials b = UserNamespaceRules.create(a, fx.facts(), fx.reg, "t");
        assertFalse(b.userNs().setgroupsAllowed());
    }
}
