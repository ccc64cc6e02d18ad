package nsentry.abi;

/** open(2) flags (x86_64, include/uapi/asm-generic/fcntl.h), decoded the way strace prints them. */
public final class OpenFlags {
    private OpenFlags() {}

    public static final int O_ACCMODE = 03;
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 01;
    public static final int O_CREAT = 0100;
    public static final int O_TRUNC = 01000;
    public static final int O_NOCTTY = 0400;
    public static final int O_NONBLOCK = 04000;
    public static final int O_PATH = 010000000;
    public static final int O_CLOEXEC = 02000000;
    public static final int O_DIRECTORY = 0200000;

    private static final int[] BITS = {
        0100, 0200, 0400, 01000, 02000, 04000, 010000, 020000, 040000, 0100000, 0200000, 0400000, 01000000,
        02000000, 04000000, 010000000, 020000000
    };
    private static final String[] NAMES = {
        "O_CREAT", "O_EXCL", "O_NOCTTY", "O_TRUNC", "O_APPEND", "O_NONBLOCK", "O_DSYNC", "O_ASYNC", "O_DIRECT",
        "O_LARGEFILE", "O_DIRECTORY", "O_NOFOLLOW", "O_NOATIME", "O_CLOEXEC", "__O_SYNC", "O_PATH", "__O_TMPFILE"
    };

    /** e.g. "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC". */
    public static String describe(long flags) {
        int f = (int) flags;
        StringBuilder sb = new StringBuilder(switch (f & O_ACCMODE) {
            case 0 -> "O_RDONLY";
            case 1 -> "O_WRONLY";
            case 2 -> "O_RDWR";
            default -> "O_ACCMODE";
        });
        int rest = f & ~O_ACCMODE;
        for (int i = 0; i < BITS.length; i++) {
            if ((rest & BITS[i]) != 0) {
                sb.append('|').append(NAMES[i]);
                rest &= ~BITS[i];
            }
        }
        if (rest != 0) {
            sb.append("|0").append(Integer.toOctalString(rest));
        }
        return sb.toString();
    }
}
