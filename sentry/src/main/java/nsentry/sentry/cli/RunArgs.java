package nsentry.sentry.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import nsentry.sentry.trace.Tracer;

/**
 * The usual `run` command lines — {@link RunCommand}'s options, `--`, then CMD — parsed
 * without picocli, on the start-up path the workload waits for. picocli's first use costs
 * a few hundred ms: its classes are Java 5 class files, which the class-data archive
 * cannot hold and the old verifier checks one by one, and it reads the annotations by
 * reflection. Every other command line (help, version, an unknown, repeated or
 * abbreviated option, a value picocli might convert differently, no `--`) is left to
 * picocli, so errors and help read exactly as before. {@code RunArgsTest} checks that
 * both parse what this class accepts into the same values.
 */
final class RunArgs {
    private static final String END_OF_OPTIONS = "--";

    private RunArgs() {
    }

    /**
     * The command {@code args} (the words after `run`) describe, or {@code null} when the
     * command line is not one of the usual ones (then picocli parses it).
     */
    static RunCommand parse(String[] args, Startup startup) {
        RunCommand run = new RunCommand(startup);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals(END_OF_OPTIONS)) {
                if (i + 1 == args.length) {
                    return null; // no CMD: picocli says what is missing
                }
                run.command = new ArrayList<>(Arrays.asList(args).subList(i + 1, args.length));
                return run;
            }
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg : arg.substring(0, eq);
            if (!seen.add(name)) {
                return null; // picocli refuses a repeated option
            }
            String attached = eq < 0 ? null : arg.substring(eq + 1);
            boolean hasNext = i + 1 < args.length;
            switch (name) {
                case "--root", "--explain-errors", "--debuggable" -> {
                    if (attached != null) {
                        return null;
                    }
                    switch (name) {
                        case "--root" -> run.root = true;
                        case "--debuggable" -> run.debuggable = true;
                        default -> run.explainErrors = true;
                    }
                }
                case "--trace" -> {
                    // arity 0..1: without "=FILE" only the form followed by "--" is certain
                    if (attached != null ? attached.isEmpty() : !(hasNext && args[i + 1].equals(END_OF_OPTIONS))) {
                        return null;
                    }
                    run.trace = attached != null ? attached : "-";
                }
                case "--trace-format", "--max-tasks", "--nsentry-home" -> {
                    String value = attached;
                    if (value == null) {
                        if (!hasNext || args[i + 1].startsWith("-")) {
                            return null;
                        }
                        value = args[++i];
                    }
                    if (!set(run, name, value)) {
                        return null;
                    }
                }
                default -> {
                    return null;
                }
            }
        }
        return null; // no "--"
    }

    /** Sets the option {@code name} to {@code value}, or returns false if picocli should judge it. */
    private static boolean set(RunCommand run, String name, String value) {
        switch (name) {
            case "--trace-format" -> {
                if (value.equalsIgnoreCase("text")) {
                    run.traceFormat = Tracer.Format.TEXT;
                } else if (value.equalsIgnoreCase("json")) {
                    run.traceFormat = Tracer.Format.JSON;
                } else {
                    return false;
                }
            }
            case "--max-tasks" -> {
                // plain decimal only: picocli's reading of signs, radix prefixes and
                // leading zeros is its own
                if (!value.matches("[1-9][0-9]{0,8}")) {
                    return false;
                }
                run.maxTasks = Integer.parseInt(value);
            }
            case "--nsentry-home" -> {
                if (value.isEmpty()) {
                    return false;
                }
                run.home = value;
            }
            default -> {
                return false;
            }
        }
        return true;
    }
}
