package nsentry.sentry.cli;

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
        // `run` needs the native bindings and the event loop; both take a few hundred ms to
        // set up (jnr-ffi generates classes, Netty loads its transport). Start them on other
        // threads while picocli parses the command line: the workload waits on the sentry.
        if (args.length > 0 && args[0].equals("run")) {
            // The hot path: build only the `run` command (introspecting every subcommand
            // costs start-up time the workload would wait for).
            CommandLine run = new CommandLine(new RunCommand(Startup.begin()));
            run.setCommandName("nsentry run").setCaseInsensitiveEnumValuesAllowed(true);
            System.exit(run.execute(java.util.Arrays.copyOfRange(args, 1, args.length)));
        }
        int code = new CommandLine(new Main(), new Factory(null))
                .setCaseInsensitiveEnumValuesAllowed(true)
                .execute(args);
        System.exit(code);
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
