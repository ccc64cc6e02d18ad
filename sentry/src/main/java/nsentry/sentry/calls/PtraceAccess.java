package nsentry.sentry.calls;

import nsentry.abi.Capability;
import nsentry.nsfs.Capabilities;
import nsentry.nsfs.Credentials;
import nsentry.sentry.task.Task;

/**
 * __ptrace_may_access (kernel/ptrace.c) on emulated credentials: same thread group; or
 * the caller's (real or fs) uid matches the target's uid, euid and suid and likewise for
 * gids; or the caller has CAP_SYS_PTRACE in the target's user namespace. The target's
 * dumpable flag adds the mm's user namespace check (ptracer_capable).
 */
final class PtraceAccess {
    private PtraceAccess() {}

    /** PTRACE_MODE_READ_REALCREDS (setns with a pidfd). */
    static boolean readRealCreds(Task caller, Task target) {
        return allowed(caller, target, false);
    }

    /** PTRACE_MODE_READ_FSCREDS (/proc/PID/ns access). */
    static boolean readFsCreds(Task caller, Task target) {
        return allowed(caller, target, true);
    }

    private static boolean allowed(Task caller, Task target, boolean fsCreds) {
        if (caller.tgid() == target.tgid()) {
            return true;
        }
        Credentials c = caller.state().cred();
        Credentials t = target.state().cred();
        int uid = fsCreds ? c.fsuid().value() : c.uid().value();
        int gid = fsCreds ? c.fsgid().value() : c.gid().value();
        boolean idsMatch = uid == t.uid().value() && uid == t.euid().value() && uid == t.suid().value()
                && gid == t.gid().value() && gid == t.egid().value() && gid == t.sgid().value();
        boolean capable = Capabilities.capable(c, t.userNs(), Capability.CAP_SYS_PTRACE);
        if (!idsMatch && !capable) {
            return false;
        }
        return target.dumpable() == 1 || capable;
    }
}
