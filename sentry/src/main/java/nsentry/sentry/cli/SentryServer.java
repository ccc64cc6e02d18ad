package nsentry.sentry.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;

import nsentry.proto.RunReply;
import nsentry.proto.RunRequest;
import nsentry.proto.SentryMessage;
import nsentry.proto.ShimMessage;
import nsentry.sentry.debug.DebugPaths;
import nsentry.sentry.runtime.ShimLink;
import nsentry.syscall.FrameCodec;
import nsentry.syscall.FrameException;
import nsentry.syscall.FrameReader;
import nsentry.syscall.Linux;
import nsentry.syscall.LinuxException;

/**
 * A warm sentry ({@code nsentry serve}): one JVM that runs the sandboxes of many
 * {@code nsentry run} commands of its user, so that each skips the JVM's start-up. A shim
 * that finds the server's socket connects, checks that the server runs as its own uid
 * (SO_PEERCRED), and hands over what a sentry JVM it started would have had: its ends of
 * the control socket and the fd channel and its stderr (SCM_RIGHTS, one per message), then
 * a {@link RunRequest} frame with the words after {@code run}. The server answers
 * {@link RunReply} accepted (the sandbox runs on a thread and event loop of its own, exactly
 * as in a sentry JVM) or refused (the shim then starts a sentry JVM), and the exit status
 * once the sandbox is over.
 *
 * <p>Failing closed is unchanged: each sandbox's control socket is held only by this
 * process, so if it dies every shim sees the end of its control socket and kills its
 * workload. An internal failure that ends a sentry JVM ends this one (and so every
 * sandbox it runs).
 */
final class SentryServer {
    /** How long a connecting shim may take to send its request. */
    private static final int REQUEST_TIMEOUT_MS = 10_000;
    private static final int BACKLOG = 64;

    private final Linux linux;
    private final Path socket;
    private final String home;
    private final Path jar;
    private final long idleExitMs;
    private final PrintStream log;
    private final int uid;
    private final FileTime jarTime;
    private final long jarSize;

    private int listenFd = -1;
    private int active;
    private long idleSinceMs = System.currentTimeMillis();
    private volatile boolean stopping;
    private long served;

    SentryServer(Linux linux, Path socket, String home, long idleExitMs, PrintStream log) throws IOException {
        this.linux = linux;
        this.socket = socket;
        this.home = home;
        this.jar = Path.of(home, "sentry", "target", "nsentry.jar");
        this.idleExitMs = idleExitMs;
        this.log = log;
        this.uid = DebugPaths.myEuid();
        this.jarTime = Files.getLastModifiedTime(jar);
        this.jarSize = Files.size(jar);
    }

    /** The default socket of {@code uid}'s server: {@code sentry.sock} next to its debug sockets. */
    static Path defaultSocket(int uid) {
        return DebugPaths.dirFor(uid).resolve("sentry.sock");
    }

    /** Binds the socket and serves until stopped (SIGTERM, idle time, a rebuilt jar). Returns the exit status. */
    int serve() throws IOException {
        DebugPaths.ensureDir(socket.getParent(), uid);
        if (Files.exists(socket)) {
            if (answers(socket)) {
                log.println("nsentry: a sentry server already listens on " + socket);
                return 1;
            }
            Files.delete(socket); // a server that died without removing it
        }
        try {
            listenFd = linux.listenUnix(socket.toString(), BACKLOG);
        } catch (LinuxException e) {
            throw new IOException(e.getMessage(), e);
        }
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        Thread cleanup = new Thread(this::removeSocket, "nsentry-serve-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        log.println("nsentry: sentry server (pid " + ProcessHandle.current().pid() + ") listening on " + socket
                + (idleExitMs > 0 ? "; exits after " + idleExitMs / 1000 + " s without a sandbox" : ""));
        log.flush();
        if (idleExitMs > 0) {
            Thread idle = new Thread(this::watchIdle, "nsentry-serve-idle");
            idle.setDaemon(true);
            idle.start();
        }
        while (!stopping) {
            int conn;
            try {
                conn = linux.accept(listenFd);
            } catch (LinuxException e) {
                if (stopping) {
                    break;
                }
                log.println("nsentry: sentry server: " + e.getMessage());
                continue;
            }
            int[] peer;
            try {
                peer = linux.peerCred(conn);
            } catch (LinuxException e) {
                closeQuietly(linux, conn);
                continue;
            }
            if (peer[1] != uid) { // the directory is private; this is a second line
                log.println("nsentry: sentry server: refused a connection from uid " + peer[1]);
                closeQuietly(linux, conn);
                continue;
            }
            begin();
            Thread t = new Thread(() -> handle(conn, peer[0]), "nsentry-serve-" + peer[0]);
            t.start();
        }
        waitForSandboxes();
        removeSocket();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
            // already shutting down
        }
        return 0;
    }

    /** One shim's connection: its fds, its request, the sandbox, the exit status. */
    private void handle(int conn, int shimPid) {
        Linux l = Linux.load(); // per thread: Linux's scratch buffers are not shared
        int control = -1;
        int fdChannel = -1;
        int errFd = -1;
        long deadline = System.currentTimeMillis() + REQUEST_TIMEOUT_MS;
        try {
            awaitInput(l, conn, deadline);
            control = l.recvFd(conn);
            awaitInput(l, conn, deadline);
            fdChannel = l.recvFd(conn);
            awaitInput(l, conn, deadline);
            errFd = l.recvFd(conn);
            RunRequest request = readRequest(l, conn, deadline);
            String[] args = request.getRunArgsList().toArray(new String[0]);
            RunCommand run = RunArgs.parse(args, null);
            String refusal = refusal(run, shimPid);
            if (refusal != null) {
                reply(l, conn, RunReply.newBuilder().setRefused(refusal));
                return;
            }
            reply(l, conn, RunReply.newBuilder().setAccepted(true));
            PrintStream err = new PrintStream(new FdOutputStream(l, errFd), true);
            Path cwd = request.getCwd().isEmpty() ? null : Path.of(request.getCwd());
            ShimLink link = new ShimLink(control, fdChannel, shimPid, err);
            control = -1; // the sandbox owns both sockets now
            fdChannel = -1;
            int code = run.runSandbox(link, cwd, Startup.ready(l, "nsentry-sentry-" + shimPid));
            err.flush();
            reply(l, conn, RunReply.newBuilder().setExitCode(code));
        } catch (LinuxException | FrameException | IOException e) {
            log.println("nsentry: sentry server: shim " + shimPid + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException bug) { // the shim sees its control socket end: exit 125
            log.println("nsentry: sentry server: internal error in the sandbox of shim " + shimPid + ": " + bug);
            bug.printStackTrace(log);
        } finally {
            for (int fd : new int[] {control, fdChannel, errFd, conn}) {
                closeQuietly(l, fd);
            }
            end();
        }
    }

    /** Why this server will not run {@code run} (null: it will; "": routine, nothing to report). */
    private String refusal(RunCommand run, int shimPid) {
        if (stopping) {
            return "the server is stopping";
        }
        if (!sameView(shimPid)) { // paths the sentry resolves (exec'd programs, /proc) would differ
            return "the server runs in another root directory or mount namespace than this nsentry run";
        }
        if (run == null) {
            return ""; // help, version, a usage error: picocli's output, in a sentry JVM, silently
        }
        if (run.home() == null || !Path.of(run.home()).equals(Path.of(home))) {
            return "the server runs the nsentry of " + home + ", not of " + run.home();
        }
        if (jarChanged()) {
            stop(); // rebuilt: every later run would be refused too
            return "the server's nsentry.jar was rebuilt since it started; the server exits";
        }
        return null;
    }

    /** Whether the shim (blocked on our answer, so its pid is its own) sees the files this process sees. */
    private static boolean sameView(int shimPid) {
        try {
            return Files.isSameFile(Path.of("/proc/" + shimPid + "/root"), Path.of("/proc/self/root"))
                    && Files.readSymbolicLink(Path.of("/proc/" + shimPid + "/ns/mnt"))
                            .equals(Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")));
        } catch (IOException e) {
            return false;
        }
    }

    private boolean jarChanged() {
        try {
            return !Files.getLastModifiedTime(jar).equals(jarTime) || Files.size(jar) != jarSize;
        } catch (IOException e) {
            return true;
        }
    }

    /** Waits until {@code conn} has input (or its end), at most until {@code deadline}. */
    private static void awaitInput(Linux l, int conn, long deadline) throws IOException {
        int left = (int) (deadline - System.currentTimeMillis());
        if (left <= 0 || !l.pollReadable(conn, left)) {
            throw new IOException("no request within " + REQUEST_TIMEOUT_MS / 1000 + " s");
        }
    }

    private static RunRequest readRequest(Linux l, int conn, long deadline) throws IOException, FrameException {
        FrameReader<ShimMessage> reader = FrameCodec.shimMessageReader();
        byte[] buf = new byte[64 << 10];
        while (true) {
            ShimMessage m = reader.next();
            if (m != null) {
                if (!m.hasRunRequest()) {
                    throw new IOException("expected a RunRequest, got " + m.getBodyCase());
                }
                return m.getRunRequest();
            }
            awaitInput(l, conn, deadline);
            int n = l.read(conn, buf);
            if (n == 0) {
                reader.endOfInput();
                throw new IOException("the shim closed the connection before its request");
            }
            reader.feed(buf, 0, n);
        }
    }

    private static void reply(Linux l, int conn, RunReply.Builder reply) {
        byte[] frame = FrameCodec.encode(SentryMessage.newBuilder().setRunReply(reply).build());
        l.sendAll(conn, frame, 0, frame.length);
    }

    // ------------------------------------------------------------------ lifetime

    private synchronized void begin() {
        active++;
        served++;
    }

    private synchronized void end() {
        active--;
        idleSinceMs = System.currentTimeMillis();
        notifyAll();
    }

    private synchronized void waitForSandboxes() {
        while (active > 0) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Stops accepting; the sandboxes running go on to their end. */
    void stop() {
        stopping = true;
        if (listenFd >= 0) {
            try {
                linux.shutdown(listenFd); // wakes the accept
            } catch (LinuxException e) {
                // the accept loop ends on the flag at its next connection
            }
        }
    }

    private void watchIdle() {
        while (!stopping) {
            try {
                Thread.sleep(Math.min(1000, idleExitMs));
            } catch (InterruptedException e) {
                return;
            }
            synchronized (this) {
                if (active == 0 && System.currentTimeMillis() - idleSinceMs >= idleExitMs) {
                    log.println("nsentry: sentry server: no sandbox for " + idleExitMs / 1000 + " s (" + served
                            + " served); exiting");
                    log.flush();
                    stop();
                }
            }
        }
    }

    private void removeSocket() {
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            // the next server removes it
        }
    }

    /** Whether a server answers on {@code path} (a connection is accepted). */
    private static boolean answers(Path path) {
        try (var ch = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(path))) {
            return ch.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    private static void closeQuietly(Linux l, int fd) {
        if (fd >= 0) {
            try {
                l.close(fd);
            } catch (LinuxException e) {
                // released all the same
            }
        }
    }

    /** Writes to an fd this process received (the shim's stderr), unbuffered. */
    private static final class FdOutputStream extends OutputStream {
        private final Linux linux;
        private final int fd;

        FdOutputStream(Linux linux, int fd) {
            this.linux = linux;
            this.fd = fd;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            byte[] rest = Arrays.copyOfRange(b, off, off + len);
            try {
                while (rest.length > 0) {
                    int n = linux.write(fd, rest);
                    rest = Arrays.copyOfRange(rest, n, rest.length);
                }
            } catch (LinuxException e) {
                throw new IOException(e.getMessage(), e);
            }
        }
    }
}
