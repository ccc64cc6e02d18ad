package nsentry.sentry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

/**
 * Costs that are invisible to functional tests but stall a workload: a record's generated
 * equals/hashCode bootstraps {@code java.lang.runtime.ObjectMethods} the first time it
 * runs (tens of milliseconds on JDK 17, inside whichever syscall first compares a model
 * value). The model's value records write them out; this run of the namespace calls a
 * typical workload makes, with the JVM logging every invokedynamic bootstrap, finds any
 * that is left.
 */
class StartupCostIT {
    private static final Pattern RECORD_METHOD_BOOTSTRAP =
            Pattern.compile("Bootstrap in (nsentry/\\S+) indy#\\d+@CP\\[\\d+\\] (equals|hashCode):");

    @Test
    void noRecordMethodIsBootstrappedAtRunTime() throws Exception {
        for (String mode : new String[] {"", "--root"}) {
            Path log = Files.createTempFile("nsentry-indy", ".log");
            try {
                String script = "id -u; unshare -r sh -c 'cat /proc/self/uid_map; readlink /proc/self/ns/user;"
                        + " stat -c %u /'; unshare -U true; unshare -rm true; ls -l /proc/self/ns/ >/dev/null;"
                        + " unshare -ru hostname probe; unshare -rp -f true";
                List<String> cmd = new java.util.ArrayList<>(List.of("env",
                        "NSENTRY_JVM_OPTS=-Xlog:methodhandles+indy=debug:file=" + log, Nsentry.launcher().toString(), "run"));
                if (!mode.isEmpty()) {
                    cmd.add(mode);
                }
                cmd.addAll(List.of("--", "sh", "-c", script));
                Nsentry.Result r = Nsentry.exec(cmd, null, 120);
                assertEquals(0, r.code(), r.toString());
                String text = Files.readString(log);
                assertTrue(text.contains("resolve_invokedynamic"), "the JVM logged its bootstraps");
                Matcher m = RECORD_METHOD_BOOTSTRAP.matcher(text);
                List<String> found = m.results().map(x -> x.group(1) + "." + x.group(2)).distinct()
                        .collect(Collectors.toList());
                assertTrue(found.isEmpty(), "record methods bootstrapped at run time (write them out): " + found
                        + (mode.isEmpty() ? "" : " with " + mode));
            } finally {
                Files.deleteIfExists(log);
            }
        }
    }
}
