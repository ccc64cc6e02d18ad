package nsentry.syscall;

import static nsentry.syscall.LittleEndian.u32;
import static nsentry.syscall.LittleEndian.u64;

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
        return new StatResult(u64(raw, 0), u64(raw, 8), u32(raw, 24), u64(raw, 16), u32(raw, 28), u32(raw, 32),
                u64(raw, 40), u64(raw, 48), u64(raw, 56), u64(raw, 64), u64(raw, 72), u64(raw, 80), u64(raw, 88),
                u64(raw, 96), u64(raw, 104), u64(raw, 112));
    }

    /** The file type bits ({@code mode & S_IFMT}). */
    public int fileType() {
        return mode & S_IFMT;
    }
}
