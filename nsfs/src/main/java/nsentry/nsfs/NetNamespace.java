package nsentry.nsfs;

/** A net namespace: identity and owning user namespace. */
public final class NetNamespace extends NamespaceBase implements Namespace {
    NetNamespace(long inode, UserNamespace owner, String label, boolean initial, UserNamespace chargeNs, Kuid chargeUid) {
        super(inode, owner, label, initial, chargeNs, chargeUid);
    }

    @Override
    public NsType type() {
        return NsType.NET;
    }

    @Override
    NsType kind() {
        return NsType.NET;
    }
}
