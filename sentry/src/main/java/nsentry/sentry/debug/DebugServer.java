package nsentry.sentry.debug;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import nsentry.abi.Errno;
import nsentry.proto.DebugRequest;
import nsentry.proto.DebugResponse;
import nsentry.sentry.runtime.Kernel;
import nsentry.syscall.FrameException;
import nsentry.syscall.FrameReader;
import nsentry.syscall.Linux;
import nsentry.syscall.LinuxException;

/**
 * The debug endpoint of one sandbox: a unix stream socket ({@link DebugPaths}) that answers
 * {@link DebugRequest}s (varint32-framed, like the control channel) for {@code nsentry ps}
 * and {@code nsentry ns}. The socket is served on threads of its own; every look at the
 * model is handed to the sentry's event loop (single writer, no locks) and the answer
 * comes back as a future. Only the sandbox's owner and root may connect: the directory is
 * 0700, the socket 0600, and the peer's SO_PEERCRED is checked again. The socket is removed
 * when the sandbox ends ({@link #close()}, also on the fail-closed path, and by a shutdown
 * hook if the JVM exits another way).
 */
public final class DebugServer implements AutoCloseable {
    /** Largest request accepted (requests are a few bytes). */
    static final int MAX_REQUEST_BYTES = 4096;
    /** Largest response a client accepts: a big sandbox's task list exceeds the control channel's 1 MiB. */
    public static final int MAX_RESPONSE_BYTES = 64 << 20;
    /** How long a request may wait for the event loop. */
    static final long LOOP_TIMEOUT_MS = 5000;
    private static final int MAX_CONNECTIONS = 8;

    private final Linux linux;
    // Set once by bind(), on the thread that then runs the accept loop.
    private volatile Path socket;
    private volatile SocketFd server;
    private volatile DebugService service;
    private volatile int ownerUid;
    private final Set<SocketFd> connections = ConcurrentHashMap.newKeySet();
    private final Set<CompletableFuture<DebugResponse>> inflight = ConcurrentHashMap.newKeySet();
    private final Semaphore slots = new Semaphore(MAX_CONNECTIONS);
    private final Thread hook = new Thread(this::removeSocket, "nsentry-debug-cleanup");
    private volatile boolean closed;

    private DebugServer(Linux linux) {
        this.linux = linux;
    }

    /**
     * A socket that one thread uses and closes while another may shut it down: the lock
     * keeps a shutdown from reaching an fd number that was closed and reused meanwhile.
     * (The sockets are made with system calls through jffi, not the JDK's unix-domain
     * channels, whose first use sets up the JDK's networking and a SecureRandom: ~25 ms of
     * CPU that competed with the workload's first calls, BENCHMARKS.md.)
     */
    private static final class SocketFd {
        private final Linux linux;
        final int fd;
        private boolean open = true;

        SocketFd(Linux linux, int fd) {
            this.linux = linux;
            this.fd = fd;
        }

        /** Wakes the thread blocked in accept or read on it. */
        synchronized void shutdown() {
            if (open) {
                try {
                    linux.shutdown(fd);
                } catch (LinuxException e) {
                    // nothing is blocked on it then
                }
            }
        }

        synchronized void close() {
            if (open) {
                open = false;
                try {
                    linux.close(fd);
                } catch (LinuxException e) {
                    // the fd is released by the kernel even when close reports an error
                }
            }
        }
    }

    /**
     * Starts the endpoint of the sandbox whose shim is {@code shimPid} (its id), on a thread
     * of its own (the caller, the event loop, does no I/O for it). Never throws: without an
     * endpoint the sandbox still runs, and a warning on {@code err} says why.
     */
    public static DebugServer start(Kernel kernel, int shimPid, PrintStream err) {
        DebugServer s = new DebugServer(kernel.linux());
        Thread t = new Thread(() -> {
            try {
                if (shimPid <= 1) {
                    throw new IOException("cannot find the shim (pid " + shimPid + ")");
                }
                String id = Integer.toString(shimPid);
                int uid = DebugPaths.myEuid();
                Path dir = DebugPaths.ensureDir(DebugPaths.dirFor(uid), uid);
                Path socket = dir.resolve(id + DebugPaths.SUFFIX);
                s.bind(socket, new KernelDebugService(kernel, id, shimPid, uid, socket));
            } catch (IOException | RuntimeException e) {
                err.println("nsentry: debug endpoint unavailable (nsentry ps/ns will not see this sandbox): "
                        + e.getMessage());
                err.flush();
                return;
            }
            s.acceptLoop();
        }, "nsentry-debug");
        t.setDaemon(true);
        t.start();
        return s;
    }

    /** Serves {@code service} on {@code socket} (its directory must exist and be private). */
    public static DebugServer start(Linux linux, Path socket, DebugService service) throws IOException {
        DebugServer s = new DebugServer(linux);
        s.bind(socket, service);
        Thread acceptor = new Thread(s::acceptLoop, "nsentry-debug");
        acceptor.setDaemon(true);
        acceptor.start();
        return s;
    }

    /**
     * Binds the socket unless the server was closed first (the sandbox ended while starting).
     * The binding itself is done outside the lock, so {@link #close()} never waits for it.
     */
    private void bind(Path path, DebugService svc) throws IOException {
        if (closed) {
            return;
        }
        Files.deleteIfExists(path); // a stale socket of a sandbox that died with this pid
        SocketFd ch;
        try {
            ch = new SocketFd(linux, linux.listenUnix(path.toString(), MAX_CONNECTIONS));
        } catch (LinuxException e) {
            throw new IOException(e.getMessage(), e);
        }
        int dirOwner;
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            dirOwner = (Integer) Files.getAttribute(path.getParent(), "unix:uid");
        } catch (IOException | RuntimeException e) {
            ch.close();
            Files.deleteIfExists(path);
            throw e;
        }
        synchronized (this) {
            if (!closed) {
                this.service = svc;
                this.ownerUid = dirOwner;
                this.socket = path;
                this.server = ch;
                Runtime.getRuntime().addShutdownHook(hook);
                return;
            }
        }
        ch.close(); // closed while binding: nobody will serve or remove it
        Files.deleteIfExists(path);
    }

    /** The socket's path, null before it is bound. */
    public Path socket() {
        return socket;
    }

    private void acceptLoop() {
        SocketFd server = this.server;
        if (server == null) {
            return;
        }
        try {
            while (!closed) {
                SocketFd ch;
                try {
                    ch = new SocketFd(linux, linux.accept(server.fd));
                } catch (LinuxException e) {
                    return; // shut down by close()
                }
                if (closed || !slots.tryAcquire()) {
                    ch.close();
                    continue;
                }
                connections.add(ch);
                if (closed) { // close() may have shut the others down before this one was added
                    connections.remove(ch);
                    ch.close();
                    slots.release();
                    continue;
                }
                Thread t = new Thread(() -> {
                    try {
                        serve(ch);
                    } finally {
                        connections.remove(ch);
                        ch.close();
                        slots.release();
                    }
                }, "nsentry-debug-client");
                t.setDaemon(true);
                t.start();
            }
        } finally {
            server.close();
        }
    }

    private void serve(SocketFd ch) {
        OutputStream out = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                try {
                    linux.sendAll(ch.fd, b, off, len);
                } catch (LinuxException e) {
                    throw new IOException(e.getMessage(), e);
                }
            }
        };
        try {
            String refused = checkPeer(ch);
            if (refused != null) {
                DebugResponse.newBuilder().setError(refused).build().writeDelimitedTo(out);
                return;
            }
            FrameReader<DebugRequest> reader = new FrameReader<>(DebugRequest.parser(), MAX_REQUEST_BYTES);
            byte[] buf = new byte[512];
            while (!closed) {
                DebugRequest req;
                while ((req = reader.next()) == null) {
                    int n;
                    try {
                        n = linux.read(ch.fd, buf);
                    } catch (LinuxException e) {
                        if (e.errno() == Errno.EINTR) {
                            continue;
                        }
                        return; // the client went away
                    }
                    if (n == 0) {
                        reader.endOfInput();
                        return;
                    }
                    reader.feed(buf, 0, n);
                }
                answer(req).writeDelimitedTo(out);
            }
        } catch (FrameException e) {
            try {
                DebugResponse.newBuilder().setError("bad request: " + e.getMessage()).build().writeDelimitedTo(out);
            } catch (IOException ignored) {
                // the client is gone
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    /** Only the socket's owner and root (defence in depth behind the 0700 directory). */
    private String checkPeer(SocketFd ch) {
        int peer;
        try {
            peer = linux.peerUid(ch.fd);
        } catch (LinuxException e) {
            return null; // the file permissions still apply
        }
        if (peer == ownerUid || peer == 0) {
            return null;
        }
        return "permission denied: only the sandbox's owner (uid " + ownerUid + ") and root may inspect it";
    }

    /** Runs the request on the event loop and waits for its answer. */
    DebugResponse answer(DebugRequest req) {
        CompletableFuture<DebugResponse> f = new CompletableFuture<>();
        inflight.add(f);
        try {
            if (closed) {
                return ended();
            }
            service.execute(() -> {
                try {
                    f.complete(service.handle(req));
                } catch (RuntimeException e) {
                    f.complete(error("internal error: " + e));
                }
            });
            return f.get(LOOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            return ended();
        } catch (TimeoutException e) {
            return error("the sentry did not answer within " + LOOP_TIMEOUT_MS + " ms (its event loop is busy)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ended();
        } catch (ExecutionException e) {
            return error("internal error: " + e.getCause());
        } finally {
            inflight.remove(f);
        }
    }

    static DebugResponse error(String message) {
        return DebugResponse.newBuilder().setError(message).build();
    }

    static DebugResponse ended() {
        return error("sandbox ended");
    }

    /** Stops serving, answers waiting requests with "sandbox ended" and removes the socket. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (server == null) {
            return; // never bound
        }
        removeSocket();
        server.shutdown(); // the accept loop returns and closes it
        for (CompletableFuture<DebugResponse> f : inflight) {
            f.complete(ended());
        }
        for (SocketFd c : connections) {
            c.shutdown(); // each connection's thread closes its own
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // shutting down: the hook runs anyway
        }
    }

    private void removeSocket() {
        Path path = socket;
        if (path == null) {
            return;
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // nothing more to do; clients treat a refused connection as a stale socket
        }
    }

    /** What the endpoint serves: requests answered on a given executor (the event loop). */
    public interface DebugService {
        /** Runs {@code task} on the thread that owns the model. */
        void execute(Runnable task);

        /** Answers one request; called on that thread. */
        DebugResponse handle(DebugRequest request);
    }
}
