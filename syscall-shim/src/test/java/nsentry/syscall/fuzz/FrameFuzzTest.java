package nsentry.syscall.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;

import nsentry.proto.SentryMessage;
import nsentry.proto.ShimMessage;
import nsentry.syscall.FrameCodec;
import nsentry.syscall.FrameException;
import nsentry.syscall.FrameReader;
import nsentry.syscall.Handshake;
import nsentry.syscall.HandshakeException;

/**
 * Coverage-guided fuzzing (Jazzer) of what the sentry decodes from the shim: the varint32
 * framing ({@link FrameReader}), protobuf parsing of {@link ShimMessage}, the handshake's
 * checks, and the encode/decode round trip of {@link FrameCodec} (issue 9, item 3).
 *
 * <p>The only acceptable outcomes of hostile bytes are messages or a {@link FrameException}
 * (and a {@link HandshakeException} for a bad Hello); anything else thrown is a finding.
 *
 * <p>In the normal test phase ({@code JAZZER_FUZZ=1}, set by the module's surefire
 * configuration) this fuzzes for a few seconds; {@code JAZZER_FUZZ=} (empty) only replays
 * the regression inputs kept in {@code src/test/resources/nsentry/syscall/fuzz/FrameFuzzTestInputs/}.
 * Longer (30 minutes, or stop it): {@code mvn -pl syscall-shim test -Dtest=FrameFuzzTest#framesLong
 * -DargLine="--enable-native-access=ALL-UNNAMED -Dnsentry.fuzz.long=true"}. A crash is written
 * to that directory as a regression input: fix the code and keep the input. The working
 * corpus goes to {@code syscall-shim/.cifuzz-corpus/} (not kept).
 */
class FrameFuzzTest {

    @FuzzTest(maxDuration = "5s")
    void frames(FuzzedDataProvider data) {
        fuzzOne(data);
    }

    /** The same target for a long run on demand (see the class comment). */
    @FuzzTest(maxDuration = "30m")
    @EnabledIfSystemProperty(named = "nsentry.fuzz.long", matches = "true")
    void framesLong(FuzzedDataProvider data) {
        fuzzOne(data);
    }

    private static void fuzzOne(FuzzedDataProvider data) {
        int mode = data.consumeInt(0, 3);
        switch (mode) {
            case 0 -> streamInChunks(data);
            case 1 -> parseBody(data.consumeRemainingAsBytes());
            case 2 -> roundTrip(data);
            default -> endOfInput(data.consumeRemainingAsBytes());
        }
    }

    /** Arbitrary bytes fed in arbitrary chunks: messages, then at most one FrameException. */
    private static void streamInChunks(FuzzedDataProvider data) {
        int max = data.consumeBoolean() ? FrameCodec.MAX_FRAME_BYTES : data.consumeInt(0, 64);
        FrameReader<ShimMessage> reader = new FrameReader<>(ShimMessage.parser(), max);
        List<ShimMessage> got = new ArrayList<>();
        FrameException failure = null;
        try {
            while (data.remainingBytes() > 0) {
                byte[] chunk = data.consumeBytes(data.consumeInt(0, 300));
                reader.feed(chunk, 0, chunk.length);
                for (ShimMessage m; (m = reader.next()) != null; ) {
                    got.add(m);
                    if (m.getBodyCase() == ShimMessage.BodyCase.HELLO) {
                        try {
                            Handshake.checkPeer(m.getHello());
                        } catch (HandshakeException expected) {
                            // a refused peer is a clean outcome
                        }
                    }
                }
            }
            reader.endOfInput();
        } catch (FrameException e) {
            failure = e;
        }
        if (failure != null) {
            // the reader is dead: every later call rethrows the same failure
            assertSame(failure, reader.failure());
            try {
                reader.next();
            } catch (FrameException again) {
                assertSame(failure, again);
            }
        }
        for (ShimMessage m : got) {
            assertTrue(m.getSerializedSize() <= max, "a message larger than the frame limit was returned");
        }
    }

    /** A frame body parsed directly, as ShimMessage and as SentryMessage. */
    private static void parseBody(byte[] body) {
        try {
            ShimMessage m = ShimMessage.parseFrom(body);
            assertNotNull(m.getBodyCase());
            if (m.hasHello()) {
                try {
                    Handshake.expectHello(m);
                } catch (HandshakeException expected) {
                    // refused: fine
                }
            }
        } catch (InvalidProtocolBufferException expected) {
            // malformed: fine
        }
        try {
            SentryMessage.parseFrom(body);
        } catch (InvalidProtocolBufferException expected) {
            // malformed: fine
        }
    }

    /** Any parsable message survives encode → split into chunks → decode unchanged. */
    private static void roundTrip(FuzzedDataProvider data) {
        List<ShimMessage> sent = new ArrayList<>();
        java.io.ByteArrayOutputStream stream = new java.io.ByteArrayOutputStream();
        int n = data.consumeInt(1, 4);
        for (int i = 0; i < n; i++) {
            ShimMessage m;
            try {
                m = ShimMessage.parseFrom(data.consumeBytes(data.consumeInt(0, 200)));
            } catch (InvalidProtocolBufferException e) {
                continue;
            }
            sent.add(m);
            byte[] frame = FrameCodec.encode(m);
            stream.write(frame, 0, frame.length);
        }
        byte[] all = stream.toByteArray();
        FrameReader<ShimMessage> reader = FrameCodec.shimMessageReader();
        List<ShimMessage> got = new ArrayList<>();
        int at = 0;
        try {
            while (at < all.length) {
                int len = Math.min(all.length - at, 1 + data.consumeInt(0, 40));
                reader.feed(all, at, len);
                at += len;
                for (ShimMessage m; (m = reader.next()) != null; ) {
                    got.add(m);
                }
            }
            reader.endOfInput();
        } catch (FrameException e) {
            throw new AssertionError("valid frames refused: " + e.getMessage(), e);
        }
        assertEquals(sent.size(), got.size());
        for (int i = 0; i < sent.size(); i++) {
            assertArrayEquals(sent.get(i).toByteArray(), got.get(i).toByteArray());
        }
    }

    /** Bytes then EOF: either they were whole frames or endOfInput says why not. */
    private static void endOfInput(byte[] bytes) {
        FrameReader<ShimMessage> reader = FrameCodec.shimMessageReader();
        try {
            reader.feed(bytes, 0, bytes.length);
            while (reader.next() != null) {
                // drain
            }
            reader.endOfInput();
            assertEquals(0, reader.buffered());
        } catch (FrameException expected) {
            assertNotNull(expected.getMessage());
        }
    }
}
