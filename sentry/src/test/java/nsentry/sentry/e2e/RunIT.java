package nsentry.sentry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/** `nsentry run` as a user runs it: I/O, exit status, signals, kinds of binaries (issue: foundation). */
class RunIT {

    @Test
    void exitStatusIsTheCommands() throws Exception {
        assertEquals(0, Nsentry.run("--", "true").code());
        assertEquals(7, Nsentry.run("--", "sh", "-c", "exit 7").code());
    }

    @Test
    void killedBySignalGives128PlusN() throws Exception {
        Nsentry.Result r = Nsentry.run("--", "sh", "-c", "kill -TERM $$");
        assertEquals(128 + 15, r.code(), r.toString());
    }

    @Test
    void stdinStdoutStderrPassThrough() throws Exception {
        Nsentry.Result r = Nsentry.exec(List.of(Nsentry.launcher().toString(), "run", "--", "sh", "-c",
                "tr a-z A-Z; echo to-stderr >&2"), "hello pipeline\n", 60);
        assertEquals(0, r.code(), r.toString());
        assertEquals("HELLO PIPELINE\n", r.stdout());
        assertTrue(r.stderr().contains("to-stderr"), r.toString());
    }

    @Test
    void shellPipelineAndEnvironmentAndCwd() throws Exception {
        Path dir = Files.createTempDirectory("nsentry-cwd");
        Nsentry.Result r = Nsentry.exec(List.of("env", "NSENTRY_TEST_VAR=kept", "sh", "-c",
                "cd " + dir + " && " + Nsentry.launcher() + " run -- sh -c 'pwd; echo $NSENTRY_TEST_VAR; seq 1 100 | sort -rn | head -1'"),
                null, 60);
        assertEquals(0, r.code(), r.toString());
        assertEquals(dir.toRealPath() + "\nkept\n100\n", r.stdout(), r.toString());
    }

    /** The sentry runs with a glibc tunable of its own (no rseq); the workload gets the caller's. */
    @Test
    void workloadKeepsTheCallersGlibcTunables() throws Exception {
        String show = Nsentry.launcher() + " run -- sh -c 'echo \"${GLIBC_TUNABLES-unset}\"'";
        Nsentry.Result unset = Nsentry.exec(List.of("env", "-u", "GLIBC_TUNABLES", "sh", "-c", show), null, 60);
        assertEquals(0, unset.code(), unset.toString());
        assertEquals("unset\n", unset.stdout(), unset.toString());
        Nsentry.Result given = Nsentry.exec(List.of("env", "GLIBC_TUNABLES=glibc.malloc.check=0", "sh", "-c", show),
                null, 60);
        assertEquals(0, given.code(), given.toString());
        assertEquals("glibc.malloc.check=0\n", given.stdout(), given.toString());
        // What the sentry gets: a stand-in for java that prints it (glibc rewrites the
        // string it parsed in place, so the real JVM's /proc/PID/environ would not show it).
        Path fakeJava = Files.createTempFile("nsentry-fake-java", ".sh");
        try {
            Files.writeString(fakeJava, "#!/bin/sh\necho \"sentry: $GLIBC_TUNABLES\"\nexit 3\n");
            fakeJava.toFile().setExecutable(true);
            Nsentry.Result sentry = Nsentry.exec(List.of("env", "GLIBC_TUNABLES=glibc.malloc.check=0",
                    "NSENTRY_JAVA=" + fakeJava, Nsentry.launcher().toString(), "run", "--", "true"), null, 60);
            assertEquals("sentry: glibc.malloc.check=0:glibc.pthread.rseq=0\n", sentry.stdout(), sentry.toString());
            Nsentry.Result sentryUnset = Nsentry.exec(List.of("env", "-u", "GLIBC_TUNABLES",
                    "NSENTRY_JAVA=" + fakeJava, Nsentry.launcher().toString(), "run", "--", "true"), null, 60);
            assertEquals("sentry: glibc.pthread.rseq=0\n", sentryUnset.stdout(), sentryUnset.toString());
        } finally {
            Files.deleteIfExists(fakeJava);
        }
    }

    @Test
    void usageErrorsAreClear() throws Exception {
        Nsentry.Result r = Nsentry.exec(List.of(Nsentry.launcher().toString(), "run"), null, 60);
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.stderr().contains("CMD"), r.toString());
        Nsentry.Result missing = Nsentry.run("--", "/nonexistent/program");
        assertEquals(127, missing.code(), missing.toString());
        assertTrue(missing.stderr().contains("/nonexistent/program"), missing.toString());
        Path marker = Files.createTempDirectory("nsentry-trace").resolve("ran");
        Nsentry.Result badTrace = Nsentry.run("--trace=/nonexistent-dir/trace.txt", "--", "touch", marker.toString());
        assertEquals(125, badTrace.code(), badTrace.toString());
        assertTrue(badTrace.stderr().contains("nsentry: cannot write the trace: /nonexistent-dir/trace.txt"),
                badTrace.toString());
        assertFalse(badTrace.stderr().contains("\tat "), "no stack trace: " + badTrace);
        assertFalse(Files.exists(marker), "the workload did not run untraced");
    }

    @Test
    void controllingTerminalPassesThrough() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "util-linux script(1) missing");
        Nsentry.Result r = Nsentry.exec(List.of("script", "-qec", Nsentry.launcher()
                + " run -- sh -c 'tty; test -t 0 && test -t 1 && echo both-ttys'", "/dev/null"), null, 60);
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.stdout().contains("/dev/pts/"), r.toString());
        assertTrue(r.stdout().contains("both-ttys"), r.toString());
    }

    @Test
    void signalsSentToNsentryReachTheWorkload() throws Exception {
        for (String sig : List.of("TERM", "INT", "HUP")) {
            ProcessBuilder pb = new ProcessBuilder(Nsentry.launcher().toString(), "run", "--", "sh", "-c",
                    "trap 'echo got-" + sig + "; exit 3' " + sig + "; echo ready; while :; do sleep 0.05; done");
            Process p = pb.start();
            var out = p.inputReader();
            assertEquals("ready", out.readLine());
            new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).start().waitFor();
            assertEquals("got-" + sig, out.readLine());
            assertTrue(p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(3, p.exitValue());
        }
    }

    @Test
    void multithreadedProgram() throws Exception {
        Path bin = Nsentry.compileC("threads");
        Nsentry.Result r = Nsentry.run("--", bin.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals("ok 16000\n", r.stdout());
    }

    /**
     * An exec from a non-leader thread continues under the leader's pid; the sentry used to
     * miss it (the exec rules were not applied: a set-user-id program kept the caller's euid,
     * a non-root exec kept its permitted capabilities). Compared with Linux.
     */
    @Test
    void anExecFromAThreadAppliesTheExecRules() throws Exception {
        assumeTrue(Nsentry.isRoot(), "keeps capabilities across setresuid: needs root");
        Nsentry.Result nativeRun = sameAsNative(Nsentry.compileC("thread_exec", "-pthread"));
        assertTrue(nativeRun.stdout().contains("after the exec from a thread: uid 65534 65534 65534 permitted 0 0 tid==pid 1"),
                nativeRun.toString());
    }

    @Test
    void creatOfAnIdMapReachesTheEmulatedFile() throws Exception {
        Nsentry.Result nativeRun = sameAsNative(Nsentry.compileC("creat_map"));
        assertTrue(nativeRun.stdout().endsWith("uid 0 gid 0\n"), nativeRun.toString());
    }

    /**
     * Runs {@code bin} natively and under nsentry: both must succeed and print the same.
     * Returns the native run, for the caller's check that it printed what it is about.
     */
    private static Nsentry.Result sameAsNative(Path bin) throws Exception {
        Nsentry.Result nativeRun = Nsentry.exec(List.of(bin.toString()), null, 30);
        Nsentry.Result r = Nsentry.run("--", bin.toString());
        assertEquals(0, nativeRun.code(), nativeRun.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals(nativeRun.stdout(), r.stdout(), "native:\n" + nativeRun + "\nnsentry:\n" + r);
        return nativeRun;
    }

    @Test
    void staticBinary() throws Exception {
        Path bin = Nsentry.compileC("ids", "-static");
        Nsentry.Result r = Nsentry.run("--", bin.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.stdout().startsWith("uid=0 euid=0 gid=0 egid=0"), r.toString());
    }

    @Test
    void goBinary() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/go")), "golang-go is not installed (scripts/setup.sh)");
        Path out = Nsentry.binDir().resolve("hello-go");
        if (!Files.exists(out)) {
            Path src = Nsentry.repo().resolve("sentry/src/test/resources/e2e/hello.go");
            Nsentry.Result b = Nsentry.exec(List.of("env", "GOCACHE=" + Nsentry.binDir().resolve("gocache"),
                    "GOPATH=" + Nsentry.binDir().resolve("gopath"), "GO111MODULE=off", "go", "build", "-o",
                    out.toString(), src.toString()), null, 300);
            assertEquals(0, b.code(), b.toString());
        }
        Nsentry.Result r = Nsentry.run("--", out.toString());
        assertEquals(3, r.code(), r.toString());
        assertEquals("go uid=0\n", r.stdout());
    }

    @Test
    void unprivilegedUserRunsTheSameLauncher() throws Exception {
        assumeTrue(Nsentry.testUserExists(), "user nsentry-test missing (scripts/setup.sh)");
        Path bin = Nsentry.compileC("ids");
        Nsentry.Result r = Nsentry.runAsUser("--", bin.toString());
        assertEquals(0, r.code(), r.toString());
        assertFalse(r.stdout().startsWith("uid=0 "), r.toString());
        Nsentry.Result threads = Nsentry.runAsUser("--", Nsentry.compileC("threads").toString());
        assertEquals("ok 16000\n", threads.stdout(), threads.toString());
    }

    @Test
    void emulatedProcFilesAreReadAtReadTimeLikeLinux() throws Exception {
        Path bin = Nsentry.compileC("late_map_read");
        Nsentry.Result natively = Nsentry.exec(List.of(bin.toString()), null, 60);
        Nsentry.Result emulated = Nsentry.run("--", bin.toString());
        assertEquals(0, emulated.code(), emulated.toString());
        assertEquals(natively.stdout(), emulated.stdout(), "native:\n" + natively + "\nnsentry:\n" + emulated);
        assertTrue(emulated.stdout().contains("read=33"), emulated.toString());
    }

    @Test
    void rootOptionGivesEmulatedRoot() throws Exception {
        assumeTrue(Nsentry.testUserExists(), "user nsentry-test missing (scripts/setup.sh)");
        Nsentry.Result r = Nsentry.runAsUser("--root", "--", Nsentry.compileC("ids").toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.stdout().startsWith("uid=0 euid=0 gid=0 egid=0"), r.toString());
    }
}
