package nsentry.nsfs;

/**
 * A time namespace: identity and owning user namespace. (Clock offsets, written through
 * /proc/PID/timens_offsets before the first process enters, are not modelled yet.)
 */
public final class TimeNamespace extends NamespaceBase implements Namespace {
    TimeNamespace(long inode, UserNamespace owner, String label, boolean initial, UserNamespace chargeNs,
            Kuid chargeUid) {
        super(inode, owner, label, initial, chargeNs, chargeUid);
    }

    @Override
    public NsType type() {
        return NsType.TIME;
    }

    @Override
    NsType kind() {
        return NsType.TIME;
    }
}
