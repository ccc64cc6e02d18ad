package nsentry.sentry.debug;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import nsentry.abi.Capability;
import nsentry.nsfs.Credentials;
import nsentry.nsfs.Kgid;
import nsentry.nsfs.Namespace;
import nsentry.nsfs.NsSet;
import nsentry.nsfs.NsType;
import nsentry.nsfs.PidNamespace;
import nsentry.nsfs.TaskState;
import nsentry.nsfs.UserNamespace;
import nsentry.nsfs.UtsNamespace;
import nsentry.procfs.IdMapFile;
import nsentry.proto.NamespaceInfo;
import nsentry.proto.NamespaceRef;
import nsentry.proto.NamespaceTree;
import nsentry.proto.TaskInfo;
import nsentry.proto.TaskList;

/**
 * Turns the model (task states, live namespaces) into the debug endpoint's messages. Pure:
 * no I/O and no sentry objects, so it is unit-tested on a bare {@link nsentry.nsfs.NamespaceRegistry}.
 * Must run on the sentry's event loop (the model's single writer): the messages it builds
 * are immutable copies that may then travel to any thread.
 */
public final class ModelSnapshot {
    private ModelSnapshot() {}

    /** One task as the endpoint shows it: the model's state plus facts read from /proc. */
    public record TaskRow(int tid, int tgid, int ppid, String comm, TaskState state, boolean seen) {}

    /** Order of the namespaces in {@link TaskInfo#getNamespacesList()}. */
    private static final List<String> TASK_NS_SLOTS = List.of("user", "mnt", "uts", "ipc", "net", "pid",
            "pid_for_children", "cgroup", "time", "time_for_children");

    public static TaskList tasks(List<TaskRow> rows) {
        TaskList.Builder b = TaskList.newBuilder();
        for (TaskRow r : rows) {
            b.addTasks(task(r));
        }
        return b.build();
    }

    /** A task with its ids as seen in its own user namespace (what getresuid() would return). */
    public static TaskInfo task(TaskRow r) {
        Credentials c = r.state().cred();
        UserNamespace ns = c.userNs();
        TaskInfo.Builder b = TaskInfo.newBuilder()
                .setTid(r.tid()).setTgid(r.tgid()).setPpid(r.ppid()).setComm(r.comm() == null ? "" : r.comm())
                .addUids(id(ns.fromKuidMunged(c.uid()))).addUids(id(ns.fromKuidMunged(c.euid())))
                .addUids(id(ns.fromKuidMunged(c.suid()))).addUids(id(ns.fromKuidMunged(c.fsuid())))
                .addGids(id(ns.fromKgidMunged(c.gid()))).addGids(id(ns.fromKgidMunged(c.egid())))
                .addGids(id(ns.fromKgidMunged(c.sgid()))).addGids(id(ns.fromKgidMunged(c.fsgid())))
                .setCapabilities(capabilitySummary(c))
                .setCapInheritable(c.capInheritable()).setCapPermitted(c.capPermitted())
                .setCapEffective(c.capEffective()).setCapBounding(c.capBounding()).setCapAmbient(c.capAmbient())
                .setSeen(r.seen());
        for (Kgid g : c.groups()) {
            b.addGroups(id(ns.fromKgidMunged(g)));
        }
        NsSet s = r.state().ns();
        Namespace[] slots = {ns, s.mnt(), s.uts(), s.ipc(), s.net(), r.state().activePidNs(), s.pidForChildren(),
            s.cgroup(), s.time(), s.timeForChildren()};
        for (int i = 0; i < slots.length; i++) {
            Namespace n = slots[i];
            b.addNamespaces(NamespaceRef.newBuilder().setType(TASK_NS_SLOTS.get(i)).setInode(n.inode())
                    .setLabel(n.label() == null ? "" : n.label()));
        }
        return b.build();
    }

    private static int id(long v) {
        return (int) v;
    }

    /**
     * The namespace tree: a depth-first walk of the user namespaces from the initial one;
     * each user namespace is followed by the namespaces it owns (by type, then inode) and
     * then by its child user namespaces. Member tasks are those whose own namespace of that
     * type it is (what /proc/PID/ns/TYPE names).
     */
    public static NamespaceTree namespaces(Collection<Namespace> live, List<TaskRow> rows) {
        Map<Namespace, List<Integer>> members = new IdentityHashMap<>();
        for (TaskRow r : rows) {
            for (NsType t : NsType.values()) {
                members.computeIfAbsent(r.state().namespace(t), k -> new ArrayList<>()).add(r.tid());
            }
        }
        Map<UserNamespace, List<Namespace>> owned = new IdentityHashMap<>();
        Map<UserNamespace, List<UserNamespace>> childUsers = new IdentityHashMap<>();
        List<UserNamespace> roots = new ArrayList<>();
        Set<Namespace> liveSet = Collections.newSetFromMap(new IdentityHashMap<>());
        liveSet.addAll(live);
        for (Namespace n : live) {
            if (n instanceof UserNamespace u) {
                if (u.parent() == null || !liveSet.contains(u.parent())) {
                    roots.add(u);
                } else {
                    childUsers.computeIfAbsent(u.parent(), k -> new ArrayList<>()).add(u);
                }
            } else if (n.owner() != null) {
                owned.computeIfAbsent(n.owner(), k -> new ArrayList<>()).add(n);
            }
        }
        Comparator<Namespace> order = Comparator.<Namespace>comparingInt(n -> n.type().ordinal())
                .thenComparingLong(Namespace::inode);
        roots.sort(order);
        NamespaceTree.Builder tree = NamespaceTree.newBuilder();
        for (UserNamespace root : roots) {
            walk(root, owned, childUsers, members, order, tree);
        }
        return tree.build();
    }

    private static void walk(UserNamespace u, Map<UserNamespace, List<Namespace>> owned,
            Map<UserNamespace, List<UserNamespace>> childUsers, Map<Namespace, List<Integer>> members,
            Comparator<Namespace> order, NamespaceTree.Builder tree) {
        tree.addNamespaces(info(u, members));
        List<Namespace> mine = new ArrayList<>(owned.getOrDefault(u, List.of()));
        mine.sort(order);
        for (Namespace n : mine) {
            tree.addNamespaces(info(n, members));
        }
        List<UserNamespace> kids = new ArrayList<>(childUsers.getOrDefault(u, List.of()));
        kids.sort(Comparator.comparingLong(Namespace::inode));
        for (UserNamespace k : kids) {
            walk(k, owned, childUsers, members, order, tree);
        }
    }

    /** One namespace; maps and owner ids are shown as a reader in the parent user namespace sees them. */
    public static NamespaceInfo info(Namespace n, Map<Namespace, List<Integer>> members) {
        NamespaceInfo.Builder b = NamespaceInfo.newBuilder()
                .setType(n.type().procName()).setInode(n.inode())
                .setOwnerUsernsInode(n.owner() == null ? 0 : n.owner().inode())
                .setEmulated(!n.isInitial()).setLabel(n.label() == null ? "" : n.label());
        List<Integer> tids = new ArrayList<>(members.getOrDefault(n, List.of()));
        tids.sort(null);
        b.addAllMemberTids(tids);
        if (n instanceof UserNamespace u) {
            UserNamespace viewer = u.parent() != null ? u.parent() : u;
            b.setLevel(u.level())
                    .setParentInode(u.parent() == null ? 0 : u.parent().inode())
                    .setOwnerUid((int) viewer.fromKuidMunged(u.ownerUid()))
                    .setOwnerGid((int) viewer.fromKgidMunged(u.ownerGid()))
                    .setUidMap(IdMapFile.read(u, viewer, true))
                    .setGidMap(IdMapFile.read(u, viewer, false))
                    .setSetgroups(u.setgroupsAllowed() ? "allow" : "deny");
        } else if (n instanceof PidNamespace p) {
            b.setLevel(p.level()).setParentInode(p.parent() == null ? 0 : p.parent().inode());
        } else if (n instanceof UtsNamespace uts) {
            b.setHostname(uts.hostname()).setDomainname(uts.domainname());
        }
        return b.build();
    }

    // ------------------------------------------------------------------ capabilities

    private static final String[] CAP_NAMES = {"chown", "dac_override", "dac_read_search", "fowner", "fsetid",
        "kill", "setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin",
        "net_raw", "ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
        "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease",
        "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
        "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore"};

    /** "cap_sys_admin" for bit 21. */
    public static String capName(int bit) {
        return bit >= 0 && bit < CAP_NAMES.length ? "cap_" + CAP_NAMES[bit] : "cap_" + bit;
    }

    /**
     * A short summary: {@code full} or {@code none} when the effective and permitted sets
     * agree on that, the names of up to three capabilities, or hex; ambient when non-empty.
     */
    public static String capabilitySummary(Credentials c) {
        String s = c.capEffective() == c.capPermitted() ? set(c.capEffective())
                : "eff " + set(c.capEffective()) + ", prm " + set(c.capPermitted());
        if (c.capAmbient() != 0) {
            s += ", amb " + set(c.capAmbient());
        }
        return s;
    }

    /** One capability set: full, none, up to three names, full minus up to three names, or hex. */
    public static String set(long bits) {
        if (bits == Capability.FULL_SET) {
            return "full";
        }
        if (bits == 0) {
            return "none";
        }
        int n = Long.bitCount(bits);
        if (n <= 3) {
            return names(bits, ",");
        }
        long missing = Capability.FULL_SET & ~bits;
        if ((bits & ~Capability.FULL_SET) == 0 && Long.bitCount(missing) <= 3) {
            return "full-" + names(missing, "-");
        }
        return "0x" + Long.toHexString(bits);
    }

    private static String names(long bits, String sep) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 64; i++) {
            if ((bits & (1L << i)) != 0) {
                if (sb.length() > 0) {
                    sb.append(sep);
                }
                sb.append(capName(i));
            }
        }
        return sb.toString();
    }
}
