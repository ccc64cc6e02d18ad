package nsentry.sentry.cli;

import java.util.Arrays;

/**
 * The `nsentry` program. `run` goes straight to {@link RunCommand} (the workload waits for
 * it); every other command to picocli ({@link NsentryCommand}). This class names no picocli
 * type, so the `run` path loads none (each first lookup of a class that is not in the
 * class-data archive opens every jar of the class path before picocli's, the last).
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("run")) {
            System.exit(RunCommand.execute(Arrays.copyOfRange(args, 1, args.length)));
        }
        System.exit(NsentryCommand.execute(args));
    }
}
