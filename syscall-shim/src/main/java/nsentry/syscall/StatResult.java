package nsentry.syscall;

/** {@code struct stat} as fstat(2) fills it on x86_64. */
public record StatResult(
        long dev,
        long ino,
        int mode,
        long nlink,
        int uid,
        int gid,
        long rdev,
        long size,
        long blksize,
        long blocks,
        long atimeSec,
        long atimeNsec,
        long mtimeSec,
        long mtimeNsec,
        long ctimeSec,
        long ctimeNsec) {

    /** S_IFMT. */
    public static final int S_IFMT = 0170000;
    /** S_IFREG: a regular file. */
    public static final int S_IFREG = 0100000;

    /** Decodes the 144 bytes of an x86_64 {@code struct stat} (e.g. {@link Linux#fstatatRaw}). */
    public static StatResult of(byte[] raw) {
        return new StatResult(longAt(raw, 0), longAt(raw, 8), intAt(raw, 24), longAt(raw, 16), intAt(raw, 28),
                intAt(raw, 32), longAt(raw, 40), longAt(raw, 48), longAt(raw, 56), longAt(raw, 64),
                longAt(raw, 72), longAt(raw, 80), longAt(raw, 88), longAt(raw, 96), longAt(raw, 104),
                longAt(raw, 112));
    }

    private static long longAt(byte[] b, int off) {
        return intAt(b, off) & 0xffffffffL | (long) intAt(b, off + 4) << 32;
    }

    private static int intAt(byte[] b, int off) {
        return b[off] & 0xff | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    /** The file type bits ({@code mode & S_IFMT}). */
    public int fileType() {
        return mode & S_IFMT;
    }
}
