package nsentry.procfs;

/** Byte-level helpers that behave like the kernel's lib/ctype.c and lib/vsprintf.c. */
final class KernelText {
    private KernelText() {}

    /**
     * isspace() of the kernel's ctype table: space, \t, \n, \v, \f, \r and 0xA0 (Latin-1
     * non-breaking space, which the kernel also classes as space).
     */
    static boolean isspace(int c) {
        c &= 0xff;
        return c == ' ' || (c >= 9 && c <= 13) || c == 0xa0;
    }

    static boolean isdigit(int c) {
        c &= 0xff;
        return c >= '0' && c <= '9';
    }

    /** A printable rendering of a byte for messages. */
    static String show(int c) {
        c &= 0xff;
        if (c >= 0x21 && c < 0x7f) {
            return "'" + (char) c + "'";
        }
        return switch (c) {
            case ' ' -> "a space";
            case '\t' -> "a tab";
            case 0 -> "the end of the line";
            default -> String.format("byte 0x%02x", c);
        };
    }
}
