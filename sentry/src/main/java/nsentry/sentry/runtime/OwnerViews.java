package nsentry.sentry.runtime;

import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

import nsentry.nsfs.IdExtent;
import nsentry.nsfs.IdMap;
import nsentry.nsfs.UserNamespace;
import nsentry.proto.OwnerView;
import nsentry.proto.SentryMessage;
import nsentry.sentry.dispatch.Call;
import nsentry.sentry.dispatch.Verdict;

/**
 * The sentry's half of owner translation for the stat calls it does not see
 * (native/src/owners.h; DESIGN.md "Owner views"). lstat, fstat and the AT_SYMLINK_NOFOLLOW /
 * AT_EMPTY_PATH forms of newfstatat and statx never reach the sentry: in the sandbox's
 * initial user namespace the kernel's answer is already right. A task that enters a nested
 * user namespace gets a second filter that sends those calls to the shim as its ptrace
 * tracer, which rewrites st_uid/st_gid through the task's <em>view</em>: the id maps of its
 * user namespace (from_kuid_munged in cp_new_stat / cp_statx).
 *
 * <p>The model decides; this class keeps the shim's copy of the views current and binds
 * tasks to them. Whenever a task changes user namespace or a map it sees changes, the
 * notification is answered by the shim after it has applied the change, so the task cannot
 * make a stat that the shim would translate with an old view.
 */
public final class OwnerViews {
    /** The view LaunchConfig gives a workload started in a nested user namespace (--root). */
    public static final long ROOT_VIEW_ID = 1;

    private final Kernel kernel;
    /** False with --debuggable: the sentry translates every stat itself, nothing is traced. */
    private final boolean enabled;
    private final Map<UserNamespace, Long> ids = new IdentityHashMap<>();
    /** What the shim has, per view id: {uid map, gid map}. */
    private final Map<Long, IdMap[]> sent = new HashMap<>();
    private long nextId = ROOT_VIEW_ID + 1;

    OwnerViews(Kernel kernel, boolean enabled) {
        this.kernel = kernel;
        this.enabled = enabled;
    }

    /** The message for a view. */
    public static OwnerView view(long id, IdMap uid, IdMap gid) {
        OwnerView.Builder b = OwnerView.newBuilder().setViewId(id);
        for (IdExtent e : uid.extents()) {
            b.addUidExtents(extent(e));
        }
        for (IdExtent e : gid.extents()) {
            b.addGidExtents(extent(e));
        }
        return b.build();
    }

    private static nsentry.proto.IdExtent extent(IdExtent e) {
        return nsentry.proto.IdExtent.newBuilder().setFirst((int) e.first()).setLowerFirst((int) e.lowerFirst())
                .setCount((int) e.count()).build();
    }

    /** --root: the workload was launched bound to {@link #ROOT_VIEW_ID} with these maps. */
    void launchedIn(UserNamespace ns, IdMap uidSent, IdMap gidSent) {
        ids.put(ns, ROOT_VIEW_ID);
        sent.put(ROOT_VIEW_ID, new IdMap[] {uidSent, gidSent});
        nsentry.proto.OwnerViews.Builder b = nsentry.proto.OwnerViews.newBuilder();
        if (addIfStale(b, ns)) {
            send(b);
        }
    }

    /** The view id of a user namespace; 0 (the identity) for the initial one. */
    private long idOf(UserNamespace ns) {
        if (ns.isInitial()) {
            return 0;
        }
        return ids.computeIfAbsent(ns, n -> nextId++);
    }

    /** Adds ns's view to b unless the shim has it as it is now; true if added. */
    private boolean addIfStale(nsentry.proto.OwnerViews.Builder b, UserNamespace ns) {
        if (ns.isInitial()) {
            return false;
        }
        long id = idOf(ns);
        IdMap[] has = sent.get(id);
        if (has != null && has[0].equals(ns.uidMap()) && has[1].equals(ns.gidMap())) {
            return false;
        }
        sent.put(id, new IdMap[] {ns.uidMap(), ns.gidMap()});
        b.addViews(view(id, ns.uidMap(), ns.gidMap()));
        return true;
    }

    private void send(nsentry.proto.OwnerViews.Builder b) {
        kernel.shim().send(SentryMessage.newBuilder().setOwnerViews(b).build());
    }

    /**
     * Call {@code c} moved its task into the nested user namespace {@code ns} (unshare,
     * setns): the shim binds the task to the namespace's view, first attaching to it and
     * giving it the owner filter if it has not got them, then answers {@code c} with
     * {@code value}.
     */
    public Verdict entered(Call c, UserNamespace ns, long value) {
        if (!enabled) {
            return Verdict.value(value);
        }
        nsentry.proto.OwnerViews.Builder b = nsentry.proto.OwnerViews.newBuilder();
        addIfStale(b, ns);
        long id = idOf(ns);
        b.setTid(c.tid()).setBindViewId(id).setNotificationId(c.notification().id()).setReplyValue(value);
        send(b);
        return new Verdict.Deferred("= " + value + ", answered by the shim once it translates the task's stat "
                + "owners through view " + id);
    }

    /**
     * The view id a rewritten clone's child is bound to in ReleaseTask (its view sent first),
     * 0 if the child stays in the initial user namespace.
     */
    public long forChild(UserNamespace ns) {
        if (ns.isInitial() || !enabled) {
            return 0;
        }
        nsentry.proto.OwnerViews.Builder b = nsentry.proto.OwnerViews.newBuilder();
        if (addIfStale(b, ns)) {
            send(b);
        }
        return idOf(ns);
    }

    /**
     * A write by {@code c}, answered with {@code value}, changed a map of {@code ns}: if
     * tasks are bound to its view, the shim updates it and then answers.
     */
    public Verdict mapWritten(Call c, UserNamespace ns, long value) {
        nsentry.proto.OwnerViews.Builder b = nsentry.proto.OwnerViews.newBuilder();
        if (!enabled || !ids.containsKey(ns) || !addIfStale(b, ns)) {
            return Verdict.value(value); // no task bound yet: the view goes with the first binding
        }
        b.setNotificationId(c.notification().id()).setReplyValue(value);
        send(b);
        return new Verdict.Deferred("= " + value + ", answered by the shim once view " + idOf(ns) + " has the map");
    }

    /** As {@link #mapWritten(Call, UserNamespace, long)}, for a write nobody waits for. */
    public void mapWritten(UserNamespace ns) {
        nsentry.proto.OwnerViews.Builder b = nsentry.proto.OwnerViews.newBuilder();
        if (ids.containsKey(ns) && addIfStale(b, ns)) {
            send(b);
        }
    }
}
