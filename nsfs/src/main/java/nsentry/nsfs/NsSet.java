package nsentry.nsfs;

import java.util.Objects;

/**
 * A task's nsproxy: every namespace but the user namespace (which lives in
 * {@link Credentials#userNs()}) and the active pid namespace (fixed for a task's life, in
 * {@link TaskState#activePidNs()}). {@code pidForChildren} and {@code timeForChildren}
 * are what children get; {@code time} is the task's own time namespace.
 */
public record NsSet(MountNamespace mnt, UtsNamespace uts, IpcNamespace ipc, NetNamespace net,
        PidNamespace pidForChildren, CgroupNamespace cgroup, TimeNamespace time, TimeNamespace timeForChildren) {

    public NsSet {
        Objects.requireNonNull(mnt);
        Objects.requireNonNull(uts);
        Objects.requireNonNull(ipc);
        Objects.requireNonNull(net);
        Objects.requireNonNull(pidForChildren);
        Objects.requireNonNull(cgroup);
        Objects.requireNonNull(time);
        Objects.requireNonNull(timeForChildren);
    }

    /** The namespace of {@code type} in this set, for the types it holds (not USER). */
    public Namespace get(NsType type) {
        return switch (type) {
            case MNT -> mnt;
            case UTS -> uts;
            case IPC -> ipc;
            case NET -> net;
            case PID -> pidForChildren;
            case CGROUP -> cgroup;
            case TIME -> time;
            case USER -> throw new IllegalArgumentException("the user namespace is in Credentials");
        };
    }

    public NsSet withMnt(MountNamespace v) {
        if (v == mnt) {
            return this; // joining the namespace the set has: nothing to copy
        }
        return new NsSet(v, uts, ipc, net, pidForChildren, cgroup, time, timeForChildren);
    }

    public NsSet withUts(UtsNamespace v) {
        if (v == uts) {
            return this; // joining the namespace the set has: nothing to copy
        }
        return new NsSet(mnt, v, ipc, net, pidForChildren, cgroup, time, timeForChildren);
    }

    public NsSet withIpc(IpcNamespace v) {
        if (v == ipc) {
            return this; // joining the namespace the set has: nothing to copy
        }
        return new NsSet(mnt, uts, v, net, pidForChildren, cgroup, time, timeForChildren);
    }

    public NsSet withNet(NetNamespace v) {
        if (v == net) {
            return this; // joining the namespace the set has: nothing to copy
        }
        return new NsSet(mnt, uts, ipc, v, pidForChildren, cgroup, time, timeForChildren);
    }

    public NsSet withPidForChildren(PidNamespace v) {
        if (v == pidForChildren) {
            return this; // joining the namespace the set has: nothing to copy
        }
        return new NsSet(mnt, uts, ipc, net, v, cgroup, time, timeForChildren);
    }

    public NsSet withCgroup(CgroupNamespace v) {
        if (v == cgroup) {
            return this; // joining the namespace the set has: nothing to copy
        }
        return new NsSet(mnt, uts, ipc, net, pidForChildren, v, time, timeForChildren);
    }

    public NsSet withTime(TimeNamespace v) {
        if (v == time) {
            return this; // joining the namespace the set has: nothing to copy
        }
        return new NsSet(mnt, uts, ipc, net, pidForChildren, cgroup, v, timeForChildren);
    }

    public NsSet withTimeForChildren(TimeNamespace v) {
        if (v == timeForChildren) {
            return this; // joining the namespace the set has: nothing to copy
        }
        return new NsSet(mnt, uts, ipc, net, pidForChildren, cgroup, time, v);
    }

    // equals/hashCode written out: a record's generated ones bootstrap
    // java.lang.runtime.ObjectMethods on first use (tens of ms on JDK 17, inside whichever
    // syscall compares a model value first). StartupCostIT checks none is left.
    @Override
    public boolean equals(Object o) {
        return o instanceof NsSet n && n.mnt == mnt && n.uts == uts && n.ipc == ipc && n.net == net
                && n.pidForChildren == pidForChildren && n.cgroup == cgroup && n.time == time
                && n.timeForChildren == timeForChildren;
    }

    @Override
    public int hashCode() {
        int h = System.identityHashCode(mnt);
        for (Object ns : new Object[] {uts, ipc, net, pidForChildren, cgroup, time, timeForChildren}) {
            h = h * 31 + System.identityHashCode(ns);
        }
        return h;
    }
}
