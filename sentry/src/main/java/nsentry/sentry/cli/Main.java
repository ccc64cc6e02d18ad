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
        int code = new CommandLine(new Main())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .execute(args);
        System.exit(code);
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
