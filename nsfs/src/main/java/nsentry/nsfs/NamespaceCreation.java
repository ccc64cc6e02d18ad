package nsentry.nsfs;

import java.util.ArrayList;
import java.util.List;
import nsentry.abi.Capability;
import nsentry.abi.CloneFlags;
import nsentry.abi.Errno;
import nsentry.abi.Nsfs;
import nsentry.abi.SyscallException;

/** kernel/nsproxy.c create_new_namespaces(), shared by unshare and clone. */
final class NamespaceCreation {
    private NamespaceCreation() {}

    static final long NEW_NON_USER = CloneFlags.CLONE_NEWNS | CloneFlags.CLONE_NEWUTS | CloneFlags.CLONE_NEWIPC
            | CloneFlags.CLONE_NEWNET | CloneFlags.CLONE_NEWPID | CloneFlags.CLONE_NEWCGROUP | CloneFlags.CLONE_NEWTIME;

    /**
     * create_new_namespaces(): copies {@code old}, creating the namespaces {@code flags} asks
     * for, in the kernel's order (mnt, uts, ipc, pid, cgroup, net, time), owned by
     * {@code userNs} and charged to {@code creatorEuid}. On failure the namespaces already
     * created are discarded. The result's {@code time} is {@code old.time()} (the caller
     * applies timens_on_fork); NEWPID and NEWTIME change only the *_for_children slots.
     *
     * @param activePidNs the calling task's active pid namespace (copy_pid_ns)
     * @param callerCred the caller's current credentials (for copy_cgroup_ns' ns_capable)
     */
    static NsSet create(long flags, NsSet old, UserNamespace userNs, Kuid creatorEuid, PidNamespace activePidNs,
            Credentials callerCred, NamespaceRegistry reg, String label) throws SyscallException {
        List<Namespace> made = new ArrayList<>();
        try {
            NsSet n = old;
            if ((flags & CloneFlags.CLONE_NEWNS) != 0) {
                n = n.withMnt((MountNamespace) add(made, reg.newNamespace(NsType.MNT, userNs, creatorEuid, old.mnt(),
                        label, "copy_mnt_ns")));
            }
            if ((flags & CloneFlags.CLONE_NEWUTS) != 0) {
                n = n.withUts((UtsNamespace) add(made, reg.newNamespace(NsType.UTS, userNs, creatorEuid, old.uts(),
                        label, "copy_utsname")));
            }
            if ((flags & CloneFlags.CLONE_NEWIPC) != 0) {
                n = n.withIpc((IpcNamespace) add(made, reg.newNamespace(NsType.IPC, userNs, creatorEuid, old.ipc(),
                        label, "copy_ipcs")));
            }
            if ((flags & CloneFlags.CLONE_NEWPID) != 0) {
                n = n.withPidForChildren((PidNamespace) add(made, newPid(old.pidForChildren(), userNs, creatorEuid,
                        activePidNs, reg, label)));
            }
            if ((flags & CloneFlags.CLONE_NEWCGROUP) != 0) {
                // copy_cgroup_ns(): its own (redundant) CAP_SYS_ADMIN check
                if (!Capabilities.nsCapable(callerCred, userNs, Capability.CAP_SYS_ADMIN)) {
                    throw new SyscallException(Errno.EPERM, "copy_cgroup_ns",
                            Explain.lacks(callerCred, Capability.CAP_SYS_ADMIN, userNs));
                }
                n = n.withCgroup((CgroupNamespace) add(made, reg.newNamespace(NsType.CGROUP, userNs, creatorEuid,
                        old.cgroup(), label, "copy_cgroup_ns")));
            }
            if ((flags & CloneFlags.CLONE_NEWNET) != 0) {
                n = n.withNet((NetNamespace) add(made, reg.newNamespace(NsType.NET, userNs, creatorEuid, old.net(),
                        label, "copy_net_ns")));
            }
            if ((flags & CloneFlags.CLONE_NEWTIME) != 0) {
                n = n.withTimeForChildren((TimeNamespace) add(made, reg.newNamespace(NsType.TIME, userNs,
                        creatorEuid, old.timeForChildren(), label, "copy_time_ns")));
            }
            return n;
        } catch (SyscallException e) {
            for (int i = made.size() - 1; i >= 0; i--) {
                reg.discard(made.get(i));
            }
            throw e;
        }
    }

    private static Namespace add(List<Namespace> made, Namespace ns) {
        made.add(ns);
        return ns;
    }

    /** copy_pid_ns() + create_pid_namespace(). */
    private static PidNamespace newPid(PidNamespace forChildren, UserNamespace userNs, Kuid euid,
            PidNamespace active, NamespaceRegistry reg, String label) throws SyscallException {
        if (active != forChildren) {
            throw new SyscallException(Errno.EINVAL, "copy_pid_ns", "the caller already unshared a pid namespace ("
                    + forChildren.linkText() + " for its children) and has not forked into it yet; its active pid"
                    + " namespace is " + active.linkText());
        }
        if (!forChildren.owner().isAncestorOf(userNs)) {
            throw new SyscallException(Errno.EINVAL, "create_pid_namespace", "the new pid namespace's user namespace "
                    + userNs.describe() + " is not the owner of the parent pid namespace "
                    + forChildren.linkText() + " (" + forChildren.owner().describe() + ") or a descendant of it");
        }
        if (forChildren.level() + 1 > Nsfs.MAX_PID_NS_LEVEL) {
            throw new SyscallException(Errno.ENOSPC, "create_pid_namespace", "pid namespace "
                    + forChildren.linkText() + " is at level " + forChildren.level()
                    + "; pid namespaces nest at most 32 levels below the initial one");
        }
        return reg.newPidNamespace(userNs, euid, forChildren, label, "create_pid_namespace");
    }

    /** Names of the namespace types in {@code flags}, e.g. "mnt,uts". */
    static String typeNames(long flags) {
        StringBuilder sb = new StringBuilder();
        for (NsType t : NsType.values()) {
            if ((flags & t.cloneFlag()) != 0 && t != NsType.USER) {
                if (sb.length() > 0) {
                    sb.append(',');
                }
                sb.append(t.procName());
            }
        }
        return sb.toString();
    }
}
