package nsentry.syscall;

import java.lang.ref.Cleaner;

import com.kenai.jffi.MemoryIO;

/**
 * A fixed block of native memory, allocated once and reused (the hot paths pass its
 * address to syscalls, so they allocate nothing per call). Freed when unreachable.
 * Not thread-safe: each owner confines or locks it.
 */
final class NativeBuffer {
    /** Frees the memory of unreachable buffers (one daemon thread, started with the first buffer). */
    private static final Cleaner FREER = Cleaner.create();
    /** Up to this many bytes (a multiple of 8), {@link #zero} stores words itself. */
    private static final int SMALL_ZERO = 128;

    private final MemoryIO memory;
    private final long address;
    private final int size;

    private NativeBuffer(MemoryIO memory, long address, int size) {
        this.memory = memory;
        this.address = address;
        this.size = size;
    }

    /** {@code size} zeroed bytes of native memory, freed when the buffer is unreachable. */
    static NativeBuffer allocate(int size) {
        MemoryIO memory = MemoryIO.getInstance();
        long address = memory.allocateMemory(Math.max(size, 1), true);
        if (address == 0) {
            throw new OutOfMemoryError("native buffer of " + size + " bytes");
        }
        NativeBuffer b = new NativeBuffer(memory, address, size);
        FREER.register(b, () -> memory.freeMemory(address));
        return b;
    }

    long address() {
        return address;
    }

    int size() {
        return size;
    }

    void zero(int offset, int length) {
        check(offset, length);
        if (length <= SMALL_ZERO && (length & 7) == 0) {
            // Word stores compile to plain moves; setMemory is a call into the VM (~40 ns,
            // once per notification received).
            for (int i = 0; i < length; i += 8) {
                memory.putLong(address + offset + i, 0L);
            }
            return;
        }
        memory.setMemory(address + offset, length, (byte) 0);
    }

    long getLong(int offset) {
        check(offset, 8);
        return memory.getLong(address + offset);
    }

    int getInt(int offset) {
        check(offset, 4);
        return memory.getInt(address + offset);
    }

    short getShort(int offset) {
        check(offset, 2);
        return memory.getShort(address + offset);
    }

    void putLong(int offset, long value) {
        check(offset, 8);
        memory.putLong(address + offset, value);
    }

    void putInt(int offset, int value) {
        check(offset, 4);
        memory.putInt(address + offset, value);
    }

    void putShort(int offset, short value) {
        check(offset, 2);
        memory.putShort(address + offset, value);
    }

    void get(int offset, byte[] dst, int dstOffset, int length) {
        check(offset, length);
        memory.getByteArray(address + offset, dst, dstOffset, length);
    }

    void put(int offset, byte[] src, int srcOffset, int length) {
        check(offset, length);
        memory.putByteArray(address + offset, src, srcOffset, length);
    }

    /**
     * Raw memory access stays inside the block: a bad offset throws instead of corrupting the heap.
     * Kept under C1's inlining limit (35 bytes of bytecode; the sentry runs C1 only): the
     * message is built out of line, so every get/put inlines to a compare and a load.
     */
    private void check(int offset, int length) {
        if (offset < 0 || length < 0 || offset > size - length) {
            throw outOfBounds(offset, length);
        }
    }

    private IndexOutOfBoundsException outOfBounds(int offset, int length) {
        return new IndexOutOfBoundsException("native buffer of " + size + " bytes: offset " + offset
                + ", length " + length);
    }
}
