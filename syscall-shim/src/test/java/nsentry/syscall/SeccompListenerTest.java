package nsentry.syscall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;

import nsentry.abi.Errno;
import nsentry.abi.SyscallException;
import nsentry.abi.Sysno;

/** Real seccomp notifications from src/test/c/notif_target.c. */
@Timeout(60)
class SeccompListenerTest {
    private static final Linux LINUX = Linux.load();
    private static Path exe;

    @BeforeAll
    static void compileHelper() {
        try {
            exe = NotifTarget.compile();
        } catch (IOException | InterruptedException e) {
            exe = null;
            System.err.println("SeccompListenerTest skipped: " + e.getMessage());
        }
    }

    private static NotifTarget start(String... args) throws IOException {
        assumeTrue(exe != null, "notif_target helper could not be compiled (gcc missing?)");
        return NotifTarget.start(LINUX, exe, args);
    }

    /** Blocks (polling) until a notification arrives. */
    private static Notification next(SeccompListener l) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            Notification n = l.receive();
            if (n != null) {
                return n;
            }
            Thread.sleep(0, 100_000);
        }
        fail("no notification within 20 s");
        return null;
    }

    @Test
    void valuesErrorsAndContinue() throws Exception {
        int count = 1000;
        try (NotifTarget t = start("values", Integer.toString(count))) {
            SeccompListener l = t.listener();
            assertNull(l.receive(), "nothing pending before go");
            t.go();
            WorkloadMemory mem = new WorkloadMemory(LINUX);
            for (int i = 0; i < count; i++) {
                Notification n = next(l);
                assertEquals(Sysno.GETPPID, n.nr());
                assertEquals(Sysno.AUDIT_ARCH_X86_64, n.arch());
                assertEquals(t.pid(), n.tid());
                assertEquals(i, n.arg0());
                assertEquals(0x1122334455667788L, n.arg(2));
                String path = mem.readPath(n.tid(), n.arg1());
                assertEquals("/path/" + i, path);
                assertTrue(l.isValid(n.id()));
                switch (i % 3) {
                    case 0 -> assertTrue(l.respondError(n.id(), Errno.EACCES));
                    case 1 -> assertTrue(l.respondValue(n.id(), i * 1000L + path.length()));
                    default -> assertTrue(l.respondContinue(n.id()));
                }
                assertFalse(l.isValid(n.id()), "answered notification is no longer valid");
            }
            List<String> lines = t.rest();
            assertEquals("done", lines.get(lines.size() - 1));
            long myPid = ProcessHandle.current().pid();
            for (int i = 0; i < count; i++) {
                String[] f = lines.get(i).split(" ");
                assertEquals(i, Integer.parseInt(f[0]));
                switch (i % 3) {
                    case 0 -> {
                        assertEquals(-1, Long.parseLong(f[1]));
                        assertEquals(Errno.EACCES.number(), Integer.parseInt(f[2]));
                    }
                    case 1 -> assertEquals(i * 1000L + ("/path/" + i).length(), Long.parseLong(f[1]));
                    default -> assertEquals(myPid, Long.parseLong(f[1]), "CONTINUE runs the real getppid");
                }
            }
        }
    }

    @Test
    void addFdInjectsMemfd() throws Exception {
        try (NotifTarget t = start("addfd")) {
            SeccompListener l = t.listener();
            t.go();
            int memfd = LINUX.memfdCreate("nsentry-test", Linux.MFD_CLOEXEC);
            try {
                LINUX.write(memfd, "hello-addfd".getBytes(StandardCharsets.US_ASCII));
                StatResult st = LINUX.fstat(memfd);

                Notification first = next(l);
                assertEquals(-1L, first.arg0());
                int injected = l.addFd(first.id(), memfd, -1, false, true);
                assertTrue(injected >= 3, "fd " + injected);

                Notification second = next(l);
                assertEquals(77L, second.arg0());
                assertEquals(77, l.addFd(second.id(), memfd, 77, true, true));
                assertFalse(l.isValid(second.id()), "SEND answered the notification");

                List<String> lines = t.rest();
                assertEquals("lowest fd " + injected + " ino " + st.ino() + " size 11 cloexec 0 content hello-addfd",
                        lines.get(0));
                assertEquals("at77 fd 77 ino " + st.ino() + " size 11 cloexec 1 content hello-addfd", lines.get(1));
            } finally {
                LINUX.close(memfd);
            }
        }
    }

    @Test
    void addFdWithoutSendThenRespond() throws Exception {
        try (NotifTarget t = start("addfd")) {
            SeccompListener l = t.listener();
            t.go();
            int memfd = LINUX.memfdCreate("nsentry-test2", Linux.MFD_CLOEXEC);
            try {
                Notification first = next(l);
                int injected = l.addFd(first.id(), memfd, -1, true, false);
                assertTrue(l.isValid(first.id()), "without SEND the call still waits");
                assertTrue(l.respondValue(first.id(), injected));
                Notification second = next(l);
                assertTrue(l.respondError(second.id(), Errno.EMFILE));
                List<String> lines = t.rest();
                assertTrue(lines.get(0).startsWith("lowest fd " + injected + " "), lines.get(0));
                assertTrue(lines.get(0).contains("cloexec 1"), lines.get(0));
                assertEquals("at77 error " + Errno.EMFILE.number(), lines.get(1));
            } finally {
                LINUX.close(memfd);
            }
        }
    }

    @Test
    void readPathCornerCasesAndWrites() throws Exception {
        try (NotifTarget t = start("paths")) {
            SeccompListener l = t.listener();
            t.go();
            WorkloadMemory mem = new WorkloadMemory(LINUX);

            Notification n = next(l); // bad pointer 1
            assertEquals(1, n.arg0());
            MemoryFault f = assertThrows(MemoryFault.class, () -> mem.readPath(n.tid(), n.arg1()));
            assertEquals(Errno.EFAULT, f.errno());
            assertThrows(MemoryFault.class, () -> mem.read(n.tid(), n.arg1(), 16));
            assertThrows(MemoryFault.class, () -> mem.readU64(n.tid(), 0));
            assertThrows(MemoryFault.class, () -> mem.readU64(n.tid(), -8L));
            assertThrows(MemoryFault.class, () -> mem.write(n.tid(), 8L, new byte[] {1}));
            assertTrue(l.respondError(n.id(), f.errno()));

            Notification big = next(l); // 5000 unterminated bytes
            assertEquals(2, big.arg0());
            SyscallException tooLong = assertThrows(SyscallException.class, () -> mem.readPath(big.tid(), big.arg1()));
            assertEquals(Errno.ENAMETOOLONG, tooLong.errno());
            assertTrue(l.respondError(big.id(), tooLong.errno()));

            Notification edge = next(l); // ends right before an unmapped page
            assertEquals(3, edge.arg0());
            assertEquals("/end/of/page", mem.readPath(edge.tid(), edge.arg1()));
            assertThrows(MemoryFault.class, () -> mem.read(edge.tid(), edge.arg1(), 14), "crosses into the hole");
            assertTrue(l.respondValue(edge.id(), 3));

            Notification unterminated = next(l); // runs into the hole
            assertEquals(4, unterminated.arg0());
            MemoryFault hole = assertThrows(MemoryFault.class,
                    () -> mem.readPath(unterminated.tid(), unterminated.arg1()));
            assertEquals(Errno.EFAULT.number(), hole.hostErrno());
            assertTrue(l.respondError(unterminated.id(), Errno.EFAULT));

            Notification exact = next(l); // 4095 bytes + NUL
            assertEquals(5, exact.arg0());
            assertEquals("b".repeat(4095), mem.readPath(exact.tid(), exact.arg1()));
            assertTrue(l.respondValue(exact.id(), 5));

            Notification w = next(l);
            assertEquals(6, w.arg0());
            byte[] orig = mem.read(w.tid(), w.arg1(), 9);
            assertEquals("original\0", new String(orig, StandardCharsets.US_ASCII));
            mem.write(w.tid(), w.arg1(), "written!\0".getBytes(StandardCharsets.US_ASCII));
            mem.writeU32(w.tid(), w.arg1() + 3, 0x00585858); // "XXX\0" little-endian
            assertEquals(0x00585858, mem.readU32(w.tid(), w.arg1() + 3));
            assertTrue(l.respondValue(w.id(), 6));

            List<String> lines = t.rest();
            assertEquals(List.of("1 -1 14", "2 -1 36", "3 3 0", "4 -1 14", "5 5 0", "6 6 0 wriXXX", "done"), lines);
        }
    }

    @Test
    void deadTargetGivesEnoentNotExceptions() throws Exception {
        try (NotifTarget t = start("hang")) {
            SeccompListener l = t.listener();
            t.go();
            Notification n = next(l);
            assertTrue(l.isValid(n.id()));
            LINUX.pidfdSendSignal(t.pidfd(), 9);
            assertTrue(t.process().waitFor(10, TimeUnit.SECONDS));
            assertFalse(l.isValid(n.id()));
            assertFalse(l.respondValue(n.id(), 1), "ENOENT is reported as false");
            assertFalse(l.respondError(n.id(), Errno.EPERM));
            assertFalse(l.respondContinue(n.id()));
            LinuxException e = assertThrows(LinuxException.class, () -> l.addFd(n.id(), 0, -1, false, true));
            assertEquals(Errno.ENOENT, e.errno());
            assertNull(l.receive());
            assertTrue(l.isHungUp(), "no task left in the filter");
        }
    }

    /** Both ways the loop can watch the listener: poll(2) directly (the sentry's) and epoll. */
    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {true, false})
    void eventLoopWatchSeesNotificationsAndHangup(boolean direct) throws Exception {
        int count = 200;
        try (NotifTarget t = start("values", Integer.toString(count));
                EventLoop loop = EventLoop.create(LINUX, "test-loop")) {
            SeccompListener l = t.listener();
            assertTrue(l.enableSyncWakeup(), "kernel 6.6+ supports SYNC_WAKE_UP");
            AtomicInteger answered = new AtomicInteger();
            CompletableFuture<Integer> hangup = new CompletableFuture<>();
            List<Throwable> errors = new ArrayList<>();
            EventLoop.Registration[] reg = new EventLoop.Registration[1];
            EventLoop.FdHandler handler = events -> {
                if ((events & EventLoop.EPOLLIN) != 0) {
                    Notification n = l.receivePending();
                    if (n != null) {
                        l.respondValue(n.id(), 42);
                        answered.incrementAndGet();
                    }
                } else if ((events & EventLoop.EPOLLHUP) != 0) {
                    reg[0].cancel();
                    hangup.complete(answered.get());
                }
            };
            reg[0] = direct ? loop.watchDirect(l.fd(), handler) : loop.watch(l.fd(), handler);
            t.go();
            assertEquals(count, hangup.get(30, TimeUnit.SECONDS));
            assertFalse(reg[0].isActive());
            List<String> lines = t.rest();
            assertEquals(count + 1, lines.size());
            for (int i = 0; i < count; i++) {
                assertEquals(i + " 42 0", lines.get(i));
            }
            assertTrue(errors.isEmpty());
        }
    }

    @Test
    void pidfdBecomesReadableOnExit() throws Exception {
        try (NotifTarget t = start("hang"); EventLoop loop = EventLoop.create(LINUX, "pidfd-loop")) {
            CountDownLatch exited = new CountDownLatch(1);
            AtomicInteger calls = new AtomicInteger();
            EventLoop.Registration[] reg = new EventLoop.Registration[1];
            reg[0] = loop.watchReadable(t.pidfd(), () -> {
                calls.incrementAndGet();
                reg[0].cancel();
                exited.countDown();
            });
            Thread.sleep(50);
            assertEquals(1, exited.getCount(), "not readable while running");
            LINUX.pidfdSendSignal(t.pidfd(), 9);
            assertTrue(exited.await(10, TimeUnit.SECONDS));
            Thread.sleep(50);
            assertEquals(1, calls.get(), "no callback after cancel");
        }
    }

    @Test
    void receiveOnClosedListenerThrows() throws Exception {
        try (NotifTarget t = start("hang")) {
            SeccompListener l = t.listener();
            l.close();
            l.close(); // idempotent
            LinuxException e = assertThrows(LinuxException.class, () -> l.isValid(1));
            assertEquals(Errno.EBADF, e.errno());
            assertNotNull(e.getMessage());
        }
    }
}
