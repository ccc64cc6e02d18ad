package nsentry.sentry.debug;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import nsentry.proto.NamespaceInfo;
import nsentry.proto.NamespaceRef;
import nsentry.proto.NamespaceTree;
import nsentry.proto.SandboxInfo;
import nsentry.proto.TaskInfo;
import nsentry.proto.TaskList;

/** The text forms of {@code nsentry ps} and {@code nsentry ns}: aligned tables, one row per item. */
public final class DebugText {
    private DebugText() {}

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT)
            .withZone(ZoneId.systemDefault());

    /** {@code nsentry ps} with no argument: one row per running sandbox. */
    public static String sandboxes(List<SandboxInfo> list) {
        Table t = new Table("SANDBOX", "UID", "TASKS", "EMULATED-NS", "STARTED", "COMMAND");
        for (SandboxInfo s : list) {
            t.row(s.getId(), Integer.toUnsignedString(s.getUid()), Integer.toString(s.getTaskCount()),
                    Integer.toString(s.getEmulatedNamespaceCount()),
                    TIME.format(Instant.ofEpochMilli(s.getStartedUnixMs())),
                    (s.getEmulatedRoot() ? "--root " : "") + String.join(" ", s.getArgvList()));
        }
        return t.toString();
    }

    /** One line naming the sandbox, above its tables. */
    public static String header(SandboxInfo s) {
        return "sandbox " + s.getId() + " (uid " + Integer.toUnsignedString(s.getUid()) + ", workload pid "
                + s.getRootPid() + (s.getEmulatedRoot() ? ", --root" : "") + "): " + String.join(" ", s.getArgvList());
    }

    /**
     * {@code nsentry ps SANDBOX}: one row per task with its ids as seen in its own user
     * namespace, a capability summary and the namespaces it is in that are not the
     * sandbox's initial (host) ones. A {@code *} after the command marks a task that has
     * made no intercepted call yet (its state is inherited).
     */
    public static String tasks(TaskList tasks, NamespaceTree tree) {
        Set<Long> initial = new HashSet<>();
        for (NamespaceInfo n : tree.getNamespacesList()) {
            if (!n.getEmulated()) {
                initial.add(n.getInode());
            }
        }
        Table t = new Table("PID", "TID", "PPID", "UID", "EUID", "GID", "EGID", "CAPS", "NAMESPACES", "COMMAND");
        for (TaskInfo ti : tasks.getTasksList()) {
            t.row(Integer.toString(ti.getTgid()), Integer.toString(ti.getTid()), Integer.toString(ti.getPpid()),
                    id(ti.getUidsList(), 0), id(ti.getUidsList(), 1), id(ti.getGidsList(), 0),
                    id(ti.getGidsList(), 1), ti.getCapabilities(), namespaces(ti, initial),
                    ti.getComm() + (ti.getSeen() ? "" : " *"));
        }
        return t.toString();
    }

    private static String id(List<Integer> ids, int i) {
        return i < ids.size() ? Integer.toUnsignedString(ids.get(i)) : "?";
    }

    /** The task's namespaces outside the initial set, "type:[inode]" each; "-" if none. */
    static String namespaces(TaskInfo ti, Set<Long> initial) {
        List<String> out = new ArrayList<>();
        Map<String, Long> byType = new HashMap<>();
        for (NamespaceRef r : ti.getNamespacesList()) {
            byType.put(r.getType(), r.getInode());
        }
        for (NamespaceRef r : ti.getNamespacesList()) {
            if (initial.contains(r.getInode())) {
                continue;
            }
            String type = r.getType();
            // pid_for_children / time_for_children: only when they differ from the task's own
            if (type.endsWith("_for_children")) {
                Long own = byType.get(type.substring(0, type.length() - "_for_children".length()));
                if (own != null && own == r.getInode()) {
                    continue;
                }
            }
            out.add(type + ":[" + r.getInode() + "]");
        }
        return out.isEmpty() ? "-" : String.join(" ", out);
    }

    /**
     * {@code nsentry ns SANDBOX}: the namespace tree, indented by user-namespace nesting;
     * maps and owners as a reader in the parent user namespace sees them
     * ({@code cat /proc/PID/uid_map} from outside).
     */
    public static String namespaces(NamespaceTree tree) {
        Map<Long, Integer> userDepth = new HashMap<>();
        Table t = new Table("NAMESPACE", "OWNER", "UID_MAP", "GID_MAP", "SETGROUPS", "TASKS", "LABEL");
        for (NamespaceInfo n : tree.getNamespacesList()) {
            int depth;
            if (n.getType().equals("user")) {
                Integer parent = userDepth.get(n.getParentInode());
                depth = parent == null ? 0 : parent + 1;
                userDepth.put(n.getInode(), depth);
            } else {
                Integer owner = userDepth.get(n.getOwnerUsernsInode());
                depth = owner == null ? 0 : owner + 1;
            }
            boolean user = n.getType().equals("user");
            String name = "  ".repeat(depth) + n.getType() + ":[" + n.getInode() + "]";
            String label = n.getLabel();
            if (n.getType().equals("uts") && !n.getHostname().isEmpty()) {
                label = label + (label.isEmpty() ? "" : ", ") + "hostname " + n.getHostname();
            }
            t.row(name,
                    user ? "uid " + Integer.toUnsignedString(n.getOwnerUid()) : "-",
                    user ? map(n.getUidMap()) : "-",
                    user ? map(n.getGidMap()) : "-",
                    user ? n.getSetgroups() : "-",
                    tids(n.getMemberTidsList()),
                    label);
        }
        return t.toString();
    }

    /** "0 1000 1" per extent, extents joined by ", "; "(unset)" before the map is written. */
    static String map(String procText) {
        List<String> extents = new ArrayList<>();
        for (String line : procText.split("\n")) {
            String l = line.trim().replaceAll("\\s+", " ");
            if (!l.isEmpty()) {
                extents.add(l);
            }
        }
        return extents.isEmpty() ? "(unset)" : String.join(", ", extents);
    }

    /** Up to eight tids, then "+N". */
    static String tids(List<Integer> tids) {
        if (tids.isEmpty()) {
            return "-";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < tids.size() && i < 8; i++) {
            sb.append(i == 0 ? "" : ",").append(tids.get(i));
        }
        if (tids.size() > 8) {
            sb.append(",+").append(tids.size() - 8);
        }
        return sb.toString();
    }

    /** Left-aligned columns separated by two spaces; the last column is not padded. */
    static final class Table {
        private final List<String[]> rows = new ArrayList<>();

        Table(String... header) {
            rows.add(header);
        }

        void row(String... cells) {
            rows.add(cells);
        }

        @Override
        public String toString() {
            int cols = rows.get(0).length;
            int[] width = new int[cols];
            for (String[] r : rows) {
                for (int i = 0; i < cols; i++) {
                    width[i] = Math.max(width[i], r[i].length());
                }
            }
            StringBuilder sb = new StringBuilder();
            for (String[] r : rows) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < cols; i++) {
                    line.append(r[i]);
                    if (i < cols - 1) {
                        line.append(" ".repeat(width[i] - r[i].length() + 2));
                    }
                }
                sb.append(line.toString().stripTrailing()).append('\n');
            }
            return sb.toString();
        }
    }
}
