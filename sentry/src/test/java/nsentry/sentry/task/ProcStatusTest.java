package nsentry.sentry.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import nsentry.abi.CloneFlags;
import nsentry.nsfs.Credentials;
import nsentry.nsfs.IdMap;
import nsentry.nsfs.InodeSource;
import nsentry.nsfs.Kgid;
import nsentry.nsfs.Kuid;
import nsentry.nsfs.NamespaceRegistry;
import nsentry.nsfs.TaskFacts;
import nsentry.nsfs.TaskState;
import nsentry.nsfs.UnshareRules;

class ProcStatusTest {

    @Test
    void parsesTheFieldsTheTaskTableNeeds() {
        ProcStatus s = ProcStatus.parse("Name:\tpodman\nUmask:\t0022\nState:\tZ (zombie)\nTgid:\t42\nNgid:\t0\n"
                + "Pid:\t43\nPPid:\t7\nThreads:\t5\n");
        assertEquals("podman", s.name());
        assertEquals(42, s.tgid());
        assertEquals(7, s.ppid());
        assertEquals(5, s.threads());
        assertTrue(s.isZombie());
        assertFalse(ProcStatus.parse("State:\tS (sleeping)\n").isZombie());
    }

    @Test
    void aForkedChildLivesInThePidAndTimeNamespacesForChildren() throws Exception {
        NamespaceRegistry reg = new NamespaceRegistry(InodeSource.counter(0xF0000000L),
                NamespaceRegistry.InitialInodes.linuxDefaults(), "host", "(none)", IdMap.IDENTITY);
        TaskState root = reg.initialTaskState(Credentials.of(Kuid.ROOT, Kgid.ROOT, List.of(), reg.initialUserNs()));
        assertSame(root, TaskTable.forkedChild(root), "nothing pending: the child inherits the same state");
        TaskState unshared = UnshareRules.unshare(root, TaskFacts.simple(root.activePidNs()),
                CloneFlags.CLONE_NEWPID | CloneFlags.CLONE_NEWTIME, reg, "test");
        assertSame(root.activePidNs(), unshared.activePidNs(), "unshare(NEWPID) moves only the children");
        TaskState child = TaskTable.forkedChild(unshared);
        assertSame(unshared.ns().pidForChildren(), child.activePidNs());
        assertSame(unshared.ns().timeForChildren(), child.ns().time());
    }
}
