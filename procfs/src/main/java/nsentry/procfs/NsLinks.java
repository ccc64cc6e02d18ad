package nsentry.procfs;

import nsentry.abi.Errno;
import nsentry.abi.SyscallException;
import nsentry.nsfs.Credentials;
import nsentry.nsfs.Namespace;
import nsentry.nsfs.PtraceRules;
import nsentry.nsfs.TaskState;

/**
 * /proc/PID/ns/* (fs/proc/namespaces.c proc_ns_get_link, proc_ns_readlink): magic links
 * "type:[inode]" (pid_for_children reads "pid:[…]", time_for_children "time:[…]"), directory
 * mode 0511, links S_IFLNK|0777. Access needs PTRACE_MODE_READ_FSCREDS.
 */
public final class NsLinks {
    private NsLinks() {}

    /** The namespace an entry of a task refers to. */
    public static Namespace target(TaskState task, NsEntry e) {
        return switch (e) {
            case NET -> task.ns().net();
            case UTS -> task.ns().uts();
            case IPC -> task.ns().ipc();
            case PID -> task.activePidNs();
            case PID_FOR_CHILDREN -> task.ns().pidForChildren();
            case USER -> task.cred().userNs();
            case MNT -> task.ns().mnt();
            case CGROUP -> task.ns().cgroup();
            case TIME -> task.ns().time();
            case TIME_FOR_CHILDREN -> task.ns().timeForChildren();
        };
    }

    /** readlink text, e.g. "user:[4026531837]". */
    public static String readlink(TaskState task, NsEntry e) {
        return target(task, e).linkText();
    }

    /**
     * The access check of readlink and open (proc_ns_get_link/proc_ns_readlink):
     * ptrace_may_access(task, PTRACE_MODE_READ_FSCREDS), else EACCES. (A zombie target is
     * ENOENT and a reaped one ESRCH; the sentry knows those. pid_for_children before the new
     * pid namespace has its first process is ENOENT, also the sentry's.)
     */
    public static void checkAccess(Credentials caller, boolean sameThreadGroup, PtraceRules.Target target,
            NsEntry e) throws SyscallException {
        if (!PtraceRules.mayAccess(caller, sameThreadGroup, target, PtraceRules.Mode.READ_FSCREDS)) {
            throw new SyscallException(Errno.EACCES, "proc_ns_get_link", "the caller may not inspect the target"
                    + " process (PTRACE_MODE_READ_FSCREDS: its fsuid/fsgid differ from the target's uids/gids and it"
                    + " has no CAP_SYS_PTRACE over the target's user namespace), so /proc/PID/ns/" + e.fileName()
                    + " is not accessible");
        }
    }
}
