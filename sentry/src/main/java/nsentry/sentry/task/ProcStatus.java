package nsentry.sentry.task;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import nsentry.procfs.ProcWords;

/** The facts nsentry reads from the real {@code /proc/<tid>/status} and children lists. */
public record ProcStatus(String name, char state, int tgid, int ppid, int threads) {

    /** Reads /proc/<tid>/status; null if the thread is gone. */
    public static ProcStatus read(int tid) {
        String text;
        try {
            text = Files.readString(Path.of("/proc/" + tid + "/status"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
        return parse(text);
    }

    static ProcStatus parse(String text) {
        String name = "";
        char state = '?';
        int tgid = -1;
        int ppid = -1;
        int threads = 1;
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon);
            String value = line.substring(colon + 1).trim();
            switch (key) {
                case "Name" -> name = value;
                case "State" -> state = value.isEmpty() ? '?' : value.charAt(0);
                case "Tgid" -> tgid = Integer.parseInt(value);
                case "PPid" -> ppid = Integer.parseInt(value);
                case "Threads" -> threads = Integer.parseInt(value);
                default -> { }
            }
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
