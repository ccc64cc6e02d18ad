package nsentry.sentry.debug;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import nsentry.procfs.ProcWords;

/**
 * Where debug sockets live: one directory per user, mode 0700, holding one socket
 * {@code <sandbox-id>.sock} (mode 0600) per running sandbox; the directory is the registry
 * {@code nsentry ps} lists. The directory is {@code /run/user/UID/nsentry} when the user
 * has a runtime directory ({@code /run/user/UID} owned by UID), else {@code /tmp/nsentry-UID};
 * the choice depends only on the uid, so every client finds the sockets without the
 * sandbox's environment.
 */
public final class DebugPaths {
    private DebugPaths() {}

    static final String SUFFIX = ".sock";

    /** The directory the sentry of a sandbox owned by {@code uid} uses. */
    public static Path dirFor(int uid) {
        Path run = Path.of("/run/user/" + Integer.toUnsignedString(uid));
        try {
            Map<String, Object> a = Files.readAttributes(run, "unix:uid,isDirectory", LinkOption.NOFOLLOW_LINKS);
            if (Boolean.TRUE.equals(a.get("isDirectory")) && ((Integer) a.get("uid")) == uid) {
                return run.resolve("nsentry");
            }
        } catch (IOException | UnsupportedOperationException e) {
            // no runtime directory: fall back to /tmp
        }
        return Path.of("/tmp/nsentry-" + Integer.toUnsignedString(uid));
    }

    /** Every directory a sandbox of {@code uid} may have used (clients probe all of them). */
    public static List<Path> candidateDirs(int uid) {
        List<Path> dirs = new ArrayList<>();
        dirs.add(Path.of("/run/user/" + Integer.toUnsignedString(uid) + "/nsentry"));
        dirs.add(Path.of("/tmp/nsentry-" + Integer.toUnsignedString(uid)));
        return dirs;
    }

    /** Every user's directory that exists (for root's {@code nsentry ps}). */
    public static List<Path> allDirs() {
        List<Path> dirs = new ArrayList<>();
        try (var users = Files.newDirectoryStream(Path.of("/run/user"))) {
            for (Path u : users) {
                Path d = u.resolve("nsentry");
                if (Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                    dirs.add(d);
                }
            }
        } catch (IOException e) {
            // no /run/user
        }
        try (var tmp = Files.newDirectoryStream(Path.of("/tmp"), "nsentry-[0-9]*")) {
            for (Path d : tmp) {
                if (Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                    dirs.add(d);
                }
            }
        } catch (IOException e) {
            // unreadable /tmp
        }
        return dirs;
    }

    /**
     * Creates {@code dir} with mode 0700 if needed and checks that it is safe to serve from:
     * a real directory (not a symlink) owned by {@code uid}, with no access for others
     * (the mode is corrected if it is ours). Throws with the reason otherwise: someone
     * else may have planted it in /tmp.
     */
    public static Path ensureDir(Path dir, int uid) throws IOException {
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            // check it below
        }
        Map<String, Object> a = Files.readAttributes(dir, "unix:uid,mode,isDirectory,isSymbolicLink",
                LinkOption.NOFOLLOW_LINKS);
        if (Boolean.TRUE.equals(a.get("isSymbolicLink")) || !Boolean.TRUE.equals(a.get("isDirectory"))) {
            throw new IOException(dir + " is not a directory (refusing to put a debug socket there)");
        }
        int owner = (Integer) a.get("uid");
        if (owner != uid) {
            throw new IOException(dir + " belongs to uid " + owner + ", not " + uid
                    + " (refusing to put a debug socket there)");
        }
        if (((Integer) a.get("mode") & 0077) != 0) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
        return dir;
    }

    /** The sandbox id a socket file names, or null if it is not a debug socket's name. */
    public static String idOf(Path socket) {
        String name = socket.getFileName().toString();
        if (!name.endsWith(SUFFIX)) {
            return null;
        }
        String id = name.substring(0, name.length() - SUFFIX.length());
        return id.matches("[0-9]+") ? id : null;
    }

    // ------------------------------------------------------------------ /proc facts

    /** Real and effective uid of process {@code pid} (from /proc/PID/status), or null if gone. */
    public static int[] uids(String pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("Uid:")) {
                    String[] f = ProcWords.of(line.substring(4));
                    return new int[] {Integer.parseUnsignedInt(f[0]), Integer.parseUnsignedInt(f[1])};
                }
            }
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    /** This process's real uid. */
    public static int myUid() {
        int[] u = uids("self");
        return u == null ? -1 : u[0];
    }

    /** This process's effective uid. */
    public static int myEuid() {
        int[] u = uids("self");
        return u == null ? -1 : u[1];
    }
}
