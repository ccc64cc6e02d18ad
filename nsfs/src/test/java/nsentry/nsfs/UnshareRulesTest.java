package nsentry.nsfs;

import static nsentry.abi.CloneFlags.CLONE_FILES;
import static nsentry.abi.CloneFlags.CLONE_FS;
import static nsentry.abi.CloneFlags.CLONE_NEWCGROUP;
import static nsentry.abi.CloneFlags.CLONE_NEWIPC;
import static nsentry.abi.CloneFlags.CLONE_NEWNET;
import static nsentry.abi.CloneFlags.CLONE_NEWNS;
import static nsentry.abi.CloneFlags.CLONE_NEWPID;
import static nsentry.abi.CloneFlags.CLONE_NEWTIME;
import static nsentry.abi.CloneFlags.CLONE_NEWUSER;
import static nsentry.abi.CloneFlags.CLONE_NEWUTS;
import static nsentry.abi.CloneFlags.CLONE_PARENT;
import static nsentry.abi.CloneFlags.CLONE_SIGHAND;
import static nsentry.abi.CloneFlags.CLONE_THREAD;
import static nsentry.abi.CloneFlags.CLONE_VFORK;
import static nsentry.abi.CloneFlags.CLONE_VM;
import static nsentry.nsfs.Fx.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import nsentry.abi.Capability;
import nsentry.abi.Errno;
import org.junit.jupiter.api.Test;

class UnshareRulesTest {
    final Fx fx = new Fx();
    final TaskState user = fx.state(fx.user(1000));
    final TaskState root = fx.state(fx.root());

    @Test
    void impliedFlags() {
        assertEquals(CLONE_NEWUSER | CLONE_THREAD | CLONE_FS, UnshareRules.impliedFlags(CLONE_NEWUSER));
        assertEquals(CLONE_VM | CLONE_SIGHAND | CLONE_THREAD, UnshareRules.impliedFlags(CLONE_VM));
        assertEquals(CLONE_NEWNS | CLONE_FS, UnshareRules.impliedFlags(CLONE_NEWNS));
        assertEquals(CLONE_NEWPID, UnshareRules.impliedFlags(CLONE_NEWPID), "NEWPID implies nothing since 3.12");
    }

    @Test
    void invalidFlagsAreEinvalBeforeAnythingElse() {
        fails(Errno.EINVAL, () -> UnshareRules.unshare(user, fx.facts(), CLONE_PARENT | CLONE_NEWNET, fx.reg, "t"));
        fails(Errno.EINVAL, () -> UnshareRules.unshare(user, fx.facts(), CLONE_VFORK, fx.reg, "t"));
        fails(Errno.EINVAL, () -> UnshareRules.unshare(user, fx.facts(), 1L << 40, fx.reg, "t"));
        // EINVAL for threads comes before EPERM and before user-ns errors
        TaskFacts threads = fx.facts().withThreads(3);
        var ex = fails(Errno.EINVAL, () -> UnshareRules.unshare(user, threads, CLONE_NEWUSER, fx.reg, "t"));
        assertTrue(ex.explanation().contains("3 threads"), ex.explanation());
        fails(Errno.EINVAL, () -> UnshareRules.unshare(user, threads.withChrooted(true), CLONE_NEWUSER, fx.reg, "t"));
        fails(Errno.EINVAL, () -> UnshareRules.unshare(user, fx.facts().withSighandShared(true), CLONE_SIGHAND,
                fx.reg, "t"));
        fails(Errno.EINVAL, () -> UnshareRules.unshare(user, fx.facts().withVmShared(true), CLONE_VM, fx.reg, "t"));
        assertEquals(0, fx.init.namespaceCount(NsType.USER, Kuid.of(1000)));
    }

    @Test
    void multithreadedMayUnsharePidNsTime() throws Exception {
        TaskFacts threads = fx.facts().withThreads(4).withFsShared(true);
        TaskState s = UnshareRules.unshare(root, threads, CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWTIME, fx.reg, "t");
        assertNotSame(root.ns().mnt(), s.ns().mnt());
        // a shared fs_struct is copied, not refused
        UnshareRules.unshare(user, fx.facts().withFsShared(true), CLONE_NEWUSER | CLONE_NEWNS, fx.reg, "t");
        UnshareRules.unshare(root, threads, CLONE_FILES, fx.reg, "t");
    }

    @Test
    void unprivilegedNeedsNewUser() throws Exception {
        var ex = fails(Errno.EPERM, () -> UnshareRules.unshare(user, fx.facts(), CLONE_NEWNET, fx.reg, "t"));
        assertEquals("unshare_nsproxy_namespaces", ex.rule());
        TaskState s = UnshareRules.unshare(user, fx.facts(), CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS
                | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP | CLONE_NEWPID | CLONE_NEWTIME, fx.reg, "t");
        UserNamespace u = s.userNs();
        assertEquals(1, u.level());
        for (NsType t : new NsType[] {NsType.MNT, NsType.UTS, NsType.IPC, NsType.NET, NsType.CGROUP}) {
            assertSame(u, s.ns().get(t).owner(), t + " owned by the new user ns");
            assertNotSame(root.ns().get(t), s.ns().get(t));
            assertEquals(1, fx.init.namespaceCount(t, Kuid.of(1000)), "charged up the chain: " + t);
        }
        assertSame(u, s.ns().pidForChildren().owner());
        assertEquals(Capability.FULL_SET, s.cred().capEffective());
        assertEquals("host", s.ns().uts().hostname(), "uts names copied");
    }

    @Test
    void newPidAndNewTimeAffectOnlyChildren() throws Exception {
        TaskState s = UnshareRules.unshare(root, fx.facts(), CLONE_NEWPID | CLONE_NEWTIME, fx.reg, "t");
        assertSame(root.activePidNs(), s.activePidNs());
        assertNotSame(root.ns().pidForChildren(), s.ns().pidForChildren());
        assertEquals(1, s.ns().pidForChildren().level());
        assertSame(root.ns().time(), s.ns().time());
        assertNotSame(root.ns().timeForChildren(), s.ns().timeForChildren());
        // a second unshare(NEWPID) before forking is EINVAL
        var ex = fails(Errno.EINVAL, () -> UnshareRules.unshare(s, fx.facts(), CLONE_NEWPID, fx.reg, "t"));
        assertEquals("copy_pid_ns", ex.rule());
    }

    @Test
    void failureDiscardsEverythingCreated() throws Exception {
        int live = fx.reg.liveCount();
        fx.init.setMaxNamespaces(NsType.NET, 0);
        fails(Errno.ENOSPC, () -> UnshareRules.unshare(user, fx.facts(), CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET,
                fx.reg, "t"));
        assertEquals(live, fx.reg.liveCount());
        assertEquals(0, fx.init.namespaceCount(NsType.USER, Kuid.of(1000)));
        assertEquals(0, fx.init.namespaceCount(NsType.MNT, Kuid.of(1000)));
        fails(Errno.EPERM, () -> UnshareRules.unshare(user, fx.facts(), CLONE_NEWUTS, fx.reg, "t"));
        assertEquals(live, fx.reg.liveCount());
    }

    @Test
    void limitOfTheNewNamespaceAndItsAncestors() throws Exception {
        TaskState s = fx.unshare(user, CLONE_NEWUSER);
        s.userNs().setMaxNamespaces(NsType.UTS, 1);
        TaskState a = UnshareRules.unshare(s, fx.facts(), CLONE_NEWUTS, fx.reg, "t");
        fails(Errno.ENOSPC, () -> UnshareRules.unshare(s, fx.facts(), CLONE_NEWUTS, fx.reg, "t"));
        fx.reg.retain(a);
        fx.reg.release(a);
        UnshareRules.unshare(s, fx.facts(), CLONE_NEWUTS, fx.reg, "t");
    }

    @Test
    void pidNamespaceNesting() throws Exception {
        TaskState s = root;
        for (int i = 1; i <= 32; i++) {
            TaskState u = UnshareRules.unshare(s, fx.facts(), CLONE_NEWPID, fx.reg, "t");
            // "fork" into it
            s = new TaskState(u.cred(), u.ns(), u.ns().pidForChildren());
            assertEquals(i, s.activePidNs().level());
        }
        TaskState deepest = s;
        fails(Errno.ENOSPC, () -> UnshareRules.unshare(deepest, fx.facts(), CLONE_NEWPID, fx.reg, "t"));
    }

    @Test
    void pidNamespaceOwnerMustBeAnAncestorOfTheNewUserNs() throws Exception {
        // task in pid ns owned by userns A joins sibling userns B (privileged from init), then unshares NEWPID
        TaskState a = fx.unshare(user, CLONE_NEWUSER | CLONE_NEWPID);
        TaskState inA = new TaskState(a.cred(), a.ns(), a.ns().pidForChildren());
        TaskState b = fx.unshare(user, CLONE_NEWUSER);
        TaskState joined = SetnsRules.setnsFd(new TaskState(fx.root(), inA.ns(), inA.activePidNs()), fx.facts(),
                b.userNs(), 0);
        fails(Errno.EINVAL, () -> UnshareRules.unshare(joined, fx.facts(), CLONE_NEWPID, fx.reg, "t"));
    }
}
