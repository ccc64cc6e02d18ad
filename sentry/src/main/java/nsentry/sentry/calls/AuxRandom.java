package nsentry.sentry.calls;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import nsentry.syscall.MemoryFault;
import nsentry.syscall.WorkloadMemory;

/**
 * The 16 AT_RANDOM bytes of a task's current program image: the exact exec detector of
 * spikes.md §3 (they change with every successful execve, even of the same binary and
 * even without ASLR).
 */
public final class AuxRandom {
    private static final long AT_RANDOM = 25;

    private AuxRandom() {}

    /** The bytes, or null if the image cannot be read (e.g. the task is exiting). */
    public static byte[] read(WorkloadMemory memory, int tid) {
        byte[] auxv;
        try {
            auxv = Files.readAllBytes(Path.of("/proc/" + tid + "/auxv"));
        } catch (IOException e) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(auxv).order(ByteOrder.LITTLE_ENDIAN);
        while (b.remaining() >= 16) {
            long type = b.getLong();
            long value = b.getLong();
            if (type == AT_RANDOM) {
                try {
                    return memory.read(tid, value, 16);
                } catch (MemoryFault e) {
                    return null;
                }
            }
            if (type == 0) {
                break;
            }
        }
        return null;
    }
}
