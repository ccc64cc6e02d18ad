package nsentry.procfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;

import org.junit.jupiter.api.Test;

class ProcWordsTest {

    /** The words split("\\s+") finds in the trimmed text, which is what ProcWords replaces. */
    private static String[] regexWords(String text) {
        String t = text.strip();
        return t.isEmpty() ? new String[0] : t.split("\\s+");
    }

    @Test
    void splitsLikeTheRegexItReplaces() {
        String[] samples = {"", " ", "0 1000 1", "         0          0 4294967295\n", "\t12\t\t34 \r\n", "a", "  a  b  "};
        for (String s : samples) {
            assertArrayEquals(regexWords(s), ProcWords.of(s), () -> "for \"" + s + "\"");
        }
    }

    @Test
    void randomTextSplitsLikeTheRegex() {
        Random r = new Random(8);
        char[] alphabet = {' ', '\t', '\n', '\u000b', '\f', '\r', '0', '7', 'x', '-'};
        for (int round = 0; round < 5000; round++) {
            char[] c = new char[r.nextInt(40)];
            for (int i = 0; i < c.length; i++) {
                c[i] = alphabet[r.nextInt(alphabet.length)];
            }
            String s = new String(c);
            assertArrayEquals(regexWords(s), ProcWords.of(s), () -> "for \"" + s.replace("\n", "\\n") + "\"");
        }
    }
}
