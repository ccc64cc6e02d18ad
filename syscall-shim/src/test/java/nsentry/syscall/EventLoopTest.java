package nsentry.syscall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import nsentry.abi.Errno;

@Timeout(30)
class EventLoopTest {
    private final Linux linux = Linux.load();

    @Test
    void levelTriggeredUntilConsumed() throws Exception {
        int[] sv = linux.socketPair(Linux.SOCK_STREAM);
        try (EventLoop loop = EventLoop.create("lt")) {
            AtomicInteger calls = new AtomicInteger();
            CountDownLatch drained = new CountDownLatch(1);
            BlockingQueue<Boolean> onLoop = new LinkedBlockingQueue<>();
            loop.watchReadable(sv[0], () -> {
                onLoop.add(loop.inLoop());
                // Consume one byte per callback: level-triggered epoll calls again.
                byte[] one = new byte[1];
                linux.read(sv[0], one);
                if (calls.incrementAndGet() == 3) {
                    drained.countDown();
                }
            });
            linux.write(sv[1], new byte[] {1, 2, 3});
            assertTrue(drained.await(5, TimeUnit.SECONDS));
            Thread.sleep(50);
            assertEquals(3, calls.get());
            assertTrue(onLoop.take());
        } finally {
            linux.close(sv[0]);
            linux.close(sv[1]);
        }
    }

    @Test
    void cancelStopsCallbacksAndHangupIsReported() throws Exception {
        int[] sv = linux.socketPair(Linux.SOCK_STREAM);
        try (EventLoop loop = EventLoop.create("hup")) {
            BlockingQueue<Integer> events = new LinkedBlockingQueue<>();
            EventLoop.Registration[] reg = new EventLoop.Registration[1];
            reg[0] = loop.watch(sv[0], ev -> {
                events.add(ev);
                reg[0].cancel();
            });
            assertTrue(reg[0].isActive());
            assertEquals(sv[0], reg[0].fd());
            linux.close(sv[1]);
            int ev = events.poll(5, TimeUnit.SECONDS);
            assertTrue((ev & EventLoop.EPOLLHUP) != 0 || (ev & EventLoop.EPOLLIN) != 0, Integer.toHexString(ev));
            Thread.sleep(50);
            assertTrue(events.isEmpty(), "no callback after cancel");
            assertFalse(reg[0].isActive());
        } finally {
            linux.close(sv[0]);
        }
    }

    @Test
    void cancelAndCloseClosesTheFd() throws Exception {
        int[] sv = linux.socketPair(Linux.SOCK_STREAM);
        try (EventLoop loop = EventLoop.create("cc")) {
            EventLoop.Registration reg = loop.watchReadable(sv[0], () -> { });
            reg.cancelAndClose();
            CountDownLatch done = new CountDownLatch(1);
            loop.execute(done::countDown);
            assertTrue(done.await(5, TimeUnit.SECONDS));
            LinuxException e = assertThrows(LinuxException.class, () -> linux.fstat(sv[0]));
            assertEquals(Errno.EBADF, e.errno());
        } finally {
            linux.close(sv[1]);
        }
    }

    @Test
    void secondWatchOnTheSameFdIsRefused() throws Exception {
        int[] sv = linux.socketPair(Linux.SOCK_STREAM);
        try (EventLoop loop = EventLoop.create("dup")) {
            CountDownLatch first = new CountDownLatch(1);
            EventLoop.Registration reg = loop.watchReadable(sv[0], () -> {
                linux.read(sv[0], new byte[1]);
                first.countDown();
            });
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> loop.watchReadable(sv[0], () -> { }));
            assertTrue(e.getMessage().contains("already watched"), e.getMessage());
            linux.write(sv[1], new byte[] {1});
            assertTrue(first.await(5, TimeUnit.SECONDS), "the first watch still works");
            reg.cancel();
            CountDownLatch second = new CountDownLatch(1);
            loop.watchReadable(sv[0], second::countDown);
            linux.write(sv[1], new byte[] {2});
            assertTrue(second.await(5, TimeUnit.SECONDS), "re-watch after cancel");
        } finally {
            linux.close(sv[0]);
            linux.close(sv[1]);
        }
    }

    @Test
    void badFdIsReported() {
        try (EventLoop loop = EventLoop.create("bad")) {
            LinuxException e = assertThrows(LinuxException.class, () -> loop.watchReadable(999_999, () -> { }));
            assertEquals(Errno.EBADF, e.errno(), e.getMessage());
        }
    }

    @Test
    void tasksScheduleAndUncaughtExceptions() throws Exception {
        BlockingQueue<Throwable> uncaught = new LinkedBlockingQueue<>();
        try (EventLoop loop = EventLoop.create("tasks", uncaught::add)) {
            assertFalse(loop.inLoop());
            loop.execute(() -> {
                throw new IllegalStateException("task failed");
            });
            assertEquals("task failed", uncaught.poll(5, TimeUnit.SECONDS).getMessage());
            CountDownLatch ran = new CountDownLatch(1);
            long start = System.nanoTime();
            loop.schedule(ran::countDown, 50, TimeUnit.MILLISECONDS);
            assertTrue(ran.await(5, TimeUnit.SECONDS));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(45));
            // The loop survives exceptions from fd callbacks too.
            int[] sv = linux.socketPair(Linux.SOCK_STREAM);
            try {
                EventLoop.Registration[] reg = new EventLoop.Registration[1];
                reg[0] = loop.watchReadable(sv[0], () -> {
                    reg[0].cancel();
                    throw new IllegalArgumentException("callback failed");
                });
                linux.write(sv[1], new byte[] {1});
                assertEquals("callback failed", uncaught.poll(5, TimeUnit.SECONDS).getMessage());
                CountDownLatch alive = new CountDownLatch(1);
                loop.execute(alive::countDown);
                assertTrue(alive.await(1, TimeUnit.SECONDS), "no 1 s stall after the exception");
            } finally {
                linux.close(sv[0]);
                linux.close(sv[1]);
            }
        }
    }

    @Test
    void watchFromTheLoopItself() throws Exception {
        int[] sv = linux.socketPair(Linux.SOCK_STREAM);
        try (EventLoop loop = EventLoop.create("self")) {
            CountDownLatch got = new CountDownLatch(1);
            loop.execute(() -> loop.watchReadable(sv[0], got::countDown));
            linux.write(sv[1], new byte[] {1});
            assertTrue(got.await(5, TimeUnit.SECONDS));
        } finally {
            linux.close(sv[0]);
            linux.close(sv[1]);
        }
    }
}
