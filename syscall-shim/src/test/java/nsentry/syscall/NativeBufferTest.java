package nsentry.syscall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Native buffers: every access stays inside the block; zeroing clears what it is asked to. */
class NativeBufferTest {
    @Test
    void accessesOutsideTheBlockThrowInsteadOfTouchingMemory() {
        NativeBuffer b = NativeBuffer.allocate(16);
        b.putLong(8, 42);
        assertEquals(42, b.getLong(8));
        assertThrows(IndexOutOfBoundsException.class, () -> b.getLong(9), "last byte past the end");
        assertThrows(IndexOutOfBoundsException.class, () -> b.putInt(-1, 0), "negative offset");
        assertThrows(IndexOutOfBoundsException.class, () -> b.getShort(Integer.MAX_VALUE), "huge offset");
        assertThrows(IndexOutOfBoundsException.class, () -> b.zero(0, 17), "length past the end");
        assertThrows(IndexOutOfBoundsException.class, () -> b.zero(8, -8), "negative length");
        assertThrows(IndexOutOfBoundsException.class, () -> b.zero(Integer.MAX_VALUE, Integer.MAX_VALUE),
                "offset + length overflowing an int");
        byte[] big = new byte[17];
        assertThrows(IndexOutOfBoundsException.class, () -> b.put(0, big, 0, 17));
        assertEquals(42, b.getLong(8), "a refused access wrote nothing");
    }

    @Test
    void zeroClearsExactlyTheRangeInWordsAndInBytes() {
        for (int size : new int[] {80, 128, 136, 300}) {
            NativeBuffer b = NativeBuffer.allocate(size + 16);
            for (int i = 0; i < size + 16; i++) {
                b.put(i, new byte[] {(byte) 0xA5}, 0, 1);
            }
            b.zero(8, size); // words (<= 128, a multiple of 8) or setMemory
            byte[] all = new byte[size + 16];
            b.get(0, all, 0, all.length);
            for (int i = 0; i < all.length; i++) {
                byte want = i >= 8 && i < 8 + size ? 0 : (byte) 0xA5;
                assertEquals(want, all[i], "size " + size + ", byte " + i);
            }
        }
        NativeBuffer odd = NativeBuffer.allocate(12);
        odd.putInt(0, -1);
        odd.putLong(4, -1);
        odd.zero(1, 10); // not a multiple of 8: setMemory
        assertEquals(0xFF, odd.getInt(0) & 0xFF);
        assertEquals(0, odd.getLong(1) & 0x00FF_FFFF_FFFF_FFFFL);
        assertEquals(0xFF, (odd.getInt(8) >>> 24) & 0xFF);
    }
}
