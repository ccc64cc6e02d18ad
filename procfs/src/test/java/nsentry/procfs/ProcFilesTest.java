package nsentry.procfs;

import static nsentry.procfs.Pfx.b;
import static nsentry.procfs.Pfx.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import nsentry.abi.Capability;
import nsentry.abi.CloneFlags;
import nsentry.abi.Errno;
import nsentry.nsfs.Credentials;
import nsentry.nsfs.Kgid;
import nsentry.nsfs.Kuid;
import nsentry.nsfs.NsType;
import nsentry.nsfs.PtraceRules;
import nsentry.nsfs.TaskFacts;
import nsentry.nsfs.TaskState;
import nsentry.nsfs.UnshareRules;
import nsentry.nsfs.UserNamespace;
import org.junit.jupiter.api.Test;

class ProcFilesTest {
    final Pfx fx = new Pfx();

    @Test
    void statusLinesAndRewrite() throws Exception {
        Credentials c = fx.user(1000).withGroups(List.of(Kgid.of(27), Kgid.of(100)));
        assertEquals("Uid:\t1000\t1000\t1000\t1000", StatusFile.uidLine(c, fx.init));
        assertEquals("Groups:\t27 100 ", StatusFile.groupsLine(c, fx.init));
        assertEquals("Groups:\t ", StatusFile.groupsLine(fx.user(1000), fx.init), "kernel's trailing space");
        assertEquals("CapBnd:\t000001ffffffffff", StatusFile.capLine("CapBnd", Capability.FULL_SET));
        TaskState t = fx.newUserNs(fx.user(1000));
        IdMapFile.write(t.userNs(), t.cred(), t.cred(), 0, b("0 1000 1"), true);
        String real = "Name:\tsh\nUmask:\t0022\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n"
                + "FDSize:\t64\nGroups:\t27 \nNStgid:\t42\nNSpid:\t42\nCapInh:\t0000000000000000\n"
                + "CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\n"
                + "CapAmb:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\n";
        String out = StatusFile.rewrite(real, t.cred(), t.userNs(),
                new StatusFile.PidLines(null, List.of(42, 1), null, null), false);
        assertEquals("Name:\tsh\nUmask:\t0022\nUid:\t0\t0\t0\t0\nGid:\t65534\t65534\t65534\t65534\n"
                + "FDSize:\t64\nGroups:\t \nNStgid:\t42\nNSpid:\t42\t1\nCapInh:\t0000000000000000\n"
                + "CapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n"
                + "CapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t2\n", out);
        // the same task seen from the parent namespace
        assertEquals("Uid:\t1000\t1000\t1000\t1000", StatusFile.uidLine(t.cred(), fx.init));
    }

    @Test
    void maxNamespacesFile() throws Exception {
        UserNamespace ns = fx.newUserNs(fx.user(1000)).userNs();
        TaskState inside = fx.newUserNs(fx.user(1000));
        fails(Errno.EACCES, () -> MaxNamespacesFile.checkOpen(fx.init, fx.user(1000), true));
        MaxNamespacesFile.checkOpen(fx.init, fx.user(1000), false);
        MaxNamespacesFile.checkOpen(inside.userNs(), inside.cred(), true);
        assertArrayEquals(b("2147483647\n"), MaxNamespacesFile.read(ns, NsType.UTS, 0, 100));
        assertArrayEquals(b("2"), MaxNamespacesFile.read(ns, NsType.UTS, 0, 1));
        assertEquals(0, MaxNamespacesFile.read(ns, NsType.UTS, 1, 100).length);
        // the kernel's answers, probed on 6.18 (write result, then value)
        assertEquals(2, MaxNamespacesFile.write(ns, NsType.UTS, 0, b("5 6")));
        assertEquals(5, ns.maxNamespaces(NsType.UTS));
        assertEquals(2, MaxNamespacesFile.write(ns, NsType.UTS, 0, b("7\n")));
        assertEquals(5, MaxNamespacesFile.write(ns, NsType.UTS, 0, b("  8  ")));
        assertEquals(8, ns.maxNamespaces(NsType.UTS));
        assertEquals(4, MaxNamespacesFile.write(ns, NsType.UTS, 0, b("0x10")));
        assertEquals(16, ns.maxNamespaces(NsType.UTS));
        assertEquals(3, MaxNamespacesFile.write(ns, NsType.UTS, 0, b("010")));
        assertEquals(8, ns.maxNamespaces(NsType.UTS));
        for (String bad : new String[] {"-1", "2147483648", "9x", "   ", "12\0", "x", "-", "99999999999999999999999"}) {
            fails(Errno.EINVAL, () -> MaxNamespacesFile.write(ns, NsType.UTS, 0, b(bad)));
        }
        assertEquals(8, ns.maxNamespaces(NsType.UTS));
        assertEquals(0, MaxNamespacesFile.write(ns, NsType.UTS, 0, b("")));
        assertEquals(1, MaxNamespacesFile.write(ns, NsType.UTS, 1, b("4")), "ignored at pos > 0");
        assertEquals(8, ns.maxNamespaces(NsType.UTS));
        assertEquals(10, MaxNamespacesFile.write(ns, NsType.UTS, 0, b("2147483647")));
        assertEquals(1, MaxNamespacesFile.write(ns, NsType.UTS, 0, b("0")));
        assertEquals(0, ns.maxNamespaces(NsType.UTS));
        assertEquals(2, MaxNamespacesFile.write(ns, NsType.UTS, 0, b("-0")));
    }

    @Test
    void nsLinks() throws Exception {
        TaskState s = fx.reg.initialTaskState(fx.user(1000));
        assertEquals("user:[4026531837]", NsLinks.readlink(s, NsEntry.USER));
        assertEquals("pid:[4026531836]", NsLinks.readlink(s, NsEntry.PID_FOR_CHILDREN));
        assertEquals("time:[4026531834]", NsLinks.readlink(s, NsEntry.TIME_FOR_CHILDREN));
        assertEquals("mnt:[4026531832]", NsLinks.readlink(s, NsEntry.MNT));
        TaskState u = UnshareRules.unshare(s, TaskFacts.simple(fx.reg.initialPidNs()),
                CloneFlags.CLONE_NEWUSER | CloneFlags.CLONE_NEWPID, fx.reg, "t");
        assertEquals("user:[" + 0xF0000000L + "]", NsLinks.readlink(u, NsEntry.USER));
        assertEquals("pid:[4026531836]", NsLinks.readlink(u, NsEntry.PID));
        assertSame(u.ns().pidForChildren(), NsLinks.target(u, NsEntry.PID_FOR_CHILDREN));
        PtraceRules.Target other = new PtraceRules.Target(fx.user(1001), true, fx.init);
        fails(Errno.EACCES, () -> NsLinks.checkAccess(fx.user(1000), false, other, NsEntry.NET));
        NsLinks.checkAccess(fx.root(), false, other, NsEntry.NET);
        NsLinks.checkAccess(fx.user(1000), true, other, NsEntry.NET);
        assertEquals(List.of("net", "uts", "ipc", "pid", "pid_for_children", "user", "mnt", "cgroup", "time",
                "time_for_children"), java.util.Arrays.stream(NsEntry.values()).map(NsEntry::fileName).toList());
    }

    @Test
    void procPaths() {
        ProcPath p = ProcPath.classify("/proc/123/ns/pid_for_children");
        assertEquals(ProcPath.Kind.NS_ENTRY, p.kind());
        assertEquals(123, p.pid());
        assertEquals(NsEntry.PID_FOR_CHILDREN, p.entry());
        ProcPath t = ProcPath.classify("/proc/123/task/456/uid_map");
        assertEquals(ProcPath.Kind.UID_MAP, t.kind());
        assertEquals(456, t.tid());
        assertEquals(456, t.effectiveTid());
        assertEquals(ProcPath.Kind.GID_MAP, ProcPath.classify("/proc/1/gid_map").kind());
        assertEquals(ProcPath.Kind.SETGROUPS, ProcPath.classify("/proc/1/setgroups").kind());
        assertEquals(ProcPath.Kind.STATUS, ProcPath.classify("/proc/77/task/78/status").kind());
        assertEquals(ProcPath.Kind.NS_DIR, ProcPath.classify("/proc/77/ns").kind());
        ProcPath m = ProcPath.classify("/proc/sys/user/max_cgroup_namespaces");
        assertEquals(ProcPath.Kind.MAX_NAMESPACES, m.kind());
        assertEquals(NsType.CGROUP, m.limitType());
        assertEquals(ProcPath.Kind.HOSTNAME, ProcPath.classify("/proc/sys/kernel/hostname").kind());
        assertEquals(ProcPath.Kind.DOMAINNAME, ProcPath.classify("/proc/sys/kernel/domainname").kind());
        for (String no : new String[] {"/proc", "/proc/", "/proc/self/ns/net", "/proc/12/ns/bogus", "/proc/12/uid_mapx",
            "/proc/12/task/ns/net", "/proc/0/status", "/proc/12/", "/proc/sys/user/max_foo_namespaces",
            "/proc/sys/user/max_user_namespacesx", "/proc/sys/kernel/hostnamex", "/etc/passwd", "/proc/12/ns/",
            "/proc/99999999999/status", "/proc/12a/status", "/proc/12/task/13", "/proc/12/net/dev"}) {
            assertSame(ProcPath.NOT_EMULATED, ProcPath.classify(no), no);
        }
        assertNull(ProcPath.NOT_EMULATED.entry());
    }

    @Test
    void procDac() throws Exception {
        Credentials task = fx.user(1000);
        ProcDac.Owner o = ProcDac.taskFileOwner(task, true, fx.init);
        assertEquals(Kuid.of(1000), o.uid());
        ProcDac.checkOpen(fx.user(1000), o, 0644, false, true);
        fails(Errno.EACCES, () -> ProcDac.checkOpen(fx.user(1001), o, 0644, false, true));
        ProcDac.checkOpen(fx.user(1001), o, 0644, true, false);
        ProcDac.checkOpen(fx.root(), o, 0644, false, true);
        ProcDac.Owner nd = ProcDac.taskFileOwner(task, false, fx.init);
        assertEquals(Kuid.ROOT, nd.uid());
        fails(Errno.EACCES, () -> ProcDac.checkOpen(fx.user(1000), nd, 0644, false, true));
    }
}
