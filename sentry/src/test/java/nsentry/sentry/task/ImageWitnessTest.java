package nsentry.sentry.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import nsentry.syscall.Linux;
import nsentry.syscall.WorkloadMemory;

/** The exec detector's facts, read from this JVM's own image (the kernel is the oracle). */
class ImageWitnessTest {
    private final Linux linux = Linux.load();
    private final WorkloadMemory memory = new WorkloadMemory(linux);
    private final int self = (int) ProcessHandle.current().pid();

    @Test
    void findsTheAtRandomAddressTheKernelListsInAuxv() throws Exception {
        ByteBuffer auxv = ByteBuffer.wrap(Files.readAllBytes(Path.of("/proc/self/auxv"))).order(ByteOrder.LITTLE_ENDIAN);
        long expected = 0;
        while (auxv.remaining() >= 16) {
            long type = auxv.getLong();
            long value = auxv.getLong();
            if (type == 25) { // AT_RANDOM
                expected = value;
            }
        }
        assertNotEquals(0, expected);
        assertEquals(expected, ImageWitness.randomAddress(ImageWitness.auxv(linux, self)));
        assertEquals(0, ImageWitness.auxv(linux, 999_999_999).length, "a gone task has no auxv");
        assertEquals(0, ImageWitness.randomAddress(new byte[0]));
    }

    @Test
    void overwrittenAtRandomBytesAreNotAnExec() throws Exception {
        ImageWitness w = ImageWitness.take(linux, memory, self);
        try {
            assertFalse(w.replaced(linux, memory, self), "the same image");
            long at = ImageWitness.randomAddress(ImageWitness.auxv(linux, self));
            byte[] saved = memory.read(self, at, 16);
            byte[] forged = saved.clone();
            for (int i = 0; i < forged.length; i++) {
                forged[i] ^= 0x5a;
            }
            // glibc read them once at start-up: changing them for a moment harms nothing
            memory.write(self, at, forged);
            try {
                assertFalse(w.replaced(linux, memory, self), "changed bytes in the same address space (a forgery)");
            } finally {
                memory.write(self, at, saved);
            }
        } finally {
            w.close(linux);
        }
    }
}
