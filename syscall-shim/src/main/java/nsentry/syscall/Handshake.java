package nsentry.syscall;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

import nsentry.proto.Hello;
import nsentry.proto.Limits;
import nsentry.proto.SentryMessage;
import nsentry.proto.ShimMessage;

/** The first exchange on the control socket: {@link Hello} both ways. */
public final class Handshake {
    private Handshake() {}

    /** What this side calls itself in its Hello. */
    public static final String SOFTWARE = "nsentry-sentry 0.1.0";
    /** The protocol version this build speaks. */
    public static final int PROTOCOL_VERSION = Limits.PROTOCOL_VERSION_VALUE;

    private static final Path OSRELEASE = Path.of("/proc/sys/kernel/osrelease");

    /** The sentry's Hello, with no features. */
    public static Hello sentryHello() {
        return sentryHello(List.of());
    }

    /** The sentry's Hello. */
    public static Hello sentryHello(Collection<String> features) {
        return Hello.newBuilder()
                .setProtocolVersion(PROTOCOL_VERSION)
                .setSoftware(SOFTWARE)
                .setKernelRelease(kernelRelease())
                .addAllFeatures(features)
                .build();
    }

    /** The sentry's Hello as the message to send first. */
    public static SentryMessage helloMessage(Collection<String> features) {
        return SentryMessage.newBuilder().setHello(sentryHello(features)).build();
    }

    /** {@code uname -r}, from /proc/sys/kernel/osrelease; "unknown" if unreadable. */
    public static String kernelRelease() {
        try {
            return new String(Files.readAllBytes(OSRELEASE), StandardCharsets.UTF_8).trim();
        } catch (IOException | SecurityException e) {
            return "unknown";
        }
    }

    /**
     * Checks the shim's first message: it must be a Hello speaking our protocol version.
     * Returns the Hello.
     */
    public static Hello expectHello(ShimMessage first) throws HandshakeException {
        if (first.getBodyCase() != ShimMessage.BodyCase.HELLO) {
            throw new HandshakeException("shim sent " + bodyName(first) + " before its hello");
        }
        checkPeer(first.getHello());
        return first.getHello();
    }

    /** Refuses any protocol version but ours: {@code shim speaks protocol 7, this sentry speaks 1}. */
    public static void checkPeer(Hello peer) throws HandshakeException {
        if (peer.getProtocolVersion() != PROTOCOL_VERSION) {
            String who = peer.getSoftware().isEmpty() ? "shim" : "shim (" + peer.getSoftware() + ")";
            throw new HandshakeException(who + " speaks protocol " + Integer.toUnsignedString(peer.getProtocolVersion())
                    + ", this sentry speaks " + PROTOCOL_VERSION);
        }
    }

    private static String bodyName(ShimMessage m) {
        return m.getBodyCase() == ShimMessage.BodyCase.BODY_NOT_SET
                ? "an empty message"
                : m.getBodyCase().name().toLowerCase(java.util.Locale.ROOT);
    }
}
