package nsentry.syscall;

import java.io.IOException;
import java.io.UncheckedIOException;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;

import nsentry.proto.Limits;
import nsentry.proto.ShimMessage;

/** The framing of the control socket: a varint32 byte count, then one protobuf message. */
public final class FrameCodec {
    private FrameCodec() {}

    /** Largest frame body either side accepts (Limits.MAX_FRAME_BYTES). */
    public static final int MAX_FRAME_BYTES = Limits.MAX_FRAME_BYTES_VALUE;

    /** Prefix + body of one frame. Throws IllegalArgumentException over the limit. */
    public static byte[] encode(MessageLite message) {
        int size = message.getSerializedSize();
        if (size > MAX_FRAME_BYTES) {
            throw new IllegalArgumentException("message of " + size + " bytes exceeds frame limit " + MAX_FRAME_BYTES);
        }
        byte[] out = new byte[CodedOutputStream.computeUInt32SizeNoTag(size) + size];
        CodedOutputStream cos = CodedOutputStream.newInstance(out);
        try {
            cos.writeUInt32NoTag(size);
            message.writeTo(cos);
            cos.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen with an exact-size array
        }
        return out;
    }

    /** A reader for what the shim sends, with the protocol's frame limit. */
    public static FrameReader<ShimMessage> shimMessageReader() {
        return new FrameReader<>(ShimMessage.parser(), MAX_FRAME_BYTES);
    }
}
