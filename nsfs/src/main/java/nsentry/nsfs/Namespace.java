package nsentry.nsfs;

/**
 * A namespace of any kind. Identity is object identity; two namespaces are the same iff
 * their inode numbers are (fs/nsfs.c). Instances are created only by the rules through a
 * {@link NamespaceRegistry}, which also owns their lifetime.
 */
public sealed interface Namespace permits UserNamespace, MountNamespace, UtsNamespace, IpcNamespace, NetNamespace,
        PidNamespace, CgroupNamespace, TimeNamespace {

    NsType type();

    /** The nsfs inode number (st_ino, the number in "mnt:[N]"). */
    long inode();

    /**
     * The owning user namespace: the creator's user namespace at creation. For a
     * {@link UserNamespace} its parent. {@code null} only for the initial user namespace.
     */
    UserNamespace owner();

    /** Whether this is one of the sandbox's initial (host) namespaces. */
    boolean isInitial();

    /** A human label, e.g. "created by unshare in pid 12", for traces and {@code nsentry ns}. */
    String label();

    /** Whether the namespace is still live (not yet released by its last holder). */
    boolean isLive();

    /** "type:[inode]", the readlink text of its /proc/PID/ns entry. */
    default String linkText() {
        return type().procName() + ":[" + inode() + "]";
    }
}
