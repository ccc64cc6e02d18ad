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
 * Issue 9, items 5 and 6: user namespaces created and dropped in a loop run in constant
 * sentry memory; 64 threads hammering intercepted calls and 200 short-lived processes a
 * second get only right answers. The workload ({@code e2e/load.c}) checks every result.
 * The tests print throughput and the sentry's RSS; they assert correctness and bounded
 * memory, not speed.
 *
 * <p>CI sizes are small; on demand: {@code -Dnsentry.load.namespaces=100000
 * -Dnsentry.load.seconds=60}.
 */
class LoadIT {
    private static final long NAMESPACES = Long.getLong("nsentry.load.namespaces", 20_000);
    private static final long SECONDS = Long.getLong("nsentry.load.seconds", 10);
    /** A heap small enough that a leak of namespaces or tasks ends in OutOfMemoryError (fail closed). */
    private static final String HEAP = System.getProperty("nsentry.load.heap", "-Xmx64m");
    /** Allowed RSS growth from the first sample after warm-up to the end. */
    private static final long RSS_SLACK_KB = 24 * 1024;

    private record Run(Nsentry.Result result, List<Long> rssKb) {}

    /** Runs load ARGS under nsentry, sampling the sentry's VmRSS at each "progress" line and every 500 ms. */
    private static Run run(String... args) throws Exception {
        Path bin = Nsentry.compileC("load");
        List<String> cmd = new ArrayList<>(List.of("env", "NSENTRY_JVM_OPTS=" + HEAP, Nsentry.launcher().toString(),
                "run", "--", bin.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        CompletableFuture<String> err = Nsentry.drain(p.getErrorStream());
        ProcessHandle sentry = null;
        List<Long> rss = new ArrayList<>();
        StringBuilder out = new StringBuilder();
        CompletableFuture<Void> reader = new CompletableFuture<>();
        BufferedReader lines = p.inputReader();
        List<String> progress = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread t = new Thread(() -> {
            try {
                for (String l; (l = lines.readLine()) != null; ) {
                    synchronized (out) {
                        out.append(l).append('\n');
                    }
                    if (l.startsWith("progress")) {
                        progress.add(l);
                    }
                }
                reader.complete(null);
            } catch (Exception e) {
                reader.completeExceptionally(e);
            }
        });
        t.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
        while (p.isAlive() && System.nanoTime() < deadline) {
            if (sentry == null) {
                sentry = Nsentry.sentryOf(p.toHandle()).orElse(null);
            }
            if (sentry != null) {
                long kb = vmRssKb(sentry.pid());
                if (kb > 0) {
                    rss.add(kb);
                }
            }
            p.waitFor(500, TimeUnit.MILLISECONDS);
        }
        if (p.isAlive()) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail("load " + String.join(" ", args) + " timed out");
        }
        reader.get(10, TimeUnit.SECONDS);
        Nsentry.Result r = new Nsentry.Result(p.exitValue(), out.toString(), err.get(10, TimeUnit.SECONDS));
        return new Run(r, rss);
    }

    private static long vmRssKb(long pid) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", ""));
                }
            }
        } catch (Exception e) {
            // exited
        }
        return -1;
    }

    private static void check(Run run, String what) {
        Nsentry.Result r = run.result();
        String summary = r.stdout().lines().filter(l -> l.startsWith("ok ") || l.startsWith("FAIL")).reduce("",
                (a, b) -> a + b + "\n");
        List<Long> rss = run.rssKb();
        System.out.print(what + ": " + summary);
        System.out.println(what + ": sentry VmRSS samples (MiB): "
                + rss.stream().map(kb -> Long.toString(kb / 1024)).reduce((a, b) -> a + " " + b).orElse("none"));
        assertFalse(r.stderr().contains("internal error"), r.toString());
        assertFalse(r.stdout().contains("FAIL"), r.toString());
        assertEquals(0, r.code(), r.toString());
        if (rss.size() >= 6) {
            // After warm-up (JIT, heap growing to its -Xmx), memory stays flat: the second
            // half of the run may not grow more than the slack over its start. A real leak
            // also ends in OutOfMemoryError under the small heap, which fails closed.
            long warm = rss.get(rss.size() / 2);
            long max = rss.subList(rss.size() / 2, rss.size()).stream().mapToLong(Long::longValue).max().orElse(warm);
            System.out.printf("%s: sentry VmRSS at half-time %d MiB, max after %d MiB, end %d MiB%n", what,
                    warm / 1024, max / 1024, rss.get(rss.size() - 1) / 1024);
            assertTrue(max - warm <= RSS_SLACK_KB, what + ": sentry memory grew from " + warm / 1024 + " MiB to "
                    + max / 1024 + " MiB: " + rss);
        }
    }

    /** Item 5: namespaces nobody references any more are released (constant sentry memory). */
    @Test
    void userNamespacesCreatedAndDroppedInALoop() throws Exception {
        Run run = run("churn", Long.toString(NAMESPACES), "2");
        check(run, "churn of " + NAMESPACES + " user namespaces");
        assertTrue(run.result().stdout().contains("ok churn namespaces=" + NAMESPACES), run.result().toString());
    }

    /** Item 6: 64 threads on getuid/geteuid/getresuid and open+fstat+close of /proc/self/ns/user. */
    @Test
    void sixtyFourThreadsHammeringInterceptedCalls() throws Exception {
        Run run = run("hammer", "64", Long.toString(SECONDS));
        check(run, "64 threads for " + SECONDS + " s");
    }

    /** Item 6: 200 short-lived processes a second, each checking its ids and user namespace. */
    @Test
    void twoHundredShortLivedProcessesASecond() throws Exception {
        Run run = run("spawn", "200", Long.toString(Math.max(5, SECONDS / 2)));
        check(run, "200 processes/s");
    }

    /** The same load as the unprivileged user (its own checks; no memory bound asserted). */
    @Test
    void hammerAsTheUnprivilegedUser() throws Exception {
        if (!Nsentry.testUserExists()) {
            return;
        }
        Path bin = Nsentry.compileC("load");
        Nsentry.Result r = Nsentry.runAsUser("--", bin.toString(), "hammer", "64", "3");
        System.out.print(Nsentry.TEST_USER + ": " + r.stdout());
        assertFalse(r.stderr().contains("internal error"), r.toString());
        assertEquals(0, r.code(), r.toString());
        Optional<String> ok = r.stdout().lines().filter(l -> l.startsWith("ok hammer")).findFirst();
        assertTrue(ok.isPresent(), r.toString());
    }
}
