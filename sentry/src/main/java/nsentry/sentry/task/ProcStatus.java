package nsentry.sentry.task;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import nsentry.procfs.ProcWords;
import nsentry.syscall.Linux;

/** The facts nsentry reads from the real {@code /proc/<tid>/status} and children lists. */
public record ProcStatus(String name, char state, int tgid, int ppid, int threads) {

    /**
     * Reads /proc/<tid>/status; null if the thread is gone. The fields read come before
     * the Groups line ends, so the first 4 KiB almost always hold them all; a longer file
     * (thousands of supplementary groups) is read whole.
     */
    public static ProcStatus read(Linux linux, int tid) {
        String path = "/proc/" + tid + "/status";
        byte[] buf = new byte[4096];
        int n = linux.readFileRaw(path, buf);
        if (n < 0) {
            return null;
        }
        if (n == buf.length) {
            try {
                return parse(Files.readString(Path.of(path), StandardCharsets.UTF_8));
            } catch (IOException e) {
                return null;
            }
        }
        return parse(new String(buf, 0, n, StandardCharsets.UTF_8));
    }

    static ProcStatus parse(String text) {
        String name = "";
        char state = '?';
        int tgid = -1;
        int ppid = -1;
        int threads = 1;
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            int colon = text.indexOf(':', start);
            if (colon >= 0 && colon < end) {
                String key = text.substring(start, colon);
                switch (key) {
                    case "Name" -> name = text.substring(colon + 1, end).trim();
                    case "State" -> {
                        String value = text.substring(colon + 1, end).trim();
                        state = value.isEmpty() ? '?' : value.charAt(0);
                    }
                    case "Tgid" -> tgid = Integer.parseInt(text.substring(colon + 1, end).trim());
                    case "PPid" -> ppid = Integer.parseInt(text.substring(colon + 1, end).trim());
                    case "Threads" -> threads = Integer.parseInt(text.substring(colon + 1, end).trim());
                    default -> { }
                }
            }
            start = end + 1;
        }
        return new ProcStatus(name, state, tgid, ppid, threads);
    }

    public boolean isZombie() {
        return state == 'Z' || state == 'X';
    }

    /** Children of every thread of process {@code pid} (/proc/PID/task/TID/children). */
    public static List<Integer> children(int pid) {
        List<Integer> result = new ArrayList<>();
        try (var threads = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
            for (Path thread : threads) {
                String text;
                try {
                    text = Files.readString(thread.resolve("children"));
                } catch (IOException e) {
                    continue;
                }
                for (String c : ProcWords.of(text)) {
                    result.add(Integer.parseInt(c));
                }
            }
        } catch (IOException e) {
            return result;
        }
        return result;
    }

    /** Thread ids of process {@code pid}. */
    public static List<Integer> threads(int pid) {
        List<Integer> result = new ArrayList<>();
        try (var threads = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
            for (Path thread : threads) {
                result.add(Integer.parseInt(thread.getFileName().toString()));
            }
        } catch (IOException | NumberFormatException e) {
            return result;
        }
        return result;
    }
}
