package nsentry.sentry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

/**
 * Issue 9, item 1: every intercepted syscall called with hostile arguments (bad pointers,
 * unterminated and over-long paths, huge and negative lengths, invalid flags, closed,
 * reused and non-namespace fds) gives the workload exactly what Linux gives it.
 *
 * <p>{@code e2e/hostile.c} generates the corpus (about 2,700 cases, each in its own forked
 * child) and prints one normalized line per case; this test runs it natively and under
 * {@code nsentry run}, as root and as the unprivileged test user, and compares the
 * transcripts family by family. nsentry's stderr must never show an internal error (a
 * sentry exception) and the run must exit 0.
 */
class HostileArgsIT {

    /** Section name (from the "## NAME" header lines) to its lines. */
    private record Transcript(Map<String, List<String>> sections, Nsentry.Result raw) {}

    private record Runs(Transcript nativeRun, Transcript nsentryRun) {}

    private static Runs root;
    private static Runs user;

    private static synchronized Runs root() throws Exception {
        if (root == null) {
            root = runs(false);
        }
        return root;
    }

    private static synchronized Runs user() throws Exception {
        if (user == null) {
            user = Nsentry.testUserExists() ? runs(true) : null;
        }
        return user;
    }

    private static Runs runs(boolean asUser) throws Exception {
        Path bin = Nsentry.compileC("hostile");
        CompletableFuture<Nsentry.Result> sandboxed = CompletableFuture.supplyAsync(() -> {
            try {
                return asUser ? Nsentry.runAsUser("--", bin.toString()) : Nsentry.run("--", bin.toString());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        List<String> nativeCmd = new ArrayList<>(asUser ? Nsentry.asUser() : List.of());
        nativeCmd.add(bin.toString());
        Nsentry.Result n = Nsentry.exec(nativeCmd, null, 120);
        Nsentry.Result s = sandboxed.get();
        assertEquals(0, n.code(), "native run failed: " + n);
        assertEquals(0, s.code(), "nsentry run failed: " + s);
        assertFalse(s.stderr().contains("internal error"), "sentry exception while handling hostile arguments:\n"
                + s.stderr());
        assertFalse(s.stdout().contains("case child killed"), "a case child was killed under nsentry:\n" + s.stdout());
        return new Runs(parse(n), parse(s));
    }

    private static Transcript parse(Nsentry.Result r) {
        Map<String, List<String>> sections = new LinkedHashMap<>();
        List<String> current = null;
        for (String line : r.stdout().split("\n")) {
            if (line.startsWith("## ")) {
                current = new ArrayList<>();
                sections.put(line.substring(3), current);
            } else if (current != null && !line.isEmpty()) {
                current.add(line);
            }
        }
        return new Transcript(sections, r);
    }

    private static void compare(String family) throws Exception {
        StringBuilder problems = new StringBuilder();
        int cases = 0;
        for (var entry : new LinkedHashMap<String, Runs>() {
            {
                put("root", root());
                put(Nsentry.TEST_USER, user());
            }
        }.entrySet()) {
            Runs runs = entry.getValue();
            if (runs == null) {
                continue;
            }
            List<String> expected = runs.nativeRun().sections().get(family);
            List<String> actual = runs.nsentryRun().sections().get(family);
            if (expected == null || expected.isEmpty()) {
                fail("no native transcript for family " + family + " as " + entry.getKey());
            }
            if (actual == null) {
                problems.append("as ").append(entry.getKey()).append(": no transcript under nsentry\n");
                continue;
            }
            cases += expected.size();
            int shown = 0;
            for (int i = 0; i < Math.max(expected.size(), actual.size()); i++) {
                String e = i < expected.size() ? expected.get(i) : "<missing>";
                String a = i < actual.size() ? actual.get(i) : "<missing>";
                if (!e.equals(a) && shown++ < 30) {
                    problems.append("as ").append(entry.getKey()).append(":\n  linux:   ").append(e)
                            .append("\n  nsentry: ").append(a).append('\n');
                }
            }
            if (shown > 30) {
                problems.append("as ").append(entry.getKey()).append(": ... ").append(shown - 30).append(" more\n");
            }
        }
        System.out.printf("hostile %-18s %5d cases compared%n", family, cases);
        assertTrue(problems.isEmpty(), "nsentry differs from Linux for hostile " + family + " arguments:\n" + problems);
    }

    @Test
    void everyFamilyRanAndNothingCrashed() throws Exception {
        Runs r = root();
        assertEquals(r.nativeRun().sections().keySet(), r.nsentryRun().sections().keySet());
        int total = r.nativeRun().sections().values().stream().mapToInt(List::size).sum();
        assertTrue(total > 2000, "the corpus shrank: " + total + " cases");
        assertFalse(r.nativeRun().raw().stdout().contains("case child killed"), r.nativeRun().raw().stdout());
        user();
    }

    @Test
    void setns() throws Exception {
        compare("setns");
    }

    @Test
    void unshare() throws Exception {
        compare("unshare");
    }

    @Test
    void cloneWithNamespaceFlags() throws Exception {
        compare("clone");
    }

    @Test
    void clone3() throws Exception {
        compare("clone3");
    }

    @Test
    void openOfNsFilesAndMaps() throws Exception {
        compare("open");
    }

    @Test
    void readlink() throws Exception {
        compare("readlink");
    }

    @Test
    void statFamily() throws Exception {
        compare("stat");
    }

    @Test
    void idMapWrites() throws Exception {
        compare("map_write");
    }

    @Test
    void idMapWritesRefusedByAccessOk() throws Exception {
        compare("map_access_ok");
    }

    @Test
    void idMapPwriteAndWritev() throws Exception {
        compare("map_pwrite_writev");
    }

    @Test
    void getresuidGetresgid() throws Exception {
        compare("getres");
    }

    @Test
    void getgroupsSetgroups() throws Exception {
        compare("groups");
    }

    @Test
    void capgetCapset() throws Exception {
        compare("caps");
    }

    @Test
    void prctlAndSetId() throws Exception {
        compare("prctl_setid");
    }

    @Test
    void nsIoctls() throws Exception {
        compare("ioctl");
    }

    @Test
    void utsCalls() throws Exception {
        compare("uts");
    }

    @Test
    void execChrootMountOpenat2() throws Exception {
        compare("misc");
    }
}
