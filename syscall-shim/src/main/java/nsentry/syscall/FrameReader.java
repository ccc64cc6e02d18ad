package nsentry.syscall;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;

/**
 * Splits a byte stream into varint32-length-prefixed protobuf messages. Pure: no I/O,
 * so tests and fuzzers drive it directly. Feed bytes as they arrive, then call
 * {@link #next()} until it returns {@code null}; call {@link #endOfInput()} at EOF.
 *
 * <p>The length is checked against the limit as soon as its varint is complete, before
 * the body is buffered. After the first error the reader is dead: every later call
 * throws the same {@link FrameException}. Not thread-safe.
 */
public final class FrameReader<T extends MessageLite> {
    private static final int MAX_VARINT32_BYTES = 5;

    private final Parser<T> parser;
    private final int maxFrameBytes;
    private byte[] buf = new byte[256];
    private int start;   // first unconsumed byte
    private int end;     // one past the last buffered byte
    private FrameException failure;

    public FrameReader(Parser<T> parser, int maxFrameBytes) {
        this.parser = Objects.requireNonNull(parser, "parser");
        if (maxFrameBytes < 0) {
            throw new IllegalArgumentException("maxFrameBytes " + maxFrameBytes);
        }
        this.maxFrameBytes = maxFrameBytes;
    }

    /** Appends {@code src[off..off+len)}. */
    public void feed(byte[] src, int off, int len) throws FrameException {
        Objects.checkFromIndexSize(off, len, src.length);
        checkAlive();
        reserve(len);
        System.arraycopy(src, off, buf, end, len);
        end += len;
    }

    /** Appends the remaining bytes of {@code src}, consuming them. */
    public void feed(ByteBuffer src) throws FrameException {
        checkAlive();
        int len = src.remaining();
        reserve(len);
        src.get(buf, end, len);
        end += len;
    }

    /**
     * The next complete message, or {@code null} if more bytes are needed.
     *
     * @throws FrameException bad length prefix, oversized frame or malformed message
     */
    public T next() throws FrameException {
        checkAlive();
        int avail = end - start;
        if (avail == 0) {
            return null;
        }
        // Decode the varint32 length prefix.
        long length = 0;
        int prefix = 0;
        while (true) {
            if (prefix == avail) {
                return null; // prefix incomplete
            }
            int b = buf[start + prefix] & 0xff;
            length |= (long) (b & 0x7f) << (7 * prefix);
            prefix++;
            if ((b & 0x80) == 0) {
                break;
            }
            if (prefix == MAX_VARINT32_BYTES) {
                throw fail("malformed frame length: varint longer than " + MAX_VARINT32_BYTES + " bytes");
            }
        }
        if (length > maxFrameBytes) {
            throw fail("frame of " + length + " bytes exceeds limit " + maxFrameBytes);
        }
        int len = (int) length;
        if (avail - prefix < len) {
            return null; // body incomplete
        }
        int bodyStart = start + prefix;
        start = bodyStart + len;
        if (start == end) {
            start = 0;
            end = 0;
        }
        try {
            return parser.parseFrom(buf, bodyStart, len);
        } catch (InvalidProtocolBufferException e) {
            throw fail("malformed message: " + e.getMessage());
        }
    }

    /**
     * The stream ended. Throws if a frame was cut off: {@code EOF in the middle of a frame
     * (got 3 of 10 bytes)} or {@code EOF inside a frame length prefix}.
     */
    public void endOfInput() throws FrameException {
        checkAlive();
        int avail = end - start;
        if (avail == 0) {
            return;
        }
        long length = 0;
        for (int i = 0; i < Math.min(avail, MAX_VARINT32_BYTES); i++) {
            int b = buf[start + i] & 0xff;
            length |= (long) (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) {
                throw fail("EOF in the middle of a frame (got " + (avail - i - 1) + " of " + length + " bytes)");
            }
        }
        throw fail("EOF inside a frame length prefix");
    }

    /** Bytes buffered but not yet returned as messages. */
    public int buffered() {
        return end - start;
    }

    /** The error that killed this reader, or {@code null}. */
    public FrameException failure() {
        return failure;
    }

    private void checkAlive() throws FrameException {
        if (failure != null) {
            throw failure;
        }
    }

    private FrameException fail(String reason) {
        failure = new FrameException(reason);
        return failure;
    }

    private void reserve(int len) throws FrameException {
        if (buf.length - end >= len) {
            return;
        }
        int live = end - start;
        // A frame never needs more than prefix + limit; more unparsed bytes than that
        // only accumulate while the caller does not call next(): grow as needed.
        long needed = (long) live + len;
        if (needed > Integer.MAX_VALUE - 16) {
            throw fail("input buffer overflow");
        }
        if (buf.length >= needed && start > 0) {
            System.arraycopy(buf, start, buf, 0, live);
        } else {
            int size = buf.length;
            while (size < needed) {
                size = (int) Math.min((long) size * 2, Integer.MAX_VALUE - 16);
            }
            byte[] grown = Arrays.copyOf(Arrays.copyOfRange(buf, start, end), size);
            buf = grown;
        }
        start = 0;
        end = live;
    }
}
