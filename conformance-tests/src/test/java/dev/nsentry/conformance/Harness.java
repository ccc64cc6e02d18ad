package dev.nsentry.conformance;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The differential conformance harness.
 *
 * <p>For every probe (a C program in {@code probes/}) and every user (root and the
 * unprivileged {@code nsentry-test}), the probe runs natively on the host kernel (the
 * reference) and under a launcher command (by default {@code <repo>/nsentry run --}); the
 * two normalized transcripts are compared line by line, keyed by check name. A launched
 * run that crashes, hangs or does not reach its final line is a divergence for every
 * line. Divergences listed in {@code known-divergences.txt} are reported but tolerated.
 *
 * <p>No JUnit dependency: {@link #main} is what {@code conformance-tests/run} calls, and
 * {@code ConformanceTest} drives the same code.
 */
public final class Harness {

  /** The unprivileged user the suite runs as (created by scripts/setup.sh). */
  public static final String TEST_USER = "nsentry-test";
  /** Default chroot used by the seed chroot scenario (an rbind of /). */
  public static final Path DEFAULT_CHROOT = Path.of("/var/lib/nsentry/chroot");
  /** Probes that run inside the chroot under the launcher (reference: native, outside). */
  static final List<String> CHROOT_PROBES = List.of("seed_libcamera_chroot");
  /** For a chroot probe: the line that must be EPERM natively inside the chroot. */
  static final Map<String, String> CHROOT_PRECONDITION =
      Map.of("seed_libcamera_chroot", "libcamera.unshare");
  static final String FINAL_LINE = "probe.complete";

  /** Settings of one run. */
  public record Config(
      Path repo,
      List<String> launcher,
      List<String> probeFilter,
      List<String> users,
      Duration timeout,
      Path chrootDir,
      boolean writeResults,
      int parallelism) {

    public static Config defaults(Path repo) {
      return new Config(repo, defaultLauncher(repo), List.of(), defaultUsers(),
          Duration.ofSeconds(20), DEFAULT_CHROOT, false, 2);
    }

    public Config withLauncher(List<String> l) {
      return new Config(repo, l, probeFilter, users, timeout, chrootDir, writeResults, parallelism);
    }

    public Config withProbes(List<String> p) {
      return new Config(repo, launcher, p, users, timeout, chrootDir, writeResults, parallelism);
    }

    public Config withWriteResults(boolean w) {
      return new Config(repo, launcher, probeFilter, users, timeout, chrootDir, w, parallelism);
    }

    public Config withUsers(List<String> u) {
      return new Config(repo, launcher, probeFilter, u, timeout, chrootDir, writeResults, parallelism);
    }
  }

  public static List<String> defaultLauncher(Path repo) {
    return List.of(repo.resolve("nsentry").toString(), "run", "--");
  }

  static boolean isRoot() {
    try {
      return "0".equals(exec(List.of("id", "-u"), Duration.ofSeconds(5)).stdout.trim());
    } catch (RuntimeException e) {
      return false;
    }
  }

  static String whoami() {
    return exec(List.of("id", "-un"), Duration.ofSeconds(5)).stdout.trim();
  }

  public static List<String> defaultUsers() {
    if (isRoot()) return List.of("root", TEST_USER);
    return List.of(whoami());
  }

  /** One compared line. */
  public record Line(String probe, String user, String check, String expected, String actual,
      String knownReason) {
    boolean identical() {
      return expected != null && expected.equals(actual);
    }
  }

  /** The comparison of one probe for one user. */
  public record ProbeResult(String probe, String user, List<Line> lines, String note,
      String nativeFailure, String skipped) {
    long checks() { return lines.size(); }
    long identical() { return lines.stream().filter(Line::identical).count(); }
    long divergent() { return checks() - identical(); }
    long known() { return lines.stream().filter(l -> !l.identical() && l.knownReason() != null).count(); }
    List<Line> unexpected() {
      return lines.stream().filter(l -> !l.identical() && l.knownReason() == null).toList();
    }
  }

  /** Everything one run produced. */
  public record Report(Config config, List<ProbeResult> results, List<String> staleKnown,
      List<String> problems, String table, String launcherProblem) {
    public long divergent() { return results.stream().mapToLong(ProbeResult::divergent).sum(); }
    public long identical() { return results.stream().mapToLong(ProbeResult::identical).sum(); }
    public long checks() { return results.stream().mapToLong(ProbeResult::checks).sum(); }
    public List<Line> unexpected() {
      return results.stream().flatMap(r -> r.unexpected().stream()).toList();
    }
    public List<String> nativeFailures() {
      return results.stream().filter(r -> r.nativeFailure() != null)
          .map(r -> r.probe() + " as " + r.user() + ": " + r.nativeFailure()).toList();
    }

    /** A human-readable summary of unexpected divergences (for failure messages). */
    public String describeUnexpected(int max) {
      StringBuilder sb = new StringBuilder();
      for (ProbeResult r : results) {
        if (r.note() != null && !r.unexpected().isEmpty()) {
          sb.append("  ").append(r.probe()).append(" as ").append(r.user()).append(": ")
              .append(r.note()).append('\n');
        }
      }
      int n = 0;
      for (Line l : unexpected()) {
        if (n++ >= max) { sb.append("  ... and ").append(unexpected().size() - max).append(" more\n"); break; }
        sb.append("  ").append(l.probe()).append(' ').append(l.user()).append(' ').append(l.check())
            .append("\n      linux:    ").append(l.expected() == null ? "(no such line)" : l.expected())
            .append("\n      launched: ").append(l.actual() == null ? "(no such line)" : l.actual())
            .append('\n');
      }
      return sb.toString();
    }
  }

  // ------------------------------------------------------------------ running

  private final Config cfg;
  private final Path suiteDir;
  private Path probeDir;
  /** The launcher's copy for the test user, if one was needed ({@link #prepareLauncher}). */
  private Path launcherCopy;
  private List<String> launcher;
  private String launcherProblem;

  public Harness(Config cfg) {
    this.cfg = cfg;
    this.suiteDir = cfg.repo().resolve("conformance-tests");
  }

  public static Report run(Config cfg) {
    return new Harness(cfg).runAll();
  }

  Report runAll() {
    try {
      return buildAndRunAll();
    } finally {
      deleteTree(probeDir);
      deleteTree(launcherCopy);
    }
  }

  /** Removes a temporary directory the harness made (null: none); a failure is only reported. */
  private static void deleteTree(Path dir) {
    if (dir == null) return;
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException | UncheckedIOException e) {
      System.err.println("conformance: could not remove " + dir + ": " + e);
    }
  }

  private Report buildAndRunAll() {
    List<String> problems = new ArrayList<>();
    List<String> probes = buildProbes();
    prepareLauncher(problems);
    Map<String, String> known = KnownDivergences.load(suiteDir.resolve("known-divergences.txt"));
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, cfg.parallelism()));
    List<Future<ProbeResult>> futures = new ArrayList<>();
    for (String probe : probes) {
      for (String user : cfg.users()) {
        futures.add(pool.submit(() -> runProbe(probe, user, known)));
      }
    }
    List<ProbeResult> results = new ArrayList<>();
    try {
      for (Future<ProbeResult> f : futures) results.add(f.get());
    } catch (Exception e) {
      throw new IllegalStateException("harness failure", e);
    } finally {
      pool.shutdownNow();
    }
    List<String> stale = new ArrayList<>();
    for (String key : known.keySet()) {
      String[] k = key.split(" ", 3);
      boolean stillDivergent = results.stream().flatMap(r -> r.lines().stream())
          .anyMatch(l -> !l.identical() && KnownDivergences.matches(key, l));
      boolean probeRan = results.stream().anyMatch(r -> r.probe().equals(k[0]));
      if (probeRan && !stillDivergent) stale.add(key);
    }
    String table = Results.table(cfg, results, launcherProblem);
    Report report = new Report(cfg, results, stale, problems, table, launcherProblem);
    if (cfg.writeResults()) Results.write(suiteDir.resolve("RESULTS.md"), report, launcherProblem);
    return report;
  }

  /** Compiles every probe into a fresh mode-0755 directory; returns the probe names. */
  List<String> buildProbes() {
    try {
      probeDir = Files.createTempDirectory("nsentry-probes-");
      Files.setPosixFilePermissions(probeDir, PosixFilePermissions.fromString("rwxr-xr-x"));
      Path src = suiteDir.resolve("probes");
      List<String> names;
      try (Stream<Path> s = Files.list(src)) {
        names = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".c"))
            .map(n -> n.substring(0, n.length() - 2)).sorted()
            .filter(n -> cfg.probeFilter().isEmpty() || cfg.probeFilter().contains(n)).toList();
      }
      if (names.isEmpty()) throw new IllegalStateException("no probes matched " + cfg.probeFilter());
      ExecutorService pool = Executors.newFixedThreadPool(2);
      List<Future<Exec>> builds = new ArrayList<>();
      for (String n : names) {
        builds.add(pool.submit(() -> exec(List.of("cc", "-O1", "-Wall", "-o",
            probeDir.resolve(n).toString(), src.resolve(n + ".c").toString(), "-lpthread"),
            Duration.ofSeconds(120))));
      }
      for (int i = 0; i < names.size(); i++) {
        Exec e = builds.get(i).get();
        if (e.exitCode != 0) {
          pool.shutdownNow();
          throw new IllegalStateException("probe " + names.get(i) + " does not compile:\n" + e.stderr);
        }
      }
      pool.shutdown();
      return names;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Makes the launcher usable by every user: if the default nsentry launcher lives in a
   * directory the unprivileged user cannot traverse, its runtime files are copied into a
   * mode-0755 directory. The default launcher is warmed up once (it builds itself on first
   * use), so a launcher that does not start at all gives one clear message.
   */
  void prepareLauncher(List<String> problems) {
    launcher = cfg.launcher();
    boolean isDefault = launcher.equals(defaultLauncher(cfg.repo()));
    if (!isDefault) return;
    Path script = cfg.repo().resolve("nsentry");
    if (!Files.isExecutable(script)) {
      launcherProblem = "the launcher " + script + " does not exist yet (nsentry not built)";
      return;
    }
    Exec warm = exec(concat(launcher, List.of("true")), Duration.ofSeconds(300));
    if (warm.exitCode != 0 || warm.timedOut) {
      launcherProblem = "the launcher does not work: `" + String.join(" ", launcher)
          + " true` " + (warm.timedOut ? "timed out" : "exited " + warm.exitCode)
          + (warm.stderr.isBlank() ? "" : ": " + tail(warm.stderr, 600));
      return;
    }
    if (cfg.users().contains(TEST_USER) && isRoot()
        && exec(asUser(TEST_USER, List.of("test", "-x", script.toString())), Duration.ofSeconds(5)).exitCode != 0) {
      try {
        Path copy = Files.createTempDirectory("nsentry-launcher-");
        launcherCopy = copy;
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> rel = new ArrayList<>(List.of("nsentry", "native/build/nsentry-shim", "sentry/target/nsentry.jar"));
        Path lib = cfg.repo().resolve("sentry/target/lib");
        if (Files.isDirectory(lib)) {
          try (Stream<Path> s = Files.list(lib)) {
            s.forEach(p -> rel.add("sentry/target/lib/" + p.getFileName()));
          }
        }
        for (String r : rel) {
          Path from = cfg.repo().resolve(r);
          if (!Files.exists(from)) continue;
          Path to = copy.resolve(r);
          Files.createDirectories(to.getParent());
          Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
        }
        exec(List.of("chmod", "-R", "a+rX", copy.toString()), Duration.ofSeconds(10));
        launcher = concat(List.of(copy.resolve("nsentry").toString()), launcher.subList(1, launcher.size()));
        problems.add("launcher copied to " + copy + " (repo not traversable by " + TEST_USER + ")");
      } catch (IOException e) {
        launcherProblem = "cannot copy the launcher for " + TEST_USER + ": " + e;
      }
    }
  }

  ProbeResult runProbe(String probe, String user, Map<String, String> known) {
    Path bin = probeDir.resolve(probe);
    // in native-vs-native mode (empty launcher) a chroot probe runs outside the chroot twice
    boolean chrootProbe = CHROOT_PROBES.contains(probe) && !cfg.launcher().isEmpty();
    if (!userExists(user)) {
      return new ProbeResult(probe, user, List.of(), null, null,
          "user " + user + " does not exist (run scripts/setup.sh)");
    }
    Exec ref = exec(asUser(user, List.of(bin.toString())), cfg.timeout());
    String nativeFailure = failure(ref);
    String note = null;
    Exec got;
    if (chrootProbe) {
      String why = ensureChroot();
      if (why != null) {
        return new ProbeResult(probe, user, List.of(), null, null, why);
      }
      Exec inChroot = exec(chrootAs(user, List.of(bin.toString())), cfg.timeout());
      String pre = CHROOT_PRECONDITION.get(probe);
      String preLine = Transcript.parse(inChroot.stdout).get(pre);
      if (preLine == null || !preLine.endsWith("= -EPERM")) {
        return new ProbeResult(probe, user, List.of(), null, null,
            "native run in " + cfg.chrootDir() + " does not show the kernel's EPERM (" + pre + ": "
                + preLine + "); the chroot scenario is not meaningful here");
      }
      got = launcherProblem != null ? null
          : exec(chrootAs(user, concat(launcher, List.of(bin.toString()))), cfg.timeout());
    } else {
      got = launcherProblem != null ? null
          : exec(asUser(user, concat(launcher, List.of(bin.toString()))), cfg.timeout());
    }
    Map<String, String> expected = Transcript.parse(ref.stdout);
    Map<String, String> actual;
    if (got == null) {
      note = launcherProblem;
      actual = Map.of();
    } else {
      String f = failure(got);
      if (f != null) {
        note = "launched run " + f + (got.stderr.isBlank() ? "" : "; stderr: " + tail(got.stderr, 400));
        actual = Map.of(); // a crash, hang or truncated run is a divergence for every line
      } else {
        actual = Transcript.parse(got.stdout);
      }
    }
    List<Line> lines = new ArrayList<>();
    for (Map.Entry<String, String> e : expected.entrySet()) {
      String a = actual.get(e.getKey());
      lines.add(new Line(probe, user, e.getKey(), e.getValue(), a,
          KnownDivergences.reason(known, probe, user, e.getKey())));
    }
    for (Map.Entry<String, String> e : actual.entrySet()) {
      if (!expected.containsKey(e.getKey())) {
        lines.add(new Line(probe, user, e.getKey(), null, e.getValue(),
            KnownDivergences.reason(known, probe, user, e.getKey())));
      }
    }
    return new ProbeResult(probe, user, lines, note, nativeFailure, null);
  }

  /** Why a run does not count as a complete transcript, or null. */
  static String failure(Exec e) {
    if (e.timedOut) return "timed out";
    if (e.exitCode != 0) return "exited with " + e.exitCode;
    if (e.stdout.isBlank()) return "printed nothing";
    if (!Transcript.parse(e.stdout).containsKey(FINAL_LINE)) return "did not reach its final line";
    return null;
  }

  String ensureChroot() {
    Path d = cfg.chrootDir();
    synchronized (Harness.class) {
      if (Files.exists(d.resolve("proc/self/ns/user"), LinkOption.NOFOLLOW_LINKS)
          || Files.isDirectory(d.resolve("proc/1"))) return null;
      if (!isRoot()) return "no chroot at " + d + " and not root to make one; skipped";
      Exec m = exec(List.of("sh", "-c", "mkdir -p '" + d + "' && mount --rbind / '" + d
          + "' && mount --make-rslave '" + d + "'"), Duration.ofSeconds(20));
      if (m.exitCode != 0) return "cannot make the chroot " + d + ": " + m.stderr.trim() + "; skipped";
      return null;
    }
  }

  static boolean userExists(String user) {
    return exec(List.of("id", "-u", user), Duration.ofSeconds(5)).exitCode == 0;
  }

  List<String> asUser(String user, List<String> cmd) {
    if (user.equals("root") && isRoot() || !isRoot()) return cmd;
    return concat(List.of("setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups", "--"), cmd);
  }

  List<String> chrootAs(String user, List<String> cmd) {
    return concat(List.of("chroot", cfg.chrootDir().toString()), asUser(user, cmd));
  }

  static List<String> concat(List<String> a, List<String> b) {
    List<String> r = new ArrayList<>(a);
    r.addAll(b);
    return r;
  }

  static String tail(String s, int max) {
    s = s.strip();
    return s.length() <= max ? s : "..." + s.substring(s.length() - max);
  }

  // ------------------------------------------------------------------ processes

  /** The outcome of one command. */
  public record Exec(int exitCode, boolean timedOut, String stdout, String stderr) {}

  static Exec exec(List<String> cmd, Duration timeout) {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> env = pb.environment();
    String javaHome = env.get("JAVA_HOME");
    env.clear();
    env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    env.put("LANG", "C.UTF-8");
    env.put("HOME", "/");
    if (javaHome != null) env.put("JAVA_HOME", javaHome);
    try {
      Path out = Files.createTempFile("probe-out-", ".txt");
      Path err = Files.createTempFile("probe-err-", ".txt");
      try {
        pb.redirectOutput(out.toFile()).redirectError(err.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!done) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
          p.waitFor(5, TimeUnit.SECONDS);
        }
        return new Exec(done ? p.exitValue() : -1, !done, read(out), read(err));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      return new Exec(127, false, "", "cannot start " + cmd + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Exec(-1, true, "", "interrupted");
    }
  }

  private static String read(Path p) throws IOException {
    try (InputStream in = Files.newInputStream(p)) {
      byte[] b = in.readNBytes(4 << 20);
      return new String(b, StandardCharsets.UTF_8);
    }
  }

  // ------------------------------------------------------------------ CLI

  public static void main(String[] args) {
    Path repo = Path.of(System.getProperty("nsentry.repo", ".")).toAbsolutePath().normalize();
    Config cfg = Config.defaults(repo).withWriteResults(true);
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--repo" -> {
          repo = Path.of(args[++i]).toAbsolutePath().normalize();
          cfg = new Config(repo, defaultLauncher(repo), cfg.probeFilter(), cfg.users(), cfg.timeout(),
              cfg.chrootDir(), cfg.writeResults(), cfg.parallelism());
        }
        case "--launcher" -> cfg = cfg.withLauncher(splitLauncher(args[++i]));
        case "--native" -> cfg = cfg.withLauncher(List.of());
        case "--probe" -> cfg = cfg.withProbes(concat(cfg.probeFilter(), List.of(args[++i])));
        case "--user" -> cfg = cfg.withUsers(List.of(args[++i]));
        case "--no-results" -> cfg = cfg.withWriteResults(false);
        case "-v", "--verbose" -> System.setProperty("nsentry.verbose", "true");
        default -> {
          System.err.println("usage: run [--launcher CMD] [--native] [--probe NAME]... [--user U] [--no-results] [-v]");
          System.exit(2);
        }
      }
    }
    if (!cfg.launcher().equals(defaultLauncher(repo))) cfg = cfg.withWriteResults(false);
    Instant t0 = Instant.now();
    Report r = run(cfg);
    System.out.println(r.table());
    if (!r.unexpected().isEmpty()) {
      System.out.println("Unexpected divergences (" + r.unexpected().size() + "):");
      System.out.print(r.describeUnexpected(Boolean.getBoolean("nsentry.verbose") ? Integer.MAX_VALUE : 40));
    }
    for (String s : r.staleKnown()) System.out.println("known divergence no longer seen (remove it): " + s);
    for (String s : r.nativeFailures()) System.out.println("NATIVE PROBE FAILURE: " + s);
    for (String s : r.problems()) System.out.println("note: " + s);
    System.out.printf("(%d s)%n", Duration.between(t0, Instant.now()).toSeconds());
    System.exit(r.unexpected().isEmpty() && r.nativeFailures().isEmpty() ? 0 : 1);
  }

  /** Splits a launcher command on whitespace (no quoting needed for the usual cases). */
  public static List<String> splitLauncher(String s) {
    return Arrays.stream(s.trim().split("\\s+")).filter(x -> !x.isEmpty()).collect(Collectors.toList());
  }

  // ------------------------------------------------------------------ transcripts

  /** Parsing of normalized transcripts. */
  static final class Transcript {
    private Transcript() {}

    /** check-name → rest of line, in order; a repeated name gets a "#2", "#3" suffix. */
    static Map<String, String> parse(String out) {
      Map<String, String> m = new LinkedHashMap<>();
      for (String raw : out.split("\n")) {
        String l = raw.stripTrailing();
        if (l.isEmpty()) continue;
        int c = l.indexOf(": ");
        String name = c < 0 ? l : l.substring(0, c);
        String rest = c < 0 ? "" : l.substring(c + 2);
        String key = name;
        for (int n = 2; m.containsKey(key); n++) key = name + "#" + n;
        m.put(key, rest);
      }
      return m;
    }
  }

  // ------------------------------------------------------------------ known divergences

  /** known-divergences.txt: {@code probe user check-name | reason}; '#' comments. */
  static final class KnownDivergences {
    private KnownDivergences() {}

    static Map<String, String> load(Path file) {
      Map<String, String> m = new LinkedHashMap<>();
      if (!Files.exists(file)) return m;
      try {
        for (String raw : Files.readAllLines(file)) {
          String l = raw.strip();
          if (l.isEmpty() || l.startsWith("#")) continue;
          int bar = l.indexOf('|');
          String key = (bar < 0 ? l : l.substring(0, bar)).strip().replaceAll("\\s+", " ");
          String reason = bar < 0 ? "(no reason given)" : l.substring(bar + 1).strip();
          if (key.split(" ").length != 3) throw new IllegalStateException("bad line in " + file + ": " + raw);
          m.put(key, reason);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return m;
    }

    static boolean matches(String key, Line l) {
      String[] k = key.split(" ");
      return k[0].equals(l.probe()) && (k[1].equals("*") || k[1].equals(l.user()))
          && (k[2].equals(l.check()) || k[2].endsWith("*") && l.check().startsWith(k[2].substring(0, k[2].length() - 1)));
    }

    static String reason(Map<String, String> known, String probe, String user, String check) {
      Line l = new Line(probe, user, check, null, null, null);
      for (Map.Entry<String, String> e : known.entrySet()) {
        if (matches(e.getKey(), l)) return e.getValue();
      }
      return null;
    }
  }

  // ------------------------------------------------------------------ results

  /** The table printed by the runner and written to RESULTS.md. */
  static final class Results {
    private Results() {}

    static String area(String probe) {
      return probe;
    }

    static String table(Config cfg, List<ProbeResult> results, String launcherProblem) {
      StringBuilder sb = new StringBuilder();
      sb.append("launcher: ").append(cfg.launcher().isEmpty() ? "(none: native vs native)" : String.join(" ", cfg.launcher())).append('\n');
      if (launcherProblem != null) sb.append("LAUNCHER PROBLEM: ").append(launcherProblem).append('\n');
      Map<String, long[]> total = new TreeMap<>();
      int w = results.stream().mapToInt(r -> r.probe().length()).max().orElse(10) + 1;
      for (String user : cfg.users()) {
        sb.append('\n').append("user ").append(user).append(":\n");
        long c = 0, i = 0, d = 0, k = 0;
        for (ProbeResult r : results.stream().filter(r -> r.user().equals(user))
            .sorted(Comparator.comparing(ProbeResult::probe)).toList()) {
          if (r.skipped() != null) {
            sb.append(String.format("  %-" + w + "s skipped: %s%n", r.probe() + ":", r.skipped()));
            continue;
          }
          sb.append(String.format("  %-" + w + "s %4d checks, %4d identical, %4d divergent%s%s%n",
              r.probe() + ":", r.checks(), r.identical(), r.divergent(),
              r.known() > 0 ? " (" + r.known() + " known)" : "",
              r.nativeFailure() != null ? "  [NATIVE FAILURE: " + r.nativeFailure() + "]" : ""));
          c += r.checks(); i += r.identical(); d += r.divergent(); k += r.known();
          long[] t = total.computeIfAbsent(r.probe(), x -> new long[4]);
          t[0] += r.checks(); t[1] += r.identical(); t[2] += r.divergent(); t[3] += r.known();
        }
        sb.append(String.format("  %-" + w + "s %4d checks, %4d identical, %4d divergent%s%n", "total:", c, i, d,
            k > 0 ? " (" + k + " known)" : ""));
      }
      long c = results.stream().mapToLong(ProbeResult::checks).sum();
      long i = results.stream().mapToLong(ProbeResult::identical).sum();
      sb.append(String.format("%nall users: %d checks, %d identical, %d divergent%n", c, i, c - i));
      return sb.toString();
    }

    static void write(Path file, Report r, String launcherProblem) {
      StringBuilder sb = new StringBuilder();
      sb.append("# Conformance results\n\n");
      sb.append("Generated by `conformance-tests/run` / `ConformanceTest` — do not edit by hand.\n\n");
      // Paths inside the checkout are shown relative to it: the file is committed.
      String repoPrefix = r.config().repo().toAbsolutePath().normalize() + "/";
      String launcher = String.join(" ", r.config().launcher()).replace(repoPrefix, "./");
      sb.append("Launcher: `").append(launcher).append("`  \n");
      sb.append("Kernel: `").append(exec(List.of("uname", "-r"), Duration.ofSeconds(5)).stdout.trim()).append("`\n\n");
      if (launcherProblem != null) sb.append("**Launcher problem** (every check counts as divergent):\n\n```\n").append(launcherProblem).append("\n```\n\n");
      for (String user : r.config().users()) {
        sb.append("## user `").append(user).append("`\n\n");
        sb.append("| area | checks | identical | divergent | known |\n|---|---:|---:|---:|---:|\n");
        long c = 0, i = 0, d = 0, k = 0;
        for (ProbeResult p : r.results().stream().filter(x -> x.user().equals(user))
            .sorted(Comparator.comparing(ProbeResult::probe)).toList()) {
          if (p.skipped() != null) {
            sb.append("| ").append(p.probe()).append(" | skipped: ").append(p.skipped()).append(" | | | |\n");
            continue;
          }
          sb.append("| ").append(p.probe()).append(" | ").append(p.checks()).append(" | ").append(p.identical())
              .append(" | ").append(p.divergent()).append(" | ").append(p.known()).append(" |\n");
          c += p.checks(); i += p.identical(); d += p.divergent(); k += p.known();
        }
        sb.append("| **total** | ").append(c).append(" | ").append(i).append(" | ").append(d).append(" | ")
            .append(k).append(" |\n\n");
      }
      sb.append("**All users:** ").append(r.checks()).append(" checks, ").append(r.identical())
          .append(" identical, ").append(r.divergent()).append(" divergent.\n");
      try {
        Files.writeString(file, sb.toString());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
