package nsentry.nsfs;

import static nsentry.nsfs.Fx.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.charset.StandardCharsets;
import nsentry.abi.CloneFlags;
import nsentry.abi.Errno;
import nsentry.abi.Nsfs;
import org.junit.jupiter.api.Test;

class NsIoctlsAndUtsTest {
    final Fx fx = new Fx();
    final TaskState user = fx.state(fx.user(1000));
    final TaskState root = fx.state(fx.root());

    @Test
    void getUsernsAndParent() throws Exception {
        TaskState a = fx.unshare(user, CloneFlags.CLONE_NEWUSER | CloneFlags.CLONE_NEWNET);
        // from outside: the owner of the new net ns is a descendant of ours
        assertSame(a.userNs(), ((NsIoctls.FdResult) NsIoctls.ioctl(user, a.ns().net(), Nsfs.NS_GET_USERNS)).ns());
        assertSame(fx.init, NsIoctls.getUserns(user.cred(), a.userNs()));
        // from inside: the parent of our own user ns is outside → EPERM
        fails(Errno.EPERM, () -> NsIoctls.getUserns(a.cred(), a.userNs()));
        fails(Errno.EPERM, () -> NsIoctls.getUserns(a.cred(), root.ns().net()));
        fails(Errno.EPERM, () -> NsIoctls.getUserns(root.cred(), fx.init));
        assertSame(fx.init, NsIoctls.getParent(user, a.userNs()));
        fails(Errno.EINVAL, () -> NsIoctls.getParent(user, a.ns().net()));
        // pid parent
        TaskState p = UnshareRules.unshare(root, fx.facts(), CloneFlags.CLONE_NEWPID, fx.reg, "t");
        PidNamespace child = p.ns().pidForChildren();
        assertSame(root.activePidNs(), NsIoctls.getParent(root, child));
        fails(Errno.EPERM, () -> NsIoctls.getParent(root, root.activePidNs()));
        TaskState inChild = new TaskState(root.cred(), root.ns(), child);
        fails(Errno.EPERM, () -> NsIoctls.getParent(inChild, child));
    }

    @Test
    void nstypeOwnerUidAndUnknown() throws Exception {
        TaskState a = fx.unshare(user, CloneFlags.CLONE_NEWUSER);
        assertEquals(CloneFlags.CLONE_NEWNET,
                ((NsIoctls.ValueResult) NsIoctls.ioctl(user, root.ns().net(), Nsfs.NS_GET_NSTYPE)).value());
        assertEquals(1000, ((NsIoctls.OwnerUidResult) NsIoctls.ioctl(user, a.userNs(), Nsfs.NS_GET_OWNER_UID)).uid());
        assertEquals(65534, NsIoctls.getOwnerUid(a.cred(), a.userNs()), "unmapped inside");
        assertEquals(0, NsIoctls.getOwnerUid(root.cred(), fx.init));
        fails(Errno.EINVAL, () -> NsIoctls.getOwnerUid(root.cred(), root.ns().uts()));
        fails(Errno.ENOTTY, () -> NsIoctls.ioctl(root, fx.init, 0x5401));
    }

    @Test
    void sethostnameOrder() throws Exception {
        byte[] name = "box".getBytes(StandardCharsets.US_ASCII);
        fails(Errno.EPERM, () -> UtsRules.sethostname(user, name));
        fails(Errno.EPERM, () -> UtsRules.check(user, -1, false), "EPERM before EINVAL");
        fails(Errno.EINVAL, () -> UtsRules.check(root, 65, false));
        fails(Errno.EINVAL, () -> UtsRules.check(root, -1, true));
        UtsRules.check(root, 64, false);
        TaskState a = fx.unshare(user, CloneFlags.CLONE_NEWUSER | CloneFlags.CLONE_NEWUTS);
        UtsRules.sethostname(a, name);
        assertEquals("box", a.ns().uts().hostname());
        assertEquals("host", root.ns().uts().hostname());
        assertEquals(65, a.ns().uts().utsnameNodename().length);
        UtsRules.setdomainname(a, "example".getBytes(StandardCharsets.US_ASCII));
        assertEquals("example", a.ns().uts().domainname());
        // the owner outside may also set it (owner rule); a stranger may not
        UtsRules.sethostname(new TaskState(fx.user(1000), a.ns(), a.activePidNs()), name);
        fails(Errno.EPERM, () -> UtsRules.sethostname(new TaskState(fx.user(1001), a.ns(), a.activePidNs()), name));
    }

    @Test
    void chrootAndPivotRoot() throws Exception {
        fails(Errno.EPERM, () -> ChrootRules.checkCapability(fx.user(1000)));
        ChrootRules.checkCapability(fx.root());
        TaskState a = fx.unshare(user, CloneFlags.CLONE_NEWUSER);
        ChrootRules.checkCapability(a.cred()); // inside a new user ns chroot succeeds
        ChrootRules.checkUnprivileged(fx.user(1000), true, false, true);
        fails(Errno.EPERM, () -> ChrootRules.checkUnprivileged(fx.user(1000), false, false, true));
        // pivot_root: caps over the mount ns owner, before lookups
        fails(Errno.EPERM, () -> PivotRootRules.checkCapability(a));
        TaskState m = fx.unshare(user, CloneFlags.CLONE_NEWUSER | CloneFlags.CLONE_NEWNS);
        PivotRootRules.checkCapability(m);
        var ok = new PivotRootRules.MountFacts(false, false, false, true, true, false, false, false, false, true, true,
                true, true, true, true);
        PivotRootRules.checkMounts(ok);
        fails(Errno.EINVAL, () -> PivotRootRules.checkMounts(new PivotRootRules.MountFacts(true, false, false, true,
                true, false, false, false, false, true, true, true, true, true, true)));
        fails(Errno.EBUSY, () -> PivotRootRules.checkMounts(new PivotRootRules.MountFacts(false, false, false, true,
                true, false, false, true, false, false, true, true, true, true, true)));
        fails(Errno.ENOENT, () -> PivotRootRules.checkMounts(new PivotRootRules.MountFacts(false, false, false, true,
                true, false, true, true, false, true, true, true, true, true, true)));
    }

    @Test
    void ptraceReadAccess() throws Exception {
        PtraceRules.Target t = new PtraceRules.Target(fx.user(1000), true, fx.init);
        assertEquals(true, PtraceRules.mayAccess(fx.user(1000), false, t, PtraceRules.Mode.READ_FSCREDS));
        assertEquals(false, PtraceRules.mayAccess(fx.user(1001), false, t, PtraceRules.Mode.READ_FSCREDS));
        assertEquals(true, PtraceRules.mayAccess(fx.user(1001), true, t, PtraceRules.Mode.READ_FSCREDS));
        assertEquals(true, PtraceRules.mayAccess(fx.root(), false, t, PtraceRules.Mode.READ_REALCREDS));
        // same ids but the target has more caps in the same ns
        PtraceRules.Target capped = new PtraceRules.Target(fx.user(1000).withCaps(0, 1, 1, -1L >>> 23, 0), true,
                fx.init);
        assertEquals(false, PtraceRules.mayAccess(fx.user(1000), false, capped, PtraceRules.Mode.READ_FSCREDS));
        // non-dumpable target
        PtraceRules.Target nd = new PtraceRules.Target(fx.user(1000), false, fx.init);
        assertEquals(false, PtraceRules.mayAccess(fx.user(1000), false, nd, PtraceRules.Mode.READ_FSCREDS));
        // owner of a child user ns may read its tasks' ns links
        TaskState a = fx.unshare(user, CloneFlags.CLONE_NEWUSER);
        PtraceRules.Target inner = new PtraceRules.Target(a.cred(), true, fx.init);
        assertEquals(true, PtraceRules.mayAccess(fx.user(1000), false, inner, PtraceRules.Mode.READ_FSCREDS));
    }
}
