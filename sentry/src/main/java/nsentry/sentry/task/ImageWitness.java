package nsentry.sentry.task;

import java.util.Arrays;

import nsentry.abi.Errno;
import nsentry.syscall.Linux;
import nsentry.syscall.LinuxException;
import nsentry.syscall.LittleEndian;
import nsentry.syscall.MemoryFault;
import nsentry.syscall.WorkloadMemory;

/**
 * What the sentry notes of a task's program image when it calls execve, to tell at its
 * next notification whether the exec happened (spikes.md §3) — in a way the task cannot
 * forge. The AT_RANDOM bytes change with every successful exec, but they are in the task's
 * own writable stack: a task whose exec of a set-user-id program failed could overwrite
 * them and pass for the program. So a change of those bytes counts only together with
 * evidence the task has a new address space (mm) that it cannot fake:
 * <ul>
 * <li>the old mm is gone: a {@code /proc/TID/mem} fd opened at execve reads nothing once
 *     no task uses that mm (mem_rw: mmget_not_zero fails) — the task itself would be
 *     using it had it not exec'd; or
 * <li>the mm's saved auxiliary vector changed: {@code /proc/TID/auxv} is the kernel's copy
 *     (mm->saved_auxv, written by exec; only prctl(PR_SET_MM) with real CAP_SYS_RESOURCE
 *     changes it), and its pointers (AT_RANDOM, AT_PHDR, AT_BASE, the vDSO) move with
 *     every exec under address randomisation.
 * </ul>
 * One exec goes unnoticed: from a vfork child (whose old mm lives on in its parent) of the
 * same program with the same argument sizes, with address randomisation off. Owns an fd:
 * {@link #close(Linux)} it.
 */
public final class ImageWitness {
    private static final long AT_NULL = 0;
    private static final long AT_RANDOM = 25;
    /** x86_64's saved_auxv holds at most AT_VECTOR_SIZE (2 × 52) words: 832 bytes. */
    private static final int AUXV_MAX = 1024;
    private static final int RANDOM_SIZE = 16;

    private final byte[] auxv;
    private final long randomAt;
    private final byte[] random;
    private int memFd;

    private ImageWitness(byte[] auxv, long randomAt, byte[] random, int memFd) {
        this.auxv = auxv;
        this.randomAt = randomAt;
        this.random = random;
        this.memFd = memFd;
    }

    /** Notes the image task {@code tid} runs now (it is stopped in execve). */
    public static ImageWitness take(Linux linux, WorkloadMemory memory, int tid) {
        byte[] auxv = auxv(linux, tid);
        long at = randomAddress(auxv);
        byte[] bytes = null;
        if (at != 0) {
            try {
                bytes = memory.read(tid, at, RANDOM_SIZE);
            } catch (MemoryFault e) {
                bytes = null;
            }
        }
        int fd;
        try {
            fd = linux.open("/proc/" + tid + "/mem", 0);
        } catch (LinuxException e) {
            fd = -1;
        }
        return new ImageWitness(auxv, at, bytes, fd);
    }

    /** Whether task {@code tid} now runs another image than the one noted. */
    public boolean replaced(Linux linux, WorkloadMemory memory, int tid) {
        boolean randomChanged = random == null ? randomAddress(auxv(linux, tid)) != 0 // unreadable before
                : randomChangedAt(memory, tid);
        if (!randomChanged) {
            return false;
        }
        return oldMmGone(linux) || !Arrays.equals(auxv, auxv(linux, tid));
    }

    private boolean randomChangedAt(WorkloadMemory memory, int tid) {
        byte[] now;
        try {
            now = memory.read(tid, randomAt, RANDOM_SIZE);
        } catch (MemoryFault e) {
            return e.hostErrno() == Errno.EFAULT.number(); // the old memory is gone; ESRCH: the task is
        }
        return !Arrays.equals(now, random);
    }

    /** The held mem fd reads 0 bytes: no task uses the noted mm any more. */
    private boolean oldMmGone(Linux linux) {
        if (memFd < 0) {
            return false;
        }
        try {
            linux.lseek(memFd, randomAt, Linux.SEEK_SET);
            return linux.read(memFd, new byte[RANDOM_SIZE]) == 0;
        } catch (LinuxException e) {
            return false; // EIO: the mm is alive, the address unmapped in it
        }
    }

    /** Releases the held mem fd (once the exec is decided, or the task is gone). */
    public void close(Linux linux) {
        if (memFd >= 0) {
            int fd = memFd;
            memFd = -1;
            linux.close(fd);
        }
    }

    /** The task's saved auxiliary vector (empty if unreadable: the task is gone or exiting). */
    static byte[] auxv(Linux linux, int tid) {
        byte[] buf = new byte[AUXV_MAX];
        int n = linux.readFileRaw("/proc/" + tid + "/auxv", buf);
        return Arrays.copyOf(buf, Math.max(n, 0));
    }

    /** Where the image keeps its AT_RANDOM bytes, from its auxv; 0 if it is not there. */
    static long randomAddress(byte[] auxv) {
        for (int off = 0; off + 16 <= auxv.length; off += 16) {
            long type = LittleEndian.u64(auxv, off);
            if (type == AT_RANDOM) {
                return LittleEndian.u64(auxv, off + 8);
            }
            if (type == AT_NULL) {
                break;
            }
        }
        return 0;
    }
}
