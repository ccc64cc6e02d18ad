package nsentry.sentry.e2e;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** If the sentry or the shim dies, the workload tree dies with it (DESIGN.md "Fail closed"). */
class FailClosedIT {

    private record Sandbox(Process nsentry, long workloadPid, long childPid, ProcessHandle sentry) {}

    /** Starts a workload with a child, and finds the sentry JVM among the shim's children. */
    private static Sandbox start() throws Exception {
        Process p = new ProcessBuilder(Nsentry.launcher().toString(), "run", "--", "sh", "-c",
                "sleep 300 & echo $$ $!; wait").start();
        BufferedReader out = p.inputReader();
        String[] pids = out.readLine().trim().split(" ");
        ProcessHandle sentry = null;
        for (int i = 0; i < 100 && sentry == null; i++) {
            sentry = Nsentry.sentryOf(p.toHandle()).orElse(null);
            Thread.sleep(20);
        }
        if (sentry == null) {
            fail("no sentry JVM under the shim " + p.pid());
        }
        return new Sandbox(p, Long.parseLong(pids[0]), Long.parseLong(pids[1]), sentry);
    }

    private static void assertGoneWithin(long pid, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < deadline) {
            Optional<ProcessHandle> h = ProcessHandle.of(pid);
            if (h.isEmpty() || !h.get().isAlive() || isZombie(pid)) {
                return; // a zombie is dead; reaping it is its new parent's business
            }
            Thread.sleep(10);
        }
        fail("process " + pid + " still alive after " + millis + " ms");
    }

    private static boolean isZombie(long pid) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException e) {
            return true;
        }
    }

    @Test
    void killingTheSentryKillsTheWorkload() throws Exception {
        Sandbox s = start();
        long t0 = System.nanoTime();
        s.sentry().destroyForcibly();
        assertGoneWithin(s.workloadPid(), 1000);
        assertGoneWithin(s.childPid(), 1000);
        System.out.printf("sentry killed: workload gone after %.0f ms%n", (System.nanoTime() - t0) / 1e6);
        assertTrue(s.nsentry().waitFor(10, TimeUnit.SECONDS));
        assertNotEquals(0, s.nsentry().exitValue());
        String err = new String(s.nsentry().getErrorStream().readAllBytes());
        assertTrue(err.contains("sentry exited unexpectedly"), err);
    }

    @Test
    void killingTheShimKillsTheWorkload() throws Exception {
        Sandbox s = start();
        long t0 = System.nanoTime();
        s.nsentry().destroyForcibly(); // the launcher exec'd the shim: this is the shim
        assertGoneWithin(s.workloadPid(), 1000);
        assertGoneWithin(s.childPid(), 1000);
        System.out.printf("shim killed: workload gone after %.0f ms%n", (System.nanoTime() - t0) / 1e6);
        assertTrue(s.sentry().onExit().get(10, TimeUnit.SECONDS) != null);
    }
}
