package nsentry.sentry.calls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Turns a path a task passed (absolute, cwd-relative or dirfd-relative, with
 * {@code /proc/self} and {@code /proc/thread-self}) into the absolute, normalised path the
 * procfs model classifies — or null when it cannot be under /proc, decided as cheaply as
 * possible because every intercepted open passes here.
 */
public final class ProcPaths {
    /** AT_FDCWD */
    public static final int AT_FDCWD = -100;

    private ProcPaths() {}

    /**
     * @param tid the calling thread
     * @param tgid its thread group
     * @param dirfd the dirfd argument (AT_FDCWD for cwd)
     * @param path the path the task passed
     * @return the normalised absolute path, or null if it is not under /proc (or unresolvable)
     */
    public static String resolve(int tid, int tgid, int dirfd, String path) {
        String base;
        if (path.startsWith("/")) {
            if (!path.startsWith("/proc")) {
                return null;
            }
            base = "";
        } else {
            base = readlink(dirfd == AT_FDCWD ? "/proc/" + tid + "/cwd" : "/proc/" + tid + "/fd/" + dirfd);
            if (base == null || !base.startsWith("/proc")) {
                return null;
            }
        }
        String normalised = normalise(base + "/" + path, tid, tgid);
        return normalised.equals("/proc") || normalised.startsWith("/proc/") ? normalised : null;
    }

    /**
     * Where {@code path}, as task {@code tid} would look it up (relative to its root, its
     * cwd or {@code dirfd}), is found from the sentry: through /proc/TID/{root,cwd,fd/N}.
     */
    public static String taskView(int tid, int dirfd, String path) {
        if (path.startsWith("/")) {
            return "/proc/" + tid + "/root" + path;
        }
        return (dirfd == AT_FDCWD ? "/proc/" + tid + "/cwd/" : "/proc/" + tid + "/fd/" + dirfd + "/") + path;
    }

    /** Lexical normalisation ('.', '..', '//'), with self and thread-self expanded. */
    static String normalise(String path, int tid, int tgid) {
        Deque<String> parts = new ArrayDeque<>();
        for (String p : path.split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                parts.pollLast();
                continue;
            }
            if (parts.size() == 1 && "proc".equals(parts.peekLast())) {
                if (p.equals("self")) {
                    parts.add(Integer.toString(tgid));
                    continue;
                }
                if (p.equals("thread-self")) {
                    parts.add(Integer.toString(tgid));
                    parts.add("task");
                    parts.add(Integer.toString(tid));
                    continue;
                }
            }
            parts.add(p);
        }
        StringBuilder sb = new StringBuilder(path.length());
        for (String p : parts) {
            sb.append('/').append(p);
        }
        return sb.length() == 0 ? "/" : sb.toString();
    }

    static String readlink(String link) {
        try {
            return Files.readSymbolicLink(Path.of(link)).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }
}
