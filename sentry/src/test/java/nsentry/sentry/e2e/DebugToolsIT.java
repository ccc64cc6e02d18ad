package nsentry.sentry.e2e;

import static nsentry.sentry.e2e.Nsentry.awaitFile;
import static nsentry.sentry.e2e.Nsentry.cli;
import static nsentry.sentry.e2e.Nsentry.sharedTempDir;
import static nsentry.sentry.e2e.Nsentry.startRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.google.protobuf.util.JsonFormat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import nsentry.proto.NamespaceInfo;
import nsentry.proto.NamespaceTree;
import nsentry.sentry.e2e.Nsentry.Background;
import nsentry.sentry.e2e.Nsentry.Result;

/**
 * gdb, strace, lsns and nsenter inside the sandbox (issue 7 items 4 and 5), as root and as
 * the unprivileged test user. nsentry uses ptrace only for a moment during a
 * clone(CLONE_NEW*) rewrite, so tracers work; the one exception (that clone under a
 * tracer) fails with EPERM and a trace line that says why.
 */
class DebugToolsIT {

    private static final String CRASH_C = """
            #include <stddef.h>
            int deref(int *p) { return *p; }
            int main(void) { return deref(NULL); }
            """;

    private static final String CLONE_NEWUSER_C = """
            #define _GNU_SOURCE
            #include <errno.h>
            #include <sched.h>
            #include <signal.h>
            #include <stdio.h>
            #include <string.h>
            #include <sys/syscall.h>
            #include <sys/wait.h>
            #include <unistd.h>
            int main(void) {
                long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
                if (r < 0) { printf("clone: %s\\n", strerror(errno)); return 1; }
                if (r == 0) _exit(0);
                waitpid(r, NULL, 0);
                printf("clone: ok\\n");
                return 0;
            }
            """;

    private static Result run(boolean asUser, String... args) throws Exception {
        if (asUser) {
            assumeTrue(Nsentry.testUserExists(), "needs the test user (scripts/setup.sh)");
            return Nsentry.runAsUser(args);
        }
        return Nsentry.run(args);
    }

    @ParameterizedTest(name = "as user: {0}")
    @ValueSource(booleans = {false, true})
    void straceFollowsTheWorkloadFromTheStart(boolean asUser) throws Exception {
        // strace writes to stderr: the test user may not reopen the test's stdout pipe (/dev/stdout).
        Result r = run(asUser, "--debuggable", "--", "strace", "-f", "-qq", "-e", "trace=unshare,execve,exit_group",
                "sh", "-c", "unshare --user --map-root-user id -u");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.stderr().lines().anyMatch(l -> l.matches(".*unshare\\(CLONE_NEWUSER\\) += 0")), r.toString());
        assertTrue(r.stderr().lines().anyMatch(l -> l.matches(".*execve\\(\"(/usr)?/bin/id\", \\[\"id\", \"-u\"\\].* = 0")),
                r.toString());
        assertEquals("0\n", r.stdout(), "id -u inside the new user namespace: " + r);
    }

    @ParameterizedTest(name = "as user: {0}")
    @ValueSource(booleans = {false, true})
    void gdbRunsAProgramAndShowsItsBacktrace(boolean asUser) throws Exception {
        Path crash = Nsentry.compileCSource("crash-g", CRASH_C, "-g", "-O0");
        // gdb itself in an emulated user namespace: its fork, personality and ptrace are native.
        Result r = run(asUser, "--debuggable", "--", "unshare", "--user", "--map-root-user", "gdb", "-q", "-batch", "-nx",
                "-ex", "run", "-ex", "bt", "--args", crash.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.stdout().contains("Program received signal SIGSEGV"), r.toString());
        assertTrue(r.stdout().contains("in deref (p=0x0)"), r.toString());
        assertTrue(r.stdout().contains("in main ()"), r.toString());
    }

    @ParameterizedTest(name = "as user: {0}")
    @ValueSource(booleans = {false, true})
    void gdbAndStraceAttachToASandboxedProcess(boolean asUser) throws Exception {
        // The target lives in an emulated user namespace; the tracers attach from the initial one.
        Result r = run(asUser, "--debuggable", "--", "sh", "-c", String.join("; ",
                "unshare --user --map-root-user sleep 60 & p=$!",
                "until [ \"$(cat /proc/$p/comm)\" = sleep ]; do sleep 0.05; done",
                "gdb -q -batch -nx -p $p -ex 'info inferiors' -ex detach 2>&1 | grep -E 'process|detached'",
                "strace -p $p 2>&1 & s=$!",
                "sleep 1; kill $p; wait $s"));
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.stdout().contains("/usr/bin/sleep"), "gdb attached: " + r);
        assertTrue(r.stdout().contains("detached]"), "gdb detached: " + r);
        assertTrue(r.stdout().contains("+++ killed by SIGTERM +++"), "strace attached and saw the end: " + r);
    }

    @ParameterizedTest(name = "as user: {0}")
    @ValueSource(booleans = {false, true})
    void withoutDebuggableTheShimTracesNestedTasksAndSaysSo(boolean asUser) throws Exception {
        // Default mode: the shim is the tracer of tasks in nested user namespaces (owner
        // translation), so another tracer is refused; a task traced before it enters one
        // runs on untranslated, and the shim says how to get both.
        Result r = run(asUser, "--", "sh", "-c", String.join("; ",
                "unshare --user --map-root-user sleep 60 & p=$!",
                "until [ \"$(cat /proc/$p/comm)\" = sleep ]; do sleep 0.05; done",
                "strace -p $p 2>&1 | head -1",
                "kill $p",
                "strace -f -qq -o /dev/null unshare --user --map-root-user ls -dn / | cut -d' ' -f3"));
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.stdout().contains("Operation not permitted"), "strace refused: " + r);
        assertTrue(r.stdout().endsWith("0\n"), "stat under strace, untranslated root owner: " + r);
        assertTrue(r.stderr().contains("--debuggable"), "the shim says how to trace them: " + r);
    }

    @ParameterizedTest(name = "as user: {0}")
    @ValueSource(booleans = {false, true})
    void cloneWithNamespaceFlagsUnderATracerFailsWithAClearReason(boolean asUser) throws Exception {
        Path prog = Nsentry.compileCSource("clone-newuser", CLONE_NEWUSER_C);
        Result untraced = run(asUser, "--", prog.toString());
        assertEquals("clone: ok\n", untraced.stdout(), untraced.toString());

        Path dir = sharedTempDir();
        Path trace = dir.resolve("trace");
        Result traced = run(asUser, "--trace=" + trace, "--", "strace", "-f", "-qq", "-o", "/dev/null", prog.toString());
        assertEquals(1, traced.code(), traced.toString());
        assertEquals("clone: Operation not permitted\n", traced.stdout(), traced.toString());
        String t = Files.readString(trace);
        assertTrue(t.contains("clone(CLONE_NEWUSER|SIGCHLD, NULL) = -EPERM (Operation not permitted)"), t);
        assertTrue(t.contains("the thread is already traced"), t);
        assertTrue(t.contains("detach strace/gdb from this thread or trace its children only"), t);
    }

    @ParameterizedTest(name = "as user: {0}")
    @ValueSource(booleans = {false, true})
    void lsnsAndNsenterInsideAgreeWithNsentryNs(boolean asUser) throws Exception {
        if (asUser) {
            assumeTrue(Nsentry.testUserExists(), "needs the test user (scripts/setup.sh)");
        }
        Path d = sharedTempDir();
        // nsenter enters the user namespace and then calls setgroups(0, NULL) unless told to keep
        // the credentials; in a namespace with setgroups "deny" (what an unprivileged
        // --map-root-user writes) Linux refuses that, natively too: use --preserve-credentials.
        String nsenter = asUser ? "nsenter --preserve-credentials" : "nsenter";
        Background sb = startRun(asUser, "--", "sh", "-c", String.join("; ",
                "unshare --user --map-root-user --uts sh -c 'hostname inner; exec sleep 60' & p=$!",
                "until [ \"$(cat /proc/$p/comm)\" = sleep ]; do sleep 0.05; done",
                // lsns 2.38 gives up if a process vanishes while it reads /proc: retry
                "for i in 1 2 3 4 5; do lsns -n -o NS,TYPE,PID,PNS,ONS > " + d + "/lsns 2>>" + d
                        + "/lsns.err && break; sleep 0.2; done",
                "readlink /proc/$p/ns/user > " + d + "/readlink",
                nsenter + " --user --uts --target $p sh -c 'id -u; hostname' > " + d + "/nsenter 2>&1",
                "echo $p > " + d + "/pid",
                "while [ ! -e " + d + "/done ]; do sleep 0.1; done",
                "kill $p"));
        int pid;
        try {
            pid = Integer.parseInt(awaitFile(d.resolve("pid"), sb, 60).trim());
            Result ns = cli(asUser, "ns", Long.toString(sb.id()), "--json");
            assertEquals(0, ns.code(), ns.toString());
            NamespaceTree.Builder tree = NamespaceTree.newBuilder();
            JsonFormat.parser().merge(ns.stdout(), tree);
            NamespaceInfo user = find(tree, "user", pid);
            NamespaceInfo uts = find(tree, "uts", pid);
            assertTrue(user.getEmulated());

            // readlink and lsns inside show the same inode numbers as nsentry ns outside.
            assertEquals("user:[" + user.getInode() + "]", Files.readString(d.resolve("readlink")).trim());
            List<String[]> lsns = Files.readString(d.resolve("lsns")).lines().map(l -> l.trim().split("\\s+")).toList();
            String[] userRow = lsns.stream().filter(f -> f[1].equals("user") && f[0].equals(Long.toString(user.getInode())))
                    .findFirst().orElseThrow(() -> new AssertionError("lsns lacks user:[" + user.getInode() + "]:\n"
                            + String.join("\n", lsns.stream().map(f -> String.join(" ", f)).toList()) + "\nlsns errors: "
                            + read(d.resolve("lsns.err"))));
            assertEquals(Integer.toString(pid), userRow[2], "lsns PID column");
            assertEquals(Long.toString(user.getParentInode()), userRow[3], "lsns PNS = nsentry ns parent");
            assertEquals(Long.toString(user.getOwnerUsernsInode()), userRow[4], "lsns ONS = nsentry ns owner");
            String[] utsRow = lsns.stream().filter(f -> f[1].equals("uts") && f[0].equals(Long.toString(uts.getInode())))
                    .findFirst().orElseThrow();
            assertEquals(Long.toString(user.getInode()), utsRow[4], "the uts namespace is owned by the new user namespace");

            assertEquals("0\ninner\n", Files.readString(d.resolve("nsenter")), "nsenter --user --uts --target");
        } finally {
            Files.writeString(d.resolve("done"), "1");
        }
        Result r = sb.await(60);
        assertEquals(0, r.code(), r.toString());
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private static NamespaceInfo find(NamespaceTree.Builder tree, String type, int member) {
        return tree.getNamespacesList().stream()
                .filter(n -> n.getType().equals(type) && n.getEmulated() && n.getMemberTidsList().contains(member))
                .findFirst().orElseThrow(() -> new AssertionError("no emulated " + type + " namespace holds " + member
                        + ":\n" + tree));
    }
}
