package nsentry.sentry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * `nsentry serve`: `nsentry run` hands its sandbox to a running sentry server (no sentry
 * JVM under the shim), with the same results as a sentry JVM of its own, and falls back to
 * one where the server must not or cannot serve. As root (the server's socket is private
 * to its user; the test user probes it from outside).
 */
class ServerIT {
    private static Path dir;
    private static Path socket;
    private static Process server;

    @BeforeAll
    static void startServer() throws Exception {
        assumeTrue(Nsentry.isRoot(), "needs root (runs the server as root, probes it as " + Nsentry.TEST_USER + ")");
        dir = Files.createTempDirectory("nsentry-serve-");
        socket = dir.resolve("sentry.sock");
        server = new ProcessBuilder(Nsentry.launcher().toString(), "serve", "--socket=" + socket, "--idle-exit=0")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader err = server.errorReader();
        String line = err.readLine();
        assertTrue(line != null && line.contains("listening on " + socket), "server said: " + line);
        Thread drain = new Thread(() -> err.lines().forEach(l -> System.out.println("server: " + l)));
        drain.setDaemon(true);
        drain.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Nsentry.Result viaServer(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Nsentry.launcher().toString(), "run"));
        cmd.addAll(Arrays.asList(args));
        return Nsentry.exec(cmd, Map.of("NSENTRY_SERVER", socket.toString()), null, 60);
    }

    private static Process startViaServer(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Nsentry.launcher().toString(), "run"));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("NSENTRY_SERVER", socket.toString());
        return pb.start();
    }

    private static long openFds(ProcessHandle p) throws Exception {
        try (var s = Files.list(Path.of("/proc/" + p.pid() + "/fd"))) {
            return s.count();
        }
    }

    @Test
    void theServerRunsTheSandboxWithNoSentryJvmOfItsOwn() throws Exception {
        Process p = startViaServer("--", "sh", "-c", "read x; echo got $x; exit 3");
        Thread.sleep(300); // the sandbox is up; a sentry JVM of its own would be a child of the shim by now
        Optional<ProcessHandle> jvm = Nsentry.sentryOf(p.toHandle());
        p.getOutputStream().write("line\n".getBytes());
        p.getOutputStream().close();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(3, p.exitValue());
        assertEquals("got line\n", new String(p.getInputStream().readAllBytes()));
        assertTrue(jvm.isEmpty(), "a sentry JVM ran under the shim: " + jvm);
    }

    @Test
    void namespacesBehaveAsWithASentryOfItsOwn() throws Exception {
        String script = "id -u; unshare -r sh -c 'id -u; cat /proc/self/uid_map; readlink /proc/self/ns/user "
                + "| grep -c 4026531837'; unshare -U id -u";
        Nsentry.Result served = viaServer("--", "sh", "-c", script);
        Nsentry.Result own = Nsentry.run("--", "sh", "-c", script);
        assertEquals(0, served.code(), served.toString());
        assertEquals(own.stdout(), served.stdout());
        assertEquals("0\n0\n         0          0          1\n0\n65534\n", served.stdout());
    }

    @Test
    void stderrTraceAndExitStatusesReachTheCaller() throws Exception {
        Nsentry.Result r = viaServer("--explain-errors", "--", "sh", "-c", "nsenter --user=/proc/self/ns/user true; echo out; echo err >&2; exit 7");
        assertEquals(7, r.code(), r.toString());
        assertEquals("out\n", r.stdout());
        assertTrue(r.stderr().contains("err"), r.stderr());
        assertTrue(r.stderr().contains("setns") && r.stderr().contains("EINVAL"), "no explained refusal: " + r.stderr());

        Path cwd = Files.createTempDirectory(dir, "cwd-");
        List<String> cmd = List.of("sh", "-c", "cd " + cwd + " && exec " + Nsentry.launcher()
                + " run --trace=rel.trace -- unshare -r true");
        Nsentry.Result traced = Nsentry.exec(cmd, Map.of("NSENTRY_SERVER", socket.toString()), null, 60);
        assertEquals(0, traced.code(), traced.toString());
        String trace = Files.readString(cwd.resolve("rel.trace"));
        assertTrue(trace.contains("unshare(CLONE_NEWUSER)"), trace);

        Nsentry.Result noTrace = viaServer("--trace=" + dir.resolve("missing/dir/x"), "--", "true");
        assertEquals(125, noTrace.code(), noTrace.toString());
        assertTrue(noTrace.stderr().contains("cannot write the trace"), noTrace.stderr());
    }

    @Test
    void whatTheServerRefusesRunsInASentryOfItsOwn() throws Exception {
        Nsentry.Result help = viaServer("--help");
        assertEquals(0, help.code(), help.toString());
        assertTrue(help.stdout().contains("Usage: nsentry run"), help.stdout());
        assertTrue(help.stderr().isEmpty(), "a routine fallback is silent: " + help.stderr());

        // another mount namespace: the files the sentry resolves might differ from the shim's
        Nsentry.Result otherMounts = Nsentry.exec(List.of("unshare", "-m", Nsentry.launcher().toString(), "run", "--",
                "echo", "ran"), Map.of("NSENTRY_SERVER", socket.toString()), null, 60);
        assertEquals("ran\n", otherMounts.stdout(), otherMounts.toString());
        assertTrue(otherMounts.stderr().contains("another root directory or mount namespace"), otherMounts.stderr());

        Nsentry.Result missing = Nsentry.exec(List.of(Nsentry.launcher().toString(), "run", "--", "true"),
                Map.of("NSENTRY_SERVER", dir.resolve("nobody.sock").toString()), null, 60);
        assertEquals(0, missing.code(), missing.toString());
    }

    @Test
    void malformedConnectionsAreDroppedAndTheServerGoesOn() throws Exception {
        var address = java.net.UnixDomainSocketAddress.of(socket);
        try (var garbage = java.nio.channels.SocketChannel.open(address)) { // bytes where fds belong
            garbage.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 1, 2}));
            garbage.configureBlocking(false);
            java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
            int n = 0;
            for (int i = 0; i < 500 && n == 0; i++) {
                try {
                    n = garbage.read(one);
                } catch (java.net.SocketException reset) { // closed with our bytes unread
                    n = -1;
                }
                Thread.sleep(10);
            }
            assertEquals(-1, n, "the server should close the connection");
        }
        try (var silent = java.nio.channels.SocketChannel.open(address)) { // says nothing at all
            Nsentry.Result r = viaServer("--", "sh", "-c", "echo still serving");
            assertEquals(0, r.code(), r.toString());
            assertEquals("still serving\n", r.stdout());
            assertTrue(r.stderr().isEmpty(), "the run used the server: " + r.stderr());
        }
    }

    @Test
    void aServerOfAnotherUserIsNotUsed() throws Exception {
        assumeTrue(Nsentry.testUserExists(), "needs the user " + Nsentry.TEST_USER);
        // Reachable for the test user, as a planted socket would be: the shim checks whose it is.
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(socket, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        try {
            List<String> cmd = new ArrayList<>(Nsentry.asUser());
            cmd.addAll(List.of("env", "NSENTRY_SERVER=" + socket, Nsentry.launcher().toString(), "run", "--", "id",
                    "-u"));
            Nsentry.Result r = Nsentry.exec(cmd, Map.of(), null, 60);
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.stdout().matches("[1-9][0-9]*\n"), r.stdout()); // the test user's uid
            assertTrue(r.stderr().contains("refusing sentry server") && r.stderr().contains("uid 0"), r.stderr());
        } finally {
            Files.setPosixFilePermissions(socket, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void sandboxesRunSideBySideAndLeaveNoFdsBehind() throws Exception {
        String work = "unshare -r sh -c 'echo 0 0 1 > /dev/null; cat /proc/self/uid_map /proc/self/setgroups; "
                + "unshare -U true; exec 3</proc/self/ns/user; nsenter --user=/proc/self/ns/user true; true' >/dev/null 2>&1";
        assertEquals(0, viaServer("--", "sh", "-c", work).code()); // warm: the server's own fds settle
        long before = openFds(server.toHandle());
        Process slow = startViaServer("--", "sh", "-c", "sleep 2; exit 5");
        for (int i = 0; i < 10; i++) {
            Nsentry.Result r = viaServer("--", "sh", "-c", work);
            assertEquals(0, r.code(), r.toString());
        }
        assertTrue(slow.waitFor(30, TimeUnit.SECONDS));
        assertEquals(5, slow.exitValue());
        long after = 0;
        for (int i = 0; i < 50; i++) { // the last sandbox's thread may still be closing
            after = openFds(server.toHandle());
            if (after <= before) {
                break;
            }
            Thread.sleep(100);
        }
        assertTrue(after <= before, "server fds: " + before + " before, " + after + " after 11 sandboxes");
    }

    @Test
    void killingTheServerKillsItsWorkloads() throws Exception {
        Path sock2 = dir.resolve("doomed.sock");
        Process doomed = new ProcessBuilder(Nsentry.launcher().toString(), "serve", "--socket=" + sock2,
                "--idle-exit=0").redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String ready = doomed.errorReader().readLine();
        assertTrue(ready != null && ready.contains("listening"), "server said: " + ready);
        List<String> cmd = List.of(Nsentry.launcher().toString(), "run", "--", "sh", "-c", "sleep 300 & echo $$ $!; wait");
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("NSENTRY_SERVER", sock2.toString());
        Process p = pb.start();
        String[] pids = p.inputReader().readLine().trim().split(" ");
        doomed.destroyForcibly();
        for (String pid : pids) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (alive(Long.parseLong(pid)) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(!alive(Long.parseLong(pid)), "workload process " + pid + " survived its sentry server");
        }
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertEquals(125, p.exitValue());
        String err = new String(p.getErrorStream().readAllBytes());
        assertTrue(err.contains("sentry"), err);
    }

    private static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
