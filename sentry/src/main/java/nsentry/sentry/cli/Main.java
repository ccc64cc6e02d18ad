package nsentry.sentry.cli;

import java.util.Arrays;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The `nsentry` command line. */
@Command(name = "nsentry", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {
            "Runs Linux programs with user namespaces, setns, nsfs and UTS emulated in user space: no kernel "
                + "user namespace and no privilege needed."
        },
        subcommands = {RunCommand.class, PsCommand.class, NsCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("run")) {
            System.exit(runCommand(Arrays.copyOfRange(args, 1, args.length)));
        }
        int code = new CommandLine(new Main(), new Factory(null))
                .setCaseInsensitiveEnumValuesAllowed(true)
                .execute(args);
        System.exit(code);
    }

    /**
     * `run`, the path the workload waits on. The event loop starts on another thread at
     * once; the usual command lines are parsed without picocli ({@link RunArgs}); only the
     * `run` command is built for the others (introspecting every subcommand costs time).
     */
    private static int runCommand(String[] args) {
        Startup startup = Startup.begin();
        RunCommand usual = RunArgs.parse(args, startup);
        if (usual == null) {
            return runCommandLine(new RunCommand(startup)).execute(args);
        }
        try {
            return usual.call();
        } catch (Exception e) {
            e.printStackTrace(); // what picocli's execute() does with an exception of call()
            return CommandLine.ExitCode.SOFTWARE;
        }
    }

    /** picocli's `nsentry run`. Arguments are taken literally: no @file expansion of CMD's arguments. */
    static CommandLine runCommandLine(RunCommand run) {
        return new CommandLine(run).setCommandName("nsentry run").setCaseInsensitiveEnumValuesAllowed(true)
                .setExpandAtFiles(false);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (try: nsentry run -- CMD)");
    }

    /** Gives `run` the bindings and loop that {@link Startup} prepared (picocli's factory hook). */
    private record Factory(Startup startup) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> cls) throws Exception {
            if (cls == RunCommand.class) {
                return cls.cast(new RunCommand(startup));
            }
            return CommandLine.defaultFactory().create(cls);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"nsentry 0.1.0 (protocol " + nsentry.proto.Limits.PROTOCOL_VERSION_VALUE + ")"};
        }
    }
}
