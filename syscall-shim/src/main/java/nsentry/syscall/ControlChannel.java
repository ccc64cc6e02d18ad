package nsentry.syscall;

import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import nsentry.proto.SentryMessage;
import nsentry.proto.ShimMessage;

/**
 * The protobuf link to the shim over the control socket (fd 3), as a Netty
 * {@link EpollDomainSocketChannel} on the sentry's {@link EventLoop}.
 *
 * <p>Incoming frames are delivered to {@link Listener#onMessage} in order, on the loop.
 * EOF, a read error, a bad frame or a malformed message ends the session: the socket is
 * closed and {@link Listener#onClosed} runs exactly once with the reason (fail closed;
 * nothing escapes to the loop). {@code onClosed} is not called after {@link #close()}.
 */
public final class ControlChannel implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ControlChannel.class.getName());

    /** Receives the shim's messages, on the event loop. */
    public interface Listener {
        void onMessage(ShimMessage message);

        /**
         * The session ended. {@code reason}: "EOF", "EOF in the middle of a frame (got 3
         * of 10 bytes)", "frame of 2000000 bytes exceeds limit 1048576", "malformed
         * message: ...", "read failed: ...", "write failed: ...", "message handler failed: ...".
         */
        void onClosed(String reason);
    }

    private final EventLoop loop;
    private final EpollDomainSocketChannel channel;
    private final Listener listener;
    private final FrameReader<ShimMessage> reader = FrameCodec.shimMessageReader();
    private final AtomicBoolean closed = new AtomicBoolean();

    private ControlChannel(EventLoop loop, EpollDomainSocketChannel channel, Listener listener) {
        this.loop = loop;
        this.channel = channel;
        this.listener = listener;
    }

    /**
     * Wraps the connected unix stream socket {@code socketFd} (which the channel now
     * owns: it sets O_NONBLOCK and closes it at the end) and starts reading.
     */
    public static ControlChannel open(EventLoop loop, Linux linux, int socketFd, Listener listener) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(listener, "listener");
        linux.setNonBlocking(socketFd, true); // Netty's epoll channels are edge-triggered
        EpollDomainSocketChannel ch = new EpollDomainSocketChannel(socketFd);
        ControlChannel cc = new ControlChannel(loop, ch, listener);
        ch.pipeline().addLast("nsentry-control", cc.new Inbound());
        ChannelFuture reg = loop.register(ch);
        if (!loop.inLoop()) {
            if (!reg.awaitUninterruptibly(10, TimeUnit.SECONDS)) {
                ch.close();
                throw new IllegalStateException("registering control socket fd " + socketFd + " timed out");
            }
        }
        if (reg.isDone() && !reg.isSuccess()) {
            throw new LinuxException("epoll_ctl(ADD, control socket fd " + socketFd + ")",
                    nsentry.abi.Errno.EIO.number(), String.valueOf(reg.cause()), reg.cause());
        }
        return cc;
    }

    /**
     * Sends one message and flushes. Thread-safe; messages from one thread go out in
     * order. A failed write ends the session ("write failed: ..."). Dropped silently
     * once the channel is closed.
     */
    public void send(SentryMessage message) {
        byte[] frame = FrameCodec.encode(message);
        if (closed.get()) {
            return;
        }
        channel.writeAndFlush(Unpooled.wrappedBuffer(frame)).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                fail("write failed: " + describe(f.cause()));
            }
        });
    }

    /** Whether the session is still open. */
    public boolean isOpen() {
        return !closed.get();
    }

    /** Closes the socket; the listener is not called. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            channel.close();
        }
    }

    /** Ends the session with {@code reason}: close the socket, tell the listener, once. */
    private void fail(String reason) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        channel.close();
        Runnable tell = () -> {
            try {
                listener.onClosed(reason);
            } catch (Throwable t) {
                loop.reportUncaught(t);
            }
        };
        if (loop.inLoop()) {
            tell.run();
        } else {
            loop.execute(tell);
        }
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        return m != null ? m : t.toString();
    }

    /** Feeds bytes to the frame reader and delivers complete messages. */
    private final class Inbound extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            try {
                if (closed.get()) {
                    return;
                }
                reader.feed(in.nioBuffer());
                ShimMessage m;
                while (!closed.get() && (m = reader.next()) != null) {
                    if (m.getBodyCase() == ShimMessage.BodyCase.BODY_NOT_SET) {
                        fail("malformed message: ShimMessage without a known body");
                        return;
                    }
                    try {
                        listener.onMessage(m);
                    } catch (Throwable t) {
                        loop.reportUncaught(t);
                        fail("message handler failed: " + t);
                        return;
                    }
                }
            } catch (FrameException e) {
                fail(e.reason());
            } finally {
                in.release();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (closed.get()) {
                return;
            }
            try {
                reader.endOfInput();
                fail("EOF");
            } catch (FrameException e) {
                fail(e.reason());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!closed.get()) {
                LOG.log(System.Logger.Level.DEBUG, "control channel error", cause);
            }
            fail("read failed: " + describe(cause));
        }
    }
}
