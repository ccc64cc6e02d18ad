package nsentry.syscall;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import nsentry.abi.Errno;

/** The unix stream sockets the debug endpoint is served on (listenUnix, accept, peerUid, sendAll, shutdown). */
class UnixSocketTest {
    private static final Linux LINUX = Linux.load();

    @TempDir
    Path tmp;

    @Test
    void aClientIsAcceptedSeenWithItsUidAndGetsEveryByte() throws Exception {
        Path path = tmp.resolve("s.sock");
        int listener = LINUX.listenUnix(path.toString(), 4);
        try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            client.connect(UnixDomainSocketAddress.of(path));
            int conn = LINUX.accept(listener);
            try {
                assertEquals(Files.getAttribute(tmp, "unix:uid"), LINUX.peerUid(conn));
                byte[] data = new byte[300_000]; // several send chunks, more than the socket buffer
                new Random(5).nextBytes(data);
                CompletableFuture<Void> sent = CompletableFuture.runAsync(
                        () -> LINUX.sendAll(conn, data, 1000, data.length - 1000));
                ByteBuffer got = ByteBuffer.allocate(data.length - 1000);
                while (got.hasRemaining() && client.read(got) >= 0) {
                    // keep reading
                }
                sent.get(10, TimeUnit.SECONDS);
                byte[] expected = java.util.Arrays.copyOfRange(data, 1000, data.length);
                assertArrayEquals(expected, got.array());

                client.write(ByteBuffer.wrap(new byte[] {7, 8}));
                byte[] in = new byte[16];
                assertEquals(2, LINUX.read(conn, in));
            } finally {
                LINUX.close(conn);
            }
        } finally {
            LINUX.close(listener);
        }
    }

    @Test
    void shutdownWakesAThreadBlockedInAccept() throws Exception {
        int listener = LINUX.listenUnix(tmp.resolve("w.sock").toString(), 4);
        try {
            CompletableFuture<LinuxException> blocked = CompletableFuture.supplyAsync(() -> {
                try {
                    LINUX.accept(listener);
                    return null;
                } catch (LinuxException e) {
                    return e;
                }
            });
            Thread.sleep(100);
            assertTrue(!blocked.isDone(), "accept returned without a client");
            LINUX.shutdown(listener);
            LinuxException e = blocked.get(5, TimeUnit.SECONDS);
            assertEquals(Errno.EINVAL, e.errno(), "accept on a shut-down listener: " + e);
        } finally {
            LINUX.close(listener);
        }
    }

    @Test
    void aPathTooLongForSockaddrUnIsRefusedClearly() {
        String path = tmp.resolve("x".repeat(120)).toString();
        LinuxException e = assertThrows(LinuxException.class, () -> LINUX.listenUnix(path, 1));
        assertEquals(Errno.ENAMETOOLONG, e.errno());
    }

    @Test
    void bindingAnExistingPathFailsWithTheKernelsErrno() throws Exception {
        Path path = tmp.resolve("taken");
        Files.writeString(path, "");
        LinuxException e = assertThrows(LinuxException.class, () -> LINUX.listenUnix(path.toString(), 1));
        assertEquals(Errno.EADDRINUSE, e.errno(), e.getMessage());
    }
}
