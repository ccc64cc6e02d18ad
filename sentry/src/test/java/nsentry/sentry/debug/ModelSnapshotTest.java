package nsentry.sentry.debug;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import nsentry.abi.Capability;
import nsentry.abi.CloneFlags;
import nsentry.nsfs.Credentials;
import nsentry.nsfs.IdExtent;
import nsentry.nsfs.IdMap;
import nsentry.nsfs.InodeSource;
import nsentry.nsfs.Kgid;
import nsentry.nsfs.Kuid;
import nsentry.nsfs.NamespaceRegistry;
import nsentry.nsfs.TaskFacts;
import nsentry.nsfs.TaskState;
import nsentry.nsfs.UnshareRules;
import nsentry.nsfs.UserNamespace;
import nsentry.proto.NamespaceInfo;
import nsentry.proto.NamespaceTree;
import nsentry.proto.TaskInfo;
import nsentry.proto.TaskList;
import nsentry.sentry.debug.ModelSnapshot.TaskRow;

class ModelSnapshotTest {
    private final NamespaceRegistry reg = new NamespaceRegistry(InodeSource.counter(7000),
            NamespaceRegistry.InitialInodes.linuxDefaults(), "host", "(none)", IdMap.IDENTITY);

    /** uid 1000 in the initial namespaces, and its child after unshare(USER|UTS) with "0 1000 1" maps. */
    private List<TaskRow> rows() throws Exception {
        Credentials user = Credentials.of(Kuid.of(1000), Kgid.of(1000), List.of(Kgid.of(1000)), reg.initialUserNs());
        TaskState outer = reg.initialTaskState(user);
        reg.retain(outer);
        TaskState inner = UnshareRules.unshare(outer, TaskFacts.simple(reg.initialPidNs()),
                CloneFlags.CLONE_NEWUSER | CloneFlags.CLONE_NEWUTS, reg, "created by unshare in sh (tid 11)");
        reg.retain(inner);
        UserNamespace ns = inner.userNs();
        ns.installUidMap(IdMap.of(List.of(new IdExtent(0, 1000, 1))));
        ns.installGidMap(IdMap.of(List.of(new IdExtent(0, 1000, 1))));
        return List.of(new TaskRow(10, 10, 1, "sh", outer, true), new TaskRow(11, 11, 10, "sleep", inner, false));
    }

    @Test
    void tasksShowIdsAsSeenInTheirOwnUserNamespace() throws Exception {
        TaskList list = ModelSnapshot.tasks(rows());
        TaskInfo outer = list.getTasks(0);
        TaskInfo inner = list.getTasks(1);
        assertEquals(List.of(1000, 1000, 1000, 1000), outer.getUidsList());
        assertEquals(List.of(1000), outer.getGroupsList());
        assertEquals("none", outer.getCapabilities());
        assertTrue(outer.getSeen());

        assertEquals(List.of(0, 0, 0, 0), inner.getUidsList());
        assertEquals(List.of(0, 0, 0, 0), inner.getGidsList());
        assertEquals(List.of(0), inner.getGroupsList());
        assertEquals("full", inner.getCapabilities());
        assertEquals(Capability.FULL_SET, inner.getCapEffective());
        assertFalse(inner.getSeen());
        assertEquals(10, inner.getNamespacesCount());
        assertEquals("user", inner.getNamespaces(0).getType());
        assertEquals("pid_for_children", inner.getNamespaces(6).getType());
        assertTrue(inner.getNamespaces(0).getInode() >= 7000, "emulated inode: " + inner.getNamespaces(0));
        assertEquals(outer.getNamespaces(1).getInode(), inner.getNamespaces(1).getInode(), "same mnt namespace");
    }

    @Test
    void namespaceTreeIsOrderedByUserNamespaceNesting() throws Exception {
        List<TaskRow> rows = rows();
        NamespaceTree tree = ModelSnapshot.namespaces(reg.live(), rows);
        List<String> order = tree.getNamespacesList().stream().map(NamespaceInfo::getType).toList();
        assertEquals(List.of("user", "mnt", "uts", "ipc", "net", "pid", "cgroup", "time", "user", "uts"), order);

        NamespaceInfo init = tree.getNamespaces(0);
        assertFalse(init.getEmulated());
        assertEquals(0, init.getLevel());
        assertEquals(List.of(10), init.getMemberTidsList());
        assertEquals("allow", init.getSetgroups());

        NamespaceInfo user = tree.getNamespaces(8);
        assertTrue(user.getEmulated());
        assertEquals(1, user.getLevel());
        assertEquals(init.getInode(), user.getParentInode());
        assertEquals(init.getInode(), user.getOwnerUsernsInode());
        assertEquals(1000, user.getOwnerUid(), "owner as seen from the parent namespace");
        assertEquals(1000, user.getOwnerGid());
        assertEquals(String.format("%10d %10d %10d\n", 0, 1000, 1), user.getUidMap(), "as /proc shows it to the parent");
        assertEquals(List.of(11), user.getMemberTidsList());
        assertEquals("created by unshare in sh (tid 11)", user.getLabel());

        NamespaceInfo uts = tree.getNamespaces(9);
        assertEquals(user.getInode(), uts.getOwnerUsernsInode());
        assertEquals("host", uts.getHostname());
        assertEquals(List.of(11), uts.getMemberTidsList());
        // the initial mnt namespace holds both tasks
        assertEquals(List.of(10, 11), tree.getNamespaces(1).getMemberTidsList());
    }

    @Test
    void textFormsIndentByNestingAndListOnlyNonInitialNamespaces() throws Exception {
        List<TaskRow> rows = rows();
        NamespaceTree tree = ModelSnapshot.namespaces(reg.live(), rows);
        String ns = DebugText.namespaces(tree);
        long userIno = tree.getNamespaces(8).getInode();
        long utsIno = tree.getNamespaces(9).getInode();
        assertTrue(ns.contains("\nuser:[4026531837]"), ns);
        assertTrue(ns.contains("\n  mnt:[4026531832]"), ns);
        assertTrue(ns.contains("\n  user:[" + userIno + "]"), ns);
        assertTrue(ns.contains("\n    uts:[" + utsIno + "]"), ns);
        assertTrue(ns.contains("0 1000 1"), ns);
        assertTrue(ns.contains("hostname host"), ns);

        String ps = DebugText.tasks(ModelSnapshot.tasks(rows), tree);
        String[] lines = ps.split("\n");
        assertTrue(lines[0].startsWith("PID"), ps);
        assertTrue(lines[1].matches("10\\s+10\\s+1\\s+1000\\s+1000\\s+1000\\s+1000\\s+none\\s+-\\s+sh"), ps);
        assertTrue(lines[2].matches("11\\s+11\\s+10\\s+0\\s+0\\s+0\\s+0\\s+full\\s+user:\\[" + userIno + "\\] uts:\\["
                + utsIno + "\\]\\s+sleep \\*"), ps);
    }

    @Test
    void capabilitySummaries() {
        assertEquals("full", ModelSnapshot.set(Capability.FULL_SET));
        assertEquals("none", ModelSnapshot.set(0));
        assertEquals("cap_sys_admin", ModelSnapshot.set(1L << Capability.CAP_SYS_ADMIN));
        assertEquals("cap_chown,cap_setuid", ModelSnapshot.set(1L | 1L << Capability.CAP_SETUID));
        assertEquals("full-cap_sys_resource", ModelSnapshot.set(Capability.FULL_SET & ~(1L << 24)));
        assertEquals("0xff", ModelSnapshot.set(0xff));
        Credentials c = Credentials.of(Kuid.ROOT, Kgid.ROOT, List.of(), reg.initialUserNs()).withEffective(0);
        assertEquals("eff none, prm full", ModelSnapshot.capabilitySummary(c));
        assertEquals("eff none, prm full, amb cap_kill",
                ModelSnapshot.capabilitySummary(c.withAmbient(1L << Capability.CAP_KILL)));
    }

    @Test
    void mapsAndTaskListsAreCompact() {
        assertEquals("(unset)", DebugText.map(""));
        assertEquals("0 1000 1, 1 100000 65536",
                DebugText.map("         0       1000          1\n         1     100000      65536\n"));
        assertEquals("-", DebugText.tids(List.of()));
        assertEquals("1,2,3,4,5,6,7,8,+2", DebugText.tids(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)));
    }
}
