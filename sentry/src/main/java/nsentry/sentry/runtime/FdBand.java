package nsentry.sentry.runtime;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The fd numbers reserved for emulated files: the shim's filter sends read/write/fstat/
 * ioctl/... on fds in [base, base+size) to the sentry, so an emulated file injected at
 * such a number behaves as Linux's (e.g. read of an ns fd → EINVAL, write of uid_map
 * parsed by the model). Files opened only for reading may live outside the band.
 */
public record FdBand(int base, int size) {

    public boolean contains(long fd) {
        return fd >= base && fd < (long) base + size;
    }

    /**
     * The lowest band fd not open in task {@code tid}'s fd table, or -1 if the band is full.
     * Probes only the band's entries of /proc/TID/fd (usually the first is free), so the
     * cost does not grow with the number of fds the task holds.
     */
    public int lowestFree(int tid) {
        String dir = "/proc/" + tid + "/fd/";
        for (int i = 0; i < size; i++) {
            if (!Files.exists(Path.of(dir + (base + i)), LinkOption.NOFOLLOW_LINKS)) {
                return base + i;
            }
        }
        return -1;
    }
}
