package nsentry.syscall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;

import org.junit.jupiter.api.Test;

import nsentry.proto.Hello;
import nsentry.proto.ShimMessage;
import nsentry.proto.WorkloadStarted;

class HandshakeTest {
    @Test
    void ourHello() {
        Hello h = Handshake.sentryHello();
        assertEquals(1, h.getProtocolVersion());
        assertEquals("nsentry-sentry 0.1.0", h.getSoftware());
        assertFalse(h.getKernelRelease().isEmpty());
        assertEquals(System.getProperty("os.version"), h.getKernelRelease());
    }

    @Test
    void peerChecks() throws Exception {
        Handshake.expectHello(ShimMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(1)).build());
        assertEquals("shim speaks protocol 7, this sentry speaks 1", assertThrows(HandshakeException.class,
                () -> Handshake.checkPeer(Hello.newBuilder().setProtocolVersion(7).build())).getMessage());
        assertEquals("shim speaks protocol 0, this sentry speaks 1", assertThrows(HandshakeException.class,
                () -> Handshake.checkPeer(Hello.getDefaultInstance())).getMessage());
        assertEquals("shim sent workload_started before its hello", assertThrows(HandshakeException.class,
                () -> Handshake.expectHello(ShimMessage.newBuilder()
                        .setWorkloadStarted(WorkloadStarted.newBuilder().setPid(1)).build())).getMessage());
    }

    @Test
    void shimFdsFromEnvironment() {
        assertEquals(new ShimFds(3, 4), ShimFds.fromEnvironment(Map.of()));
        assertEquals(new ShimFds(5, 6), ShimFds.fromEnvironment(Map.of("NSENTRY_CONTROL_FD", "5", "NSENTRY_FD_CHANNEL", "6")));
        assertThrows(IllegalArgumentException.class, () -> ShimFds.fromEnvironment(Map.of("NSENTRY_CONTROL_FD", "x")));
    }
}
