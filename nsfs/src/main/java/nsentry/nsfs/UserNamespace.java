package nsentry.nsfs;

import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import nsentry.abi.Nsfs;

/**
 * A user namespace (struct user_namespace): parent, level, owner and group (the creator's
 * euid/egid), uid and gid maps (each written once), the setgroups flag,
 * {@code parent_could_setfcap}, the per-namespace {@code max_*_namespaces} limits and the
 * per-(namespace, uid) counts charged against them (kernel/ucount.c).
 */
public final class UserNamespace extends NamespaceBase implements Namespace {
    private static final NsType[] TYPES = NsType.values();

    private final UserNamespace parent;
    private final int level;
    private final Kuid ownerUid;
    private final Kgid ownerGid;
    private final boolean parentCouldSetfcap;
    private IdMap uidMap;
    private IdMap gidMap;
    private boolean setgroupsAllowed;
    private final long[] max = new long[TYPES.length];
    /** ucounts charged in this namespace: kuid value -> count per NsType ordinal. Entries vanish at zero. */
    private final Map<Integer, long[]> counts = new HashMap<>();

    UserNamespace(long inode, UserNamespace parent, Kuid ownerUid, Kgid ownerGid, boolean parentCouldSetfcap,
            boolean setgroupsAllowed, IdMap uidMap, IdMap gidMap, int level, String label, boolean initial) {
        super(inode, parent, label, initial, parent, ownerUid);
        this.parent = parent;
        this.level = level;
        this.ownerUid = ownerUid;
        this.ownerGid = ownerGid;
        this.parentCouldSetfcap = parentCouldSetfcap;
        this.setgroupsAllowed = setgroupsAllowed;
        this.uidMap = uidMap;
        this.gidMap = gidMap;
        java.util.Arrays.fill(max, Integer.MAX_VALUE);
    }

    @Override
    public NsType type() {
        return NsType.USER;
    }

    @Override
    NsType kind() {
        return NsType.USER;
    }

    /** The parent user namespace; null for the initial one. */
    public UserNamespace parent() {
        return parent;
    }

    /** Nesting level: 0 for the initial namespace (at most 33 below it). */
    public int level() {
        return level;
    }

    /** The creator's euid (ns->owner). The initial namespace's owner is global root. */
    public Kuid ownerUid() {
        return ownerUid;
    }

    /** The creator's egid (ns->group). */
    public Kgid ownerGid() {
        return ownerGid;
    }

    public IdMap uidMap() {
        return uidMap;
    }

    public IdMap gidMap() {
        return gidMap;
    }

    /** USERNS_SETGROUPS_ALLOWED. */
    public boolean setgroupsAllowed() {
        return setgroupsAllowed;
    }

    /** Whether the creator had CAP_SETFCAP in its effective set at creation. */
    public boolean parentCouldSetfcap() {
        return parentCouldSetfcap;
    }

    /**
     * Installs the uid map. Only {@code nsentry.procfs.IdMapFile} should call this, after
     * map_write()'s checks; a second call throws IllegalStateException (maps are write-once).
     */
    public void installUidMap(IdMap map) {
        if (!uidMap.isEmpty() || map.isEmpty()) {
            throw new IllegalStateException("uid_map of " + this + " already written or empty");
        }
        this.uidMap = map;
    }

    /** As {@link #installUidMap}, for the gid map. */
    public void installGidMap(IdMap map) {
        if (!gidMap.isEmpty() || map.isEmpty()) {
            throw new IllegalStateException("gid_map of " + this + " already written or empty");
        }
        this.gidMap = map;
    }

    /** Clears USERNS_SETGROUPS_ALLOWED (after proc_setgroups_write's checks). Irreversible. */
    public void denySetgroups() {
        this.setgroupsAllowed = false;
    }

    /** This namespace's /proc/sys/user/max_TYPE_namespaces value. */
    public long maxNamespaces(NsType type) {
        return max[type.ordinal()];
    }

    /** Sets the limit (0..INT_MAX; permission and parsing are MaxNamespacesFile's). */
    public void setMaxNamespaces(NsType type, long value) {
        if (value < 0 || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("limit out of range: " + value);
        }
        max[type.ordinal()] = value;
    }

    /** How many namespaces of {@code type} are charged to {@code uid} in this namespace. */
    public long namespaceCount(NsType type, Kuid uid) {
        long[] c = counts.get(uid.value());
        return c == null ? 0 : c[type.ordinal()];
    }

    /** Number of (uid) entries with a non-zero count; for memory-accounting tests. */
    int countEntries() {
        return counts.size();
    }

    /** atomic_long_inc_below(): increments unless the count is already at the limit. */
    boolean tryIncrement(Kuid uid, NsType type) {
        long[] c = counts.get(uid.value());
        long cur = c == null ? 0 : c[type.ordinal()];
        if (cur >= max[type.ordinal()]) {
            return false;
        }
        if (c == null) {
            c = new long[TYPES.length];
            counts.put(uid.value(), c);
        }
        c[type.ordinal()]++;
        return true;
    }

    void decrement(Kuid uid, NsType type) {
        long[] c = counts.get(uid.value());
        if (c == null || c[type.ordinal()] == 0) {
            throw new IllegalStateException("ucount underflow for " + uid + " " + type + " in " + this);
        }
        c[type.ordinal()]--;
        for (long v : c) {
            if (v != 0) {
                return;
            }
        }
        counts.remove(uid.value());
    }

    /** make_kuid(): the global uid for {@code id} in this namespace, {@link Kuid#INVALID} if unmapped. */
    public Kuid makeKuid(long id) {
        OptionalLong k = uidMap.mapDown(id);
        return k.isPresent() ? Kuid.of(k.getAsLong()) : Kuid.INVALID;
    }

    /** make_kgid(). */
    public Kgid makeKgid(long id) {
        OptionalLong k = gidMap.mapDown(id);
        return k.isPresent() ? Kgid.of(k.getAsLong()) : Kgid.INVALID;
    }

    /** from_kuid(): the id of {@code kuid} in this namespace, -1 if unmapped. */
    public long fromKuid(Kuid kuid) {
        return uidMap.mapUpOr(kuid.unsigned(), -1);
    }

    /** from_kgid(). */
    public long fromKgid(Kgid kgid) {
        return gidMap.mapUpOr(kgid.unsigned(), -1);
    }

    /** from_kuid_munged(): as {@link #fromKuid} but 65534 (overflowuid) if unmapped. */
    public long fromKuidMunged(Kuid kuid) {
        long v = fromKuid(kuid);
        return v == -1 ? Nsfs.OVERFLOW_UID : v;
    }

    /** from_kgid_munged(). */
    public long fromKgidMunged(Kgid kgid) {
        long v = fromKgid(kgid);
        return v == -1 ? Nsfs.OVERFLOW_GID : v;
    }

    /** kuid_has_mapping(). */
    public boolean hasMapping(Kuid kuid) {
        return fromKuid(kuid) != -1;
    }

    /** kgid_has_mapping(). */
    public boolean hasMapping(Kgid kgid) {
        return fromKgid(kgid) != -1;
    }

    /** Whether {@code this} is {@code ns} or one of its ancestors (kernel: in_userns(this, ns)). */
    public boolean isAncestorOf(UserNamespace ns) {
        for (UserNamespace p = ns; p != null; p = p.parent) {
            if (p == this) {
                return true;
            }
            if (p.level <= level) {
                return false;
            }
        }
        return false;
    }

    /** A one-line description for traces: "user:[N] level 2 owner 1000". */
    public String describe() {
        return "user:[" + inode() + "] (level " + level + ", owner kuid " + ownerUid.unsigned() + ")";
    }
}
