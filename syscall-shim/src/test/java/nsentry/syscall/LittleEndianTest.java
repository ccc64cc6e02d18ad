package nsentry.syscall;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

class LittleEndianTest {

    @Test
    void decodesAsTheJdksLittleEndianBufferDoesAtEveryOffset() {
        byte[] b = {(byte) 0x80, 0x01, (byte) 0xff, 0x7f, (byte) 0xfe, 0x00, (byte) 0x81, (byte) 0xc3, 0x05, 0x11};
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        for (int off = 0; off + 8 <= b.length; off++) {
            assertEquals(bb.getLong(off), LittleEndian.u64(b, off), "u64 at " + off);
        }
        for (int off = 0; off + 4 <= b.length; off++) {
            assertEquals(bb.getInt(off), LittleEndian.u32(b, off), "u32 at " + off);
        }
        assertEquals(0x7fff0180, LittleEndian.u32(b, 0));
        assertEquals(0xc38100fe7fff0180L, LittleEndian.u64(b, 0));
    }

    @Test
    void putU32RoundTrips() {
        byte[] b = new byte[6];
        LittleEndian.putU32(b, 1, 0xdeadbeef);
        assertArrayEquals(new byte[] {0, (byte) 0xef, (byte) 0xbe, (byte) 0xad, (byte) 0xde, 0}, b);
        assertEquals(0xdeadbeef, LittleEndian.u32(b, 1));
    }
}
