package nsentry.sentry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real tools (util-linux unshare and setpriv, libcap's capsh) behave under nsentry as they
 * do natively on this machine's kernel: the same output and exit status. Natively they run
 * as the unprivileged user with real kernel user namespaces; under nsentry they run inside
 * the chroot where the kernel refuses user namespaces, so everything is emulated.
 */
class ToolsIT {
    private static final Path CHROOT = Path.of("/var/lib/nsentry/chroot");

    @ParameterizedTest
    @ValueSource(strings = {
        "unshare --user --map-root-user id",
        "unshare -U id",
        "unshare --user --map-user=1000 --map-group=1000 id",
        "unshare -r cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups",
        "unshare -U sh -c 'cat /proc/self/uid_map; stat -c %u:%g /'",
        "unshare -r /usr/bin/setpriv --reuid=0 --regid=0 --clear-groups id",
        "unshare -r /usr/bin/setpriv --reuid=5 --regid=5 --clear-groups id",
        "/usr/sbin/capsh --print",
        "unshare -r /usr/sbin/capsh --print",
        "unshare -U /usr/sbin/capsh --print",
        "unshare -r --uts sh -c 'hostname sandboxed; hostname'",
    })
    void sameAsNative(String command) throws Exception {
        assumeTrue(Nsentry.testUserExists(), "user nsentry-test missing (scripts/setup.sh)");
        Nsentry.Result natively = Nsentry.exec(asUser(List.of("sh", "-c", command)), null, 60);
        List<String> sandboxed = new ArrayList<>();
        if (Files.isDirectory(CHROOT.resolve("usr"))) {
            sandboxed.addAll(List.of("chroot", CHROOT.toString()));
        }
        sandboxed.addAll(asUser(List.of(Nsentry.launcher().toString(), "run", "--", "sh", "-c", command)));
        Nsentry.Result emulated = Nsentry.exec(sandboxed, null, 60);
        assertEquals(natively.stdout(), emulated.stdout(), command + "\nnative: " + natively + "\nnsentry: " + emulated);
        assertEquals(natively.code(), emulated.code(), command + "\nnative: " + natively + "\nnsentry: " + emulated);
    }

    private static List<String> asUser(List<String> cmd) {
        List<String> all = new ArrayList<>(Nsentry.asUser());
        all.add("env");
        all.add("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
        all.addAll(cmd);
        return all;
    }
}
