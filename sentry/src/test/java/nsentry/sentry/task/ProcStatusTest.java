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
import nsentry.syscall.Linux;

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
    void parsingToleratesOddLinesAndAMissingFinalNewline() {
        ProcStatus s = ProcStatus.parse("Name:\ta:b c\nno colon here\n\nTgid:\t9\nPPid:\t 3 \nThreads:\t2");
        assertEquals("a:b c", s.name()); // the first colon ends the key
        assertEquals(9, s.tgid());
        assertEquals(3, s.ppid());
        assertEquals(2, s.threads());
        assertEquals('?', ProcStatus.parse("").state());
    }

    @Test
    void readsTheRealStatusOfThisProcessAndNothingOfAGoneOne() {
        Linux linux = Linux.load();
        int self = (int) ProcessHandle.current().pid();
        ProcStatus s = ProcStatus.read(linux, self);
        assertEquals(self, s.tgid());
        assertEquals(ProcessHandle.current().parent().orElseThrow().pid(), s.ppid());
        assertTrue(s.threads() > 1);
        assertEquals(null, ProcStatus.read(linux, 999_999_999));
    }

    @Test
    void aNewThreadIsPinnedByAPidfdAndNamesItsGroupAndParent() throws Exception {
        Linux linux = Linux.load();
        int self = (int) ProcessHandle.current().pid();
        int parent = (int) ProcessHandle.current().parent().orElseThrow().pid();
        NewThread leader = NewThread.open(linux, self);
        try {
            assertEquals(self, leader.tgid());
            assertEquals(parent, leader.ppid());
        } finally {
            linux.close(leader.pidfd());
        }
        int[] tid = new int[1];
        java.util.concurrent.CountDownLatch seen = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        Thread t = new Thread(() -> {
            tid[0] = readTid();
            seen.countDown();
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        seen.await();
        NewThread thread = NewThread.open(linux, tid[0]);
        try {
            assertEquals(self, thread.tgid()); // a thread pidfd: pidfd_open(tid, 0) refuses non-leaders
            assertEquals(parent, thread.ppid());
        } finally {
            linux.close(thread.pidfd());
            done.countDown();
            t.join();
        }
        assertEquals(null, NewThread.open(linux, 999_999_999));
    }

    private static int readTid() {
        try {
            return Integer.parseInt(java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/thread-self"))
                    .getFileName().toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
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
