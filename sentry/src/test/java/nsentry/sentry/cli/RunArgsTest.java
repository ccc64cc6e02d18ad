package nsentry.sentry.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link RunArgs} parses what it accepts exactly as picocli parses it, and leaves the rest to picocli. */
class RunArgsTest {

    private static RunCommand picocli(String... args) {
        RunCommand run = new RunCommand();
        RunCommand.commandLine(run).parseArgs(args);
        return run;
    }

    private static void assertSameAsPicocli(String... args) {
        RunCommand fast = RunArgs.parse(args, null);
        assertNotNull(fast, () -> "RunArgs should accept " + List.of(args));
        RunCommand slow = picocli(args);
        String what = List.of(args).toString();
        assertEquals(slow.root, fast.root, what);
        assertEquals(slow.debuggable, fast.debuggable, what);
        assertEquals(slow.trace, fast.trace, what);
        assertEquals(slow.traceFormat, fast.traceFormat, what);
        assertEquals(slow.explainErrors, fast.explainErrors, what);
        assertEquals(slow.maxTasks, fast.maxTasks, what);
        assertEquals(slow.home, fast.home, what);
        assertEquals(slow.command, fast.command, what);
    }

    @Test
    void usualCommandLinesParseAsPicocliParsesThem() {
        assertSameAsPicocli("--", "true");
        assertSameAsPicocli("--nsentry-home=/opt/nsentry", "--", "sh", "-c", "echo $0", "--", "@x", "-h");
        assertSameAsPicocli("--nsentry-home", "/opt/nsentry", "--root", "--", "id", "-u");
        assertSameAsPicocli("--root", "--explain-errors", "--", "unshare", "-r", "id");
        assertSameAsPicocli("--debuggable", "--root", "--", "gdb", "-p", "1");
        assertSameAsPicocli("--trace", "--", "true");
        assertSameAsPicocli("--trace=/tmp/t.log", "--trace-format=json", "--", "true");
        assertSameAsPicocli("--trace=a=b", "--trace-format", "JSON", "--", "true");
        assertSameAsPicocli("--trace-format=Text", "--max-tasks=7", "--", "true");
        assertSameAsPicocli("--max-tasks", "100000", "--explain-errors", "--", "ls", "--root");
        assertSameAsPicocli("--", "--", "--root");
    }

    @Test
    void everythingElseIsLeftToPicocli() {
        String[][] others = {
            {}, {"--"}, {"true"}, {"--root"}, {"-h", "--", "true"}, {"--help"}, {"-V"}, {"--version", "--", "x"},
            {"--root", "--root", "--", "true"}, {"--root=true", "--", "true"}, {"--debuggable=yes", "--", "true"}, {"--ro", "--", "true"},
            {"--trace", "out.log", "--", "true"}, {"--trace", "--root", "--", "true"}, {"--trace=", "--", "true"},
            {"--trace-format=xml", "--", "true"}, {"--trace-format", "--", "true"},
            {"--max-tasks=010", "--", "true"}, {"--max-tasks=-1", "--", "true"}, {"--max-tasks=0x10", "--", "true"},
            {"--max-tasks=99999999999", "--", "true"}, {"--max-tasks", "--", "true"},
            {"--nsentry-home=", "--", "true"}, {"--nsentry-home", "-x", "--", "true"},
            {"@args", "--", "true"}, {"--unknown", "--", "true"}, {"true", "--", "x"},
        };
        for (String[] args : others) {
            assertNull(RunArgs.parse(args, null), () -> "RunArgs should leave " + List.of(args) + " to picocli");
        }
    }

    @Test
    void defaultsAreTheFieldsInitialValues() {
        RunCommand fast = RunArgs.parse(new String[] {"--", "true"}, null);
        assertNotNull(fast);
        assertEquals(32768, fast.maxTasks);
        StringWriter help = new StringWriter();
        RunCommand.commandLine(new RunCommand()).usage(new PrintWriter(help));
        assertTrue(help.toString().contains("(default 32768)"), help.toString());
    }

    @Test
    void commandArgumentsAreLiteralInBothParsers(@TempDir Path dir) throws IOException {
        // picocli would otherwise replace "@FILE" by FILE's contents, even after "--"
        Path file = Files.writeString(dir.resolve("args"), "expanded");
        String at = "@" + file;
        assertEquals(List.of("x", "echo", at), picocli("--root", "x", "--", "echo", at).command);
        assertSameAsPicocli("--root", "--", "echo", at);
    }
}
