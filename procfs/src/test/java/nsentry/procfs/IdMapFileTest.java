package nsentry.procfs;

import static nsentry.procfs.Pfx.b;
import static nsentry.procfs.Pfx.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import nsentry.abi.Capability;
import nsentry.abi.Errno;
import nsentry.nsfs.Credentials;
import nsentry.nsfs.IdExtent;
import nsentry.nsfs.Kgid;
import nsentry.nsfs.Kuid;
import nsentry.nsfs.TaskState;
import nsentry.nsfs.UserNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdMapFileTest {
    final Pfx fx = new Pfx();

    /** A namespace created by root (privileged writer path available). */
    UserNamespace rootChild() throws Exception {
        return fx.newUserNs(fx.root()).userNs();
    }

    long writeAsRoot(UserNamespace ns, String text) throws Exception {
        return IdMapFile.write(ns, fx.root(), fx.root(), 0, b(text), true);
    }

    @Test
    void parserAcceptsKernelSyntax() throws Exception {
        assertEquals(List.of(new IdMapFile.Line(0, 1000, 1)), IdMapFile.parse(b("0 1000 1"), "uid_map"));
        assertEquals(List.of(new IdMapFile.Line(0, 1000, 1)), IdMapFile.parse(b("0 1000 1\n"), "uid_map"));
        assertEquals(List.of(new IdMapFile.Line(0, 1000, 1)), IdMapFile.parse(b("  0\t1000   1 \t\n"), "uid_map"));
        assertEquals(List.of(new IdMapFile.Line(0, 1000, 1)), IdMapFile.parse(b("0\u00a01000 1"), "uid_map"),
                "0xA0 is a space to the kernel");
        assertEquals(List.of(new IdMapFile.Line(0, 1000, 1)), IdMapFile.parse(b("0 1000 1\0garbage"), "uid_map"),
                "text ends at NUL");
        assertEquals(List.of(new IdMapFile.Line(0, 1000, 1)), IdMapFile.parse(b("4294967296 1000 1"), "uid_map"),
                "truncated to u32 like simple_strtoul into a u32 field (probed on 6.18)");
        assertEquals(List.of(new IdMapFile.Line(0, 1000, 1)),
                IdMapFile.parse(b("0 1000 18446744073709551617"), "uid_map"), "wraps mod 2^64 first");
        assertEquals(2, IdMapFile.parse(b("0 1000 1\n1 100000 65536\n"), "uid_map").size());
        assertEquals(List.of(new IdMapFile.Line(4294967294L, 1000, 1)),
                IdMapFile.parse(b("4294967294 1000 1"), "uid_map"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "\n", "0 1000 1\n\n", "\n0 1000 1", "0x0 1000 1", "+0 1000 1", "0 1000 1 x",
        "0 1000", "0 1000 1 2", "0,1000,1", "4294967295 1000 1", "0 4294967295 1", "0 1000 0",
        "4294967294 1000 2", "0 4294967294 2", "0 1000 10\n5 2000 1", "0 1000 10\n100 1005 1", "-1 1000 1",
        "0 1000 1\r\n0 2000 1"})
    void parserRejects(String text) {
        fails(Errno.EINVAL, () -> IdMapFile.parse(b(text), "uid_map"));
    }

    @Test
    void atMost340Lines() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 340; i++) {
            sb.append(i).append(' ').append(1000 + i).append(" 1\n");
        }
        assertEquals(340, IdMapFile.parse(b(sb.toString()), "uid_map").size());
        String more = sb + "340 2000 1\n";
        fails(Errno.EINVAL, () -> IdMapFile.parse(b(more), "uid_map"));
    }

    @Test
    void sizeAndPositionChecks() throws Exception {
        UserNamespace ns = rootChild();
        // 4095 bytes is fine (padded with spaces), 4096 is EINVAL
        byte[] ok = new byte[4095];
        Arrays.fill(ok, (byte) ' ');
        System.arraycopy(b("0 0 1000"), 0, ok, 0, 8);
        byte[] tooBig = new byte[4096];
        Arrays.fill(tooBig, (byte) ' ');
        System.arraycopy(b("0 0 1000"), 0, tooBig, 0, 8);
        fails(Errno.EINVAL, () -> IdMapFile.write(ns, fx.root(), fx.root(), 0, tooBig, true));
        assertEquals(4095, IdMapFile.write(ns, fx.root(), fx.root(), 0, ok, true));
        // second write on the same fd: position is now 4095 → EINVAL (before write-once EPERM)
        fails(Errno.EINVAL, () -> IdMapFile.write(ns, fx.root(), fx.root(), 4095, b("0 0 1"), true));
        // a fresh fd: write-once EPERM
        var ex = fails(Errno.EPERM, () -> writeAsRoot(ns, "0 0 1"));
        assertTrue(ex.explanation().contains("only once"), ex.explanation());
        // write-once EPERM comes before parse errors
        fails(Errno.EPERM, () -> writeAsRoot(ns, "garbage"));
        // an embedded NUL: the full count is returned
        UserNamespace ns2 = rootChild();
        assertEquals(12, IdMapFile.write(ns2, fx.root(), fx.root(), 0, b("0 0 1\0junk!\n"), true));
        assertEquals(List.of(new IdExtent(0, 0, 1)), ns2.uidMap().extents());
    }

    @Test
    void initialNamespaceAndForeignOpener() throws Exception {
        fails(Errno.EPERM, () -> IdMapFile.write(fx.init, fx.root(), fx.root(), 0, b("0 0 1"), true));
        TaskState a = fx.newUserNs(fx.user(1000));
        TaskState b = fx.newUserNs(fx.user(1000));
        // opener in a sibling namespace → EPERM even before the size check
        fails(Errno.EPERM, () -> IdMapFile.write(a.userNs(), b.cred(), b.cred(), 5, b("0 1000 1"), true));
        // grandparent opener → EPERM: create a grandchild of init via a
        IdMapFile.write(a.userNs(), a.cred(), a.cred(), 0, b("0 1000 1"), true);
        a.userNs().denySetgroups();
        IdMapFile.write(a.userNs(), a.cred(), a.cred(), 0, b("0 1000 1"), false);
        TaskState g = nsentry.nsfs.UnshareRules.unshare(a, nsentry.nsfs.TaskFacts.simple(fx.reg.initialPidNs()),
                nsentry.abi.CloneFlags.CLONE_NEWUSER, fx.reg, "t");
        fails(Errno.EPERM, () -> IdMapFile.write(g.userNs(), fx.root(), fx.root(), 0, b("0 0 1"), true));
        IdMapFile.write(g.userNs(), a.cred(), a.cred(), 0, b("0 0 1"), true);
        assertEquals(Kuid.of(1000), g.userNs().makeKuid(0), "lower ids are translated through the parent");
    }

    @Test
    void unprivilegedOneLinePath() throws Exception {
        TaskState t = fx.newUserNs(fx.user(1000));
        UserNamespace ns = t.userNs();
        Credentials outside = fx.user(1000);
        // from inside (full caps there) or outside (owner rule), one line mapping own euid
        fails(Errno.EPERM, () -> IdMapFile.write(ns, t.cred(), t.cred(), 0, b("0 1001 1"), true));
        fails(Errno.EPERM, () -> IdMapFile.write(ns, t.cred(), t.cred(), 0, b("0 1000 2"), true));
        fails(Errno.EPERM, () -> IdMapFile.write(ns, t.cred(), t.cred(), 0, b("0 1000 1\n1 1001 1"), true));
        assertEquals(8, IdMapFile.write(ns, outside, outside, 0, b("0 1000 1"), true));
        assertEquals(Kuid.of(1000), ns.makeKuid(0));
        // gid: needs setgroups "deny" first
        var ex = fails(Errno.EPERM, () -> IdMapFile.write(ns, t.cred(), t.cred(), 0, b("0 1000 1"), false));
        assertTrue(ex.explanation().contains("setgroups"), ex.explanation());
        fails(Errno.EPERM, () -> IdMapFile.write(ns, t.cred(), t.cred(), 0, b("0 1001 1"), false));
        SetgroupsFile.write(ns, 0, b("deny"));
        IdMapFile.write(ns, t.cred(), t.cred(), 0, b("0 1000 1"), false);
        assertEquals(Kgid.of(1000), ns.makeKgid(0));
        // another uid opening from the parent: not the owner, no CAP_SYS_ADMIN in the target
        TaskState u = fx.newUserNs(fx.user(1000));
        fails(Errno.EPERM, () -> IdMapFile.write(u.userNs(), fx.user(1001), fx.user(1001), 0, b("0 1001 1"), true));
    }

    @Test
    void capSysAdminInTargetIsCheckedBeforeParsing() throws Exception {
        TaskState t = fx.newUserNs(fx.user(1000));
        fails(Errno.EPERM, () -> IdMapFile.write(t.userNs(), fx.user(1001), fx.user(1001), 0, b("junk"), true));
        fails(Errno.EINVAL, () -> IdMapFile.write(t.userNs(), fx.user(1000), fx.user(1000), 0, b("junk"), true));
    }

    @Test
    void mappingParentRootNeedsSetfcap() throws Exception {
        // root created it (CAP_SETFCAP effective) → inside writer may map 0
        UserNamespace ns = rootChild();
        IdMapFile.write(ns, fx.root(), fx.root(), 0, b("0 0 1"), true);
        // created without CAP_SETFCAP in effective: writer inside cannot map 0 even with CAP_SETUID outside...
        Credentials noFcap = fx.root().withEffective(Capability.FULL_SET & ~(1L << Capability.CAP_SETFCAP));
        TaskState t = fx.newUserNs(noFcap);
        assertTrue(!t.userNs().parentCouldSetfcap());
        var ex = fails(Errno.EPERM, () -> IdMapFile.write(t.userNs(), t.cred(), fx.root(), 0, b("0 0 1"), true));
        assertEquals("verify_root_map", ex.rule());
        // lower 0 not involved: fine for a privileged opener outside without CAP_SETFCAP; an opener
        // inside has no CAP_SETUID over the parent, and "0 1 1" is not its own euid
        fails(Errno.EPERM, () -> IdMapFile.write(t.userNs(), t.cred(), fx.root(), 0, b("0 1 1"), true));
        IdMapFile.write(t.userNs(), noFcap, fx.root(), 0, b("0 1 1"), true);
        // opener outside needs CAP_SETFCAP in the parent
        UserNamespace ns2 = rootChild();
        fails(Errno.EPERM, () -> IdMapFile.write(ns2, noFcap, fx.root(), 0, b("1 5 1\n0 0 1"), true));
        IdMapFile.write(ns2, fx.root(), fx.root(), 0, b("1 5 1\n0 0 1"), true);
        // the gid map has no such rule
        IdMapFile.write(t.userNs(), noFcap, noFcap, 0, b("0 0 1"), false);
    }

    @Test
    void privilegedPathNeedsWriterAndOpener() throws Exception {
        TaskState t = fx.newUserNs(fx.user(1000));
        UserNamespace ns = t.userNs();
        String map = "0 1000 1\n1 100000 65536";
        Credentials u = fx.user(1000);
        // opened by the unprivileged owner, written by root (or vice versa): EPERM
        fails(Errno.EPERM, () -> IdMapFile.write(ns, u, fx.root(), 0, b(map), true));
        fails(Errno.EPERM, () -> IdMapFile.write(ns, fx.root(), u, 0, b(map), true));
        // both privileged (newuidmap: setuid root opens and writes)
        Credentials suidRoot = u.withUids(Kuid.of(1000), Kuid.ROOT, Kuid.ROOT, Kuid.ROOT)
                .withCaps(0, Capability.FULL_SET, Capability.FULL_SET, Capability.FULL_SET, 0);
        assertEquals(map.length(), IdMapFile.write(ns, suidRoot, suidRoot, 0, b(map), true));
        assertEquals(Kuid.of(100009), ns.makeKuid(10));
    }

    @Test
    void lowerRangeMustBeInsideOneParentExtent() throws Exception {
        TaskState a = fx.newUserNs(fx.root());
        IdMapFile.write(a.userNs(), fx.root(), fx.root(), 0, b("0 0 10\n10 100 10"), true);
        IdMapFile.write(a.userNs(), fx.root(), fx.root(), 0, b("0 0 20"), false);
        TaskState g = nsentry.nsfs.UnshareRules.unshare(a, nsentry.nsfs.TaskFacts.simple(fx.reg.initialPidNs()),
                nsentry.abi.CloneFlags.CLONE_NEWUSER, fx.reg, "t");
        var ex = fails(Errno.EPERM, () -> IdMapFile.write(g.userNs(), a.cred(), a.cred(), 0, b("0 5 10"), true));
        assertTrue(ex.explanation().contains("parent"), ex.explanation());
        fails(Errno.EPERM, () -> IdMapFile.write(g.userNs(), a.cred(), a.cred(), 0, b("0 15 10"), true));
        IdMapFile.write(g.userNs(), a.cred(), a.cred(), 0, b("0 10 10"), true);
        assertEquals(Kuid.of(100), g.userNs().makeKuid(0));
        // gid map: the parent maps 0..19
        fails(Errno.EPERM, () -> IdMapFile.write(g.userNs(), a.cred(), a.cred(), 0, b("0 0 21"), false));
    }

    @Test
    void readIsRelativeToTheReader() throws Exception {
        TaskState t = fx.newUserNs(fx.user(1000));
        UserNamespace ns = t.userNs();
        assertEquals("", IdMapFile.read(ns, fx.init, true), "fresh namespace reads empty");
        assertEquals("         0          0 4294967295\n", IdMapFile.read(fx.init, fx.init, true));
        IdMapFile.write(ns, t.cred(), t.cred(), 0, b("0 1000 1"), true);
        assertEquals("         0       1000          1\n", IdMapFile.read(ns, fx.init, true));
        assertEquals("         0       1000          1\n", IdMapFile.read(ns, ns, true), "reader inside: parent view");
        // a reader in a child of ns sees lower ids through its own (empty) map: unmapped
        SetgroupsFile.write(ns, 0, b("deny"));
        IdMapFile.write(ns, t.cred(), t.cred(), 0, b("0 1000 1"), false);
        TaskState c = nsentry.nsfs.UnshareRules.unshare(t, nsentry.nsfs.TaskFacts.simple(fx.reg.initialPidNs()),
                nsentry.abi.CloneFlags.CLONE_NEWUSER, fx.reg, "t");
        assertEquals("         0 4294967295          1\n", IdMapFile.read(ns, c.userNs(), true));
    }
}
