package nsentry.sentry.cli;

import java.io.FileNotFoundException;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import nsentry.sentry.runtime.Sandbox;
import nsentry.sentry.runtime.SandboxOptions;
import nsentry.sentry.runtime.ShimLink;
import nsentry.sentry.trace.Tracer;
import nsentry.syscall.EventLoop;
import nsentry.syscall.Linux;
import nsentry.syscall.LinuxException;

/** `nsentry run [options] -- CMD ARGS...` (this JVM is the sentry; the shim started it). */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {
            "Run CMD with emulated namespaces.",
            "",
            "The exit status is CMD's (128+N if it was killed by signal N), or 125 when nsentry itself fails; "
                + "the workload is then killed (nsentry fails closed). Example: nsentry run -- unshare -r id"
        })
final class RunCommand implements Callable<Integer> {
    private final Startup startup;

    RunCommand() {
        this(null);
    }

    RunCommand(Startup startup) {
        this.startup = startup;
    }

    @Option(names = "--root", description = "Start CMD as uid 0 with full capabilities in an emulated user "
            + "namespace that maps 0 to your uid (like `unshare --map-root-user`).")
    boolean root;

    @Option(names = "--trace", arity = "0..1", paramLabel = "FILE", fallbackValue = "-",
            description = "Print one line per intercepted syscall to stderr, or to FILE.")
    String trace;

    // Defaults are the fields' initial values (picocli's help reads them too), so that
    // RunArgs, which fills the fields without picocli, starts from the same ones.
    @Option(names = "--trace-format", paramLabel = "FORMAT",
            description = "text (default) or json (one TraceEvent per line; schema in proto/nsentry.proto).")
    Tracer.Format traceFormat = Tracer.Format.TEXT;

    @Option(names = "--explain-errors", description = "Print only refused calls, each with the Linux rule that "
            + "refused it (to stderr, or to the --trace FILE).")
    boolean explainErrors;

    @Option(names = "--debuggable", description = "Let gdb and strace trace every task, also in nested user "
            + "namespaces (by default nsentry is their tracer: it translates the owners their lstat/fstat calls "
            + "return). Every stat then goes through the sentry, which makes stat-heavy work slower.")
    boolean debuggable;

    @Option(names = "--max-tasks", description = "Most threads the sandbox tracks (default ${DEFAULT-VALUE}).")
    int maxTasks = 32768;

    @Option(names = "--nsentry-home", hidden = true)
    String home;

    @Parameters(arity = "1..*", paramLabel = "CMD", description = "The command and its arguments (after --).")
    List<String> command = new ArrayList<>();

    /**
     * `nsentry run ARGS`, the path the workload waits on: the event loop starts on another
     * thread at once; the usual command lines are parsed without picocli ({@link RunArgs});
     * picocli builds only this command for the others. Returns the exit status.
     */
    static int execute(String[] args) {
        Startup startup = Startup.begin();
        RunCommand usual = RunArgs.parse(args, startup);
        if (usual == null) {
            return commandLine(new RunCommand(startup)).execute(args);
        }
        try {
            return usual.call();
        } catch (Exception e) {
            e.printStackTrace(); // what picocli's execute() does with an exception of call()
            return CommandLine.ExitCode.SOFTWARE;
        }
    }

    /** picocli's `nsentry run`. Arguments are taken literally: no @file expansion of CMD's arguments. */
    static CommandLine commandLine(RunCommand run) {
        return new CommandLine(run).setCommandName("nsentry run").setCaseInsensitiveEnumValuesAllowed(true)
                .setExpandAtFiles(false);
    }

    /** A sentry JVM the shim started: the shim's sockets on the fds the environment names. */
    @Override
    public Integer call() throws Exception {
        String control = System.getenv("NSENTRY_CONTROL_FD");
        String fdChannel = System.getenv("NSENTRY_FD_CHANNEL");
        if (control == null || fdChannel == null) {
            System.err.println("nsentry: `run` must be started through the ./nsentry launcher (no shim connection)");
            return 125;
        }
        int shimPid = (int) ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L).longValue();
        ShimLink link = new ShimLink(Integer.parseInt(control), Integer.parseInt(fdChannel), shimPid, System.err);
        Startup ready = startup != null ? startup : Startup.begin();
        return runSandbox(link, null, ready);
    }

    /**
     * Runs the sandbox this command describes with the shim at the other end of {@code link}
     * (whose sockets it closes), a relative --trace FILE taken from {@code cwd} (null: this
     * process's). Returns the exit status. The native bindings and the event loop come from
     * {@code ready} once the options are checked and the first messages built (they may
     * still be starting).
     */
    int runSandbox(ShimLink link, Path cwd, Startup ready) throws InterruptedException {
        PrintStream traceFile = null;
        if (trace != null && !trace.equals("-")) {
            String file = cwd == null ? trace : cwd.resolve(trace).toString();
            try {
                traceFile = new PrintStream(new FileOutputStream(file), false);
            } catch (FileNotFoundException e) { // the message names the file and the reason
                link.err().println("nsentry: cannot write the trace: " + e.getMessage());
                link.err().flush();
                Linux linux = ready.linux();
                linux.close(link.controlFd()); // the shim sees the sentry end before a launch
                linux.close(link.fdChannel());
                return 125;
            }
        }
        try {
            Tracer tracer = trace == null && !explainErrors ? Tracer.off()
                    : Tracer.to(traceFile != null ? traceFile : link.err(), traceFormat, explainErrors);
            SandboxOptions options = new SandboxOptions(List.copyOf(command), root, tracer, maxTasks, debuggable);
            Sandbox.Opening opening = Sandbox.prepare(options); // while jffi loads on the start-up thread
            Linux linux = ready.linux();
            try (EventLoop loop = ready.loop()) {
                return new Sandbox(linux, loop, options, opening, link).run();
            } finally {
                try {
                    linux.close(link.fdChannel()); // once the loop, which reads it, has ended
                } catch (LinuxException e) {
                    // released by the kernel all the same
                }
            }
        } finally {
            if (traceFile != null) {
                traceFile.close();
            }
        }
    }

    /** The nsentry home this command line names (--nsentry-home), or null. */
    String home() {
        return home;
    }
}
