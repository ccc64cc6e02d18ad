package dev.nsentry.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Runs the differential conformance suite.
 *
 * <p>The first tests prove the harness itself: native against native (every probe is
 * deterministic, and a transparent launcher shows no difference), and launchers that are
 * known to be wrong must show divergences. The last test judges the launcher given by
 * {@code -Dnsentry.launcher="..."} (default {@code <repo>/nsentry run --}) and writes
 * {@code conformance-tests/RESULTS.md}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConformanceTest {

  static Path repo() {
    return Path.of(System.getProperty("nsentry.repo", "..")).toAbsolutePath().normalize();
  }

  /** Probes used by the self-tests: every probe except the chroot scenario, whose
   *  launched run is by design different from a plain native run. */
  static Harness.Config selfTestConfig() {
    return Harness.Config.defaults(repo()).withWriteResults(false);
  }

  @Test
  @Order(1)
  void probesAreDeterministicNatively() {
    Harness.Report r = Harness.run(selfTestConfig().withLauncher(List.of()));
    System.out.println(r.table());
    assertTrue(r.nativeFailures().isEmpty(), "probes failed natively:\n" + String.join("\n", r.nativeFailures()));
    assertEquals(0, r.divergent(),
        "two native runs of the same probe differ (a probe is not deterministic):\n" + r.describeUnexpected(30));
    assertTrue(r.checks() > 0, "no checks ran");
  }

  @Test
  @Order(2)
  void harnessSeesNoDifferenceThroughTransparentLauncher() {
    Harness.Report r = Harness.run(selfTestConfig().withLauncher(List.of("env"))
        .withProbes(List.of("userns_create", "nsfs", "setns", "uts")));
    System.out.println(r.table());
    assertEquals(0, r.divergent(), "`env` must be transparent:\n" + r.describeUnexpected(30));
  }

  @Test
  @Order(3)
  void harnessDetectsWrongLaunchers() {
    // a launcher that puts the probe into a user namespace first must be caught
    Harness.Report wrong = Harness.run(selfTestConfig().withLauncher(List.of("unshare", "-r", "--"))
        .withProbes(List.of("userns_create", "ids_caps")));
    System.out.println(wrong.table());
    for (String user : wrong.config().users()) {
      long d = wrong.results().stream().filter(p -> p.user().equals(user)).mapToLong(Harness.ProbeResult::divergent).sum();
      assertTrue(d > 0, "`unshare -r` must show divergences for " + user);
    }
    // a launcher that fails to run the probe is a divergence for every line
    Harness.Report broken = Harness.run(selfTestConfig().withLauncher(List.of("false"))
        .withProbes(List.of("uts")));
    assertTrue(broken.checks() > 0);
    assertEquals(broken.checks(), broken.divergent(), "a launcher that runs nothing must diverge on every line");
    // a launcher that hangs is a divergence too
    Harness.Config hang = new Harness.Config(repo(), List.of("sh", "-c", "sleep 60", "--"), List.of("uts"),
        selfTestConfig().users().subList(0, 1), java.time.Duration.ofSeconds(2), Harness.DEFAULT_CHROOT, false, 1);
    Harness.Report hung = Harness.run(hang);
    assertEquals(hung.checks(), hung.divergent(), "a hanging launcher must diverge on every line");
  }

  @Test
  @Order(4)
  void launcherConformsToLinux() {
    String l = System.getProperty("nsentry.launcher", "");
    Harness.Config cfg = Harness.Config.defaults(repo()).withWriteResults(l.isBlank());
    if (!l.isBlank()) cfg = cfg.withLauncher(Harness.splitLauncher(l));
    Harness.Report r = Harness.run(cfg);
    System.out.println(r.table());
    for (String s : r.staleKnown()) System.out.println("known divergence no longer seen (remove it): " + s);
    assertTrue(r.nativeFailures().isEmpty(), "probes failed natively:\n" + String.join("\n", r.nativeFailures()));
    if (r.launcherProblem() != null) {
      fail("LAUNCHER NOT WORKING (every check counts as divergent): " + r.launcherProblem()
          + "\n" + r.unexpected().size() + " divergences; see conformance-tests/RESULTS.md");
    }
    if (!r.unexpected().isEmpty()) {
      fail(r.unexpected().size() + " divergence(s) from Linux not listed in known-divergences.txt"
          + " (launcher: " + String.join(" ", cfg.launcher()) + ")\n" + r.describeUnexpected(40));
    }
  }
}
