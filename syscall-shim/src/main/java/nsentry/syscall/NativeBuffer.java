package nsentry.syscall;

import jnr.ffi.Pointer;

/**
 * A fixed block of native memory, allocated once and reused (the hot paths pass its
 * address to syscalls, so they allocate nothing per call). Freed when unreachable.
 * Not thread-safe: each owner confines or locks it.
 */
final class NativeBuffer {
    private final Pointer pointer;
    private final long address;
    private final int size;

    NativeBuffer(Pointer pointer, int size) {
        this.pointer = pointer;
        this.address = pointer.address();
        this.size = size;
    }

    long address() {
        return address;
    }

    int size() {
        return size;
    }

    void zero(int offset, int length) {
        pointer.setMemory(offset, length, (byte) 0);
    }

    long getLong(int offset) {
        return pointer.getLong(offset);
    }

    int getInt(int offset) {
        return pointer.getInt(offset);
    }

    short getShort(int offset) {
        return pointer.getShort(offset);
    }

    void putLong(int offset, long value) {
        pointer.putLong(offset, value);
    }

    void putInt(int offset, int value) {
        pointer.putInt(offset, value);
    }

    void putShort(int offset, short value) {
        pointer.putShort(offset, value);
    }

    void get(int offset, byte[] dst, int dstOffset, int length) {
        pointer.get(offset, dst, dstOffset, length);
    }

    void put(int offset, byte[] src, int srcOffset, int length) {
        pointer.put(offset, src, srcOffset, length);
    }
}
