package nsentry.sentry.debug;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import nsentry.nsfs.TaskState;
import nsentry.proto.DebugRequest;
import nsentry.proto.DebugResponse;
import nsentry.proto.SandboxInfo;
import nsentry.sentry.debug.ModelSnapshot.TaskRow;
import nsentry.sentry.runtime.Kernel;
import nsentry.sentry.task.ProcStatus;
import nsentry.sentry.task.Task;
import nsentry.sentry.task.TaskTable;

/**
 * Answers debug requests from a sandbox's {@link Kernel}. {@link #handle} runs on the
 * sentry's event loop only ({@link #execute} puts it there).
 */
final class KernelDebugService implements DebugServer.DebugService {
    private final Kernel kernel;
    private final String id;
    private final int shimPid;
    private final int uid;
    private final Path socket;
    private final long startedMs = System.currentTimeMillis();
    private final int sentryPid = (int) ProcessHandle.current().pid();

    KernelDebugService(Kernel kernel, String id, int shimPid, int uid, Path socket) {
        this.kernel = kernel;
        this.id = id;
        this.shimPid = shimPid;
        this.uid = uid;
        this.socket = socket;
    }

    @Override
    public void execute(Runnable task) {
        kernel.loop().execute(task);
    }

    @Override
    public DebugResponse handle(DebugRequest request) {
        return switch (request.getBodyCase()) {
            case LIST_TASKS -> DebugResponse.newBuilder().setTasks(ModelSnapshot.tasks(rows())).build();
            case LIST_NAMESPACES -> DebugResponse.newBuilder()
                    .setNamespaces(ModelSnapshot.namespaces(kernel.registry().live(), rows())).build();
            case DESCRIBE_SANDBOX -> DebugResponse.newBuilder().setSandbox(describe()).build();
            default -> DebugServer.error("unknown request " + request.getBodyCase()
                    + " (is this nsentry older than the client?)");
        };
    }

    private SandboxInfo describe() {
        long emulated = kernel.registry().live().stream().filter(n -> !n.isInitial()).count();
        return SandboxInfo.newBuilder().setId(id).setShimPid(shimPid).setSentryPid(sentryPid)
                .setRootPid(kernel.tasks().rootPid()).setUid(uid).addAllArgv(kernel.options().command())
                .setStartedUnixMs(startedMs).setTaskCount(kernel.tasks().size())
                .setEmulatedNamespaceCount((int) emulated).setEmulatedRoot(kernel.options().emulatedRoot())
                .setSocket(socket.toString()).build();
    }

    /**
     * The tasks the sentry tracks, then every other live thread of the sandbox's process
     * tree (under the shim, which adopts orphans) with the state it inherited from its
     * nearest tracked ancestor (exact: the task table registers unseen children before it
     * changes a parent, so a child still unseen has its parent's current state).
     */
    private List<TaskRow> rows() {
        List<TaskRow> rows = new ArrayList<>();
        Map<Integer, TaskState> known = new HashMap<>();
        Map<Integer, TaskState> knownProcess = new HashMap<>();
        for (Task t : kernel.tasks().all()) {
            if (t.exited()) {
                continue;
            }
            ProcStatus s = ProcStatus.read(kernel.linux(), t.tid());
            if (s != null && s.isZombie()) {
                continue;
            }
            rows.add(new TaskRow(t.tid(), t.tgid(), s == null ? 0 : s.ppid(), s == null ? t.comm() : s.name(), t.state(), true));
            known.put(t.tid(), t.state());
            knownProcess.putIfAbsent(t.tgid(), t.state());
            if (t.isThreadGroupLeader()) {
                knownProcess.put(t.tgid(), t.state());
            }
        }
        Set<Integer> visited = new HashSet<>();
        for (int child : ProcStatus.children(shimPid)) {
            if (child != sentryPid) {
                unseen(child, null, known, knownProcess, rows, visited, 0);
            }
        }
        return rows;
    }

    private void unseen(int pid, TaskState inheritedFromParent, Map<Integer, TaskState> known,
            Map<Integer, TaskState> knownProcess, List<TaskRow> rows, Set<Integer> visited, int depth) {
        if (depth > 4096 || !visited.add(pid)) {
            return;
        }
        TaskState mine = knownProcess.get(pid);
        if (mine == null && inheritedFromParent != null) {
            mine = inheritedFromParent;
        }
        if (mine != null) {
            for (int tid : ProcStatus.threads(pid)) {
                if (known.containsKey(tid)) {
                    continue;
                }
                ProcStatus s = ProcStatus.read(kernel.linux(), tid);
                if (s == null || s.isZombie()) {
                    continue;
                }
                rows.add(new TaskRow(tid, s.tgid(), s.ppid(), s.name(), known.getOrDefault(tid, mine), false));
            }
        }
        TaskState forChildren = mine == null ? null : TaskTable.forkedChild(mine);
        for (int child : ProcStatus.children(pid)) {
            unseen(child, forChildren, known, knownProcess, rows, visited, depth + 1);
        }
    }
}
