package nsentry.sentry.runtime;

import java.util.ArrayList;
import java.util.List;

import nsentry.nsfs.Credentials;
import nsentry.nsfs.IdExtent;
import nsentry.nsfs.IdMap;
import nsentry.procfs.ProcWords;
import nsentry.nsfs.Kgid;
import nsentry.nsfs.Kuid;
import nsentry.abi.SyscallException;
import nsentry.nsfs.NamespaceRegistry;
import nsentry.nsfs.TaskFacts;
import nsentry.nsfs.TaskState;
import nsentry.nsfs.UserNamespaceRules;
import nsentry.nsfs.UserNamespace;

/**
 * The sandbox's starting point: the host's real initial namespaces (their real inode
 * numbers, maps, hostname) and the invoking user's real credentials, read from the
 * sentry's own /proc entries (the sentry runs as the same user in the same namespaces).
 */
final class InitialState {
    private InitialState() {}

    static NamespaceRegistry registry(NsBacking backing) {
        NamespaceRegistry.InitialInodes inodes = new NamespaceRegistry.InitialInodes(
                NsBacking.realNamespaceInode("user"), NsBacking.realNamespaceInode("mnt"),
                NsBacking.realNamespaceInode("uts"), NsBacking.realNamespaceInode("ipc"),
                NsBacking.realNamespaceInode("net"), NsBacking.realNamespaceInode("pid"),
                NsBacking.realNamespaceInode("cgroup"), NsBacking.realNamespaceInode("time"));
        return new NamespaceRegistry(backing, inodes, Kernel.readProc("/proc/sys/kernel/hostname"),
                Kernel.readProc("/proc/sys/kernel/domainname"), map(Kernel.readProc("/proc/self/uid_map")),
                map(Kernel.readProc("/proc/self/gid_map")));
    }

    /**
     * The workload's first state: the real credentials in the initial namespaces, or with
     * {@code --root} uid 0 with full capabilities in a new emulated user namespace mapping
     * 0 to the invoking user (what `unshare --map-root-user` sets up: setgroups "deny",
     * uid_map "0 UID 1", gid_map "0 GID 1").
     */
    static TaskState taskState(NamespaceRegistry registry, Credentials real, boolean emulatedRoot) {
        if (!emulatedRoot) {
            return registry.initialTaskState(real);
        }
        Credentials inNs;
        try {
            inNs = UserNamespaceRules.create(real, TaskFacts.simple(registry.initialPidNs()), registry,
                    "created by nsentry --root");
        } catch (SyscallException e) {
            throw new IllegalStateException("--root: cannot create the user namespace: " + e.explanation(), e);
        }
        UserNamespace ns = inNs.userNs();
        ns.denySetgroups();
        ns.installUidMap(rootMap(real.euid().value()));
        ns.installGidMap(rootMap(real.egid().value()));
        return new TaskState(inNs, registry.initialNsSet(), registry.initialPidNs());
    }

    /** "0 ID 1": the --root namespace's map for the invoking user's euid or egid. */
    private static IdMap rootMap(int id) {
        return IdMap.of(List.of(new IdExtent(0, id & 0xffffffffL, 1)));
    }

    /**
     * The --root namespace's {uid map, gid map}, known before the model exists (the shim
     * launches the workload with its owner view: {@link OwnerViews}).
     */
    static IdMap[] rootMaps() {
        String status = Kernel.readProc("/proc/self/status");
        return new IdMap[] {rootMap((int) ids(field(status, "Uid"))[1]), rootMap((int) ids(field(status, "Gid"))[1])};
    }

    /** The invoking user's real credentials in the initial user namespace. */
    static Credentials realCredentials(UserNamespace init) {
        String status = Kernel.readProc("/proc/self/status");
        long[] uids = ids(field(status, "Uid"));
        long[] gids = ids(field(status, "Gid"));
        List<Kgid> groups = new ArrayList<>();
        String groupField = field(status, "Groups");
        for (long g : groupField.isBlank() ? new long[0] : ids(groupField)) {
            groups.add(new Kgid((int) g));
        }
        return new Credentials(new Kuid((int) uids[0]), new Kuid((int) uids[1]), new Kuid((int) uids[2]),
                new Kuid((int) uids[3]), new Kgid((int) gids[0]), new Kgid((int) gids[1]), new Kgid((int) gids[2]),
                new Kgid((int) gids[3]), groups, hex(field(status, "CapInh")), hex(field(status, "CapPrm")),
                hex(field(status, "CapEff")), hex(field(status, "CapBnd")), hex(field(status, "CapAmb")), 0, false,
                init);
    }

    static IdMap map(String text) {
        if (text.isBlank()) {
            return IdMap.IDENTITY;
        }
        List<IdExtent> extents = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] f = ProcWords.of(line);
            if (f.length == 3) {
                extents.add(new IdExtent(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])));
            }
        }
        return extents.isEmpty() ? IdMap.IDENTITY : IdMap.of(extents);
    }

    private static String field(String status, String key) {
        for (String line : status.split("\n")) {
            if (line.startsWith(key + ":")) {
                return line.substring(key.length() + 1).trim();
            }
        }
        return "";
    }

    private static long[] ids(String s) {
        if (s.isBlank()) {
            return new long[] {0, 0, 0, 0};
        }
        String[] parts = ProcWords.of(s);
        long[] out = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = Long.parseLong(parts[i]);
        }
        return out;
    }

    private static long hex(String s) {
        return s.isBlank() ? 0 : Long.parseUnsignedLong(s, 16);
    }
}
