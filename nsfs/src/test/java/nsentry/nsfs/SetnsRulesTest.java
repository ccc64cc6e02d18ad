package nsentry.nsfs;

import static nsentry.abi.CloneFlags.CLONE_NEWCGROUP;
import static nsentry.abi.CloneFlags.CLONE_NEWIPC;
import static nsentry.abi.CloneFlags.CLONE_NEWNET;
import static nsentry.abi.CloneFlags.CLONE_NEWNS;
import static nsentry.abi.CloneFlags.CLONE_NEWPID;
import static nsentry.abi.CloneFlags.CLONE_NEWTIME;
import static nsentry.abi.CloneFlags.CLONE_NEWUSER;
import static nsentry.abi.CloneFlags.CLONE_NEWUTS;
import static nsentry.nsfs.Fx.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import nsentry.abi.Capability;
import nsentry.abi.Errno;
import nsentry.abi.SyscallException;
import nsentry.nsfs.SetnsRules.PidfdTarget;
import org.junit.jupiter.api.Test;

class SetnsRulesTest {
    final Fx fx = new Fx();
    final TaskState user = fx.state(fx.user(1000));
    final TaskState root = fx.state(fx.root());
    static final long ALL = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP
            | CLONE_NEWPID | CLONE_NEWTIME;

    @Test
    void userNamespaceRestrictions() throws Exception {
        TaskState child = fx.unshare(user, CLONE_NEWUSER);
        UserNamespace target = child.userNs();
        // same namespace
        fails(Errno.EINVAL, () -> SetnsRules.setnsFd(child, fx.facts(), target, 0));
        // multithreaded
        var ex = fails(Errno.EINVAL, () -> SetnsRules.setnsFd(user, fx.facts().withThreads(3), target, 0));
        assertEquals("caller has 3 threads; joining a user namespace needs a single-threaded process",
                ex.explanation());
        // shared fs
        fails(Errno.EINVAL, () -> SetnsRules.setnsFd(user, fx.facts().withFsShared(true), target, 0));
        // no CAP_SYS_ADMIN in the target: another uid
        fails(Errno.EPERM, () -> SetnsRules.setnsFd(fx.state(fx.user(1001)), fx.facts(), target, 0));
        // the EINVALs come before EPERM
        fails(Errno.EINVAL, () -> SetnsRules.setnsFd(fx.state(fx.user(1001)), fx.facts().withThreads(2), target, 0));
        // owner joins: full caps there
        TaskState joined = SetnsRules.setnsFd(user, fx.facts(), target, (int) CLONE_NEWUSER);
        assertSame(target, joined.userNs());
        assertEquals(Capability.FULL_SET, joined.cred().capEffective());
        assertEquals(0, joined.cred().capInheritable());
        assertEquals(user.cred().uid(), joined.cred().uid());
        // cannot go back up to the parent from inside
        fails(Errno.EPERM, () -> SetnsRules.setnsFd(joined, fx.facts(), fx.init, 0));
    }

    @Test
    void nstypeMustMatch() throws Exception {
        fails(Errno.EINVAL, () -> SetnsRules.setnsFd(root, fx.facts(), root.ns().net(), (int) CLONE_NEWUTS));
        fails(Errno.EINVAL, () -> SetnsRules.setnsFd(root, fx.facts(), root.ns().net(), 0x80000000));
        SetnsRules.setnsFd(root, fx.facts(), root.ns().net(), (int) CLONE_NEWNET);
    }

    @Test
    void otherTypesNeedCapsOverOwnerAndOwnUserNs() throws Exception {
        TaskState other = fx.unshare(fx.state(fx.user(1001)), CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWUTS
                | CLONE_NEWIPC | CLONE_NEWCGROUP | CLONE_NEWNS | CLONE_NEWTIME);
        for (NsType t : new NsType[] {NsType.NET, NsType.UTS, NsType.IPC, NsType.CGROUP, NsType.MNT, NsType.TIME}) {
            Namespace ns = other.ns().get(t);
            fails(Errno.EPERM, () -> SetnsRules.setnsFd(user, fx.facts(), ns, 0));
            TaskState r = SetnsRules.setnsFd(root, fx.facts(), ns, 0);
            assertSame(ns, r.namespace(t));
        }
        // inside its own user ns the creator may join; a stranger inside a sibling may not
        TaskState mine = fx.unshare(user, CLONE_NEWUSER);
        fails(Errno.EPERM, () -> SetnsRules.setnsFd(mine, fx.facts(), other.ns().net(), 0));
        // joining the initial net ns from inside a child user ns: no caps over init
        fails(Errno.EPERM, () -> SetnsRules.setnsFd(mine, fx.facts(), root.ns().net(), 0));
    }

    @Test
    void mountNamespaceExtraRules() throws Exception {
        TaskState s = fx.unshare(user, CLONE_NEWUSER | CLONE_NEWNS);
        TaskState inside = new TaskState(s.cred(), s.ns().withMnt(root.ns().mnt()), s.activePidNs());
        fails(Errno.EINVAL, () -> SetnsRules.setnsFd(inside, fx.facts().withFsShared(true), s.ns().mnt(), 0));
        SetnsRules.setnsFd(inside, fx.facts(), s.ns().mnt(), 0);
        // no CAP_SYS_CHROOT in own user ns
        Credentials noChroot = s.cred().withEffective(s.cred().capEffective() & ~(1L << Capability.CAP_SYS_CHROOT));
        var ex = fails(Errno.EPERM, () -> SetnsRules.setnsFd(inside.withCred(noChroot), fx.facts(), s.ns().mnt(), 0));
        assertTrue(ex.explanation().contains("CAP_SYS_CHROOT"), ex.explanation());
    }

    @Test
    void pidNamespaceMustBeDescendantOfActive() throws Exception {
        TaskState a = UnshareRules.unshare(root, fx.facts(), CLONE_NEWPID, fx.reg, "t");
        PidNamespace child = a.ns().pidForChildren();
        TaskState joined = SetnsRules.setnsFd(root, fx.facts(), child, 0);
        assertSame(child, joined.ns().pidForChildren());
        assertSame(root.activePidNs(), joined.activePidNs(), "only pid_for_children changes");
        TaskState inChild = new TaskState(root.cred(), root.ns().withPidForChildren(child), child);
        var ex = fails(Errno.EINVAL, () -> SetnsRules.setnsFd(inChild, fx.facts(), root.activePidNs(), 0));
        assertEquals("pidns_install", ex.rule());
        SetnsRules.setnsFd(inChild, fx.facts(), child, 0);
    }

    @Test
    void timeNamespaceMultithreadedIsEusersBeforeEperm() throws Exception {
        TaskState a = UnshareRules.unshare(root, fx.facts(), CLONE_NEWTIME, fx.reg, "t");
        TimeNamespace t = a.ns().timeForChildren();
        fails(Errno.EUSERS, () -> SetnsRules.setnsFd(user, fx.facts().withThreads(2), t, 0));
        fails(Errno.EUSERS, () -> SetnsRules.setnsFd(user, fx.facts().withVmShared(true), t, 0));
        fails(Errno.EPERM, () -> SetnsRules.setnsFd(user, fx.facts(), t, 0));
        TaskState j = SetnsRules.setnsFd(root, fx.facts(), t, 0);
        assertSame(t, j.ns().time());
        assertSame(t, j.ns().timeForChildren());
    }

    @Test
    void pidfdFlagsAndTargetState() throws Exception {
        TaskState target = fx.unshare(user, CLONE_NEWUSER | CLONE_NEWNET);
        fails(Errno.EINVAL, () -> SetnsRules.setnsPidfd(root, fx.facts(), target, PidfdTarget.ALIVE, 0, true));
        fails(Errno.EINVAL, () -> SetnsRules.setnsPidfd(root, fx.facts(), target, PidfdTarget.ALIVE,
                (int) (CLONE_NEWNET | 0x100), true));
        fails(Errno.EINVAL, () -> SetnsRules.setnsPidfd(root, fx.facts(), target, PidfdTarget.GONE, -1, true));
        fails(Errno.ESRCH, () -> SetnsRules.setnsPidfd(root, fx.facts(), target, PidfdTarget.GONE,
                (int) CLONE_NEWNET, false));
        fails(Errno.EPERM, () -> SetnsRules.setnsPidfd(root, fx.facts(), target, PidfdTarget.EXITING,
                (int) CLONE_NEWNET, false));
        fails(Errno.ESRCH, () -> SetnsRules.setnsPidfd(root, fx.facts(), target, PidfdTarget.EXITING,
                (int) CLONE_NEWNET, true));
        TaskState j = SetnsRules.setnsPidfd(root, fx.facts(), target, PidfdTarget.ALIVE, (int) CLONE_NEWNET, true);
        assertSame(target.ns().net(), j.ns().net());
        assertSame(root.cred(), j.cred());
    }

    @Test
    void pidfdUsesPreJoinCredentials() throws Exception {
        // root joins a child that only unshared its user ns: its net ns is init's, which root
        // may join with its current creds (post-join creds would have no caps over init)
        TaskState target = fx.unshare(user, CLONE_NEWUSER);
        TaskState j = SetnsRules.setnsPidfd(root, fx.facts(), target, PidfdTarget.ALIVE,
                (int) (CLONE_NEWUSER | CLONE_NEWNET), true);
        assertSame(target.userNs(), j.userNs());
        assertSame(root.ns().net(), j.ns().net());
        // but the new user ns is also checked: an unprivileged owner joining a child's userns
        // plus a net ns owned by init fails on CAP_SYS_ADMIN over init
        fails(Errno.EPERM, () -> SetnsRules.setnsPidfd(user, fx.facts(), target, PidfdTarget.ALIVE,
                (int) (CLONE_NEWUSER | CLONE_NEWNET), true));
    }

    @Test
    void pidfdJoinsEverythingInOrderAllOrNothing() throws Exception {
        TaskState target = fx.unshare(user, ALL);
        TaskState t2 = new TaskState(target.cred(), target.ns().withTime(target.ns().timeForChildren()),
                target.ns().pidForChildren());
        TaskState j = SetnsRules.setnsPidfd(user, fx.facts(), t2, PidfdTarget.ALIVE, (int) ALL, true);
        for (NsType t : NsType.values()) {
            if (t == NsType.PID) {
                assertSame(t2.activePidNs(), j.ns().pidForChildren());
            } else {
                assertSame(t2.namespace(t), j.namespace(t), t.toString());
            }
        }
        // same user ns → EINVAL even though other types would be fine: nothing changes
        fails(Errno.EINVAL, () -> SetnsRules.setnsPidfd(t2, fx.facts(), t2, PidfdTarget.ALIVE, (int) ALL, true));
        // user ns first: a multithreaded caller fails with EINVAL before the time ns' EUSERS
        fails(Errno.EINVAL, () -> SetnsRules.setnsPidfd(user, fx.facts().withThreads(2), t2, PidfdTarget.ALIVE,
                (int) ALL, true));
        fails(Errno.EUSERS, () -> SetnsRules.setnsPidfd(root, fx.facts().withThreads(2), t2, PidfdTarget.ALIVE,
                (int) (CLONE_NEWNET | CLONE_NEWTIME), true));
        // a shared fs is only refused when NEWNS is the only flag
        fails(Errno.EINVAL, () -> SetnsRules.setnsPidfd(root, fx.facts().withFsShared(true), t2, PidfdTarget.ALIVE,
                (int) CLONE_NEWNS, true));
        SetnsRules.setnsPidfd(root, fx.facts().withFsShared(true), t2, PidfdTarget.ALIVE,
                (int) (CLONE_NEWNS | CLONE_NEWUTS), true);
    }

    /** What lets the sentry skip TaskFacts for the other types (TYPES_CONSULTING_TASK_FACTS). */
    @Test
    void typesThatDoNotConsultTaskFactsIgnoreThem() throws Exception {
        TaskFacts odd = new TaskFacts(7, true, true, true, fx.facts().activePidNs(), true, true);
        TaskState other = fx.unshare(fx.state(fx.user(1001)), CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWUTS
                | CLONE_NEWIPC | CLONE_NEWCGROUP | CLONE_NEWPID);
        TaskState mine = fx.unshare(user, CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC
                | CLONE_NEWCGROUP | CLONE_NEWPID);
        int checked = 0;
        for (NsType type : NsType.values()) {
            if ((type.cloneFlag() & SetnsRules.TYPES_CONSULTING_TASK_FACTS) != 0) {
                continue;
            }
            for (TaskState caller : new TaskState[] {user, root, mine}) {
                for (TaskState owner : new TaskState[] {root, other, mine}) {
                    Namespace ns = owner.namespace(type);
                    if (ns == null) {
                        continue;
                    }
                    Object plain = outcome(() -> SetnsRules.setnsFd(caller, fx.facts(), ns, 0));
                    Object withOdd = outcome(() -> SetnsRules.setnsFd(caller, odd, ns, 0));
                    assertEquals(plain, withOdd, type + " from " + caller + " into " + ns);
                    checked++;
                }
            }
        }
        assertTrue(checked >= 15, "checked " + checked);
    }

    private interface Join {
        TaskState run() throws SyscallException;
    }

    /** The resulting state, or the errno. */
    private static Object outcome(Join j) {
        try {
            return j.run();
        } catch (SyscallException e) {
            return e.errno();
        }
    }
}
