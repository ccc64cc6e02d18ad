package nsentry.nsfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import nsentry.abi.CloneFlags;
import nsentry.abi.Nsfs;
import org.junit.jupiter.api.Test;

class RegistryTest {
    @Test
    void initialNamespaces() {
        Fx fx = new Fx();
        assertEquals(Nsfs.PROC_USER_INIT_INO, fx.init.inode());
        assertTrue(fx.init.isInitial());
        assertEquals(0, fx.init.level());
        assertEquals(IdMap.IDENTITY, fx.init.uidMap());
        assertSame(fx.init, fx.reg.byInode(Nsfs.PROC_USER_INIT_INO).orElseThrow());
        assertEquals(Nsfs.PROC_MNT_INIT_INO, fx.reg.initialNsSet().mnt().inode());
        assertEquals("host", fx.reg.initialNsSet().uts().hostname());
        assertEquals(8, fx.reg.liveCount());
        assertEquals("mnt:[4026531832]", fx.reg.initialNsSet().mnt().linkText());
    }

    @Test
    void createAndDrop100000UserNamespacesKeepsMemoryConstant() throws Exception {
        Set<Long> released = new HashSet<>();
        long[] next = {0xF0000000L};
        NamespaceRegistry reg = new NamespaceRegistry(new InodeSource() {
            @Override
            public long allocate(NsType type) {
                return next[0]++;
            }

            @Override
            public void release(long inode) {
                assertTrue(released.add(inode), "released twice");
            }
        }, NamespaceRegistry.InitialInodes.linuxDefaults(), "h", "d", IdMap.IDENTITY);
        Credentials user = Credentials.of(Kuid.of(1000), Kgid.of(1000), java.util.List.of(), reg.initialUserNs());
        TaskState base = reg.initialTaskState(user);
        reg.retain(base);
        TaskState cur = base;
        for (int i = 0; i < 100_000; i++) {
            TaskState n = UnshareRules.unshare(base, TaskFacts.simple(reg.initialPidNs()),
                    CloneFlags.CLONE_NEWUSER | CloneFlags.CLONE_NEWNET | CloneFlags.CLONE_NEWNS, reg, "churn");
            reg.replace(cur, n);
            cur = n;
        }
        assertEquals(8 + 3, reg.liveCount());
        assertEquals(1, reg.initialUserNs().namespaceCount(NsType.USER, Kuid.of(1000)));
        assertEquals(1, reg.initialUserNs().countEntries());
        reg.replace(cur, base);
        assertEquals(8, reg.liveCount());
        assertEquals(0, reg.initialUserNs().countEntries());
        assertEquals(300_000, released.size());
        assertFalse(cur.userNs().isLive());
        assertEquals(0, reg.nurserySize());
    }

    @Test
    void ownerKeepsParentAliveAndSweepFreesOrphans() throws Exception {
        Fx fx = new Fx();
        TaskState s = fx.state(fx.user(1000));
        fx.reg.retain(s);
        TaskState u = UnshareRules.unshare(s, fx.facts(), CloneFlags.CLONE_NEWUSER | CloneFlags.CLONE_NEWUTS,
                fx.reg, "x");
        fx.reg.replace(s, u);
        UserNamespace userNs = u.userNs();
        UtsNamespace uts = u.ns().uts();
        fx.reg.retain(uts); // e.g. an open fd
        fx.reg.release(u);
        assertTrue(uts.isLive());
        assertTrue(userNs.isLive(), "kept by the uts namespace it owns");
        fx.reg.release(uts);
        assertFalse(uts.isLive());
        assertFalse(userNs.isLive());
        assertTrue(fx.reg.byInode(userNs.inode()).isEmpty());
        // a newborn never adopted is swept
        TaskState orphan = CloneRules.child(fx.state(fx.user(1000)), fx.facts(), CloneFlags.CLONE_NEWUSER, false,
                fx.reg, "x");
        assertTrue(orphan.userNs().isLive());
        assertEquals(1, fx.reg.sweep());
        assertFalse(orphan.userNs().isLive());
        assertEquals(0, fx.init.namespaceCount(NsType.USER, Kuid.of(1000)));
        assertThrows(IllegalStateException.class, () -> fx.reg.release(fx.reg.initialNsSet().net()));
    }
}
