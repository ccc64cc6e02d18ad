package nsentry.syscall;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import nsentry.abi.Errno;
import nsentry.abi.OpenFlags;

/**
 * The sentry's one event loop: a single thread waiting in epoll(7) on the fds it
 * watches (pidfds of tasks, the control socket to the shim, pipes), level-triggered,
 * plus tasks handed to it from other threads.
 *
 * <p>One fd may be watched <em>directly</em> ({@link #watchDirect}): the seccomp listener.
 * The loop then sleeps in poll(2) on that fd and the epoll fd together. The reason is
 * the wake-up: with {@code SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP} the kernel wakes the
 * listener's waiters on the notifying task's CPU ({@code wake_up_poll_on_current_cpu} in
 * {@code seccomp_do_user_notification}); poll's wait-queue callback ({@code pollwake})
 * passes that hint on, epoll's ({@code ep_poll_callback}) drops it, and a cross-CPU
 * wake-up costs several microseconds per notification (BENCHMARKS.md).
 *
 * <p>Callbacks and tasks run on the loop thread. An exception escaping one goes to the
 * uncaught-exception handler given at creation (by default: logged); a
 * {@link VirtualMachineError}, or epoll/poll failing, ends the process (fail closed:
 * the shim sees the sentry die and kills the workload).
 */
public final class EventLoop implements AutoCloseable {
    /** epoll (and poll) event bits passed to {@link FdHandler#onEvents}. */
    public static final int EPOLLIN = 0x001;
    public static final int EPOLLOUT = 0x004;
    public static final int EPOLLERR = 0x008;
    public static final int EPOLLHUP = 0x010;
    public static final int EPOLLRDHUP = 0x2000;

    /** Exit status of the process after a fatal error on the loop. */
    public static final int FATAL_EXIT_STATUS = 125;

    /** Created on first use: System.getLogger boots java.util.logging (~10 ms of start-up). */
    private static final class Log {
        static final System.Logger LOG = System.getLogger(EventLoop.class.getName());
    }

    private static final int EPOLL_CLOEXEC = OpenFlags.O_CLOEXEC;
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLL_CTL_DEL = 2;
    private static final int EPOLL_CTL_MOD = 3;
    private static final int EFD_CLOEXEC = OpenFlags.O_CLOEXEC;
    private static final int EFD_NONBLOCK = OpenFlags.O_NONBLOCK;
    /** struct epoll_event is packed on x86-64: u32 events, u64 data. */
    private static final int EPOLL_EVENT_BYTES = 12;
    private static final int MAX_EVENTS = 64;
    /** struct pollfd: int fd, short events, short revents. */
    private static final int POLLFD_BYTES = 8;
    private static final int POLLNVAL = 0x020;
    /** Zero-timeout polls after a direct fd's callback before the loop sleeps or runs tasks. */
    private static final int DIRECT_BURST = 32;
    /** The epoll data of the wake-up eventfd (watch serial numbers start at 1). */
    private static final long WAKEUP_DATA = 0;

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

    private final Linux linux;
    private final String name;
    private final Consumer<Throwable> uncaught;
    private final Thread thread;
    private final int epollFd;
    private final int wakeupFd;
    /** Loop thread only: epoll_wait's output, the poll set, epoll_ctl's input, the eventfd counter. */
    private final NativeBuffer events = NativeBuffer.allocate(MAX_EVENTS * EPOLL_EVENT_BYTES);
    private final NativeBuffer pollSet = NativeBuffer.allocate(2 * POLLFD_BYTES);
    private final NativeBuffer ctlEvent = NativeBuffer.allocate(EPOLL_EVENT_BYTES);
    private final NativeBuffer counter = NativeBuffer.allocate(8);
    /** Eventfd counter value 1, for wake-ups from any thread (written once, then only read). */
    private final NativeBuffer one = NativeBuffer.allocate(8);

    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** Set by the thread that writes the eventfd; cleared by the loop once it read it. */
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    private volatile boolean shuttingDown;
    private final CountDownLatch terminated = new CountDownLatch(1);

    /** Active watches by fd number; loop thread only. */
    private Watch[] watches = new Watch[64];
    /** The watch polled directly, or null; loop thread only. */
    private Watch direct;
    private long nextSerial = 1;

    private EventLoop(Linux linux, String name, Consumer<Throwable> uncaught) {
        this.linux = linux;
        this.name = name;
        this.uncaught = uncaught;
        this.epollFd = linux.epollCreate(EPOLL_CLOEXEC);
        try {
            this.wakeupFd = linux.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        } catch (LinuxException e) {
            linux.close(epollFd);
            throw e;
        }
        one.putLong(0, 1);
        int r = control(EPOLL_CTL_ADD, wakeupFd, EPOLLIN, WAKEUP_DATA);
        if (r < 0) {
            linux.close(wakeupFd);
            linux.close(epollFd);
            throw new LinuxException("epoll_ctl(ADD, eventfd " + wakeupFd + ")", -r);
        }
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** A loop on a new daemon thread named {@code threadName}; uncaught exceptions are logged. */
    public static EventLoop create(Linux linux, String threadName) {
        return create(linux, threadName, t -> Log.LOG.log(System.Logger.Level.ERROR,
                "uncaught exception on event loop " + threadName, t));
    }

    /** A loop whose uncaught callback exceptions go to {@code onUncaught} (on the loop thread). */
    public static EventLoop create(Linux linux, String threadName, Consumer<Throwable> onUncaught) {
        Objects.requireNonNull(linux, "linux");
        Objects.requireNonNull(threadName, "threadName");
        Objects.requireNonNull(onUncaught, "onUncaught");
        return new EventLoop(linux, threadName, onUncaught);
    }

    /** Whether the caller runs on the loop thread. */
    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /**
     * Runs {@code task} on the loop, after the tasks already queued. Tasks handed over
     * after {@link #close()} are dropped.
     */
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        if (shuttingDown) {
            Log.LOG.log(System.Logger.Level.DEBUG, "event loop " + name + " is shut down; task dropped");
            return;
        }
        tasks.add(task);
        if (!inLoop()) {
            wakeUp();
        }
    }

    /** Makes the loop's wait return (eventfd write), once per batch of tasks. */
    private void wakeUp() {
        if (wakeupPending.compareAndSet(false, true)) {
            long r = linux.writeRaw(wakeupFd, one.address(), 8);
            if (r < 0 && r != -Errno.EBADF.number()) { // EBADF: the loop has ended
                throw new LinuxException("write(eventfd " + wakeupFd + ")", (int) -r);
            }
        }
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
        return register(new Watch(fd, handler, false));
    }

    /**
     * Like {@link #watch}, but the loop polls this fd itself with poll(2) instead of
     * through epoll, so that a waker's current-CPU hint reaches the loop thread (see the
     * class comment). For the seccomp listener; at most one direct watch at a time.
     */
    public Registration watchDirect(int fd, FdHandler handler) {
        return register(new Watch(fd, handler, true));
    }

    private Registration register(Watch w) {
        if (inLoop()) {
            w.start();
            return w;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        execute(() -> {
            try {
                w.start();
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        if (shuttingDown && !done.isDone()) {
            throw new IllegalStateException("watch fd " + w.fd + ": event loop " + name + " is shut down");
        }
        await(done, "watch fd " + w.fd);
        return w;
    }

    /**
     * Reports an exception that escaped a callback. A {@link VirtualMachineError} (out of
     * memory, stack overflow) leaves the loop's state unknown, and the call being handled
     * would never be answered: the process ends (see {@link #failClosed}).
     */
    void reportUncaught(Throwable t) {
        if (t instanceof VirtualMachineError fatal) {
            failClosed(fatal.toString());
        }
        try {
            uncaught.accept(t);
        } catch (Throwable again) {
            Log.LOG.log(System.Logger.Level.ERROR, "uncaught-exception handler of " + name + " failed", again);
        }
    }

    /**
     * Ends the process with {@link #FATAL_EXIT_STATUS} after one line on stderr (shutdown
     * hooks, which remove the debug socket, get two seconds, then it halts). Fail closed:
     * the shim sees the sentry die and kills the workload.
     */
    private void failClosed(String why) {
        try {
            System.err.println("nsentry: sentry failed: " + why + " on event loop " + name + "; failing closed");
            System.err.flush();
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

    /** Whether {@link #close()} has been called. */
    public boolean isShutdown() {
        return shuttingDown;
    }

    /**
     * Shuts the loop down: watches are cancelled (their fds stay open, except those whose
     * owner asked to close them with the loop, the control socket's). From outside the
     * loop, waits up to 5 s for the thread to end.
     */
    @Override
    public void close() {
        if (!shuttingDown) {
            shuttingDown = true;
            if (!inLoop()) {
                wakeUp();
            }
        }
        if (!inLoop()) {
            try {
                terminated.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Waits until the loop thread has ended. */
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return terminated.await(timeout, unit);
    }

    // ------------------------------------------------------------------ the loop

    private void run() {
        try {
            while (!shuttingDown) {
                runTasks();
                if (shuttingDown) {
                    break;
                }
                int timeout = tasks.isEmpty() ? -1 : 0;
                if (direct != null) {
                    waitDirectAndEpoll(timeout);
                } else {
                    waitEpoll(timeout);
                }
            }
        } catch (Throwable t) {
            reportUncaught(t);
            failClosed(String.valueOf(t));
        } finally {
            shutDownOnLoop();
            terminated.countDown();
        }
    }

    private void runTasks() {
        Runnable task;
        while ((task = tasks.poll()) != null) {
            try {
                task.run();
            } catch (Throwable t) {
                reportUncaught(t);
            }
        }
    }

    /**
     * poll(2) on the direct fd and the epoll fd; then epoll's events, then the direct fd's
     * callback. That order matters: an event that happened before a notification (a task's
     * exit on its pidfd, a shim message) is seen before the notification, e.g. before a
     * new task that reuses an exited one's pid is looked up. Then, while the direct fd stays
     * readable, the same with a zero timeout, at most {@link #DIRECT_BURST} times: answering a
     * notification usually lets the notifying task run at once on this CPU (the
     * SYNC_WAKE_UP reply) and its next notification is pending when the answer returns; a
     * zero-timeout poll finds it without the wait-queue setup of a sleeping one (~0.5 µs
     * less per notification, BENCHMARKS.md). Queued tasks end the burst.
     */
    private void waitDirectAndEpoll(int timeout) {
        if (!pollDirectAndEpoll(timeout)) {
            return;
        }
        for (int i = 0; i < DIRECT_BURST && direct != null && tasks.isEmpty() && !shuttingDown; i++) {
            if (!pollDirectAndEpoll(0)) {
                return;
            }
        }
    }

    /** One poll of the direct fd and the epoll fd; whether the direct fd's callback ran. */
    private boolean pollDirectAndEpoll(int timeout) {
        Watch d = direct;
        pollSet.putInt(0, d.fd);
        pollSet.putInt(4, EPOLLIN); // events = POLLIN, revents = 0
        pollSet.putInt(POLLFD_BYTES, epollFd);
        pollSet.putInt(POLLFD_BYTES + 4, EPOLLIN);
        int n = linux.pollRaw(pollSet.address(), 2, timeout);
        if (n <= 0) {
            if (n == 0 || n == -Errno.EINTR.number()) {
                return false;
            }
            throw pollFailed(d, -n);
        }
        int directEvents = pollSet.getShort(6) & 0xffff;
        int epollEvents = pollSet.getShort(POLLFD_BYTES + 6) & 0xffff;
        if (epollEvents != 0) {
            waitEpoll(0);
        }
        if ((directEvents & POLLNVAL) != 0) {
            // Closed: poll would report it forever. After a cancel from another thread
            // (the loop has not run the removal yet) that is expected.
            if (direct == d) {
                direct = null;
            }
            if (d.active.getAndSet(false)) {
                reportUncaught(new IllegalStateException("directly polled fd " + d.fd + " was closed while watched"));
            }
            return false;
        }
        if (directEvents == 0 || direct != d) {
            return false;
        }
        d.dispatch(directEvents);
        return true;
    }

    /** Out of line: keeps the string building out of the per-call loop's code. */
    private LinuxException pollFailed(Watch d, int errno) {
        return new LinuxException("poll(listener fd " + d.fd + ", epoll fd " + epollFd + ")", errno);
    }

    private void waitEpoll(int timeout) {
        int n = linux.epollWaitRaw(epollFd, events.address(), MAX_EVENTS, timeout);
        if (n < 0) {
            if (n == -Errno.EINTR.number()) {
                return;
            }
            throw new LinuxException("epoll_wait(epoll fd " + epollFd + ")", -n);
        }
        for (int i = 0; i < n; i++) {
            int off = i * EPOLL_EVENT_BYTES;
            int bits = events.getInt(off);
            long data = events.getLong(off + 4);
            if (data == WAKEUP_DATA) {
                drainWakeup();
                continue;
            }
            int fd = (int) data;
            Watch w = fd >= 0 && fd < watches.length ? watches[fd] : null;
            // The serial tells a watch from an earlier one on a reused fd number whose
            // event was already in this batch when it was cancelled.
            if (w != null && w.serial == data >>> 32) {
                w.dispatch(bits);
            }
        }
    }

    private void drainWakeup() {
        long r = linux.readRaw(wakeupFd, counter.address(), 8);
        if (r < 0 && r != -Errno.EAGAIN.number() && r != -Errno.EINTR.number()) {
            throw new LinuxException("read(eventfd " + wakeupFd + ")", (int) -r);
        }
        // Tasks queued before this point are run next; those queued after wake us again.
        wakeupPending.set(false);
    }

    /** On the loop thread, once: watches end, fds the loop owns are closed. */
    private void shutDownOnLoop() {
        shuttingDown = true;
        for (Watch w : watches) {
            if (w != null) {
                w.endWithLoop();
            }
        }
        if (direct != null) {
            direct.endWithLoop();
        }
        Arrays.fill(watches, null);
        direct = null;
        tasks.clear();
        linux.close(epollFd);
        linux.close(wakeupFd);
    }

    /** epoll_ctl with {@code data} as the event's user data; 0 or {@code -errno}. */
    private int control(int op, int fd, int interest, long data) {
        ctlEvent.putInt(0, interest);
        ctlEvent.putLong(4, data);
        return linux.epollCtlRaw(epollFd, op, fd, ctlEvent.address());
    }

    private static void await(CompletableFuture<?> f, String what) {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + ": interrupted", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException(what + ": event loop did not answer within 10 s", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(what + ": " + cause, cause);
        }
    }

    /** A level-triggered watch on a raw fd. */
    final class Watch implements Registration {
        private final int fd;
        private final FdHandler handler;
        private final boolean polledDirectly;
        private final AtomicBoolean active = new AtomicBoolean(true);
        private long serial; // loop thread only
        private int interest = EPOLLIN; // loop thread only
        /** Closes the fd when the loop shuts down (the control socket). */
        private volatile Runnable onLoopEnd;

        Watch(int fd, FdHandler handler, boolean polledDirectly) {
            Objects.requireNonNull(handler, "handler");
            if (fd < 0) {
                throw new IllegalArgumentException("fd " + fd);
            }
            this.fd = fd;
            this.handler = handler;
            this.polledDirectly = polledDirectly;
        }

        /** On the loop: add the fd to the epoll set, or make it the direct one. */
        void start() {
            if (shuttingDown) {
                active.set(false);
                throw new IllegalStateException("watch fd " + fd + ": event loop " + name + " is shut down");
            }
            if ((fd < watches.length && watches[fd] != null) || (direct != null && direct.fd == fd)) {
                active.set(false);
                throw new IllegalStateException("fd " + fd
                        + " is already watched (cancel the old watch before closing its fd)");
            }
            if (polledDirectly) {
                if (direct != null) {
                    active.set(false);
                    throw new IllegalStateException("fd " + direct.fd + " is already the directly polled fd");
                }
                try {
                    linux.fileFlags(fd); // a bad fd is refused now, as epoll_ctl would
                } catch (LinuxException e) {
                    active.set(false);
                    throw e;
                }
                direct = this;
                return;
            }
            serial = nextSerial++;
            int r = control(EPOLL_CTL_ADD, fd, interest, data());
            if (r < 0) {
                active.set(false);
                throw new LinuxException("epoll_ctl(ADD, fd " + fd + ")", -r);
            }
            if (fd >= watches.length) {
                watches = Arrays.copyOf(watches, Math.max(fd + 1, watches.length * 2));
            }
            watches[fd] = this;
        }

        private long data() {
            return (serial << 32) | (fd & 0xffffffffL);
        }

        void dispatch(int bits) {
            if (!active.get()) {
                return;
            }
            try {
                handler.onEvents(bits);
            } catch (Throwable t) {
                reportUncaught(t);
            }
        }

        /**
         * Also asks for EPOLLOUT ({@code writable}) or stops asking; on the loop. For the
         * control socket while a write is pending.
         */
        void wantWritable(boolean writable) {
            int want = writable ? EPOLLIN | EPOLLOUT : EPOLLIN;
            if (want == interest || !active.get() || polledDirectly) {
                return;
            }
            int r = control(EPOLL_CTL_MOD, fd, want, data());
            if (r < 0) {
                throw new LinuxException("epoll_ctl(MOD, fd " + fd + ")", -r);
            }
            interest = want;
        }

        /** Runs {@code r} (on the loop) if the loop shuts down while this watch is active. */
        void onLoopEnd(Runnable r) {
            onLoopEnd = r;
        }

        void endWithLoop() {
            if (active.getAndSet(false) && onLoopEnd != null) {
                try {
                    onLoopEnd.run();
                } catch (Throwable t) {
                    Log.LOG.log(System.Logger.Level.DEBUG, "closing fd " + fd + " with the loop", t);
                }
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
                execute(this::cancelOnLoop);
            }
        }

        private void cancelOnLoop() {
            if (polledDirectly) {
                if (direct == this) {
                    direct = null;
                }
                return;
            }
            if (fd < watches.length && watches[fd] == this) {
                watches[fd] = null;
                int r = control(EPOLL_CTL_DEL, fd, 0, 0);
                // EBADF/ENOENT: the fd was closed (and so left the epoll set) before the cancel.
                if (r < 0 && r != -Errno.EBADF.number() && r != -Errno.ENOENT.number()) {
                    reportUncaught(new LinuxException("epoll_ctl(DEL, fd " + fd + ")", -r));
                }
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
                    linux.close(fd);
                } catch (LinuxException e) {
                    reportUncaught(e);
                }
            };
            if (inLoop()) {
                r.run();
            } else if (shuttingDown) {
                linux.close(fd);
            } else {
                execute(r);
            }
        }

        @Override
        public boolean isActive() {
            return active.get();
        }

        @Override
        public int fd() {
            return fd;
        }
    }
}
