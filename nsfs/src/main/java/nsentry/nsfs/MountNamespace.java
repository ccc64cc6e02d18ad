package nsentry.nsfs;

/** A mnt namespace: identity and owning user namespace. */
public final class MountNamespace extends NamespaceBase implements Namespace {
    MountNamespace(long inode, UserNamespace owner, String label, boolean initial, UserNamespace chargeNs, Kuid chargeUid) {
        super(inode, owner, label, initial, chargeNs, chargeUid);
    }

    @Override
    public NsType type() {
        return NsType.MNT;
    }

    @Override
    NsType kind() {
        return NsType.MNT;
    }
}
