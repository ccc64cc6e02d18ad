package nsentry.syscall;

/**
 * Little-endian integers in byte arrays: x86_64's structs as the kernel fills them
 * (struct stat, the auxiliary vector) and as they are copied from workload memory
 * (capability headers, gid lists, clone_args). The one decoder of that byte order.
 */
public final class LittleEndian {
    private LittleEndian() {}

    /** The 32 bits at {@code b[off..off+3]}. */
    public static int u32(byte[] b, int off) {
        return b[off] & 0xff | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    /** The 64 bits at {@code b[off..off+7]}. */
    public static long u64(byte[] b, int off) {
        return u32(b, off) & 0xffffffffL | (long) u32(b, off + 4) << 32;
    }

    /** Stores {@code v} at {@code b[off..off+3]}. */
    public static void putU32(byte[] b, int off, int v) {
        for (int i = 0; i < 4; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }
}
