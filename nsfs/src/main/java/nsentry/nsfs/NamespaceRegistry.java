package nsentry.nsfs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import nsentry.abi.Errno;
import nsentry.abi.Nsfs;
import nsentry.abi.SyscallException;

/**
 * Every live namespace of one sandbox: the initial (host) ones and those created inside it,
 * their inode numbers, the max_*_namespaces accounting, and their lifetime.
 *
 * <h2>Lifetime (reference counting)</h2>
 * Each namespace has a reference count. It is freed — removed from {@link #byInode}, its
 * inode {@linkplain InodeSource#release released}, its max_*_namespaces charge returned,
 * and its own reference on its owner user namespace (and, for a pid namespace, on its parent)
 * dropped — when the count reaches zero. Holders are:
 * <ul>
 * <li><b>task states</b>: a {@link TaskState} the sentry keeps for a live task holds one
 *     reference per slot (cred.userNs, the eight {@link NsSet} slots, activePidNs — ten, with
 *     repeats counted). Call {@link #retain(TaskState)} when a task's state is stored and
 *     {@link #release(TaskState)} when it is dropped (task exit). When a rule returns a new
 *     state for a task, call {@link #replace(TaskState, TaskState)} (retain new, then release
 *     old — the order matters). A child from {@link CloneRules#child} is retained once it is
 *     registered.</li>
 * <li><b>other holders</b> (an open nsfs fd, a bind mount of an ns file, a debug view):
 *     {@link #retain(Namespace)} / {@link #release(Namespace)}.</li>
 * <li><b>child namespaces</b> hold their owner (and parent pid namespace); managed here.</li>
 * </ul>
 * A namespace created by a rule starts with zero references. The rule discards it itself if
 * the call fails later; on success the caller's {@code replace}/{@code retain} adopts it. A
 * newborn that is never adopted (e.g. the real fork failed after {@link CloneRules#child}
 * said yes) is freed by {@link #sweep()}, which the sentry may call after each notification.
 * The initial namespaces are pinned and never freed. So a workload that creates and drops
 * 100,000 user namespaces leaves no trace: memory and counts return to where they were.
 *
 * <p>Not thread-safe: the sentry applies events on one event loop.
 */
public final class NamespaceRegistry {

    /** Inode numbers of the sandbox's initial namespaces (the host's real ones). */
    public record InitialInodes(long user, long mnt, long uts, long ipc, long net, long pid, long cgroup, long time) {
        /** The fixed initial inums of Linux 6.18 (include/linux/proc_ns.h). */
        public static InitialInodes linuxDefaults() {
            return new InitialInodes(Nsfs.PROC_USER_INIT_INO, Nsfs.PROC_MNT_INIT_INO, Nsfs.PROC_UTS_INIT_INO,
                    Nsfs.PROC_IPC_INIT_INO, Nsfs.PROC_NET_INIT_INO, Nsfs.PROC_PID_INIT_INO, Nsfs.PROC_CGROUP_INIT_INO,
                    Nsfs.PROC_TIME_INIT_INO);
        }
    }

    private final InodeSource inodes;
    private final Map<Long, Namespace> byInode = new HashMap<>();
    /** Created, not yet retained. Identity-based (namespaces do not override equals). */
    private final Set<Namespace> nursery = new LinkedHashSet<>();
    private final UserNamespace initUser;
    private final PidNamespace initPid;
    private final NsSet initSet;

    /**
     * @param inodes allocator for emulated namespaces' inode numbers
     * @param initial the host namespaces' inode numbers
     * @param hostname the initial UTS node name
     * @param domainname the initial UTS domain name
     * @param uidMap the initial user namespace's uid map ({@link IdMap#IDENTITY} on a host;
     *     what /proc/self/uid_map says when nsentry itself runs in a container)
     * @param gidMap likewise for gids
     */
    public NamespaceRegistry(InodeSource inodes, InitialInodes initial, String hostname, String domainname,
            IdMap uidMap, IdMap gidMap) {
        this.inodes = Objects.requireNonNull(inodes);
        initUser = new UserNamespace(initial.user(), null, Kuid.ROOT, Kgid.ROOT, true, true, uidMap, gidMap, 0,
                "initial user namespace", true);
        MountNamespace mnt = new MountNamespace(initial.mnt(), initUser, "initial mount namespace", true, null, null);
        UtsNamespace uts = new UtsNamespace(initial.uts(), initUser, hostname.getBytes(StandardCharsets.ISO_8859_1),
                domainname.getBytes(StandardCharsets.ISO_8859_1), "initial uts namespace", true, null, null);
        IpcNamespace ipc = new IpcNamespace(initial.ipc(), initUser, "initial ipc namespace", true, null, null);
        NetNamespace net = new NetNamespace(initial.net(), initUser, "initial net namespace", true, null, null);
        initPid = new PidNamespace(initial.pid(), initUser, null, 0, "initial pid namespace", true, null, null);
        CgroupNamespace cg = new CgroupNamespace(initial.cgroup(), initUser, "initial cgroup namespace", true, null,
                null);
        TimeNamespace time = new TimeNamespace(initial.time(), initUser, "initial time namespace", true, null, null);
        initSet = new NsSet(mnt, uts, ipc, net, initPid, cg, time, time);
        for (Namespace ns : List.of(initUser, mnt, uts, ipc, net, initPid, cg, time)) {
            base(ns).refs = 1; // pinned
            byInode.put(ns.inode(), ns);
        }
    }

    /** As the full constructor, with one identity-style map for uids and gids. */
    public NamespaceRegistry(InodeSource inodes, InitialInodes initial, String hostname, String domainname,
            IdMap idMap) {
        this(inodes, initial, hostname, domainname, idMap, idMap);
    }

    public UserNamespace initialUserNs() {
        return initUser;
    }

    public PidNamespace initialPidNs() {
        return initPid;
    }

    public NsSet initialNsSet() {
        return initSet;
    }

    /** A task in all initial namespaces with the given credentials (not retained). */
    public TaskState initialTaskState(Credentials cred) {
        return new TaskState(cred, initSet, initPid);
    }

    /** The live namespace with this nsfs inode number. */
    public Optional<Namespace> byInode(long inode) {
        return Optional.ofNullable(byInode.get(inode));
    }

    /** All live namespaces (a snapshot), for {@code nsentry ns}. */
    public Collection<Namespace> live() {
        return Collections.unmodifiableList(new ArrayList<>(byInode.values()));
    }

    public int liveCount() {
        return byInode.size();
    }

    // ---------------------------------------------------------------- references

    /** Takes one reference on {@code ns}. */
    public void retain(Namespace ns) {
        NamespaceBase b = base(ns);
        if (!b.live) {
            throw new IllegalStateException("retain of freed namespace " + ns);
        }
        b.refs++;
        nursery.remove(ns);
    }

    /** Drops one reference; frees the namespace (and possibly its owners) at zero. */
    public void release(Namespace ns) {
        Deque<Namespace> work = new ArrayDeque<>();
        work.push(ns);
        while (!work.isEmpty()) {
            Namespace n = work.pop();
            NamespaceBase b = base(n);
            if (!b.live || b.refs <= 0) {
                throw new IllegalStateException("release of unreferenced namespace " + n);
            }
            if (b.refs == 1 && n.isInitial()) {
                throw new IllegalStateException("initial namespace released more often than retained: " + n);
            }
            if (--b.refs == 0) {
                free(n, work);
            }
        }
    }

    /** One reference per slot of {@code s} (see the class comment). */
    public void retain(TaskState s) {
        for (Namespace n : slots(s)) {
            retain(n);
        }
    }

    /** Drops the references {@link #retain(TaskState)} took. */
    public void release(TaskState s) {
        for (Namespace n : slots(s)) {
            release(n);
        }
    }

    /** A task's state changed from {@code old} to {@code now}: retain the new, then release the old. */
    public void replace(TaskState old, TaskState now) {
        retain(now);
        release(old);
    }

    /** Frees every namespace created by a rule but never retained. Returns how many. */
    public int sweep() {
        int n = 0;
        while (!nursery.isEmpty()) {
            Namespace ns = nursery.iterator().next();
            nursery.remove(ns);
            if (base(ns).live && base(ns).refs == 0) {
                discard(ns);
                n++;
            }
        }
        return n;
    }

    private static Namespace[] slots(TaskState s) {
        NsSet n = s.ns();
        return new Namespace[] {s.cred().userNs(), n.mnt(), n.uts(), n.ipc(), n.net(), n.pidForChildren(), n.cgroup(),
            n.time(), n.timeForChildren(), s.activePidNs()};
    }

    static NamespaceBase base(Namespace ns) {
        return (NamespaceBase) ns;
    }

    /** Frees a newborn with no references (a rule failed after creating it). */
    void discard(Namespace ns) {
        NamespaceBase b = base(ns);
        if (!b.live) {
            return; // already freed when its last child namespace was discarded
        }
        if (b.refs != 0) {
            throw new IllegalStateException("discard of referenced namespace " + ns);
        }
        Deque<Namespace> work = new ArrayDeque<>();
        free(ns, work);
        while (!work.isEmpty()) {
            release(work.pop());
        }
    }

    private void free(Namespace n, Deque<Namespace> work) {
        NamespaceBase b = base(n);
        b.live = false;
        nursery.remove(n);
        byInode.remove(n.inode());
        inodes.release(n.inode());
        if (b.chargeNs != null) {
            uncharge(b.chargeNs, b.chargeUid, n.type());
        }
        if (n.owner() != null) {
            work.push(n.owner());
        }
        if (n instanceof PidNamespace p && p.parent() != null) {
            work.push(p.parent());
        }
    }

    // ---------------------------------------------------------------- creation (for the rules)

    /**
     * inc_ucount() (kernel/ucount.c): charge one namespace of {@code type} to {@code uid} in
     * {@code ns}, then to ns's owner in ns's parent, and so on up to the initial namespace;
     * ENOSPC (undoing the partial charge) where a count would exceed that level's limit.
     */
    void charge(UserNamespace ns, Kuid uid, NsType type, String rule) throws SyscallException {
        UserNamespace cur = ns;
        Kuid u = uid;
        while (cur != null) {
            if (!cur.tryIncrement(u, type)) {
                long have = cur.namespaceCount(type, u);
                long limit = cur.maxNamespaces(type);
                // undo the levels below cur
                UserNamespace undo = ns;
                Kuid uu = uid;
                while (undo != cur) {
                    undo.decrement(uu, type);
                    uu = undo.ownerUid();
                    undo = undo.parent();
                }
                throw new SyscallException(Errno.ENOSPC, rule, type.maxSysctlName() + " is " + limit
                        + " in user namespace " + cur.describe() + " and uid " + u.unsigned() + " already has "
                        + have + " " + type.procName() + " namespace" + (have == 1 ? "" : "s") + " counted there");
            }
            u = cur.ownerUid();
            cur = cur.parent();
        }
    }

    /** dec_ucount(): undoes {@link #charge}. */
    void uncharge(UserNamespace ns, Kuid uid, NsType type) {
        UserNamespace cur = ns;
        Kuid u = uid;
        while (cur != null) {
            cur.decrement(u, type);
            u = cur.ownerUid();
            cur = cur.parent();
        }
    }

    private <T extends Namespace> T born(T ns) {
        byInode.put(ns.inode(), ns);
        nursery.add(ns);
        if (ns.owner() != null) {
            base(ns.owner()).refs++;
        }
        if (ns instanceof PidNamespace p && p.parent() != null) {
            base(p.parent()).refs++;
        }
        return ns;
    }

    /** A new user namespace; the caller has already charged (parent, owner) for USER. */
    UserNamespace newUserNamespace(UserNamespace parent, Kuid owner, Kgid group, boolean parentCouldSetfcap,
            String label) {
        long ino = inodes.allocate(NsType.USER);
        return born(new UserNamespace(ino, parent, owner, group, parentCouldSetfcap, parent.setgroupsAllowed(),
                IdMap.EMPTY, IdMap.EMPTY, parent.level() + 1, label, false));
    }

    /**
     * Charges and creates a namespace of a non-user, non-pid type owned by {@code owner}
     * (the creator's user namespace) for creator euid {@code uid}. {@code from} is the
     * namespace being copied (the UTS names come from it).
     */
    Namespace newNamespace(NsType type, UserNamespace owner, Kuid uid, Namespace from, String label, String rule)
            throws SyscallException {
        charge(owner, uid, type, rule);
        long ino = inodes.allocate(type);
        return switch (type) {
            case MNT -> born(new MountNamespace(ino, owner, label, false, owner, uid));
            case UTS -> {
                UtsNamespace src = (UtsNamespace) from;
                yield born(new UtsNamespace(ino, owner, src.hostnameBytes(), src.domainnameBytes(), label, false,
                        owner, uid));
            }
            case IPC -> born(new IpcNamespace(ino, owner, label, false, owner, uid));
            case NET -> born(new NetNamespace(ino, owner, label, false, owner, uid));
            case CGROUP -> born(new CgroupNamespace(ino, owner, label, false, owner, uid));
            case TIME -> born(new TimeNamespace(ino, owner, label, false, owner, uid));
            case USER, PID -> throw new IllegalArgumentException(type + " has its own constructor");
        };
    }

    /** A new pid namespace (the caller checked level and ancestry), charging (owner, uid). */
    PidNamespace newPidNamespace(UserNamespace owner, Kuid uid, PidNamespace parent, String label, String rule)
            throws SyscallException {
        charge(owner, uid, NsType.PID, rule);
        long ino = inodes.allocate(NsType.PID);
        return born(new PidNamespace(ino, owner, parent, parent.level() + 1, label, false, owner, uid));
    }

    /** Nursery size (for tests). */
    int nurserySize() {
        return nursery.size();
    }
}
