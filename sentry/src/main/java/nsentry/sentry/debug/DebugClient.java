package nsentry.sentry.debug;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Timer;
import java.util.TimerTask;

import nsentry.proto.DebugRequest;
import nsentry.proto.DebugResponse;
import nsentry.proto.DescribeSandbox;
import nsentry.proto.SandboxInfo;
import nsentry.syscall.FrameException;
import nsentry.syscall.FrameReader;

/**
 * The client side of the debug endpoint ({@code nsentry ps}, {@code nsentry ns}): finds a
 * sandbox by id or by any pid inside it, and asks its sentry. Every failure is a
 * {@link DebugException} whose message is meant for the user.
 */
public final class DebugClient {
    private DebugClient() {}

    /** How long a client waits for an answer. */
    static final long TIMEOUT_MS = 15_000;

    /** A user-facing failure: no such sandbox, permission denied, sandbox ended, ... */
    public static final class DebugException extends Exception {
        private static final long serialVersionUID = 1L;

        public DebugException(String message) {
            super(message, null, false, false);
        }
    }

    /** A sandbox found on disk: its id (the shim's pid) and socket. */
    public record Target(String id, Path socket) {}

    /**
     * The sandbox named by {@code arg}: a sandbox id, the nsentry (shim) pid, the sentry's
     * pid, or the pid of any process inside it (found by walking up to the shim).
     */
    public static Target locate(String arg) throws DebugException {
        if (!arg.matches("[0-9]{1,10}")) {
            throw new DebugException("not a sandbox id or pid: '" + arg + "' (see `nsentry ps` for the running sandboxes)");
        }
        int pid = Integer.parseInt(arg);
        if (!Files.isDirectory(Path.of("/proc/" + pid))) {
            // The process is gone. A leftover socket by that id means its sandbox ended.
            for (Path dir : DebugPaths.candidateDirs(DebugPaths.myUid())) {
                if (Files.exists(dir.resolve(pid + DebugPaths.SUFFIX), LinkOption.NOFOLLOW_LINKS)) {
                    throw new DebugException("sandbox " + pid + " has ended");
                }
            }
            throw new DebugException("no such sandbox or process: " + pid);
        }
        int shim = findShim(pid);
        if (shim < 0) {
            throw new DebugException("process " + pid + " is not inside an nsentry sandbox"
                    + " (no nsentry-shim among its ancestors; see `nsentry ps` for the running sandboxes)");
        }
        int[] uids = DebugPaths.uids(Integer.toString(shim));
        if (uids == null) {
            throw new DebugException("sandbox " + shim + " has ended");
        }
        boolean denied = false;
        for (Path dir : DebugPaths.candidateDirs(uids[0])) {
            Path sock = dir.resolve(shim + DebugPaths.SUFFIX);
            try {
                Files.readAttributes(sock, "unix:uid", LinkOption.NOFOLLOW_LINKS);
                return new Target(Integer.toString(shim), sock);
            } catch (AccessDeniedException e) {
                denied = true;
            } catch (IOException | UnsupportedOperationException e) {
                // not in this directory
            }
        }
        if (denied || (uids[0] != DebugPaths.myEuid() && DebugPaths.myEuid() != 0)) {
            throw new DebugException(permissionDenied(Integer.toString(shim), uids[0]));
        }
        throw new DebugException("sandbox " + shim + " has no debug socket (it is starting or ending, or its"
                + " nsentry has no debug endpoint)");
    }

    static String permissionDenied(String id, int ownerUid) {
        return "permission denied: sandbox " + id + " belongs to uid " + Integer.toUnsignedString(ownerUid)
                + "; only its owner and root may inspect it";
    }

    /** The shim among {@code pid} and its ancestors (the pid users see as `nsentry`), or -1. */
    static int findShim(int pid) {
        int p = pid;
        for (int depth = 0; depth < 4096 && p > 1; depth++) {
            if (isShim(p)) {
                return p;
            }
            int ppid = ppid(p);
            if (ppid <= 0 || ppid == p) {
                return -1;
            }
            p = ppid;
        }
        return -1;
    }

    static boolean isShim(int pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/comm"), StandardCharsets.UTF_8).trim()
                    .equals("nsentry-shim");
        } catch (IOException e) {
            return false;
        }
    }

    private static int ppid(int pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("PPid:")) {
                    return Integer.parseInt(line.substring(5).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** The running sandboxes this user may inspect (all users' for root), oldest first. */
    public static List<SandboxInfo> list() {
        List<Path> dirs = DebugPaths.myEuid() == 0 ? DebugPaths.allDirs()
                : DebugPaths.candidateDirs(DebugPaths.myEuid());
        List<SandboxInfo> out = new ArrayList<>();
        for (Path dir : dirs) {
            List<Path> sockets = new ArrayList<>();
            try (var entries = Files.newDirectoryStream(dir, "*" + DebugPaths.SUFFIX)) {
                entries.forEach(sockets::add);
            } catch (IOException e) {
                continue;
            }
            for (Path sock : sockets) {
                String id = DebugPaths.idOf(sock);
                if (id == null) {
                    continue;
                }
                try {
                    DebugResponse r = request(new Target(id, sock),
                            DebugRequest.newBuilder().setDescribeSandbox(DescribeSandbox.getDefaultInstance()).build());
                    out.add(r.getSandbox());
                } catch (DebugException e) {
                    removeIfStale(id, sock);
                }
            }
        }
        out.sort((a, b) -> Long.compare(a.getStartedUnixMs(), b.getStartedUnixMs()));
        return out;
    }

    /** Removes a socket left by a sandbox whose shim is gone (the sentry was killed). */
    private static void removeIfStale(String id, Path sock) {
        if (!Files.isDirectory(Path.of("/proc/" + id)) || !isShim(Integer.parseInt(id))) {
            try {
                Files.deleteIfExists(sock);
            } catch (IOException e) {
                // not ours
            }
        }
    }

    /** Sends one request and returns the answer; an error answer becomes a DebugException. */
    public static DebugResponse request(Target target, DebugRequest request) throws DebugException {
        return exchange(target, List.of(request)).get(0);
    }

    /** Sends the requests on one connection, in order, and returns their answers. */
    public static List<DebugResponse> exchange(Target target, List<DebugRequest> requests) throws DebugException {
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (IOException e) {
            throw new DebugException("cannot open a unix socket: " + e.getMessage());
        }
        Timer watchdog = new Timer("nsentry-debug-timeout", true);
        boolean[] timedOut = {false};
        watchdog.schedule(new TimerTask() {
            @Override
            public void run() {
                timedOut[0] = true;
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }, TIMEOUT_MS);
        try (ch) {
            try {
                ch.connect(UnixDomainSocketAddress.of(target.socket()));
            } catch (IOException e) {
                throw connectFailure(target, e);
            }
            var out = Channels.newOutputStream(ch);
            FrameReader<DebugResponse> reader = new FrameReader<>(DebugResponse.parser(),
                    DebugServer.MAX_RESPONSE_BYTES);
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            List<DebugResponse> answers = new ArrayList<>();
            for (DebugRequest request : requests) {
                request.writeDelimitedTo(out);
                DebugResponse r;
                while ((r = reader.next()) == null) {
                    buf.clear();
                    if (ch.read(buf) < 0) {
                        throw new DebugException("sandbox " + target.id() + " ended before answering");
                    }
                    buf.flip();
                    reader.feed(buf);
                }
                if (r.getBodyCase() == DebugResponse.BodyCase.ERROR) {
                    throw new DebugException(r.getError().equals("sandbox ended") ? "sandbox " + target.id()
                            + " has ended" : "sandbox " + target.id() + ": " + r.getError());
                }
                answers.add(r);
            }
            return answers;
        } catch (FrameException e) {
            throw new DebugException("bad answer from sandbox " + target.id() + ": " + e.getMessage());
        } catch (IOException e) {
            if (timedOut[0]) {
                throw new DebugException("sandbox " + target.id() + " did not answer within " + TIMEOUT_MS + " ms");
            }
            throw new DebugException("sandbox " + target.id() + " ended before answering (" + e.getMessage() + ")");
        } finally {
            watchdog.cancel();
        }
    }

    private static DebugException connectFailure(Target target, IOException e) {
        String m = String.valueOf(e.getMessage());
        if (e instanceof AccessDeniedException || m.contains("Permission denied")) {
            int owner = -1;
            try {
                Map<String, Object> a = Files.readAttributes(target.socket(), "unix:uid", LinkOption.NOFOLLOW_LINKS);
                owner = (Integer) a.get("uid");
            } catch (IOException | RuntimeException ignored) {
                int[] u = DebugPaths.uids(target.id());
                owner = u == null ? -1 : u[0];
            }
            return new DebugException(permissionDenied(target.id(), owner));
        }
        if (e instanceof NoSuchFileException || m.contains("Connection refused") || m.contains("No such file")) {
            return new DebugException("sandbox " + target.id() + " has ended");
        }
        return new DebugException("cannot connect to sandbox " + target.id() + " (" + target.socket() + "): " + m);
    }
}
