package nsentry.nsfs;

/** State shared by every namespace kind: identity, owner, label, reference count, ucount charge. */
abstract class NamespaceBase {
    private final long inode;
    private final UserNamespace owner;
    private final String label;
    private final boolean initial;
    /** Where this namespace's max_*_namespaces charge was made (kernel: ns->ucounts), or null. */
    final UserNamespace chargeNs;
    final Kuid chargeUid;
    /** References held by tasks, fds and child namespaces (see NamespaceRegistry). */
    int refs;
    boolean live = true;

    NamespaceBase(long inode, UserNamespace owner, String label, boolean initial, UserNamespace chargeNs,
            Kuid chargeUid) {
        this.inode = inode;
        this.owner = owner;
        this.label = label == null ? "" : label;
        this.initial = initial;
        this.chargeNs = chargeNs;
        this.chargeUid = chargeUid;
    }

    public final long inode() {
        return inode;
    }

    public final UserNamespace owner() {
        return owner;
    }

    public final String label() {
        return label;
    }

    public final boolean isInitial() {
        return initial;
    }

    public final boolean isLive() {
        return live;
    }

    /** Current reference count (for diagnostics and tests). */
    public final int referenceCount() {
        return refs;
    }

    abstract NsType kind();

    @Override
    public String toString() {
        return kind().procName() + ":[" + inode + "]" + (label.isEmpty() ? "" : " (" + label + ")");
    }
}
