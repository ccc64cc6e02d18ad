package nsentry.syscall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ioctl numbers and struct sizes, against the values the C headers give. */
class SeccompIoctlTest {
    private static final String PROGRAM = """
            #include <stdio.h>
            #include <sys/ioctl.h>
            #include <linux/seccomp.h>
            #ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
            #define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
            #endif
            int main(void) {
                printf("RECV %lu\\n", (unsigned long)SECCOMP_IOCTL_NOTIF_RECV);
                printf("SEND %lu\\n", (unsigned long)SECCOMP_IOCTL_NOTIF_SEND);
                printf("ID_VALID %lu\\n", (unsigned long)SECCOMP_IOCTL_NOTIF_ID_VALID);
                printf("ADDFD %lu\\n", (unsigned long)SECCOMP_IOCTL_NOTIF_ADDFD);
                printf("SET_FLAGS %lu\\n", (unsigned long)SECCOMP_IOCTL_NOTIF_SET_FLAGS);
                printf("NOTIF %zu\\n", sizeof(struct seccomp_notif));
                printf("RESP %zu\\n", sizeof(struct seccomp_notif_resp));
                printf("ADDFD_SIZE %zu\\n", sizeof(struct seccomp_notif_addfd));
                return 0;
            }
            """;

    @Test
    void knownValues() {
        assertEquals(0xC0502100L, SeccompIoctl.NOTIF_RECV);
        assertEquals(0xC0182101L, SeccompIoctl.NOTIF_SEND);
        assertEquals(0x40082102L, SeccompIoctl.NOTIF_ID_VALID);
        assertEquals(0x40182103L, SeccompIoctl.NOTIF_ADDFD);
        assertEquals(0x40082104L, SeccompIoctl.NOTIF_SET_FLAGS);
    }

    @Test
    void matchesTheKernelHeaders(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("ioctls.c");
        Files.writeString(src, PROGRAM);
        Path exe = dir.resolve("ioctls");
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-o", exe.toString(), src.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "gcc not available: " + e.getMessage());
            return;
        }
        String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assumeTrue(gcc.waitFor() == 0, "cannot compile against linux/seccomp.h: " + log);
        Process p = new ProcessBuilder(exe.toString()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor());
        Map<String, Long> v = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] f = line.split(" ");
            v.put(f[0], Long.parseUnsignedLong(f[1]));
        }
        assertEquals(v.get("RECV"), SeccompIoctl.NOTIF_RECV);
        assertEquals(v.get("SEND"), SeccompIoctl.NOTIF_SEND);
        assertEquals(v.get("ID_VALID"), SeccompIoctl.NOTIF_ID_VALID);
        assertEquals(v.get("ADDFD"), SeccompIoctl.NOTIF_ADDFD);
        assertEquals(v.get("SET_FLAGS"), SeccompIoctl.NOTIF_SET_FLAGS);
        assertEquals(v.get("NOTIF"), (long) SeccompIoctl.SIZEOF_NOTIF);
        assertEquals(v.get("RESP"), (long) SeccompIoctl.SIZEOF_NOTIF_RESP);
        assertEquals(v.get("ADDFD_SIZE"), (long) SeccompIoctl.SIZEOF_NOTIF_ADDFD);
    }
}
