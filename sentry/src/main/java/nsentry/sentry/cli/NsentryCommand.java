package nsentry.sentry.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The `nsentry` command line, for every command but the usual `run` ({@link Main}). */
@Command(name = "nsentry", mixinStandardHelpOptions = true, versionProvider = NsentryCommand.Version.class,
        description = {
            "Runs Linux programs with user namespaces, setns, nsfs and UTS emulated in user space: no kernel "
                + "user namespace and no privilege needed."
        },
        subcommands = {RunCommand.class, ServeCommand.class, PsCommand.class, NsCommand.class,
            CommandLine.HelpCommand.class})
final class NsentryCommand implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** Parses {@code args} with picocli and runs the command; returns the exit status. */
    static int execute(String[] args) {
        return new CommandLine(new NsentryCommand())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (try: nsentry run -- CMD)");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"nsentry 0.1.0 (protocol " + nsentry.proto.Limits.PROTOCOL_VERSION_VALUE + ")"};
        }
    }
}
