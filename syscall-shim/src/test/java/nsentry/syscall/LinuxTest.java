package nsentry.syscall;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import nsentry.abi.Errno;

class LinuxTest {
    private static final long TMPFS_MAGIC = 0x01021994L;
    private final Linux linux = Linux.load();

    @Test
    void memfdFstatFstatfsFchmodLseek() throws Exception {
        int fd = linux.memfdCreate("nsentry-ns", Linux.MFD_CLOEXEC);
        try {
            assertEquals(5, linux.write(fd, "hello".getBytes(StandardCharsets.US_ASCII)));
            linux.fchmod(fd, 0444);
            StatResult st = linux.fstat(fd);
            assertEquals(0100444, st.mode());
            assertEquals(0100000, st.fileType());
            assertEquals(5, st.size());
            assertEquals(0, st.nlink()); // memfds are unlinked (a tell-tale of stand-in ns files)
            assertEquals((int) java.nio.file.Files.getAttribute(java.nio.file.Path.of("/proc/self"), "unix:uid"), st.uid());
            assertTrue(st.ino() > 0);
            assertTrue(st.mtimeSec() > 1_600_000_000L);
            assertEquals(TMPFS_MAGIC, linux.fstatfsType(fd));
            assertEquals(0, linux.lseek(fd, 0, Linux.SEEK_SET));
            byte[] b = new byte[8];
            assertEquals(5, linux.read(fd, b));
            assertEquals("hello", new String(b, 0, 5, StandardCharsets.US_ASCII));
            assertEquals(5, linux.lseek(fd, 0, Linux.SEEK_END));
            int dup = linux.dup(fd);
            assertNotEquals(fd, dup);
            assertEquals(st.ino(), linux.fstat(dup).ino());
            linux.close(dup);
            assertTrue(linux.readlink("/proc/self/fd/" + fd).startsWith("/memfd:nsentry-ns"));
        } finally {
            linux.close(fd);
        }
    }

    @Test
    void openNsFileAndSealMemfd() {
        int ns = linux.open("/proc/self/ns/user", 0);
        try {
            assertEquals(0x6e736673L, linux.fstatfsType(ns)); // NSFS_MAGIC
        } finally {
            linux.close(ns);
        }
        int fd = linux.memfdCreate("sealed", Linux.MFD_CLOEXEC | Linux.MFD_ALLOW_SEALING);
        try {
            linux.addSeals(fd, Linux.SEAL_ALL);
            LinuxException e = assertThrows(LinuxException.class, () -> linux.write(fd, new byte[] {1}));
            assertEquals(Errno.EPERM, e.errno());
        } finally {
            linux.close(fd);
        }
    }

    @Test
    void errorsCarryErrnoAndCall() {
        LinuxException e = assertThrows(LinuxException.class, () -> linux.fstat(-1));
        assertEquals(Errno.EBADF, e.errno());
        assertEquals("fstat(fd -1): EBADF", e.getMessage());
        e = assertThrows(LinuxException.class, () -> linux.pidfdGetfd(-1, 5));
        assertEquals("pidfd_getfd(pidfd -1, fd 5): EBADF", e.getMessage());
        e = assertThrows(LinuxException.class, () -> linux.readlink("/nonexistent/x"));
        assertEquals(Errno.ENOENT, e.errno());
        e = assertThrows(LinuxException.class, () -> linux.kill(Integer.MAX_VALUE - 1, 0));
        assertEquals(Errno.ESRCH, e.errno());
        assertThrows(LinuxException.class, () -> linux.close(-1));
    }

    @Test
    void fdPassingOverASocketpair() {
        int[] sv = linux.socketPair(Linux.SOCK_STREAM);
        int memfd = linux.memfdCreate("passed", Linux.MFD_CLOEXEC);
        try {
            linux.sendFd(sv[0], memfd);
            int got = linux.recvFd(sv[1]);
            assertEquals(linux.fstat(memfd).ino(), linux.fstat(got).ino());
            linux.close(got);
            // A message without an fd, then EOF.
            linux.write(sv[0], new byte[] {1});
            LinuxException noFd = assertThrows(LinuxException.class, () -> linux.recvFd(sv[1]));
            assertEquals(Errno.ENODATA, noFd.errno());
            linux.close(sv[0]);
            sv[0] = -1;
            LinuxException eof = assertThrows(LinuxException.class, () -> linux.recvFd(sv[1]));
            assertEquals(Errno.ENODATA, eof.errno());
            assertTrue(eof.getMessage().contains("peer closed"), eof.getMessage());
        } finally {
            linux.close(memfd);
            if (sv[0] >= 0) {
                linux.close(sv[0]);
            }
            linux.close(sv[1]);
        }
    }

    @Test
    void pidfdsAndSignals() throws Exception {
        Process p = new ProcessBuilder("sleep", "60").start();
        try {
            int pid = (int) p.pid();
            int pidfd = linux.pidfdOpen(pid, 0);
            int threadPidfd = linux.pidfdOpen(pid, Linux.PIDFD_THREAD);
            int stdin = linux.pidfdGetfd(pidfd, 0);
            assertTrue(linux.readlink("/proc/self/fd/" + stdin).startsWith("pipe:"));
            linux.close(stdin);
            assertEquals(0, linux.kill(pid, 0));
            assertEquals(0, linux.tgkill(pid, pid, 0));
            linux.pidfdSendSignal(pidfd, 15);
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            LinuxException gone = assertThrows(LinuxException.class, () -> linux.pidfdSendSignal(pidfd, 0));
            assertEquals(Errno.ESRCH, gone.errno());
            linux.close(threadPidfd);
            linux.close(pidfd);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void nonBlockingFlag() {
        int[] sv = linux.socketPair(Linux.SOCK_STREAM);
        try {
            linux.setNonBlocking(sv[0], true);
            LinuxException e = assertThrows(LinuxException.class, () -> linux.read(sv[0], new byte[1]));
            assertEquals(Errno.EAGAIN, e.errno());
            linux.setNonBlocking(sv[0], false);
            linux.write(sv[1], new byte[] {7});
            byte[] b = new byte[1];
            assertEquals(1, linux.read(sv[0], b));
            assertArrayEquals(new byte[] {7}, b);
        } finally {
            linux.close(sv[0]);
            linux.close(sv[1]);
        }
    }

    @Test
    void readFileRawReadsWholeSmallFilesAndReportsErrnoAsValue() throws Exception {
        java.nio.file.Path f = java.nio.file.Files.createTempFile("nsentry-linux", ".txt");
        try {
            java.nio.file.Files.writeString(f, "hello, world");
            byte[] big = new byte[64];
            assertEquals(12, linux.readFileRaw(f.toString(), big));
            assertEquals("hello, world", new String(big, 0, 12, StandardCharsets.US_ASCII));
            byte[] small = new byte[5];
            assertEquals(5, linux.readFileRaw(f.toString(), small), "a full buffer says: maybe more");
            assertEquals("hello", new String(small, StandardCharsets.US_ASCII));
        } finally {
            java.nio.file.Files.delete(f);
        }
        // a /proc file (size 0 in stat) is read to its end, across several read(2) calls
        byte[] status = new byte[8192];
        int n = linux.readFileRaw("/proc/self/status", status);
        assertTrue(n > 100 && n < status.length, "read " + n);
        assertTrue(new String(status, 0, n, StandardCharsets.UTF_8).contains("\nTgid:\t" + ProcessHandle.current().pid() + "\n"));
        assertEquals(-Errno.ENOENT.number(), linux.readFileRaw("/proc/999999999/status", status));
    }

    @Test
    void readFileRawDoesNotBlockOnAFifo() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("nsentry-fifo");
        String fifo = dir.resolve("f").toString();
        try {
            assertEquals(0, new ProcessBuilder("mkfifo", fifo).start().waitFor());
            // no writer: a blocking open would wait forever; non-blocking, read(2) finds no data
            int r = linux.readFileRaw(fifo, new byte[2]);
            assertTrue(r == 0 || r == -Errno.EAGAIN.number(), "got " + r);
        } finally {
            java.nio.file.Files.deleteIfExists(java.nio.file.Path.of(fifo));
            java.nio.file.Files.delete(dir);
        }
    }

    @Test
    void statResultDecodesTheRawStructAsFstatFillsIt() {
        int[] errno = new int[1];
        byte[] raw = linux.fstatatRaw(-100, "/etc/passwd", 0, errno);
        int fd = linux.open("/etc/passwd", 0);
        try {
            assertEquals(linux.fstat(fd), StatResult.of(raw));
            assertEquals(StatResult.S_IFREG, StatResult.of(raw).fileType());
        } finally {
            linux.close(fd);
        }
    }

    @Test
    void pidfdInfoGivesThreadGroupAndParent() throws Exception {
        int self = (int) ProcessHandle.current().pid();
        int parent = (int) ProcessHandle.current().parent().orElseThrow().pid();
        int pidfd = linux.pidfdOpenRaw(self, 0);
        assertTrue(pidfd >= 0);
        int[] ids = new int[2];
        try {
            assertEquals(0, linux.pidfdInfoRaw(pidfd, ids));
            assertArrayEquals(new int[] {self, parent}, ids);
        } finally {
            linux.close(pidfd);
        }
        // another thread of this process: no process pidfd for it, a thread pidfd names its group
        int thread = -1;
        try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task"))) {
            for (java.nio.file.Path t : (Iterable<java.nio.file.Path>) tasks::iterator) {
                int tid = Integer.parseInt(t.getFileName().toString());
                if (tid != self) {
                    thread = tid;
                    break;
                }
            }
        }
        assertTrue(thread > 0, "a JVM has more than one thread");
        int notLeader = linux.pidfdOpenRaw(thread, 0);
        assertTrue(notLeader == -Errno.ENOENT.number() || notLeader == -Errno.EINVAL.number(), "got " + notLeader);
        int threadPidfd = linux.pidfdOpenRaw(thread, Linux.PIDFD_THREAD);
        assertTrue(threadPidfd >= 0);
        try {
            assertEquals(0, linux.pidfdInfoRaw(threadPidfd, ids));
            assertArrayEquals(new int[] {self, parent}, ids);
        } finally {
            linux.close(threadPidfd);
        }
        assertEquals(-Errno.ESRCH.number(), linux.pidfdOpenRaw(999_999_999, 0));
    }
}
