package nsentry.sentry.calls;

import java.util.Arrays;

import nsentry.abi.Errno;
import nsentry.syscall.Linux;
import nsentry.syscall.MemoryFault;
import nsentry.syscall.WorkloadMemory;

/**
 * The 16 AT_RANDOM bytes of a task's program image: the exact exec detector of spikes.md
 * §3 (they change with every successful execve, even of the same binary and even without
 * ASLR). Their address comes from /proc/TID/auxv, read once per execve; whether the exec
 * happened is then one read of the same address ("AT_RANDOM bytes changed or old memory
 * gone").
 */
public final class AuxRandom {
    private static final long AT_NULL = 0;
    private static final long AT_RANDOM = 25;
    /** x86_64's saved_auxv holds at most AT_VECTOR_SIZE (2 × 52) words: 832 bytes. */
    private static final int AUXV_MAX = 1024;
    public static final int SIZE = 16;

    private AuxRandom() {}

    /** Where the task's current image keeps its AT_RANDOM bytes, or 0 if /proc/TID/auxv cannot be read. */
    public static long address(Linux linux, int tid) {
        byte[] auxv = new byte[AUXV_MAX];
        int n = linux.readFileRaw("/proc/" + tid + "/auxv", auxv);
        for (int off = 0; off + 16 <= n; off += 16) {
            long type = littleEndianLong(auxv, off);
            if (type == AT_RANDOM) {
                return littleEndianLong(auxv, off + 8);
            }
            if (type == AT_NULL) {
                break;
            }
        }
        return 0;
    }

    /** The 16 bytes at {@code address}, or null if the task's memory has none there. */
    public static byte[] bytesAt(WorkloadMemory memory, int tid, long address) {
        try {
            return memory.read(tid, address, SIZE);
        } catch (MemoryFault e) {
            return null;
        }
    }

    /**
     * Whether the image that had {@code before} at {@code address} was replaced: the bytes
     * there differ, or the memory is gone (EFAULT). A task that is gone (ESRCH) has not
     * exec'd as far as anyone can tell.
     */
    public static boolean replaced(WorkloadMemory memory, int tid, long address, byte[] before) {
        byte[] now;
        try {
            now = memory.read(tid, address, SIZE);
        } catch (MemoryFault e) {
            return e.hostErrno() == Errno.EFAULT.number();
        }
        return !Arrays.equals(now, before);
    }

    static long littleEndianLong(byte[] b, int off) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (b[off + i] & 0xffL);
        }
        return v;
    }
}
