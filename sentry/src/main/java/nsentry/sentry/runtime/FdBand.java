package nsentry.sentry.runtime;

import java.util.Objects;

import nsentry.abi.Errno;
import nsentry.syscall.Linux;

/**
 * The fd numbers reserved for emulated files: the shim's filter sends read/write/fstat/
 * ioctl/... on fds in [base, base+size) to the sentry, so an emulated file injected at
 * such a number behaves as Linux's (e.g. read of an ns fd → EINVAL, write of uid_map
 * parsed by the model). Files opened only for reading may live outside the band.
 */
public final class FdBand {
    /** AT_FDCWD */
    private static final int AT_FDCWD = -100;
    /** AT_SYMLINK_NOFOLLOW */
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;

    private final Linux linux;
    private final int base;
    private final int size;
    private final int[] errno = new int[1];

    public FdBand(Linux linux, int base, int size) {
        this.linux = Objects.requireNonNull(linux, "linux");
        this.base = base;
        this.size = size;
    }

    public int base() {
        return base;
    }

    public int size() {
        return size;
    }

    public boolean contains(long fd) {
        return fd >= base && fd < (long) base + size;
    }

    /**
     * The lowest band fd not open in task {@code tid}'s fd table, or -1 if the band is full.
     * Probes only the band's entries of /proc/TID/fd (usually the first is free), so the
     * cost does not grow with the number of fds the task holds. Each probe is one
     * lstat that reports a failure as a value (no exception on the hot path).
     */
    public int lowestFree(int tid) {
        String dir = "/proc/" + tid + "/fd/";
        for (int i = 0; i < size; i++) {
            // Like Files.exists: any failure (ENOENT, or the task gone) counts as free.
            if (linux.fstatatRaw(AT_FDCWD, dir + (base + i), AT_SYMLINK_NOFOLLOW, errno) == null) {
                return base + i;
            }
        }
        return -1;
    }

    /**
     * {@link #lowestFree(int)} for a task whose pidfd is known (the thread's own: its fd
     * table is the one ADDFD fills): each probe is one pidfd_getfd, which fails with EBADF
     * for a free number without a /proc path walk. If a probe is refused otherwise (the
     * task gone, access denied), falls back to /proc.
     */
    public int lowestFree(int tid, int pidfd) {
        for (int i = 0; i < size; i++) {
            int r = linux.pidfdGetfdRaw(pidfd, base + i);
            if (r >= 0) {
                linux.close(r); // taken
                continue;
            }
            if (-r == Errno.EBADF.number()) {
                return base + i;
            }
            return lowestFree(tid);
        }
        return -1;
    }

    @Override
    public String toString() {
        return "FdBand[base=" + base + ", size=" + size + "]";
    }
}
