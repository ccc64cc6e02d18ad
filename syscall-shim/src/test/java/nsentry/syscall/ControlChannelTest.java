package nsentry.syscall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import nsentry.proto.Hello;
import nsentry.proto.KillTree;
import nsentry.proto.SentryMessage;
import nsentry.proto.ShimError;
import nsentry.proto.ShimMessage;
import nsentry.proto.WorkloadExited;
import nsentry.proto.WorkloadStarted;

/** The control channel against a fake shim on the other end of a real socketpair. */
@Timeout(60)
class ControlChannelTest {
    private static final Linux LINUX = Linux.load();
    private static final int LIMIT = FrameCodec.MAX_FRAME_BYTES;

    private EventLoop loop;
    private int peer;
    private boolean peerOpen;
    private ControlChannel channel;
    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();

    /** What the listener saw: a ShimMessage or a Closed. */
    private record Closed(String reason, boolean onLoop) {}

    @BeforeEach
    void open() {
        loop = EventLoop.create(LINUX, "control-test");
        int[] sv = LINUX.socketPair(Linux.SOCK_STREAM);
        peer = sv[1];
        peerOpen = true;
        channel = ControlChannel.open(loop, LINUX, sv[0], new ControlChannel.Listener() {
            @Override
            public void onMessage(ShimMessage m) {
                events.add(m);
            }

            @Override
            public void onClosed(String reason) {
                events.add(new Closed(reason, loop.inLoop()));
            }
        });
    }

    @AfterEach
    void close() {
        channel.close();
        closePeer();
        loop.close();
    }

    private void closePeer() {
        if (peerOpen) {
            peerOpen = false;
            LINUX.close(peer);
        }
    }

    private void peerWrite(byte[] b) {
        int done = 0;
        while (done < b.length) {
            byte[] rest = java.util.Arrays.copyOfRange(b, done, b.length);
            done += LINUX.write(peer, rest);
        }
    }

    private Object next() throws InterruptedException {
        Object e = events.poll(10, TimeUnit.SECONDS);
        if (e == null) {
            throw new AssertionError("no event within 10 s");
        }
        return e;
    }

    private ShimMessage nextMessage() throws InterruptedException {
        Object e = next();
        assertTrue(e instanceof ShimMessage, "expected a message, got " + e);
        return (ShimMessage) e;
    }

    private String nextClosed() throws InterruptedException {
        Object e = next();
        assertTrue(e instanceof Closed, "expected close, got " + e);
        assertTrue(((Closed) e).onLoop(), "onClosed runs on the loop");
        return ((Closed) e).reason();
    }

    private void assertNoMoreEvents() throws InterruptedException {
        assertNull(events.poll(100, TimeUnit.MILLISECONDS));
    }

    /** Reads one SentryMessage frame from the peer end. */
    private SentryMessage peerRead() throws Exception {
        FrameReader<SentryMessage> r = new FrameReader<>(SentryMessage.parser(), LIMIT);
        byte[] b = new byte[1];
        while (true) {
            SentryMessage m = r.next();
            if (m != null) {
                return m;
            }
            int n = LINUX.read(peer, b);
            if (n == 0) {
                throw new AssertionError("EOF from channel");
            }
            r.feed(b, 0, n);
        }
    }

    private static ShimMessage hello(int version) {
        return ShimMessage.newBuilder().setHello(Hello.newBuilder()
                .setProtocolVersion(version).setSoftware("nsentry-shim 0.1.0").setKernelRelease("6.18")).build();
    }

    private static ShimMessage errorOfSize(int frameSize) {
        for (int k = frameSize - 10; k <= frameSize; k++) {
            ShimMessage m = ShimMessage.newBuilder().setError(ShimError.newBuilder().setMessage("x".repeat(Math.max(0, k)))).build();
            if (m.getSerializedSize() == frameSize) {
                return m;
            }
        }
        throw new AssertionError("no message of exactly " + frameSize + " bytes");
    }

    @Test
    void helloExchange() throws Exception {
        peerWrite(FrameCodec.encode(hello(1)));
        Hello peerHello = Handshake.expectHello(nextMessage());
        assertEquals("nsentry-shim 0.1.0", peerHello.getSoftware());
        channel.send(Handshake.helloMessage(java.util.List.of("sync-wakeup")));
        SentryMessage reply = peerRead();
        assertEquals(SentryMessage.BodyCase.HELLO, reply.getBodyCase());
        assertEquals(1, reply.getHello().getProtocolVersion());
        assertEquals("nsentry-sentry 0.1.0", reply.getHello().getSoftware());
        assertEquals(Handshake.kernelRelease(), reply.getHello().getKernelRelease());
        assertEquals(java.util.List.of("sync-wakeup"), reply.getHello().getFeaturesList());
    }

    @Test
    void wrongVersionIsRefusedClearly() throws Exception {
        peerWrite(FrameCodec.encode(hello(7)));
        HandshakeException e = assertThrows(HandshakeException.class, () -> Handshake.expectHello(nextMessage()));
        assertEquals("shim (nsentry-shim 0.1.0) speaks protocol 7, this sentry speaks 1", e.getMessage());
    }

    @Test
    void frameExactlyAtTheLimitIsAccepted() throws Exception {
        ShimMessage big = errorOfSize(LIMIT);
        assertEquals(LIMIT, big.getSerializedSize());
        Thread writer = new Thread(() -> peerWrite(FrameCodec.encode(big)));
        writer.start();
        ShimMessage got = nextMessage();
        writer.join();
        assertEquals(big, got);
        assertTrue(channel.isOpen());
    }

    @Test
    void frameOverTheLimitEndsTheSession() throws Exception {
        // Only the prefix and a little of the body: the channel must refuse before buffering.
        peerWrite(new byte[] {(byte) 0x81, (byte) 0x80, 0x40, 1, 2, 3}); // 1048577, then 3 body bytes
        assertEquals("frame of 1048577 bytes exceeds limit 1048576", nextClosed());
        assertFalse(channel.isOpen());
        assertEquals(0, LINUX.read(peer, new byte[8]), "peer sees EOF");
        assertNoMoreEvents();
    }

    @Test
    void truncatedFrameThenEof() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(100);
        b.write(new byte[10]);
        peerWrite(b.toByteArray());
        closePeer();
        assertEquals("EOF in the middle of a frame (got 10 of 100 bytes)", nextClosed());
        assertNoMoreEvents();
    }

    @Test
    void disconnectInsideTheLengthPrefix() throws Exception {
        peerWrite(FrameCodec.encode(hello(1)));
        peerWrite(new byte[] {(byte) 0x80});
        closePeer();
        assertEquals(ShimMessage.BodyCase.HELLO, nextMessage().getBodyCase());
        assertEquals("EOF inside a frame length prefix", nextClosed());
    }

    @Test
    void cleanEof() throws Exception {
        peerWrite(FrameCodec.encode(hello(1)));
        closePeer();
        nextMessage();
        assertEquals("EOF", nextClosed());
        assertNoMoreEvents();
    }

    @Test
    void garbageVarint() throws Exception {
        peerWrite(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff});
        assertEquals("malformed frame length: varint longer than 5 bytes", nextClosed());
    }

    @Test
    void malformedMessage() throws Exception {
        // Field 1 with wire type 7 (invalid).
        peerWrite(new byte[] {2, 0x0f, 0x00});
        String reason = nextClosed();
        assertTrue(reason.startsWith("malformed message: "), reason);
    }

    @Test
    void messageWithoutBodyIsMalformed() throws Exception {
        peerWrite(new byte[] {0});
        assertEquals("malformed message: ShimMessage without a known body", nextClosed());
    }

    @Test
    void manyMessagesInOneRead() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < 500; i++) {
            b.write(FrameCodec.encode(ShimMessage.newBuilder()
                    .setWorkloadExited(WorkloadExited.newBuilder().setPid(i).setExitCode(i % 256)).build()));
        }
        peerWrite(b.toByteArray());
        for (int i = 0; i < 500; i++) {
            assertEquals(i, nextMessage().getWorkloadExited().getPid());
        }
        assertNoMoreEvents();
    }

    @Test
    void oneMessageSplitAcrossReads() throws Exception {
        ShimMessage m = ShimMessage.newBuilder().setWorkloadStarted(WorkloadStarted.newBuilder()
                .setPid(1234).setFdBandBase(1000).setFdBandSize(24).addFilteredSyscalls("unshare")
                .addFilteredSyscalls("setns")).build();
        byte[] frame = FrameCodec.encode(m);
        for (byte x : frame) {
            peerWrite(new byte[] {x});
            Thread.sleep(2);
        }
        assertEquals(m, nextMessage());
        assertNoMoreEvents();
    }

    @Test
    void localCloseDoesNotCallTheListener() throws Exception {
        channel.close();
        assertEquals(0, LINUX.read(peer, new byte[8]), "peer sees EOF");
        assertNoMoreEvents();
        channel.send(SentryMessage.newBuilder().setKillTree(KillTree.newBuilder().setReason("late")).build());
    }

    @Test
    void sendFromManyThreads() throws Exception {
        int threads = 4;
        int each = 50;
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts[t] = new Thread(() -> {
                for (int i = 0; i < each; i++) {
                    channel.send(SentryMessage.newBuilder().setKillTree(KillTree.newBuilder()
                            .setReason(id + ":" + i)).build());
                }
            });
            ts[t].start();
        }
        int[] lastSeen = new int[threads];
        java.util.Arrays.fill(lastSeen, -1);
        for (int n = 0; n < threads * each; n++) {
            String[] f = peerRead().getKillTree().getReason().split(":");
            int id = Integer.parseInt(f[0]);
            int i = Integer.parseInt(f[1]);
            assertEquals(lastSeen[id] + 1, i, "per-thread order");
            lastSeen[id] = i;
        }
        for (Thread t : ts) {
            t.join();
        }
    }

    @Test
    void listenerExceptionEndsTheSession() throws Exception {
        channel.close();
        events.clear();
        int[] sv = LINUX.socketPair(Linux.SOCK_STREAM);
        LINUX.close(peer);
        peer = sv[1];
        BlockingQueue<Throwable> uncaught = new LinkedBlockingQueue<>();
        loop.close();
        loop = EventLoop.create(LINUX, "control-test-2", uncaught::add);
        channel = ControlChannel.open(loop, LINUX, sv[0], new ControlChannel.Listener() {
            @Override
            public void onMessage(ShimMessage m) {
                throw new IllegalStateException("boom");
            }

            @Override
            public void onClosed(String reason) {
                events.add(new Closed(reason, loop.inLoop()));
            }
        });
        peerWrite(FrameCodec.encode(hello(1)));
        assertEquals("message handler failed: java.lang.IllegalStateException: boom", nextClosed());
        assertEquals("boom", uncaught.poll(5, TimeUnit.SECONDS).getMessage());
    }

    @Test
    void writesTheSocketCannotTakeWaitInOrderUntilThePeerReads() throws Exception {
        // ~4 MiB in frames of ~300 KiB: far more than a unix socket buffers, sent from the
        // loop (as the sentry does) while the peer reads nothing.
        int frames = 14;
        String big = "y".repeat(300_000);
        CountDownLatch queued = new CountDownLatch(1);
        loop.execute(() -> {
            for (int i = 0; i < frames; i++) {
                channel.send(SentryMessage.newBuilder().setKillTree(KillTree.newBuilder().setReason(i + ":" + big)).build());
            }
            queued.countDown();
        });
        assertTrue(queued.await(5, TimeUnit.SECONDS), "send does not block the loop");
        CountDownLatch loopFree = new CountDownLatch(1);
        loop.execute(loopFree::countDown);
        assertTrue(loopFree.await(5, TimeUnit.SECONDS), "the loop runs on while the socket is full");
        FrameReader<SentryMessage> r = new FrameReader<>(SentryMessage.parser(), LIMIT);
        byte[] b = new byte[65536];
        for (int i = 0; i < frames; i++) {
            SentryMessage m;
            while ((m = r.next()) == null) {
                int n = LINUX.read(peer, b);
                assertTrue(n > 0, "EOF after " + i + " frames");
                r.feed(b, 0, n);
            }
            assertEquals(i + ":" + big, m.getKillTree().getReason());
        }
        assertTrue(channel.isOpen());
    }

    @Test
    void writeToAPeerThatClosedEndsTheSession() throws Exception {
        closePeer();
        // The EOF may be read first, or the write may fail first (EPIPE, never SIGPIPE).
        channel.send(SentryMessage.newBuilder().setKillTree(KillTree.newBuilder().setReason("x")).build());
        String reason = nextClosed();
        assertTrue(reason.equals("EOF") || reason.startsWith("write failed: EPIPE"), reason);
        assertNoMoreEvents();
    }

    @Test
    void closingTheLoopClosesTheSocket() throws Exception {
        loop.close();
        assertEquals(0, LINUX.read(peer, new byte[8]), "peer sees EOF");
        assertNoMoreEvents();
    }
}
