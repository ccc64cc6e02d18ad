package nsentry.sentry.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.stream.Stream;

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

    /** The lowest band fd not open in task {@code tid}'s fd table, or -1 if the band is full. */
    public int lowestFree(int tid) {
        if (size <= 0) {
            return -1;
        }
        BitSet used = new BitSet(size);
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + tid + "/fd"))) {
            fds.forEach(p -> {
                try {
                    int fd = Integer.parseInt(p.getFileName().toString());
                    if (contains(fd)) {
                        used.set(fd - base);
                    }
                } catch (NumberFormatException ignored) {
                    // not an fd entry
                }
            });
        } catch (IOException e) {
            return -1;
        }
        int free = used.nextClearBit(0);
        return free < size ? base + free : -1;
    }
}
