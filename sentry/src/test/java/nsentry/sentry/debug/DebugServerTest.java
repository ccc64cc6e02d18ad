package nsentry.sentry.debug;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import nsentry.proto.DebugRequest;
import nsentry.proto.DebugResponse;
import nsentry.proto.ListTasks;
import nsentry.proto.TaskInfo;
import nsentry.proto.TaskList;
import nsentry.sentry.debug.DebugClient.DebugException;
import nsentry.sentry.debug.DebugClient.Target;
import nsentry.syscall.Linux;

class DebugServerTest {
    private static final Linux LINUX = Linux.load();

    @TempDir
    Path tmp;

    private final ExecutorService loop = Executors.newSingleThreadExecutor(r -> new Thread(r, "fake-event-loop"));
    private final AtomicReference<String> handledOn = new AtomicReference<>();
    private volatile CountDownLatch blockLoop = new CountDownLatch(0);
    private Path dir;
    private Path socket;
    private DebugServer server;

    private static final DebugRequest LIST = DebugRequest.newBuilder().setListTasks(ListTasks.getDefaultInstance())
            .build();

    @BeforeEach
    void start() throws Exception {
        dir = DebugPaths.ensureDir(tmp.resolve("nsentry-test"), DebugPaths.myEuid());
        socket = dir.resolve("4242.sock");
        server = DebugServer.start(LINUX, socket, new DebugServer.DebugService() {
            @Override
            public void execute(Runnable task) {
                loop.execute(task);
            }

            @Override
            public DebugResponse handle(DebugRequest request) {
                handledOn.set(Thread.currentThread().getName());
                try {
                    blockLoop.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return DebugResponse.newBuilder().setTasks(TaskList.newBuilder()
                        .addTasks(TaskInfo.newBuilder().setTid(7).setComm("sleep"))).build();
            }
        });
    }

    @AfterEach
    void stop() {
        blockLoop.countDown();
        server.close();
        loop.shutdownNow();
    }

    @Test
    void answersOnTheModelsThreadAndOverOneConnection() throws Exception {
        List<DebugResponse> r = DebugClient.exchange(new Target("4242", socket), List.of(LIST, LIST));
        assertEquals(2, r.size());
        assertEquals("sleep", r.get(1).getTasks().getTasks(0).getComm());
        assertEquals("fake-event-loop", handledOn.get(), "the model is read on the event loop only");
    }

    @Test
    void socketAndDirectoryArePrivate() throws Exception {
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        assertEquals("4242", DebugPaths.idOf(socket));
    }

    @Test
    void closeRemovesTheSocketAndClientsSayTheSandboxEnded() throws Exception {
        server.close();
        assertFalse(Files.exists(socket));
        DebugException e = assertThrows(DebugException.class,
                () -> DebugClient.request(new Target("4242", socket), LIST));
        assertEquals("sandbox 4242 has ended", e.getMessage());
    }

    @Test
    void aRequestWaitingForTheLoopIsAnsweredWhenTheSandboxEnds() throws Exception {
        blockLoop = new CountDownLatch(1);
        CompletableFuture<String> outcome = CompletableFuture.supplyAsync(() -> {
            try {
                DebugClient.request(new Target("4242", socket), LIST);
                return "answered";
            } catch (DebugException e) {
                return e.getMessage();
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (handledOn.get() == null && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        server.close();
        String m = outcome.get(5, TimeUnit.SECONDS);
        assertTrue(m.equals("sandbox 4242 has ended") || m.startsWith("sandbox 4242 ended before answering"), m);
    }

    @Test
    void malformedRequestGetsAnErrorNotACrash() throws Exception {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0x7f}));
            DebugResponse r = DebugResponse.parseDelimitedFrom(Channels.newInputStream(ch));
            assertTrue(r.getError().startsWith("bad request: frame of"), r.getError());
        }
        // the server still serves others
        assertEquals(7, DebugClient.request(new Target("4242", socket), LIST).getTasks().getTasks(0).getTid());
    }

    @Test
    void unsafeDirectoriesAreRefused() throws Exception {
        Path other = Files.createDirectory(tmp.resolve("someone-elses"));
        refused(() -> DebugPaths.ensureDir(other, 54321), "belongs to uid");
        Path link = Files.createSymbolicLink(tmp.resolve("link"), other);
        refused(() -> DebugPaths.ensureDir(link, DebugPaths.myEuid()), "not a directory");
        Path open = Files.createDirectory(tmp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        DebugPaths.ensureDir(open, DebugPaths.myEuid());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(open)));
    }

    private interface Io {
        void run() throws Exception;
    }

    private static void refused(Io io, String expected) {
        Exception e = assertThrows(java.io.IOException.class, io::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void sandboxIdsAreParsedFromSocketNames() {
        assertEquals("123", DebugPaths.idOf(Path.of("/x/123.sock")));
        assertEquals(null, DebugPaths.idOf(Path.of("/x/abc.sock")));
        assertEquals(null, DebugPaths.idOf(Path.of("/x/123.json")));
        assertTrue(DebugPaths.dirFor(54321).toString().endsWith("nsentry-54321"));
    }
}
