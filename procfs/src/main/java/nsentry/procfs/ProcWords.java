package nsentry.procfs;

import java.util.Arrays;

/**
 * The whitespace-separated words of a line of /proc text ("0 1000 1" of a uid_map, the pids
 * of a children file), split without a regular expression: {@code split("\\s+")} compiles
 * one per call, and its first use cost ~3 ms of the sentry's start-up (BENCHMARKS.md).
 */
public final class ProcWords {
    private ProcWords() {}

    /** The words of {@code text}, split at ASCII whitespace; leading and trailing space is ignored. */
    public static String[] of(String text) {
        String[] words = new String[8];
        int n = 0;
        int i = 0;
        int len = text.length();
        while (i < len) {
            while (i < len && isSpace(text.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < len && !isSpace(text.charAt(i))) {
                i++;
            }
            if (i > start) {
                if (n == words.length) {
                    words = Arrays.copyOf(words, n * 2);
                }
                words[n++] = text.substring(start, i);
            }
        }
        return Arrays.copyOf(words, n);
    }

    /** What {@code \s} matches: space, \t, \n, \u000B, \f, \r. */
    private static boolean isSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }
}
