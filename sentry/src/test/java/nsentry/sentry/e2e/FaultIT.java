package nsentry.sentry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * Issue 9, item 4: faults while a workload thread is blocked in a notification (the sentry
 * is stopped with SIGSTOP so the call stays pending): kill -9 of the sentry, of the shim,
 * of the workload; the sentry out of memory. In each case the workload tree ends, nsentry
 * exits non-zero with a one-line reason, and nothing of the sandbox is left behind
 * (processes, the debug socket). FailClosedIT covers the kills without a pending call.
 */
class FaultIT {

    private record Sandbox(Process shim, ProcessHandle sentry, long workloadPid, Path bin,
                           CompletableFuture<String> stderr) {}

    private static Sandbox start(List<String> env, String... workload) throws Exception {
        Path bin = Nsentry.compileC("load");
        List<String> cmd = new ArrayList<>(List.of(Nsentry.launcher().toString(), "run", "--", bin.toString()));
        cmd.addAll(List.of(workload));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        for (String kv : env) {
            pb.environment().put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        Process p = pb.start();
        CompletableFuture<String> err = Nsentry.drain(p.getErrorStream());
        BufferedReader out = p.inputReader();
        String first = out.readLine();
        if (first == null || !first.startsWith("ready ")) {
            p.destroyForcibly();
            fail("workload did not start: " + first + "\n" + err.get(10, TimeUnit.SECONDS));
        }
        CompletableFuture.runAsync(() -> {
            try {
                out.transferTo(java.io.Writer.nullWriter());
            } catch (java.io.IOException ignored) {
                // closed
            }
        });
        return new Sandbox(p, awaitSentry(p), Long.parseLong(first.substring(6).trim()), bin, err);
    }

    private static ProcessHandle awaitSentry(Process shim) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            Optional<ProcessHandle> jvm = Nsentry.sentryOf(shim.toHandle());
            if (jvm.isPresent()) {
                return jvm.get();
            }
            Thread.sleep(20);
        }
        fail("no sentry JVM under the shim " + shim.pid());
        return null;
    }

    private static void signal(long pid, String sig) throws Exception {
        Nsentry.Result r = Nsentry.exec(List.of("kill", "-" + sig, Long.toString(pid)), null, 10);
        assertEquals(0, r.code(), "kill -" + sig + " " + pid + ": " + r);
    }

    /** Stops the sentry and waits until the workload's thread is blocked in its notification. */
    private static void pendCall(Sandbox s) throws Exception {
        signal(s.sentry().pid(), "STOP");
        Thread.sleep(300);
        String wchan = Files.readString(Path.of("/proc/" + s.workloadPid() + "/wchan")).trim();
        System.out.println("workload blocked in: " + wchan);
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** No process of the sandbox, no process running the test binary, no debug socket. */
    private static void assertNothingLeft(Sandbox s, long millis) throws Exception {
        assertNothingLeft(s, millis, true);
    }

    private static void assertNothingLeft(Sandbox s, long millis, boolean socketToo) throws Exception {
        long deadline = System.nanoTime() + millis * 1_000_000;
        List<String> left = new ArrayList<>();
        do {
            left.clear();
            for (long pid : new long[] {s.shim().pid(), s.sentry().pid(), s.workloadPid()}) {
                if (alive(pid)) {
                    left.add("process " + pid + " " + ProcessHandle.of(pid).flatMap(h -> h.info().commandLine()).orElse(""));
                }
            }
            String binPath = s.bin().toString();
            ProcessHandle.allProcesses()
                    .filter(h -> h.info().commandLine().orElse("").contains(binPath) && h.isAlive())
                    .forEach(h -> left.add("workload process " + h.pid() + " " + h.info().commandLine().orElse("")));
            for (Path dir : socketToo ? List.of(Path.of("/run/user/0/nsentry"), Path.of("/tmp/nsentry-0"))
                    : List.<Path>of()) {
                Path sock = dir.resolve(s.shim().pid() + ".sock");
                if (Files.exists(sock)) {
                    left.add("debug socket " + sock);
                }
            }
            if (left.isEmpty()) {
                return;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        for (String l : left) {
            if (l.startsWith("process ") || l.startsWith("workload ")) {
                ProcessHandle.of(Long.parseLong(l.split(" ")[l.startsWith("process ") ? 1 : 2]))
                        .ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        fail("left behind after " + millis + " ms: " + left);
    }

    private static String lastLine(String stderr) {
        String[] lines = stderr.strip().split("\n");
        return lines[lines.length - 1];
    }

    @Test
    void sentryKilledWhileACallIsPending() throws Exception {
        Sandbox s = start(List.of(), "block");
        pendCall(s);
        long t0 = System.nanoTime();
        signal(s.sentry().pid(), "KILL");
        assertTrue(s.shim().waitFor(10, TimeUnit.SECONDS), "nsentry did not exit");
        System.out.printf("sentry killed with a call pending: nsentry exited after %.0f ms%n",
                (System.nanoTime() - t0) / 1e6);
        String err = s.stderr().get(10, TimeUnit.SECONDS);
        assertEquals(125, s.shim().exitValue(), err);
        assertTrue(lastLine(err).contains("sentry exited unexpectedly"), err);
        assertNothingLeft(s, 3000, false);
    }

    /**
     * After kill -9 of the sentry its debug socket ({@code <shim pid>.sock}) must not stay
     * behind: the sentry cannot remove it, so whoever outlives it (the shim) has to.
     */
    @Test
    void sentryKilledLeavesNoDebugSocket() throws Exception {
        Sandbox s = start(List.of(), "block");
        signal(s.sentry().pid(), "KILL");
        assertTrue(s.shim().waitFor(10, TimeUnit.SECONDS), "nsentry did not exit");
        assertNothingLeft(s, 3000, true);
    }

    @Test
    void shimKilledWhileACallIsPending() throws Exception {
        Sandbox s = start(List.of(), "block");
        pendCall(s);
        signal(s.shim().pid(), "KILL");
        signal(s.sentry().pid(), "CONT");
        assertTrue(s.shim().waitFor(10, TimeUnit.SECONDS));
        assertTrue(s.sentry().onExit().get(10, TimeUnit.SECONDS) != null);
        String err = s.stderr().get(10, TimeUnit.SECONDS);
        assertFalse(err.contains("internal error"), err);
        assertNothingLeft(s, 5000);
    }

    @Test
    void workloadKilledWhileItsCallIsPending() throws Exception {
        Sandbox s = start(List.of(), "block");
        pendCall(s);
        signal(s.workloadPid(), "KILL");
        Thread.sleep(100);
        signal(s.sentry().pid(), "CONT");
        assertTrue(s.shim().waitFor(10, TimeUnit.SECONDS), "nsentry did not exit");
        String err = s.stderr().get(10, TimeUnit.SECONDS);
        assertEquals(128 + 9, s.shim().exitValue(), err);
        assertFalse(err.contains("internal error"), err);
        assertFalse(err.contains("Exception"), err);
        assertNothingLeft(s, 3000);
    }

    /**
     * The sentry runs out of heap (-Xmx16m; 200 tasks with 65,536 supplementary groups
     * each): it must fail closed at once, not hang with a call unanswered.
     */
    @Test
    void sentryOutOfMemory() throws Exception {
        Path bin = Nsentry.compileC("load");
        List<String> cmd = List.of("env", "NSENTRY_JVM_OPTS=-Xmx16m", Nsentry.launcher().toString(), "run", "--",
                bin.toString(), "groups", "400");
        long t0 = System.nanoTime();
        Nsentry.Result r = Nsentry.exec(cmd, null, 60);
        System.out.printf("sentry out of memory: nsentry exited %d after %.0f ms%n", r.code(),
                (System.nanoTime() - t0) / 1e6);
        assertEquals(125, r.code(), r.toString());
        assertTrue(r.stderr().contains("OutOfMemoryError"), r.toString());
        assertTrue(lastLine(r.stderr()).contains("sentry exited unexpectedly"), r.toString());
        assertTrue(r.stderr().strip().split("\n").length <= 2, "more than the reason on stderr:\n" + r.stderr());
        long deadline = System.nanoTime() + 3_000_000_000L;
        List<ProcessHandle> left;
        do {
            left = ProcessHandle.allProcesses()
                    .filter(h -> h.info().commandLine().orElse("").contains(bin.toString()) && h.isAlive()).toList();
            Thread.sleep(20);
        } while (!left.isEmpty() && System.nanoTime() < deadline);
        left.forEach(ProcessHandle::destroyForcibly);
        assertTrue(left.isEmpty(), "workload processes left: " + left);
    }
}
