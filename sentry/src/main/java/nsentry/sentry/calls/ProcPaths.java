package nsentry.sentry.calls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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

    /**
     * Lexical normalisation ('.', '..', '//'), with self and thread-self expanded. One pass
     * over the characters (every intercepted open of a /proc path comes here).
     */
    static String normalise(String path, int tid, int tgid) {
        int n = path.length();
        StringBuilder sb = new StringBuilder(n + 16);
        int[] marks = new int[16]; // sb's length before each component, for '..'
        int depth = 0;
        int i = 0;
        while (i < n) {
            if (path.charAt(i) == '/') {
                i++;
                continue;
            }
            int j = path.indexOf('/', i);
            if (j < 0) {
                j = n;
            }
            int len = j - i;
            if (len == 1 && path.charAt(i) == '.') {
                i = j;
                continue;
            }
            if (len == 2 && path.charAt(i) == '.' && path.charAt(i + 1) == '.') {
                if (depth > 0) {
                    sb.setLength(marks[--depth]);
                }
                i = j;
                continue;
            }
            boolean underProc = depth == 1 && "/proc".contentEquals(sb);
            if (underProc && len == 4 && path.startsWith("self", i)) {
                marks = push(marks, depth++, sb.length());
                sb.append('/').append(tgid);
            } else if (underProc && len == 11 && path.startsWith("thread-self", i)) {
                marks = push(marks, depth++, sb.length());
                sb.append('/').append(tgid);
                marks = push(marks, depth++, sb.length());
                sb.append("/task");
                marks = push(marks, depth++, sb.length());
                sb.append('/').append(tid);
            } else {
                marks = push(marks, depth++, sb.length());
                sb.append('/').append(path, i, j);
            }
            i = j;
        }
        return sb.length() == 0 ? "/" : sb.toString();
    }

    private static int[] push(int[] marks, int at, int mark) {
        int[] m = at < marks.length ? marks : java.util.Arrays.copyOf(marks, marks.length * 2);
        m[at] = mark;
        return m;
    }

    static String readlink(String link) {
        try {
            return Files.readSymbolicLink(Path.of(link)).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }
}
