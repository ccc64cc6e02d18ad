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

    /** The file type bits ({@code mode & S_IFMT}). */
    public int fileType() {
        return mode & S_IFMT;
    }
}
