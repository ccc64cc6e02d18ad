package nsentry.syscall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import nsentry.proto.Hello;
import nsentry.proto.ShimMessage;
import nsentry.proto.WorkloadExited;

/** The pure framing code, without sockets. */
class FrameReaderTest {
    private static ShimMessage exited(int pid) {
        return ShimMessage.newBuilder().setWorkloadExited(WorkloadExited.newBuilder().setPid(pid)).build();
    }

    @Test
    void roundTripAndPrefix() throws Exception {
        ShimMessage m = ShimMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(1)).build();
        byte[] f = FrameCodec.encode(m);
        assertEquals(m.getSerializedSize(), f[0]);
        FrameReader<ShimMessage> r = FrameCodec.shimMessageReader();
        r.feed(f, 0, f.length);
        assertEquals(m, r.next());
        assertNull(r.next());
        assertEquals(0, r.buffered());
        r.endOfInput();
    }

    @Test
    void emptyMessageIsAZeroLengthFrame() throws Exception {
        FrameReader<ShimMessage> r = FrameCodec.shimMessageReader();
        r.feed(new byte[] {0}, 0, 1);
        assertEquals(ShimMessage.getDefaultInstance(), r.next());
    }

    @Test
    void limitIsInclusive() throws Exception {
        FrameReader<ShimMessage> r = new FrameReader<>(ShimMessage.parser(), 4);
        // Field 1 (hello), length 2, containing field 1 (protocol_version) = 1: 4 bytes.
        r.feed(new byte[] {4, 0x0a, 2, 0x08, 1}, 0, 5);
        assertEquals(1, r.next().getHello().getProtocolVersion());
        r.feed(new byte[] {5}, 0, 1);
        FrameException e = assertThrows(FrameException.class, r::next);
        assertEquals("frame of 5 bytes exceeds limit 4", e.reason());
        assertSame(e, assertThrows(FrameException.class, r::next), "dead reader repeats its error");
        assertSame(e, assertThrows(FrameException.class, () -> r.feed(new byte[1], 0, 1)));
    }

    @Test
    void hugeVarintsAreCheckedAgainstTheLimit() throws Exception {
        FrameReader<ShimMessage> r = FrameCodec.shimMessageReader();
        r.feed(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f}, 0, 5);
        assertEquals("frame of 4294967295 bytes exceeds limit 1048576", assertThrows(FrameException.class, r::next).reason());
        FrameReader<ShimMessage> r2 = FrameCodec.shimMessageReader();
        r2.feed(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f}, 0, 5);
        assertEquals("frame of 34359738367 bytes exceeds limit 1048576", assertThrows(FrameException.class, r2::next).reason());
    }

    @Test
    void overlongVarint() throws Exception {
        FrameReader<ShimMessage> r = FrameCodec.shimMessageReader();
        r.feed(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80}, 0, 5);
        assertEquals("malformed frame length: varint longer than 5 bytes", assertThrows(FrameException.class, r::next).reason());
    }

    @Test
    void incompletePrefixWaits() throws Exception {
        FrameReader<ShimMessage> r = FrameCodec.shimMessageReader();
        r.feed(new byte[] {(byte) 0x80, (byte) 0x80}, 0, 2);
        assertNull(r.next());
        assertEquals("EOF inside a frame length prefix", assertThrows(FrameException.class, r::endOfInput).reason());
    }

    @Test
    void truncatedBodyAtEof() throws Exception {
        FrameReader<ShimMessage> r = FrameCodec.shimMessageReader();
        r.feed(new byte[] {(byte) 0x96, 0x01, 1, 2, 3}, 0, 5); // 150
        assertNull(r.next());
        assertEquals("EOF in the middle of a frame (got 3 of 150 bytes)",
                assertThrows(FrameException.class, r::endOfInput).reason());
    }

    @Test
    void malformedBody() throws Exception {
        FrameReader<ShimMessage> r = FrameCodec.shimMessageReader();
        r.feed(new byte[] {3, (byte) 0x0a, 10, 1}, 0, 4); // hello claims 10 bytes, has 1
        FrameException e = assertThrows(FrameException.class, r::next);
        assertTrue(e.reason().startsWith("malformed message: "), e.reason());
    }

    @Test
    void anySplitYieldsTheSameMessages() throws Exception {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        List<ShimMessage> sent = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            ShimMessage m = exited(i * 1000);
            sent.add(m);
            all.write(FrameCodec.encode(m));
        }
        // Large messages too, so the buffer grows and compacts.
        ShimMessage big = ShimMessage.newBuilder().setHello(Hello.newBuilder().setSoftware("y".repeat(70_000))).build();
        sent.add(big);
        all.write(FrameCodec.encode(big));
        byte[] bytes = all.toByteArray();
        Random rnd = new Random(42);
        for (int round = 0; round < 50; round++) {
            FrameReader<ShimMessage> r = FrameCodec.shimMessageReader();
            List<ShimMessage> got = new ArrayList<>();
            int pos = 0;
            while (pos < bytes.length) {
                int n = Math.min(bytes.length - pos, 1 + rnd.nextInt(round % 2 == 0 ? 7 : 9000));
                r.feed(ByteBuffer.wrap(bytes, pos, n));
                pos += n;
                ShimMessage m;
                while ((m = r.next()) != null) {
                    got.add(m);
                }
            }
            r.endOfInput();
            assertEquals(sent, got);
        }
    }

    @Test
    void randomGarbageNeverThrowsAnythingElse() {
        Random rnd = new Random(7);
        for (int round = 0; round < 20_000; round++) {
            byte[] junk = new byte[rnd.nextInt(64)];
            rnd.nextBytes(junk);
            FrameReader<ShimMessage> r = new FrameReader<>(ShimMessage.parser(), 1 + rnd.nextInt(100));
            try {
                r.feed(junk, 0, junk.length);
                while (r.next() != null) {
                    // drain
                }
                r.endOfInput();
            } catch (FrameException expected) {
                // fine: a clear reason, nothing else
                assertTrue(!expected.reason().isEmpty());
            }
        }
    }

    @Test
    void encodeRefusesOversizedMessages() {
        ShimMessage huge = ShimMessage.newBuilder().setHello(Hello.newBuilder().setSoftware("z".repeat(FrameCodec.MAX_FRAME_BYTES))).build();
        assertThrows(IllegalArgumentException.class, () -> FrameCodec.encode(huge));
    }
}
