package nsentry.nsfs;

/** A ipc namespace: identity and owning user namespace. */
public final class IpcNamespace extends NamespaceBase implements Namespace {
    IpcNamespace(long inode, UserNamespace owner, String label, boolean initial, UserNamespace chargeNs, Kuid chargeUid) {
        super(inode, owner, label, initial, chargeNs, chargeUid);
    }

    @Override
    public NsType type() {
        return NsType.IPC;
    }

    @Override
    NsType kind() {
        return NsType.IPC;
    }
}
