package nsentry.nsfs;

/**
 * Allocates nsfs inode numbers for emulated namespaces. The sentry backs each emulated
 * namespace with a memfd whose inode number is the namespace's; {@link #release} closes
 * it. Tests use a counter from 0xF0000000.
 */
public interface InodeSource {
    /** A fresh inode number for a new namespace of {@code type}. */
    long allocate(NsType type);

    /** The namespace with this inode was freed; its backing file may go. */
    void release(long inode);

    /** A counter starting at {@code first}, releasing nothing (for tests and dry runs). */
    static InodeSource counter(long first) {
        long[] next = {first};
        return new InodeSource() {
            @Override
            public long allocate(NsType type) {
                return next[0]++;
            }

            @Override
            public void release(long inode) {}
        };
    }
}
