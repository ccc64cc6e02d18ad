package nsentry.sentry.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import nsentry.sentry.debug.DebugPaths;
import nsentry.syscall.Linux;

/** `nsentry serve`: a warm sentry that `nsentry run` uses instead of starting a JVM. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {
            "Run a sentry server: `nsentry run` commands of yours then run their sandboxes in this process "
                + "instead of starting a JVM each (start-up drops from ~150 ms to a few ms, and the sentry's "
                + "code is already compiled).",
            "",
            "Runs in the foreground until --idle-exit passes without a sandbox or nsentry.jar is rebuilt (it "
                + "finishes the sandboxes running first), or until a signal stops it: that ends the sandboxes it "
                + "runs, whose workloads are killed as when a sentry dies. `nsentry run` finds the server through "
                + "its socket, "
                + "checks that it runs as the same user, and falls back to a JVM of its own when there is no "
                + "server, it refuses (another checkout, a rebuilt jar), or NSENTRY_SERVER=off or "
                + "NSENTRY_JVM_OPTS is set. Example: setsid -f nsentry serve --idle-exit=3600 2>/dev/null"
        })
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--socket", paramLabel = "PATH", description = "Listen on PATH (default: sentry.sock in "
            + "/run/user/UID/nsentry, else /tmp/nsentry-UID; `nsentry run` looks there unless NSENTRY_SERVER "
            + "names another socket).")
    Path socket;

    @Option(names = "--idle-exit", paramLabel = "SECONDS", description = "Exit after SECONDS without a sandbox "
            + "(default ${DEFAULT-VALUE}; 0: never).")
    long idleExitSeconds = 1800;

    @Option(names = "--nsentry-home", hidden = true, required = true)
    String home;

    @Override
    public Integer call() throws IOException {
        if (idleExitSeconds < 0) {
            System.err.println("nsentry serve: --idle-exit must be 0 or more seconds");
            return 2;
        }
        Path at = socket != null ? socket.toAbsolutePath() : SentryServer.defaultSocket(DebugPaths.myEuid());
        SentryServer server = new SentryServer(Linux.load(), at, home, idleExitSeconds * 1000, System.err);
        return server.serve();
    }
}
