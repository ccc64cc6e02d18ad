package nsentry.syscall;

import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

import nsentry.abi.Errno;
import nsentry.proto.SentryMessage;
import nsentry.proto.ShimMessage;

/**
 * The protobuf link to the shim over the control socket (fd 3): a non-blocking unix
 * stream socket watched level-triggered on the sentry's {@link EventLoop}.
 *
 * <p>Incoming frames are delivered to {@link Listener#onMessage} in order, on the loop.
 * EOF, a read error, a bad frame or a malformed message ends the session: the socket is
 * closed and {@link Listener#onClosed} runs exactly once with the reason (fail closed;
 * nothing escapes to the loop). {@code onClosed} is not called after {@link #close()}.
 * Outgoing frames are written on the loop; what the socket does not take at once waits,
 * in order, until it is writable again.
 */
public final class ControlChannel implements AutoCloseable {
    /** Bytes read or written per call. */
    private static final int CHUNK = 64 * 1024;

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
    private final Linux linux;
    private final int fd;
    private final Listener listener;
    private final FrameReader<ShimMessage> reader = FrameCodec.shimMessageReader();
    private final AtomicBoolean closed = new AtomicBoolean();
    // Loop thread only:
    private final NativeBuffer io = NativeBuffer.allocate(CHUNK);
    private final byte[] chunk = new byte[CHUNK];
    private final ArrayDeque<byte[]> pending = new ArrayDeque<>();
    private int pendingOffset; // bytes of pending.peek() already written
    private volatile EventLoop.Watch watch; // set once, right after registration
    private boolean socketClosed;

    private ControlChannel(EventLoop loop, Linux linux, int fd, Listener listener) {
        this.loop = loop;
        this.linux = linux;
        this.fd = fd;
        this.listener = listener;
    }

    /**
     * Wraps the connected unix stream socket {@code socketFd} (which the channel now
     * owns: it sets O_NONBLOCK and closes it at the end, or when the loop shuts down) and
     * starts reading.
     */
    public static ControlChannel open(EventLoop loop, Linux linux, int socketFd, Listener listener) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(linux, "linux");
        Objects.requireNonNull(listener, "listener");
        linux.setNonBlocking(socketFd, true);
        ControlChannel cc = new ControlChannel(loop, linux, socketFd, listener);
        EventLoop.Watch w = (EventLoop.Watch) loop.watch(socketFd, cc::onEvents);
        w.onLoopEnd(cc::closeSocket);
        cc.watch = w;
        return cc;
    }

    /**
     * Sends one message. Thread-safe; messages from one thread go out in order. A failed
     * write ends the session ("write failed: ..."). Dropped silently once the channel is
     * closed.
     */
    public void send(SentryMessage message) {
        byte[] frame = FrameCodec.encode(message);
        if (closed.get()) {
            return;
        }
        if (loop.inLoop()) {
            write(frame);
        } else {
            loop.execute(() -> write(frame));
        }
    }

    /** Whether the session is still open. */
    public boolean isOpen() {
        return !closed.get();
    }

    /** Closes the socket; the listener is not called. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            onLoop(this::closeSocket);
        }
    }

    // ------------------------------------------------------------------ on the loop

    private void onEvents(int events) {
        if (closed.get()) {
            return;
        }
        if ((events & EventLoop.EPOLLOUT) != 0 && !pending.isEmpty()) {
            flush();
            if (closed.get()) {
                return;
            }
        }
        if ((events & (EventLoop.EPOLLIN | EventLoop.EPOLLHUP | EventLoop.EPOLLERR)) != 0) {
            read();
        }
    }

    /** One read (level-triggered: more input calls again), then the complete messages. */
    private void read() {
        long n = linux.readRaw(fd, io.address(), CHUNK);
        if (n == -Errno.EAGAIN.number() || n == -Errno.EINTR.number()) {
            return;
        }
        if (n < 0) {
            fail("read failed: " + describe((int) -n));
            return;
        }
        try {
            if (n == 0) {
                reader.endOfInput();
                fail("EOF");
                return;
            }
            io.get(0, chunk, 0, (int) n);
            reader.feed(chunk, 0, (int) n);
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
        }
    }

    private void write(byte[] frame) {
        if (closed.get()) {
            return;
        }
        pending.add(frame);
        if (pending.size() == 1) {
            flush();
        }
    }

    /** Writes what is pending until done or the socket is full (then waits for EPOLLOUT). */
    private void flush() {
        while (!pending.isEmpty()) {
            byte[] head = pending.peek();
            int len = Math.min(CHUNK, head.length - pendingOffset);
            io.put(0, head, pendingOffset, len);
            long n = linux.sendRaw(fd, io.address(), len);
            if (n == -Errno.EINTR.number()) {
                continue;
            }
            if (n == -Errno.EAGAIN.number()) {
                break;
            }
            if (n < 0) {
                fail("write failed: " + describe((int) -n));
                return;
            }
            pendingOffset += (int) n;
            if (pendingOffset == head.length) {
                pending.poll();
                pendingOffset = 0;
            }
        }
        if (watch != null) {
            watch.wantWritable(!pending.isEmpty());
        }
    }

    /** Ends the session with {@code reason}: close the socket, tell the listener, once. */
    private void fail(String reason) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closeSocket();
        try {
            listener.onClosed(reason);
        } catch (Throwable t) {
            loop.reportUncaught(t);
        }
    }

    private void closeSocket() {
        if (socketClosed) {
            return;
        }
        socketClosed = true;
        pending.clear();
        if (watch != null) {
            watch.cancel();
        }
        try {
            linux.close(fd);
        } catch (LinuxException e) {
            loop.reportUncaught(e);
        }
    }

    private void onLoop(Runnable r) {
        if (loop.inLoop()) {
            r.run();
        } else if (loop.isShutdown()) {
            // The loop closed the socket with its watches, or will.
            return;
        } else {
            loop.execute(r);
        }
    }

    private static String describe(int errno) {
        Errno e = Errno.of(errno);
        return e != null ? e.name() + " (" + e.description() + ")" : Errno.nameOf(errno);
    }
}
