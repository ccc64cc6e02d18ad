package nsentry.syscall;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

import nsentry.abi.Errno;
import nsentry.abi.SyscallException;

/**
 * Reads and writes workload memory with process_vm_readv/process_vm_writev. Every
 * failure on the workload's side (bad pointer, partial range, task gone, access
 * refused) is a {@link MemoryFault}, never anything else.
 *
 * <p>Memory read from a notified thread can change under the sentry (other threads);
 * read each argument once and re-check {@link SeccompListener#isValid} afterwards.
 *
 * <p>Thread-safe (one lock around a reused native buffer); meant for the event loop.
 */
public final class WorkloadMemory {
    /** PATH_MAX, including the terminating NUL. */
    public static final int PATH_MAX = 4096;
    private static final int PAGE_SIZE = 4096;
    /** The first read of a path (the C floor, bench/cfloor.c, reads 255 bytes). */
    private static final int FIRST_PATH_CHUNK = 256;
    private static final int SCRATCH_SIZE = 64 * 1024;

    private final Linux linux;
    private final NativeBuffer iovs;     // local iovec at 0, remote iovec at 16
    private final NativeBuffer scratch;  // SCRATCH_SIZE bytes
    private final byte[] pathBytes = new byte[PATH_MAX];

    public WorkloadMemory(Linux linux) {
        this.linux = Objects.requireNonNull(linux, "linux");
        this.iovs = linux.allocate(32);
        this.scratch = linux.allocate(SCRATCH_SIZE);
    }

    // ------------------------------------------------------------------ reads

    /** Reads exactly {@code len} bytes. */
    public byte[] read(int tid, long addr, int len) throws MemoryFault {
        byte[] out = new byte[checkLength(len)];
        readInto(tid, addr, out, 0, len);
        return out;
    }

    /** Reads exactly {@code dst.length} bytes into {@code dst}; returns the count. */
    public int readInto(int tid, long addr, byte[] dst) throws MemoryFault {
        return readInto(tid, addr, dst, 0, dst.length);
    }

    /** Reads exactly {@code len} bytes into {@code dst[off..]}; returns {@code len}. */
    public int readInto(int tid, long addr, byte[] dst, int off, int len) throws MemoryFault {
        Objects.checkFromIndexSize(off, len, dst.length);
        synchronized (this) {
            int done = 0;
            while (done < len) {
                int chunk = Math.min(len - done, SCRATCH_SIZE);
                readScratch(tid, addr + done, 0, chunk, "read");
                scratch.get(0, dst, off + done, chunk);
                done += chunk;
            }
        }
        return len;
    }

    /** Reads a little-endian u64 (e.g. a pointer in an argv array). */
    public long readU64(int tid, long addr) throws MemoryFault {
        synchronized (this) {
            readScratch(tid, addr, 0, 8, "read");
            return scratch.getLong(0);
        }
    }

    /** Reads a little-endian 32-bit value (e.g. an {@code int *} argument). */
    public int readU32(int tid, long addr) throws MemoryFault {
        synchronized (this) {
            readScratch(tid, addr, 0, 4, "read");
            return scratch.getInt(0);
        }
    }

    /**
     * Reads a NUL-terminated path the way the kernel's getname() does: at most
     * PATH_MAX bytes including the NUL, page by page, so a string that ends right before
     * an unmapped page is read. The bytes are exact (no decoding).
     *
     * @throws MemoryFault the string starts in or runs into unreadable memory
     * @throws SyscallException ENAMETOOLONG: no NUL within PATH_MAX bytes
     */
    public byte[] readPathBytes(int tid, long addr) throws MemoryFault, SyscallException {
        synchronized (this) {
            int len = readPathLocked(tid, addr);
            byte[] out = new byte[len];
            System.arraycopy(pathBytes, 0, out, 0, len);
            return out;
        }
    }

    /** {@link #readPathBytes} decoded as UTF-8 (invalid sequences become U+FFFD). */
    public String readPath(int tid, long addr) throws MemoryFault, SyscallException {
        synchronized (this) {
            int len = readPathLocked(tid, addr);
            return new String(pathBytes, 0, len, StandardCharsets.UTF_8);
        }
    }

    /**
     * Fills {@link #pathBytes}; returns the length before the NUL. Reads never cross a page
     * boundary, so a fault is EFAULT exactly where strncpy_from_user would fault: the first
     * read takes at most {@link #FIRST_PATH_CHUNK} bytes (most paths end there, and both the
     * process_vm_readv and the copy cost by the byte), the next ones the rest of their page.
     */
    private int readPathLocked(int tid, long addr) throws MemoryFault, SyscallException {
        int total = 0;
        while (total < PATH_MAX) {
            long at = addr + total;
            int chunk = Math.min(PAGE_SIZE - (int) (at & (PAGE_SIZE - 1)), PATH_MAX - total);
            if (total == 0) {
                chunk = Math.min(chunk, FIRST_PATH_CHUNK);
            }
            readScratch(tid, at, total, chunk, "path read");
            scratch.get(total, pathBytes, total, chunk);
            for (int i = total; i < total + chunk; i++) {
                if (pathBytes[i] == 0) {
                    return i;
                }
            }
            total += chunk;
        }
        throw new SyscallException(Errno.ENAMETOOLONG, "strncpy_from_user",
                "no NUL within " + PATH_MAX + " bytes of the path at 0x" + Long.toHexString(addr) + " in tid " + tid);
    }

    /** One process_vm_readv of exactly {@code len} bytes into scratch[offset..]. */
    private void readScratch(int tid, long addr, int offset, int len, String what) throws MemoryFault {
        if (len == 0) {
            return;
        }
        iovs.putLong(0, scratch.address() + offset);
        iovs.putLong(8, len);
        iovs.putLong(16, addr);
        iovs.putLong(24, len);
        long r = linux.processVmReadvRaw(tid, iovs.address());
        if (r < 0) {
            throw new MemoryFault(tid, addr, len, (int) -r, what);
        }
        if (r < len) {
            throw new MemoryFault(tid, addr + r, (int) (len - r), Errno.EFAULT.number(), what);
        }
    }

    // ------------------------------------------------------------------ writes

    /**
     * Writes all of {@code data}. Fails with a MemoryFault on read-only memory
     * (process_vm_writev honours page protections); a partial write leaves the first
     * part written.
     */
    public void write(int tid, long addr, byte[] data) throws MemoryFault {
        write(tid, addr, data, 0, data.length);
    }

    public void write(int tid, long addr, byte[] data, int off, int len) throws MemoryFault {
        Objects.checkFromIndexSize(off, len, data.length);
        synchronized (this) {
            int done = 0;
            while (done < len) {
                int chunk = Math.min(len - done, SCRATCH_SIZE);
                scratch.put(0, data, off + done, chunk);
                writeScratch(tid, addr + done, chunk);
                done += chunk;
            }
        }
    }

    public void writeU64(int tid, long addr, long value) throws MemoryFault {
        synchronized (this) {
            scratch.putLong(0, value);
            writeScratch(tid, addr, 8);
        }
    }

    public void writeU32(int tid, long addr, int value) throws MemoryFault {
        synchronized (this) {
            scratch.putInt(0, value);
            writeScratch(tid, addr, 4);
        }
    }

    private void writeScratch(int tid, long addr, int len) throws MemoryFault {
        if (len == 0) {
            return;
        }
        iovs.putLong(0, scratch.address());
        iovs.putLong(8, len);
        iovs.putLong(16, addr);
        iovs.putLong(24, len);
        long r = linux.processVmWritevRaw(tid, iovs.address());
        if (r < 0) {
            throw new MemoryFault(tid, addr, len, (int) -r, "write");
        }
        if (r < len) {
            throw new MemoryFault(tid, addr + r, (int) (len - r), Errno.EFAULT.number(), "write");
        }
    }

    private static int checkLength(int len) {
        if (len < 0) {
            throw new IllegalArgumentException("length " + len);
        }
        return len;
    }
}
