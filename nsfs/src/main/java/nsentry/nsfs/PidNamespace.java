package nsentry.nsfs;

/** A pid namespace: parent pid namespace, level (init = 0) and owning user namespace. */
public final class PidNamespace extends NamespaceBase implements Namespace {
    private final PidNamespace parent;
    private final int level;

    PidNamespace(long inode, UserNamespace owner, PidNamespace parent, int level, String label, boolean initial,
            UserNamespace chargeNs, Kuid chargeUid) {
        super(inode, owner, label, initial, chargeNs, chargeUid);
        this.parent = parent;
        this.level = level;
    }

    @Override
    public NsType type() {
        return NsType.PID;
    }

    @Override
    NsType kind() {
        return NsType.PID;
    }

    /** The parent pid namespace, null for the initial one. */
    public PidNamespace parent() {
        return parent;
    }

    public int level() {
        return level;
    }

    /** Whether {@code this} is {@code other} or one of its ancestors. */
    public boolean isAncestorOf(PidNamespace other) {
        for (PidNamespace p = other; p != null; p = p.parent) {
            if (p == this) {
                return true;
            }
            if (p.level < level) {
                return false;
            }
        }
        return false;
    }
}
