package nsentry.sentry.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the built ./nsentry launcher (black box) as root or as the unprivileged test user,
 * and compiles the small C/Go test programs it runs.
 */
final class Nsentry {
    static final String TEST_USER = "nsentry-test";

    private Nsentry() {}

    static Path repo() {
        String p = System.getProperty("nsentry.repo");
        Path dir = p != null ? Path.of(p) : Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("nsentry"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            fail("cannot find the repository root (no ./nsentry launcher above " + Path.of("").toAbsolutePath() + ")");
        }
        return dir;
    }

    /** The launcher, staged into a world-readable directory so the unprivileged user can run it too. */
    static synchronized Path launcher() throws IOException {
        if (staged == null) {
            Path repo = repo();
            Path dir = Files.createTempDirectory("nsentry-e2e-");
            for (String rel : List.of("nsentry", "native/build/nsentry-shim", "sentry/target/nsentry.jar")) {
                Path to = dir.resolve(rel);
                Files.createDirectories(to.getParent());
                Files.copy(repo.resolve(rel), to);
            }
            Path lib = dir.resolve("sentry/target/lib");
            Files.createDirectories(lib);
            try (var jars = Files.list(repo.resolve("sentry/target/lib"))) {
                for (Path jar : (Iterable<Path>) jars::iterator) {
                    Files.copy(jar, lib.resolve(jar.getFileName()));
                }
            }
            try (var all = Files.walk(dir)) {
                for (Path f : (Iterable<Path>) all::iterator) {
                    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(
                            Files.isDirectory(f) || Files.isExecutable(f) ? "rwxr-xr-x" : "rw-r--r--"));
                }
            }
            staged = dir.resolve("nsentry");
        }
        return staged;
    }

    private static Path staged;
    private static Path binDir;

    /** A world-readable directory for compiled test programs. */
    static synchronized Path binDir() throws IOException {
        if (binDir == null) {
            binDir = Files.createTempDirectory("nsentry-e2e-bin-");
            Files.setPosixFilePermissions(binDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return binDir;
    }

    /** Compiles src/test/resources/e2e/NAME.c with extra gcc flags. */
    static Path compileC(String name, String... flags) throws Exception {
        Path out = binDir().resolve(name + (flags.length > 0 ? "-" + String.join("", flags).replaceAll("[^a-z]", "") : ""));
        if (Files.exists(out)) {
            return out;
        }
        Path src = repo().resolve("sentry/src/test/resources/e2e/" + name + ".c");
        List<String> cmd = new ArrayList<>(List.of("gcc", "-O2", "-Wall", "-o", out.toString(), src.toString()));
        cmd.addAll(Arrays.asList(flags));
        cmd.add("-lpthread");
        Result r = exec(cmd, null, 120);
        if (r.code != 0) {
            fail("gcc failed: " + r.stderr);
        }
        return out;
    }

    record Result(int code, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    /** Whether the tests run as root (the owner of /proc/self). */
    static boolean isRoot() {
        try {
            return (int) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    static boolean testUserExists() {
        try {
            return exec(List.of("id", "-u", TEST_USER), null, 10).code == 0;
        } catch (Exception e) {
            return false;
        }
    }

    /** ./nsentry run ARGS... as root. */
    static Result run(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(launcher().toString(), "run"));
        cmd.addAll(Arrays.asList(args));
        return exec(cmd, null, 120);
    }

    /** ./nsentry run ARGS... as the unprivileged test user. */
    static Result runAsUser(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(asUser());
        cmd.add(launcher().toString());
        cmd.add("run");
        cmd.addAll(Arrays.asList(args));
        return exec(cmd, null, 120);
    }

    static List<String> asUser() {
        return List.of("setpriv", "--reuid=" + TEST_USER, "--regid=" + TEST_USER, "--init-groups",
                "--reset-env", "--");
    }

    /** The sentry JVM among the children of the shim process {@code shim}, once it has started. */
    static Optional<ProcessHandle> sentryOf(ProcessHandle shim) {
        return shim.children().filter(h -> h.info().commandLine().orElse("").contains("nsentry.jar")).findFirst();
    }

    static Result exec(List<String> cmd, String stdin, int timeoutSeconds) throws Exception {
        return exec(cmd, Map.of(), stdin, timeoutSeconds);
    }

    /**
     * Runs {@code cmd} with {@code env} added to this JVM's environment. A sentry server the
     * developer runs is not used (NSENTRY_SERVER=off) unless {@code env} names one: these
     * tests look for the sentry JVM under the shim.
     */
    static Result exec(List<String> cmd, Map<String, String> env, String stdin, int timeoutSeconds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("HOME", "/tmp");
        pb.environment().put("NSENTRY_SERVER", "off");
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail("timed out after " + timeoutSeconds + " s: " + cmd + "\nstderr so far: " + err.getNow(""));
        }
        return new Result(p.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
    }

    static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "<" + e + ">";
            }
        });
    }

    // ------------------------------------------------------------------ debugging (Debug*IT)

    /** Compiles C {@code source} (given inline) to NAME in {@link #binDir()}, with extra gcc flags. */
    static Path compileCSource(String name, String source, String... flags) throws Exception {
        Path out = binDir().resolve(name);
        if (Files.exists(out)) {
            return out;
        }
        Path src = binDir().resolve(name + ".c");
        Files.writeString(src, source);
        List<String> cmd = new ArrayList<>(List.of("gcc", "-Wall", "-o", out.toString(), src.toString()));
        cmd.addAll(Arrays.asList(flags));
        Result r = exec(cmd, null, 120);
        if (r.code != 0) {
            fail("gcc failed: " + r.stderr);
        }
        return out;
    }

    /** A sandbox running in the background; its pid is the sandbox id (the launcher execs the shim). */
    record Background(Process process, Path stdout, Path stderr) {
        long id() {
            return process.pid();
        }

        /** Waits for the sandbox to end and returns its result. */
        Result await(int timeoutSeconds) throws Exception {
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                fail("background sandbox timed out after " + timeoutSeconds + " s; stderr: " + Files.readString(stderr));
            }
            return new Result(process.exitValue(), Files.readString(stdout), Files.readString(stderr));
        }
    }

    /** Starts {@code ./nsentry run ARGS...} in the background, as root or as the test user. */
    static Background startRun(boolean asUser, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(asUser ? asUser() : List.of());
        cmd.add(launcher().toString());
        cmd.add("run");
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("HOME", "/tmp");
        pb.environment().put("NSENTRY_SERVER", "off");
        Path out = Files.createTempFile("nsentry-bg-", ".out");
        Path err = Files.createTempFile("nsentry-bg-", ".err");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        Process p = pb.start();
        p.getOutputStream().close();
        return new Background(p, out, err);
    }

    /** {@code ./nsentry ARGS...} (ps, ns, ...) as root or as the test user. */
    static Result cli(boolean asUser, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(asUser ? asUser() : List.of());
        cmd.add(launcher().toString());
        cmd.addAll(Arrays.asList(args));
        return exec(cmd, null, 60);
    }

    /** A fresh directory every user may write (for marker files shared with a workload). */
    static Path sharedTempDir() throws IOException {
        Path d = Files.createTempDirectory("nsentry-e2e-shared-");
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxrwxrwx"));
        return d;
    }

    /** Waits until {@code file} exists and is non-empty; fails with the sandbox's stderr otherwise. */
    static String awaitFile(Path file, Background sandbox, int timeoutSeconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (System.nanoTime() < deadline) {
            if (Files.exists(file) && Files.size(file) > 0) {
                Thread.sleep(50); // let the writer finish its line
                return Files.readString(file);
            }
            if (!sandbox.process().isAlive()) {
                fail("sandbox ended before writing " + file + ": " + sandbox.await(5));
            }
            Thread.sleep(50);
        }
        fail("timed out waiting for " + file + "; stderr: " + Files.readString(sandbox.stderr()));
        return null;
    }
}
