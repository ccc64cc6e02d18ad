package nsentry.sentry.runtime;

import java.io.PrintStream;

/**
 * How a sandbox's sentry reaches its shim: the control socket and the fd channel (the
 * shim's socket pairs), the shim's pid (it names the debug socket), and where the
 * sentry's own messages go. A sentry JVM started by the shim has them on fds 3 and 4 with
 * the shim as its parent and stderr shared; a sentry server gets them from the shim over
 * its socket ({@code nsentry serve}).
 */
public record ShimLink(int controlFd, int fdChannel, int shimPid, PrintStream err) {
}
