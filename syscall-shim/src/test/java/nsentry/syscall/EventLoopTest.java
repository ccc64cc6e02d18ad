package nsentry.syscall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
        try (EventLoop loop = EventLoop.create(linux, "lt")) {
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
        try (EventLoop loop = EventLoop.create(linux, "hup")) {
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
        try (EventLoop loop = EventLoop.create(linux, "cc")) {
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
        try (EventLoop loop = EventLoop.create(linux, "dup")) {
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
        try (EventLoop loop = EventLoop.create(linux, "bad")) {
            LinuxException e = assertThrows(LinuxException.class, () -> loop.watchReadable(999_999, () -> { }));
            assertEquals(Errno.EBADF, e.errno(), e.getMessage());
        }
    }

    @Test
    void tasksAndUncaughtExceptions() throws Exception {
        BlockingQueue<Throwable> uncaught = new LinkedBlockingQueue<>();
        try (EventLoop loop = EventLoop.create(linux, "tasks", uncaught::add)) {
            assertFalse(loop.inLoop());
            loop.execute(() -> {
                throw new IllegalStateException("task failed");
            });
            assertEquals("task failed", uncaught.poll(5, TimeUnit.SECONDS).getMessage());
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
        try (EventLoop loop = EventLoop.create(linux, "self")) {
            CountDownLatch got = new CountDownLatch(1);
            loop.execute(() -> loop.watchReadable(sv[0], got::countDown));
            linux.write(sv[1], new byte[] {1});
            assertTrue(got.await(5, TimeUnit.SECONDS));
        } finally {
            linux.close(sv[0]);
            linux.close(sv[1]);
        }
    }

    @Test
    void tasksFromManyThreadsAllRunInTheirOrder() throws Exception {
        try (EventLoop loop = EventLoop.create(linux, "many")) {
            int threads = 4;
            int perThread = 20_000;
            int[][] seen = new int[threads][1];
            CountDownLatch done = new CountDownLatch(threads * perThread);
            java.util.List<Throwable> outOfOrder = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread[] ts = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                int id = t;
                ts[t] = new Thread(() -> {
                    for (int i = 0; i < perThread; i++) {
                        int expect = i;
                        loop.execute(() -> {
                            if (seen[id][0]++ != expect) {
                                outOfOrder.add(new AssertionError("thread " + id + " task " + expect));
                            }
                            done.countDown();
                        });
                    }
                });
                ts[t].start();
            }
            for (Thread t : ts) {
                t.join();
            }
            assertTrue(done.await(20, TimeUnit.SECONDS), "every task ran (no lost wake-up)");
            assertTrue(outOfOrder.isEmpty(), String.valueOf(outOfOrder));
        }
    }

    @Test
    void directWatchAndEpollWatchesTogether() throws Exception {
        int[] a = linux.socketPair(Linux.SOCK_STREAM);
        int[] b = linux.socketPair(Linux.SOCK_STREAM);
        try (EventLoop loop = EventLoop.create(linux, "direct")) {
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            EventLoop.Registration direct = loop.watchDirect(a[0], ev -> {
                linux.read(a[0], new byte[1]);
                got.add("direct " + loop.inLoop());
            });
            loop.watchReadable(b[0], () -> {
                linux.read(b[0], new byte[1]);
                got.add("epoll " + loop.inLoop());
            });
            IllegalStateException twice = assertThrows(IllegalStateException.class,
                    () -> loop.watchDirect(b[1], ev -> { }));
            assertTrue(twice.getMessage().contains("directly polled"), twice.getMessage());
            assertThrows(IllegalStateException.class, () -> loop.watch(a[0], ev -> { }), "same fd, other kind");
            linux.write(a[1], new byte[] {1});
            assertEquals("direct true", got.poll(5, TimeUnit.SECONDS));
            linux.write(b[1], new byte[] {1});
            assertEquals("epoll true", got.poll(5, TimeUnit.SECONDS));
            linux.write(a[1], new byte[] {1});
            linux.write(b[1], new byte[] {1});
            java.util.Set<String> both = new java.util.HashSet<>();
            both.add(got.poll(5, TimeUnit.SECONDS));
            both.add(got.poll(5, TimeUnit.SECONDS));
            assertEquals(java.util.Set.of("direct true", "epoll true"), both);
            direct.cancel();
            CountDownLatch settled = new CountDownLatch(1);
            loop.execute(settled::countDown);
            assertTrue(settled.await(5, TimeUnit.SECONDS));
            linux.write(a[1], new byte[] {1});
            Thread.sleep(50);
            assertTrue(got.isEmpty(), "no callback after cancel");
            // Another fd may be the direct one now.
            CountDownLatch second = new CountDownLatch(1);
            loop.watchDirect(b[1], ev -> second.countDown());
            linux.write(b[0], new byte[] {1});
            assertTrue(second.await(5, TimeUnit.SECONDS));
        } finally {
            for (int fd : new int[] {a[0], a[1], b[0], b[1]}) {
                linux.close(fd);
            }
        }
    }

    @Test
    void directFdClosedWithoutCancelIsReportedNotSpun() throws Exception {
        int[] sv = linux.socketPair(Linux.SOCK_STREAM);
        BlockingQueue<Throwable> uncaught = new LinkedBlockingQueue<>();
        try (EventLoop loop = EventLoop.create(linux, "nval", uncaught::add)) {
            EventLoop.Registration reg = loop.watchDirect(sv[0], ev -> { });
            CountDownLatch closed = new CountDownLatch(1);
            loop.execute(() -> {
                linux.close(sv[0]);
                closed.countDown();
            });
            assertTrue(closed.await(5, TimeUnit.SECONDS));
            Throwable t = uncaught.poll(5, TimeUnit.SECONDS);
            assertTrue(t != null && t.getMessage().contains("closed while watched"), String.valueOf(t));
            assertFalse(reg.isActive());
            CountDownLatch alive = new CountDownLatch(1);
            loop.execute(alive::countDown);
            assertTrue(alive.await(5, TimeUnit.SECONDS), "the loop goes on");
        } finally {
            linux.close(sv[1]);
        }
    }

    @Test
    void staleEventOfACancelledWatchIsNotDeliveredToTheNextWatchOnTheSameNumber() throws Exception {
        // Both fds readable in one epoll batch; the first callback cancels and closes the
        // second, and a new watch takes its fd number (dup2'd from a quiet socket): the
        // batch's event for the old watch must not reach the new one.
        int[] a = linux.socketPair(Linux.SOCK_STREAM);
        int[] b = linux.socketPair(Linux.SOCK_STREAM);
        int[] quiet = linux.socketPair(Linux.SOCK_STREAM);
        try (EventLoop loop = EventLoop.create(linux, "stale")) {
            AtomicInteger newWatchCalls = new AtomicInteger();
            CountDownLatch handled = new CountDownLatch(1);
            EventLoop.Registration[] second = new EventLoop.Registration[1];
            Runnable swap = () -> {
                second[0].cancelAndClose(); // closes b[0]
                int same = linux.dup(quiet[0]);
                assertEquals(b[0], same, "the lowest free number is reused");
                loop.watchReadable(same, newWatchCalls::incrementAndGet);
                handled.countDown();
            };
            AtomicBoolean swapped = new AtomicBoolean();
            loop.watchReadable(a[0], () -> {
                linux.read(a[0], new byte[1]);
                if (swapped.compareAndSet(false, true)) {
                    swap.run();
                }
            });
            second[0] = loop.watchReadable(b[0], () -> {
                linux.read(b[0], new byte[1]);
                if (swapped.compareAndSet(false, true)) {
                    swap.run(); // b came first in the batch: nothing to check this time
                }
            });
            // Make both readable before the loop wakes: queue a task that blocks it briefly.
            CountDownLatch hold = holdLoop(loop);
            linux.write(a[1], new byte[] {1});
            linux.write(b[1], new byte[] {1});
            hold.countDown();
            assertTrue(handled.await(5, TimeUnit.SECONDS));
            Thread.sleep(50);
            assertEquals(0, newWatchCalls.get(), "the quiet socket never became readable");
        } finally {
            for (int fd : new int[] {a[0], a[1], b[1], quiet[0], quiet[1]}) {
                linux.close(fd);
            }
        }
    }

    @Test
    void closeEndsTheThreadAndLaterTasksAreDropped() throws Exception {
        EventLoop loop = EventLoop.create(linux, "end");
        CountDownLatch ran = new CountDownLatch(1);
        loop.execute(ran::countDown);
        assertTrue(ran.await(5, TimeUnit.SECONDS));
        loop.close();
        assertTrue(loop.awaitTermination(5, TimeUnit.SECONDS));
        assertTrue(loop.isShutdown());
        loop.execute(() -> {
            throw new AssertionError("ran after close");
        });
        int[] sv = linux.socketPair(Linux.SOCK_STREAM);
        try {
            assertThrows(IllegalStateException.class, () -> loop.watchReadable(sv[0], () -> { }));
        } finally {
            linux.close(sv[0]);
            linux.close(sv[1]);
        }
    }

    @Test
    void epollEventsThatHappenedFirstAreSeenBeforeTheDirectFd() throws Exception {
        // The sentry relies on it: a task's exit (pidfd) is processed before a notification
        // from a new task that reuses its pid. Also within a burst of direct callbacks.
        int[] direct = linux.socketPair(Linux.SOCK_STREAM);
        int[] other = linux.socketPair(Linux.SOCK_STREAM);
        try (EventLoop loop = EventLoop.create(linux, "order")) {
            BlockingQueue<String> order = new LinkedBlockingQueue<>();
            AtomicInteger directCalls = new AtomicInteger();
            loop.watchDirect(direct[0], ev -> {
                linux.read(direct[0], new byte[1]);
                order.add("direct");
                if (directCalls.incrementAndGet() == 1) {
                    // During the burst that follows: first the other fd, then the direct one.
                    linux.write(other[1], new byte[] {1});
                    linux.write(direct[1], new byte[] {1});
                }
            });
            loop.watchReadable(other[0], () -> {
                linux.read(other[0], new byte[1]);
                order.add("epoll");
            });
            CountDownLatch hold = holdLoop(loop);
            linux.write(other[1], new byte[] {1});
            linux.write(direct[1], new byte[] {1});
            hold.countDown();
            for (String expected : new String[] {"epoll", "direct", "epoll", "direct"}) {
                assertEquals(expected, order.poll(5, TimeUnit.SECONDS));
            }
        } finally {
            for (int fd : new int[] {direct[0], direct[1], other[0], other[1]}) {
                linux.close(fd);
            }
        }
    }

    /**
     * Keeps the loop busy in a task until the returned latch is counted down, so that
     * several fds become ready before it waits again (one poll/epoll batch).
     */
    private static CountDownLatch holdLoop(EventLoop loop) {
        CountDownLatch hold = new CountDownLatch(1);
        loop.execute(() -> {
            try {
                hold.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return hold;
    }
}
