package nsentry.nsfs;

import static nsentry.abi.CloneFlags.CLONE_CLEAR_SIGHAND;
import static nsentry.abi.CloneFlags.CLONE_DETACHED;
import static nsentry.abi.CloneFlags.CLONE_FS;
import static nsentry.abi.CloneFlags.CLONE_INTO_CGROUP;
import static nsentry.abi.CloneFlags.CLONE_NEWCGROUP;
import static nsentry.abi.CloneFlags.CLONE_NEWIPC;
import static nsentry.abi.CloneFlags.CLONE_NEWNET;
import static nsentry.abi.CloneFlags.CLONE_NEWNS;
import static nsentry.abi.CloneFlags.CLONE_NEWPID;
import static nsentry.abi.CloneFlags.CLONE_NEWTIME;
import static nsentry.abi.CloneFlags.CLONE_NEWUSER;
import static nsentry.abi.CloneFlags.CLONE_NEWUTS;
import static nsentry.abi.CloneFlags.CLONE_PARENT;
import static nsentry.abi.CloneFlags.CLONE_PARENT_SETTID;
import static nsentry.abi.CloneFlags.CLONE_PIDFD;
import static nsentry.abi.CloneFlags.CLONE_SIGHAND;
import static nsentry.abi.CloneFlags.CLONE_SYSVSEM;
import static nsentry.abi.CloneFlags.CLONE_THREAD;
import static nsentry.abi.CloneFlags.CLONE_VFORK;
import static nsentry.abi.CloneFlags.CLONE_VM;
import static nsentry.nsfs.Fx.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import nsentry.abi.Capability;
import nsentry.abi.Errno;
import nsentry.abi.Signals;
import org.junit.jupiter.api.Test;

class CloneRulesTest {
    final Fx fx = new Fx();
    final TaskState user = fx.state(fx.user(1000));
    final TaskState root = fx.state(fx.root());

    TaskState child(TaskState p, TaskFacts f, long flags) throws Exception {
        return CloneRules.child(p, f, flags, true, fx.reg, "t");
    }

    @Test
    void flagValidationOrder() {
        TaskFacts f = fx.facts();
        fails(Errno.EINVAL, () -> child(user, f, CLONE_NEWNS | CLONE_FS));
        fails(Errno.EINVAL, () -> child(user, f, CLONE_NEWUSER | CLONE_FS));
        fails(Errno.EINVAL, () -> child(user, f, CLONE_THREAD));
        fails(Errno.EINVAL, () -> child(user, f, CLONE_SIGHAND));
        fails(Errno.EINVAL, () -> child(user, f.withPidNsInit(true), CLONE_PARENT));
        fails(Errno.EINVAL, () -> child(user, f, CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_NEWUSER));
        fails(Errno.EINVAL, () -> child(user, f, CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_NEWPID));
        fails(Errno.EINVAL, () -> child(user, f, CLONE_PIDFD | CLONE_DETACHED));
        fails(Errno.EINVAL, () -> CloneRules.child(user, f, CLONE_PIDFD | CLONE_PARENT_SETTID, false, fx.reg, "t"));
        // EINVAL flag checks come before create_user_ns errors
        fails(Errno.EINVAL, () -> child(user, f.withChrooted(true), CLONE_NEWUSER | CLONE_FS));
        fails(Errno.EPERM, () -> child(user, f.withChrooted(true), CLONE_NEWUSER));
    }

    @Test
    void unprivilegedCloneNewNsAloneIsEperm() throws Exception {
        var ex = fails(Errno.EPERM, () -> child(user, fx.facts(), CLONE_NEWNS));
        assertEquals("copy_namespaces", ex.rule());
        TaskState c = child(user, fx.facts(), CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID
                | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWCGROUP);
        assertEquals(1, c.userNs().level());
        assertEquals(Capability.FULL_SET, c.cred().capEffective());
        assertSame(c.ns().pidForChildren(), c.activePidNs(), "the child is in the new pid ns");
        assertEquals(1, c.activePidNs().level());
        assertSame(c.userNs(), c.ns().net().owner());
        assertEquals(0, user.cred().capEffective(), "parent unchanged");
    }

    @Test
    void newIpcWithSysvsemIsEinvalAfterThePermissionCheck() throws Exception {
        fails(Errno.EPERM, () -> child(user, fx.facts(), CLONE_NEWIPC | CLONE_SYSVSEM));
        int live = fx.reg.liveCount();
        fails(Errno.EINVAL, () -> child(user, fx.facts(), CLONE_NEWUSER | CLONE_NEWIPC | CLONE_SYSVSEM));
        assertEquals(live, fx.reg.liveCount(), "new user ns discarded");
    }

    @Test
    void threadsAndVmAfterUnsharingPidOrTime() throws Exception {
        TaskState p = UnshareRules.unshare(root, fx.facts(), CLONE_NEWPID, fx.reg, "t");
        fails(Errno.EINVAL, () -> child(p, fx.facts(), CLONE_THREAD | CLONE_SIGHAND | CLONE_VM));
        TaskState c = child(p, fx.facts(), 0);
        assertSame(p.ns().pidForChildren(), c.activePidNs());
        TaskState t = UnshareRules.unshare(root, fx.facts(), CLONE_NEWTIME, fx.reg, "t");
        fails(Errno.EINVAL, () -> child(t, fx.facts(), CLONE_VM));
        TaskState vforked = child(t, fx.facts(), CLONE_VM | CLONE_VFORK);
        assertSame(t.ns().time(), vforked.ns().time(), "vfork child switches only at exec");
        assertSame(t.ns().timeForChildren(), ExecRules.namespacesAfterExec(vforked.ns()).time());
        TaskState forked = child(t, fx.facts(), 0);
        assertSame(t.ns().timeForChildren(), forked.ns().time());
    }

    @Test
    void plainForkSharesEverything() throws Exception {
        TaskState c = child(user, fx.facts(), 0);
        assertSame(user.ns(), c.ns());
        assertSame(user.cred(), c.cred());
        assertSame(user.activePidNs(), c.activePidNs());
    }

    static byte[] args(long flags, long exitSignal, int size) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, flags);
        b.putLong(32, exitSignal);
        return b.array();
    }

    @Test
    void clone3Args() throws Exception {
        fails(Errno.EINVAL, () -> CloneRules.validateClone3Args(63, new byte[63]));
        fails(Errno.E2BIG, () -> CloneRules.validateClone3Args(4097, new byte[4097]));
        assertEquals(CLONE_NEWTIME, CloneRules.validateClone3Args(64, args(CLONE_NEWTIME, 0, 64)).flags());
        byte[] big = args(0, Signals.SIGCHLD, 200);
        assertEquals(Signals.SIGCHLD, CloneRules.validateClone3Args(200, big).exitSignal());
        big[150] = 1;
        fails(Errno.E2BIG, () -> CloneRules.validateClone3Args(200, big));
        fails(Errno.EINVAL, () -> CloneRules.validateClone3Args(88, args(Signals.SIGCHLD, 0, 88)));
        fails(Errno.EINVAL, () -> CloneRules.validateClone3Args(88, args(CLONE_DETACHED, 0, 88)));
        fails(Errno.EINVAL, () -> CloneRules.validateClone3Args(88, args(1L << 40, 0, 88)));
        fails(Errno.EINVAL, () -> CloneRules.validateClone3Args(88, args(0, 65, 88)));
        fails(Errno.EINVAL, () -> CloneRules.validateClone3Args(88, args(0, 1L << 32, 88)));
        fails(Errno.EINVAL, () -> CloneRules.validateClone3Args(88,
                args(CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, Signals.SIGCHLD, 88)));
        fails(Errno.EINVAL, () -> CloneRules.validateClone3Args(88, args(CLONE_SIGHAND | CLONE_CLEAR_SIGHAND, 0, 88)));
        fails(Errno.EINVAL, () -> CloneRules.validateClone3Args(80, args(CLONE_INTO_CGROUP, 0, 80)));
        byte[] tid = args(0, 0, 88);
        ByteBuffer.wrap(tid).order(ByteOrder.LITTLE_ENDIAN).putLong(72, 33).putLong(64, 0x1000);
        fails(Errno.EINVAL, () -> CloneRules.validateClone3Args(88, tid));
        byte[] tidNull = args(0, 0, 88);
        ByteBuffer.wrap(tidNull).order(ByteOrder.LITTLE_ENDIAN).putLong(72, 1);
        fails(Errno.EINVAL, () -> CloneRules.validateClone3Args(88, tidNull));
        byte[] stack = args(0, 0, 88);
        ByteBuffer.wrap(stack).order(ByteOrder.LITTLE_ENDIAN).putLong(40, 0x10000);
        fails(Errno.EINVAL, () -> CloneRules.validateClone3Args(88, stack));
        byte[] pidfd = args(CLONE_PIDFD | CLONE_PARENT_SETTID, 0, 88);
        fails(Errno.EINVAL, () -> CloneRules.validateClone3Args(88, pidfd));
        ByteBuffer.wrap(pidfd).order(ByteOrder.LITTLE_ENDIAN).putLong(8, 0x1000).putLong(24, 0x2000);
        CloneRules.validateClone3Args(88, pidfd);
    }

    @Test
    void legacyCloneCannotAskForNewTime() {
        assertEquals(CLONE_NEWUSER, CloneRules.legacyFlags(CLONE_NEWUSER | Signals.SIGCHLD));
        assertEquals(0, CloneRules.legacyFlags(CLONE_NEWTIME) & CLONE_NEWTIME);
        assertEquals(CLONE_NEWNET, CloneRules.legacyFlags(CLONE_NEWNET | (1L << 40)));
    }

    @Test
    void childOfRootGetsNewNamespacesOwnedByInit() throws Exception {
        TaskState c = child(root, fx.facts(), CLONE_NEWNET | CLONE_NEWNS);
        assertSame(fx.init, c.ns().net().owner());
        assertNotSame(root.ns().net(), c.ns().net());
        assertSame(root.cred(), c.cred());
    }
}
