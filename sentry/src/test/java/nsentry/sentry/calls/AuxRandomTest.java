package nsentry.sentry.calls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import nsentry.syscall.Linux;
import nsentry.syscall.WorkloadMemory;

/** The exec detector's reads, on this JVM's own image (the kernel is the oracle). */
class AuxRandomTest {
    private final Linux linux = Linux.load();
    private final WorkloadMemory memory = new WorkloadMemory(linux);
    private final int self = (int) ProcessHandle.current().pid();

    @Test
    void findsTheAddressTheKernelListsInAuxv() throws Exception {
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
        assertEquals(expected, AuxRandom.address(linux, self));
        assertEquals(0, AuxRandom.address(linux, 999_999_999), "a gone task has no auxv");
    }

    @Test
    void theSameImageIsNotReplacedAndChangedBytesOrGoneMemoryMeanAnExec() {
        long at = AuxRandom.address(linux, self);
        byte[] bytes = AuxRandom.bytesAt(memory, self, at);
        assertNotNull(bytes);
        assertEquals(AuxRandom.SIZE, bytes.length);
        assertFalse(AuxRandom.replaced(memory, self, at, bytes));
        byte[] other = bytes.clone();
        other[0] ^= 1;
        assertTrue(AuxRandom.replaced(memory, self, at, other), "other bytes at the address: a new image");
        assertTrue(AuxRandom.replaced(memory, self, 8, bytes), "no memory at the address (EFAULT): a new image");
        assertNull(AuxRandom.bytesAt(memory, self, 8));
        assertFalse(AuxRandom.replaced(memory, 999_999_999, at, bytes), "a gone task (ESRCH) did not exec");
    }
}
