package nsentry.nsfs;

/** A cgroup namespace: identity and owning user namespace. */
public final class CgroupNamespace extends NamespaceBase implements Namespace {
    CgroupNamespace(long inode, UserNamespace owner, String label, boolean initial, UserNamespace chargeNs, Kuid chargeUid) {
        super(inode, owner, label, initial, chargeNs, chargeUid);
    }

    @Override
    public NsType type() {
        return NsType.CGROUP;
    }

    @Override
    NsType kind() {
        return NsType.CGROUP;
    }
}
