package nsentry.sentry.e2e;

import static nsentry.sentry.e2e.Nsentry.awaitFile;
import static nsentry.sentry.e2e.Nsentry.cli;
import static nsentry.sentry.e2e.Nsentry.sharedTempDir;
import static nsentry.sentry.e2e.Nsentry.sentryOf;
import static nsentry.sentry.e2e.Nsentry.startRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.util.JsonFormat;

import org.junit.jupiter.api.Test;

import nsentry.proto.NamespaceInfo;
import nsentry.proto.NamespaceTree;
import nsentry.proto.TaskInfo;
import nsentry.proto.TaskList;
import nsentry.sentry.debug.DebugPaths;
import nsentry.sentry.e2e.Nsentry.Background;
import nsentry.sentry.e2e.Nsentry.Result;

/** `nsentry ps` and `nsentry ns` against running sandboxes, over the debug socket. */
class DebugEndpointIT {

    private static int uidOf(String user) throws Exception {
        return Integer.parseInt(Nsentry.exec(List.of("id", "-u", user), null, 10).stdout().trim());
    }

    private static Path socketOf(Background sb, int uid) {
        return DebugPaths.dirFor(uid).resolve(sb.id() + ".sock");
    }

    private static void kill(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }

    private static void awaitGone(Path file, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    @Test
    void psAndNsShowTasksIdsAndTheNamespaceTree() throws Exception {
        Path d = sharedTempDir();
        Background sb = startRun(false, "--", "sh", "-c", "unshare --user --map-root-user --uts sh -c 'hostname inner; echo $$ > "
                + d + "/pid; exec sleep 60'");
        int pid = Integer.parseInt(awaitFile(d.resolve("pid"), sb, 60).trim());
        String id = Long.toString(sb.id());
        Path socket = socketOf(sb, 0);
        try {
            assertTrue(Files.exists(socket), "debug socket " + socket);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));

            Result list = cli(false, "ps");
            assertEquals(0, list.code(), list.toString());
            assertTrue(list.stdout().startsWith("SANDBOX"), list.toString());
            assertTrue(list.stdout().lines().anyMatch(l -> l.startsWith(id + " ") && l.contains("unshare --user")),
                    list.toString());

            // By the workload's pid, as JSON: ids as seen inside, full capabilities, the new user namespace.
            Result psJson = cli(false, "ps", Integer.toString(pid), "--json");
            assertEquals(0, psJson.code(), psJson.toString());
            TaskList.Builder tasks = TaskList.newBuilder();
            JsonFormat.parser().merge(psJson.stdout(), tasks);
            TaskInfo sleep = tasks.getTasksList().stream().filter(t -> t.getTid() == pid).findFirst().orElseThrow();
            assertEquals(List.of(0, 0, 0, 0), sleep.getUidsList());
            assertEquals("full", sleep.getCapabilities());
            assertEquals("user", sleep.getNamespaces(0).getType());
            long userIno = sleep.getNamespaces(0).getInode();

            // By the sandbox id, as text.
            Result ps = cli(false, "ps", id);
            assertEquals(0, ps.code(), ps.toString());
            assertTrue(ps.stdout().startsWith("sandbox " + id + " (uid 0"), ps.toString());
            assertTrue(ps.stdout().lines().anyMatch(l -> l.startsWith(pid + " ") && l.contains("user:[" + userIno + "]")
                    && l.endsWith("sleep")), ps.toString());

            // The namespace tree, by the sandbox id.
            Result nsJson = cli(false, "ns", id, "--json");
            assertEquals(0, nsJson.code(), nsJson.toString());
            NamespaceTree.Builder tree = NamespaceTree.newBuilder();
            JsonFormat.parser().merge(nsJson.stdout(), tree);
            NamespaceInfo user = tree.getNamespacesList().stream().filter(n -> n.getInode() == userIno).findFirst()
                    .orElseThrow();
            assertEquals("user", user.getType());
            assertTrue(user.getEmulated());
            assertEquals(1, user.getLevel());
            assertEquals(0, user.getOwnerUid());
            assertEquals("0 0 1", user.getUidMap().trim().replaceAll("\\s+", " "));
            assertEquals("deny", user.getSetgroups());
            assertTrue(user.getMemberTidsList().contains(pid), user.toString());
            NamespaceInfo uts = tree.getNamespacesList().stream()
                    .filter(n -> n.getType().equals("uts") && n.getOwnerUsernsInode() == userIno).findFirst().orElseThrow();
            assertEquals("inner", uts.getHostname());

            Result ns = cli(false, "ns", Integer.toString(pid));
            assertEquals(0, ns.code(), ns.toString());
            assertTrue(ns.stdout().contains("\n  user:[" + userIno + "]"), ns.toString());
            assertTrue(ns.stdout().contains("\n    uts:[" + uts.getInode() + "]"), ns.toString());
        } finally {
            kill(pid);
        }
        Result r = sb.await(60);
        assertEquals(137, r.code(), r.toString());
        assertFalse(Files.exists(socket), "socket removed when the sandbox ends");
        Result after = cli(false, "ps", id);
        assertEquals(1, after.code(), after.toString());
        assertTrue(after.stderr().contains("no such sandbox or process: " + id), after.toString());
    }

    @Test
    void onlyTheOwnerAndRootMayInspectASandbox() throws Exception {
        assumeTrue(Nsentry.testUserExists(), "needs the test user (scripts/setup.sh)");
        int testUid = uidOf(Nsentry.TEST_USER);
        Path d = sharedTempDir();
        Background mine = startRun(true, "--", "sh", "-c", "echo $$ > " + d + "/user; exec sleep 60");
        Background roots = startRun(false, "--", "sh", "-c", "echo $$ > " + d + "/root; exec sleep 60");
        int userPid = Integer.parseInt(awaitFile(d.resolve("user"), mine, 60).trim());
        int rootPid = Integer.parseInt(awaitFile(d.resolve("root"), roots, 60).trim());
        try {
            Path userSocket = socketOf(mine, testUid);
            assertTrue(Files.exists(userSocket), userSocket.toString());
            assertEquals(testUid, (Integer) Files.getAttribute(userSocket.getParent(), "unix:uid"));

            Result own = cli(true, "ps", Long.toString(mine.id()));
            assertEquals(0, own.code(), own.toString());
            assertTrue(own.stdout().lines().anyMatch(l -> l.matches(userPid + "\\s+" + userPid + "\\s+\\d+\\s+" + testUid
                    + "\\s+" + testUid + "\\s+.*none\\s+-\\s+sleep")), own.toString());

            Result byRoot = cli(false, "ns", Integer.toString(userPid));
            assertEquals(0, byRoot.code(), "root may inspect any sandbox: " + byRoot);

            Result denied = cli(true, "ps", Long.toString(roots.id()));
            assertEquals(1, denied.code(), denied.toString());
            assertTrue(denied.stderr().contains("permission denied: sandbox " + roots.id() + " belongs to uid 0"),
                    denied.toString());
            Result deniedByPid = cli(true, "ns", Integer.toString(rootPid));
            assertEquals(1, deniedByPid.code(), deniedByPid.toString());
            assertTrue(deniedByPid.stderr().contains("permission denied"), deniedByPid.toString());

            Result list = cli(true, "ps");
            assertTrue(list.stdout().lines().anyMatch(l -> l.startsWith(mine.id() + " ")), list.toString());
            assertFalse(list.stdout().lines().anyMatch(l -> l.startsWith(roots.id() + " ")), list.toString());
        } finally {
            kill(userPid);
            kill(rootPid);
        }
        mine.await(60);
        roots.await(60);
    }

    @Test
    void killingTheShimRemovesTheSocket() throws Exception {
        Path d = sharedTempDir();
        Background sb = startRun(false, "--", "sh", "-c", "echo $$ > " + d + "/pid; exec sleep 60");
        awaitFile(d.resolve("pid"), sb, 60);
        Path socket = socketOf(sb, 0);
        assertTrue(Files.exists(socket));
        kill(sb.id()); // SIGKILL to the shim: the sentry fails closed and cleans up
        sb.await(30);
        awaitGone(socket, 15);
        assertFalse(Files.exists(socket), "socket removed on the fail-closed path");
    }

    @Test
    void theShimRemovesAKilledSentrysSocket() throws Exception {
        Path d = sharedTempDir();
        Background sb = startRun(false, "--", "sh", "-c", "echo $$ > " + d + "/pid; exec sleep 60");
        awaitFile(d.resolve("pid"), sb, 60);
        Path socket = socketOf(sb, 0);
        ProcessHandle sentry = sentryOf(ProcessHandle.of(sb.id()).orElseThrow()).orElseThrow();
        sentry.destroyForcibly(); // SIGKILL: the sentry cannot remove it, the shim outlives it and does
        Result r = sb.await(30);
        assertEquals(125, r.code(), r.toString());
        assertFalse(Files.exists(socket), "the shim removed the killed sentry's socket");
    }

    @Test
    void aKilledSentrysSocketIsReportedAsEndedAndCleanedUp() throws Exception {
        Path d = sharedTempDir();
        Background sb = startRun(false, "--", "sh", "-c", "echo $$ > " + d + "/pid; exec sleep 60");
        awaitFile(d.resolve("pid"), sb, 60);
        Path socket = socketOf(sb, 0);
        ProcessHandle sentry = sentryOf(ProcessHandle.of(sb.id()).orElseThrow()).orElseThrow();
        // Stop the shim first, so that neither side can remove the socket, then SIGKILL both.
        new ProcessBuilder("kill", "-STOP", Long.toString(sb.id())).start().waitFor();
        sentry.destroyForcibly();
        Thread.sleep(500); // it stays a zombie of the stopped shim: onExit() would not complete
        new ProcessBuilder("kill", "-KILL", Long.toString(sb.id())).start().waitFor();
        sb.await(30);
        assertTrue(Files.exists(socket), "a sandbox whose shim and sentry were both SIGKILLed leaves its socket");
        Result ended = cli(false, "ps", Long.toString(sb.id()));
        assertEquals(1, ended.code(), ended.toString());
        assertTrue(ended.stderr().contains("sandbox " + sb.id() + " has ended"), ended.toString());
        Result list = cli(false, "ps");
        assertEquals(0, list.code(), list.toString());
        assertFalse(Files.exists(socket), "nsentry ps removes stale sockets");
    }

    @Test
    void clearErrorsForWhatIsNotASandbox() throws Exception {
        Result notInside = cli(false, "ps", "1");
        assertEquals(1, notInside.code());
        assertTrue(notInside.stderr().contains("process 1 is not inside an nsentry sandbox"), notInside.toString());
        Result garbage = cli(false, "ns", "nope");
        assertEquals(1, garbage.code());
        assertTrue(garbage.stderr().contains("not a sandbox id or pid: 'nope'"), garbage.toString());
        Result none = cli(false, "ps", "2147483646");
        assertEquals(1, none.code());
        assertTrue(none.stderr().contains("no such sandbox or process: 2147483646"), none.toString());
        Result help = cli(false, "--help");
        assertTrue(help.stdout().contains("ps") && help.stdout().contains("ns"), help.toString());
        assertNotEquals("", cli(false, "ps", "--help").stdout());
    }
}
