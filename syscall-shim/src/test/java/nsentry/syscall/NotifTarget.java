package nsentry.syscall;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs src/test/c/notif_target.c (compiled with gcc on first use) and takes its seccomp
 * listener with pidfd_open + pidfd_getfd. Used by the tests and the NotifLatency benchmark.
 */
public final class NotifTarget implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;
    private final OutputStream in;
    private final int pidfd;
    private final SeccompListener listener;
    private final Linux linux;

    private NotifTarget(Linux linux, Process process, BufferedReader out, int pidfd, SeccompListener listener) {
        this.linux = linux;
        this.process = process;
        this.out = out;
        this.in = process.getOutputStream();
        this.pidfd = pidfd;
        this.listener = listener;
    }

    /** The compiled helper, or a reason it cannot be built (no gcc, no source). */
    public static Path compile() throws IOException, InterruptedException {
        Path src = Path.of(System.getProperty("nsentry.notifTarget.src", "src/test/c/notif_target.c"));
        if (!Files.isRegularFile(src)) {
            throw new IOException("helper source " + src.toAbsolutePath() + " not found (run from syscall-shim/ "
                    + "or set -Dnsentry.notifTarget.src)");
        }
        Path dir = Path.of(System.getProperty("nsentry.notifTarget.dir", "target/test-helpers"));
        Files.createDirectories(dir);
        Path exe = dir.resolve("notif_target");
        if (Files.isExecutable(exe) && Files.getLastModifiedTime(exe).compareTo(Files.getLastModifiedTime(src)) > 0) {
            return exe;
        }
        Path tmp = dir.resolve("notif_target.tmp" + ProcessHandle.current().pid());
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-O2", "-Wall", "-o", tmp.toString(), src.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("gcc not available: " + e.getMessage(), e);
        }
        String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (gcc.waitFor() != 0) {
            throw new IOException("gcc failed:\n" + log);
        }
        Files.move(tmp, exe, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return exe;
    }

    /** Starts the helper in {@code mode} and takes its listener; call {@link #go()} next. */
    public static NotifTarget start(Linux linux, Path exe, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(exe.toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String first = out.readLine();
        if (first == null || !first.startsWith("listener ")) {
            p.destroyForcibly();
            throw new IOException("helper did not report its listener: " + first);
        }
        int remoteFd = Integer.parseInt(first.substring("listener ".length()).trim());
        int pidfd = linux.pidfdOpen((int) p.pid(), 0);
        int listenerFd = linux.pidfdGetfd(pidfd, remoteFd);
        return new NotifTarget(linux, p, out, pidfd, new SeccompListener(linux, listenerFd));
    }

    public SeccompListener listener() {
        return listener;
    }

    public int pid() {
        return (int) process.pid();
    }

    public int pidfd() {
        return pidfd;
    }

    /** Lets the helper start its calls. */
    public void go() throws IOException {
        in.write("go\n".getBytes(StandardCharsets.US_ASCII));
        in.flush();
    }

    /** One line of output, or null at EOF. */
    public String readLine() throws IOException {
        return out.readLine();
    }

    /** All remaining output lines; waits for exit. */
    public List<String> rest() throws IOException, InterruptedException {
        List<String> lines = new ArrayList<>();
        String l;
        while ((l = out.readLine()) != null) {
            lines.add(l);
        }
        process.waitFor(10, TimeUnit.SECONDS);
        return lines;
    }

    public Process process() {
        return process;
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        listener.close();
        linux.close(pidfd);
    }
}
