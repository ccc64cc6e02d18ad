package nsentry.syscall;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

/**
 * The sentry's one event loop: a single thread running Netty's epoll
 * {@link EpollIoHandler}. Raw fds (the seccomp listener, pidfds) are watched
 * level-triggered through {@link EpollIoHandle}s; the control socket to the shim is a
 * Netty channel on the same loop ({@link ControlChannel}).
 *
 * <p>Callbacks, tasks and scheduled tasks run on the loop thread. An exception escaping
 * one goes to the uncaught-exception handler given at creation (by default: logged) and
 * never reaches Netty, whose epoll loop would otherwise sleep a second after an error.
 */
public final class EventLoop implements AutoCloseable {
    /** epoll event bits passed to {@link FdHandler#onEvents}. */
    public static final int EPOLLIN = 0x001;
    public static final int EPOLLOUT = 0x004;
    public static final int EPOLLERR = 0x008;
    public static final int EPOLLHUP = 0x010;
    public static final int EPOLLRDHUP = 0x2000;

    private static final System.Logger LOG = System.getLogger(EventLoop.class.getName());

    /** Exit status of the process after a fatal JVM error on the loop. */
    public static final int FATAL_EXIT_STATUS = 125;

    /** Receives the epoll events reported for a watched fd. */
    @FunctionalInterface
    public interface FdHandler {
        /** @param events epoll bits: {@link #EPOLLIN}, {@link #EPOLLHUP}, {@link #EPOLLERR}... */
        void onEvents(int events);
    }

    /** A watch on an fd. */
    public interface Registration {
        /**
         * Stops watching (epoll_ctl DEL). Once it returns on the loop thread no further
         * callback runs; called from another thread, at most one callback already in
         * progress may finish. Call before closing the fd. Idempotent.
         */
        void cancel();

        /** {@link #cancel()}, then closes the fd, on the loop. For fds the watch owns (pidfds). */
        void cancelAndClose();

        /** Whether the watch is still active. */
        boolean isActive();

        int fd();
    }

    private final MultiThreadIoEventLoopGroup group;
    private final IoEventLoop loop;
    private final Consumer<Throwable> uncaught;
    private final String name;
    /** Active watches by fd number; loop thread only. */
    private final Map<Integer, Watch> watches = new HashMap<>();

    private EventLoop(String threadName, Consumer<Throwable> uncaught) {
        this.name = threadName;
        this.uncaught = uncaught;
        ThreadFactory threads = r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        };
        this.group = new MultiThreadIoEventLoopGroup(1, threads, EpollIoHandler.newFactory());
        this.loop = group.next();
    }

    /** A loop on a new daemon thread named {@code threadName}; uncaught exceptions are logged. */
    public static EventLoop create(String threadName) {
        return create(threadName, t -> LOG.log(System.Logger.Level.ERROR,
                "uncaught exception on event loop " + threadName, t));
    }

    /** A loop whose uncaught callback exceptions go to {@code onUncaught} (on the loop thread). */
    public static EventLoop create(String threadName, Consumer<Throwable> onUncaught) {
        Objects.requireNonNull(threadName, "threadName");
        Objects.requireNonNull(onUncaught, "onUncaught");
        return new EventLoop(threadName, onUncaught);
    }

    /** Whether the caller runs on the loop thread. */
    public boolean inLoop() {
        return loop.inEventLoop();
    }

    /** Runs {@code task} on the loop, after the tasks already queued. */
    public void execute(Runnable task) {
        loop.execute(guard(task));
    }

    /** Runs {@code task} on the loop after {@code delay}. */
    public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
        return loop.schedule(guard(task), delay, unit);
    }

    /**
     * Watches {@code fd} level-triggered for readability. {@code onReadable} runs on the
     * loop whenever the fd is readable, hung up (EPOLLHUP) or in error: as long as the
     * condition holds it runs again, so consume the input or cancel. The fd stays the
     * caller's; cancel before closing it.
     */
    public Registration watchReadable(int fd, Runnable onReadable) {
        Objects.requireNonNull(onReadable, "onReadable");
        return watch(fd, events -> onReadable.run());
    }

    /**
     * Watches {@code fd} level-triggered for EPOLLIN; {@code handler} gets the event bits
     * (EPOLLIN, and EPOLLHUP/EPOLLERR, which epoll always reports). For the seccomp
     * listener EPOLLHUP without EPOLLIN means no task is left in the filter; a pidfd
     * turns readable when its process exits.
     *
     * <p>Called off the loop, waits for the registration to complete, so errors (e.g.
     * EBADF, or EPERM for a regular file) are thrown to the caller as {@link LinuxException}.
     */
    public Registration watch(int fd, FdHandler handler) {
        Objects.requireNonNull(handler, "handler");
        if (fd < 0) {
            throw new IllegalArgumentException("fd " + fd);
        }
        Watch w = new Watch(fd, handler);
        if (inLoop()) {
            w.start();
        } else {
            Promise<Void> done = loop.newPromise();
            loop.execute(() -> {
                try {
                    w.start();
                    done.setSuccess(null);
                } catch (Throwable t) {
                    done.setFailure(t);
                }
            });
            await(done, "watch fd " + fd);
        }
        return w;
    }

    /** Registers a Netty channel with this loop (used by {@link ControlChannel}). */
    ChannelFuture register(Channel channel) {
        return loop.register(channel);
    }

    /**
     * Reports an exception that escaped a callback. A {@link VirtualMachineError} (out of
     * memory, stack overflow) leaves the loop's state unknown, and the call being handled
     * would never be answered: the process exits with {@link #FATAL_EXIT_STATUS} after one
     * line on stderr (shutdown hooks get two seconds, then it halts). Fail closed: the
     * shim sees the sentry die and kills the workload.
     */
    void reportUncaught(Throwable t) {
        if (t instanceof VirtualMachineError fatal) {
            try {
                System.err.println("nsentry: sentry failed: " + fatal + " on event loop " + name
                        + "; failing closed");
                System.err.flush();
                // Shutdown hooks (they remove the debug socket) get two seconds.
                Thread watchdog = new Thread(() -> {
                    try {
                        Thread.sleep(2000);
                    } catch (InterruptedException ignored) {
                        // halt now
                    }
                    Runtime.getRuntime().halt(FATAL_EXIT_STATUS);
                }, "nsentry-fatal-watchdog");
                watchdog.setDaemon(true);
                watchdog.start();
                System.exit(FATAL_EXIT_STATUS);
            } catch (Throwable again) {
                // no memory even for that: halt at once
            } finally {
                Runtime.getRuntime().halt(FATAL_EXIT_STATUS);
            }
        }
        try {
            uncaught.accept(t);
        } catch (Throwable again) {
            LOG.log(System.Logger.Level.ERROR, "uncaught-exception handler of " + name + " failed", again);
        }
    }

    private Runnable guard(Runnable task) {
        Objects.requireNonNull(task, "task");
        return () -> {
            try {
                task.run();
            } catch (Throwable t) {
                reportUncaught(t);
            }
        };
    }

    /** Whether {@link #close()} has been called. */
    public boolean isShutdown() {
        return group.isShuttingDown();
    }

    /**
     * Shuts the loop down: watches are cancelled (their fds stay open), Netty channels
     * closed. From outside the loop, waits up to 5 s for the thread to end.
     */
    @Override
    public void close() {
        Future<?> f = group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        if (!inLoop()) {
            f.awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /** Waits until the loop thread has ended. */
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return group.awaitTermination(timeout, unit);
    }

    private static void await(Future<?> f, String what) {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + ": interrupted", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException(what + ": event loop did not answer within 10 s", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw new IllegalStateException(what + ": " + cause, cause);
        }
    }

    /** A level-triggered epoll watch on a raw fd. */
    private final class Watch implements Registration {
        private final FileDescriptor fd;
        private final Handle handle = new Handle();
        private final FdHandler handler;
        private final AtomicBoolean active = new AtomicBoolean(true);
        private IoRegistration registration; // loop thread only

        Watch(int fd, FdHandler handler) {
            // Never closed through this object: Netty only uses it for the fd number and,
            // on cancel, to decide whether to epoll_ctl DEL (isOpen() stays true).
            this.fd = new FileDescriptor(fd);
            this.handler = handler;
        }

        /** On the loop: register with the epoll handler and ask for EPOLLIN. */
        void start() {
            // Netty keys registrations by fd number: a second watch on the same number
            // would silently replace (and on cancel, remove) the first.
            Watch existing = watches.get(fd.intValue());
            if (existing != null) {
                active.set(false);
                throw new IllegalStateException("fd " + fd.intValue()
                        + " is already watched (cancel the old watch before closing its fd)");
            }
            Future<IoRegistration> f = loop.register(handle);
            if (!f.isDone()) {
                throw new IllegalStateException("registration of fd " + fd.intValue() + " did not complete on the loop");
            }
            if (!f.isSuccess()) {
                throw asLinuxException("epoll_ctl(ADD, fd " + fd.intValue() + ")", f.cause());
            }
            registration = f.getNow();
            try {
                registration.submit(EpollIoOps.EPOLLIN);
            } catch (Exception e) {
                registration.cancel();
                active.set(false);
                throw asLinuxException("epoll_ctl(ADD, fd " + fd.intValue() + ", EPOLLIN)", e);
            }
            watches.put(fd.intValue(), this);
        }

        /** What Netty's epoll handler sees. */
        private final class Handle implements EpollIoHandle {
            @Override
            public FileDescriptor fd() {
                return fd;
            }

            @Override
            public void handle(IoRegistration reg, IoEvent event) {
                if (!active.get()) {
                    return;
                }
                int events = ((EpollIoEvent) event).ops().value();
                try {
                    handler.onEvents(events);
                } catch (Throwable t) {
                    reportUncaught(t);
                }
            }

            /** Netty closes handles when the loop shuts down; the fd is not ours to close. */
            @Override
            public void close() {
                active.set(false);
                watches.remove(fd.intValue(), Watch.this);
            }
        }

        @Override
        public void cancel() {
            if (!active.getAndSet(false)) {
                return;
            }
            if (inLoop()) {
                cancelOnLoop();
            } else {
                loop.execute(this::cancelOnLoop);
            }
        }

        private void cancelOnLoop() {
            watches.remove(fd.intValue(), this);
            if (registration != null) {
                registration.cancel();
            }
        }

        @Override
        public void cancelAndClose() {
            boolean wasActive = active.getAndSet(false);
            Runnable r = () -> {
                if (wasActive) {
                    cancelOnLoop();
                }
                try {
                    fd.close();
                } catch (Exception e) {
                    reportUncaught(e);
                }
            };
            if (inLoop()) {
                r.run();
            } else {
                loop.execute(r);
            }
        }

        @Override
        public boolean isActive() {
            return active.get();
        }

        @Override
        public int fd() {
            return fd.intValue();
        }
    }

    private static LinuxException asLinuxException(String call, Throwable t) {
        // Netty's Errors.NativeIoException carries the negated errno.
        if (t instanceof io.netty.channel.unix.Errors.NativeIoException) {
            int err = -((io.netty.channel.unix.Errors.NativeIoException) t).expectedErr();
            return new LinuxException(call, Math.abs(err));
        }
        if (t instanceof java.io.UncheckedIOException && t.getCause() != null) {
            return asLinuxException(call, t.getCause());
        }
        return new LinuxException(call, nsentry.abi.Errno.EIO.number(), String.valueOf(t), t);
    }
}
