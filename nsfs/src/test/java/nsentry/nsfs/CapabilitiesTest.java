package nsentry.nsfs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import nsentry.abi.Capability;
import nsentry.abi.CloneFlags;
import org.junit.jupiter.api.Test;

class CapabilitiesTest {
    final Fx fx = new Fx();
    static final int ADMIN = Capability.CAP_SYS_ADMIN;

    @Test
    void ownNamespaceUsesEffectiveBit() {
        assertTrue(Capabilities.capable(fx.root(), fx.init, ADMIN));
        assertFalse(Capabilities.capable(fx.user(1000), fx.init, ADMIN));
        assertFalse(Capabilities.capable(fx.root().withEffective(0), fx.init, ADMIN));
    }

    @Test
    void ownerHasAllCapsInChildButNotAncestorsOrSiblings() throws Exception {
        TaskState a = fx.unshare(fx.state(fx.user(1000)), CloneFlags.CLONE_NEWUSER);
        UserNamespace child = a.userNs();
        Credentials outside = fx.user(1000); // same euid, no caps, in the parent
        assertTrue(Capabilities.capable(outside, child, ADMIN), "owner rule");
        assertFalse(Capabilities.capable(fx.user(1001), child, ADMIN), "other uid, no caps in parent");
        assertTrue(Capabilities.capable(fx.root(), child, ADMIN), "caps in parent reach the child");
        // inside: full caps in own ns, none in the parent
        assertTrue(Capabilities.capable(a.cred(), child, ADMIN));
        assertFalse(Capabilities.capable(a.cred(), fx.init, ADMIN));
        // grandchild created from inside is reachable from both
        Fx.map(child, true, 0, 1000, 1);
        Fx.map(child, false, 0, 1000, 1);
        TaskState g = fx.unshare(a, CloneFlags.CLONE_NEWUSER);
        assertTrue(Capabilities.capable(a.cred(), g.userNs(), ADMIN));
        assertTrue(Capabilities.capable(outside, g.userNs(), ADMIN), "owner of the intermediate ns");
        assertFalse(Capabilities.capable(fx.user(1001), g.userNs(), ADMIN));
        assertFalse(Capabilities.capable(g.cred(), child, ADMIN), "never in an ancestor");
        // sibling
        TaskState sib = fx.unshare(fx.state(fx.user(1000)), CloneFlags.CLONE_NEWUSER);
        assertFalse(Capabilities.capable(a.cred(), sib.userNs(), ADMIN), "never in a sibling");
        // owner rule only applies one level down from the credentials' ns
        Credentials rootNoCaps = fx.root().withEffective(0);
        assertFalse(Capabilities.capable(rootNoCaps, child, ADMIN));
    }

    @Test
    void ownerRuleNeedsEuidNotUid() throws Exception {
        TaskState a = fx.unshare(fx.state(fx.user(1000)), CloneFlags.CLONE_NEWUSER);
        Credentials c = fx.user(1001).withUids(Kuid.of(1000), Kuid.of(1001), Kuid.of(1000), Kuid.of(1001));
        assertFalse(Capabilities.capable(c, a.userNs(), ADMIN));
    }
}
