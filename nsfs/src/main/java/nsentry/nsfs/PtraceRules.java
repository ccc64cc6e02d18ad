package nsentry.nsfs;

import nsentry.abi.Capability;

/**
 * ptrace_may_access() (kernel/ptrace.c __ptrace_may_access + security/commoncap.c
 * cap_ptrace_access_check), for the READ modes: /proc/PID/ns access (READ_FSCREDS) and
 * setns on a pidfd (READ_REALCREDS). Yama does not restrict READ modes.
 */
public final class PtraceRules {
    private PtraceRules() {}

    /** Which caller ids are compared. */
    public enum Mode {
        /** PTRACE_MODE_READ_FSCREDS: fsuid/fsgid, effective caps for the subset test. */
        READ_FSCREDS,
        /** PTRACE_MODE_READ_REALCREDS: uid/gid, permitted caps for the subset test. */
        READ_REALCREDS
    }

    /**
     * Facts about the target task.
     *
     * @param cred its credentials
     * @param dumpable get_dumpable(mm) == SUID_DUMP_USER
     * @param mmUserNs mm-&gt;user_ns (the user namespace it last exec'd in); null if it has no mm
     */
    public record Target(Credentials cred, boolean dumpable, UserNamespace mmUserNs) {}

    /** Whether {@code caller} may access {@code target} in {@code mode}. */
    public static boolean mayAccess(Credentials caller, boolean sameThreadGroup, Target target, Mode mode) {
        if (sameThreadGroup) {
            return true;
        }
        Credentials t = target.cred();
        Kuid cu = mode == Mode.READ_FSCREDS ? caller.fsuid() : caller.uid();
        Kgid cg = mode == Mode.READ_FSCREDS ? caller.fsgid() : caller.gid();
        boolean idsMatch = cu.equals(t.euid()) && cu.equals(t.suid()) && cu.equals(t.uid()) && cg.equals(t.egid())
                && cg.equals(t.sgid()) && cg.equals(t.gid());
        if (!idsMatch && !Capabilities.capable(caller, t.userNs(), Capability.CAP_SYS_PTRACE)) {
            return false;
        }
        if (target.mmUserNs() != null && !target.dumpable()
                && !Capabilities.capable(caller, target.mmUserNs(), Capability.CAP_SYS_PTRACE)) {
            return false;
        }
        // cap_ptrace_access_check()
        long callerCaps = mode == Mode.READ_FSCREDS ? caller.capEffective() : caller.capPermitted();
        if (caller.userNs() == t.userNs() && (t.capPermitted() & ~callerCaps) == 0) {
            return true;
        }
        return Capabilities.capable(caller, t.userNs(), Capability.CAP_SYS_PTRACE);
    }
}
