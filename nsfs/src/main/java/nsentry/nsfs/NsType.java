package nsentry.nsfs;

import java.util.List;
import java.util.Optional;
import nsentry.abi.CloneFlags;

/** Namespace kinds, with their CLONE_NEW* flag and /proc name (include/linux/proc_ns.h). */
public enum NsType {
    USER(CloneFlags.CLONE_NEWUSER, "user"),
    MNT(CloneFlags.CLONE_NEWNS, "mnt"),
    UTS(CloneFlags.CLONE_NEWUTS, "uts"),
    IPC(CloneFlags.CLONE_NEWIPC, "ipc"),
    NET(CloneFlags.CLONE_NEWNET, "net"),
    PID(CloneFlags.CLONE_NEWPID, "pid"),
    CGROUP(CloneFlags.CLONE_NEWCGROUP, "cgroup"),
    TIME(CloneFlags.CLONE_NEWTIME, "time");

    /** The order in which setns(pidfd, flags) installs namespaces (kernel/nsproxy.c validate_nsset). */
    public static final List<NsType> SETNS_INSTALL_ORDER = List.of(USER, MNT, UTS, IPC, PID, CGROUP, NET, TIME);
    /** The order in which create_new_namespaces() creates them (kernel/nsproxy.c). */
    public static final List<NsType> CREATE_ORDER = List.of(MNT, UTS, IPC, PID, CGROUP, NET, TIME);

    private static final NsType[] VALUES = values();

    private final long cloneFlag;
    private final String procName;

    NsType(long cloneFlag, String procName) {
        this.cloneFlag = cloneFlag;
        this.procName = procName;
    }

    /** The CLONE_NEW* value (also what NS_GET_NSTYPE returns). */
    public long cloneFlag() {
        return cloneFlag;
    }

    /** The name used in /proc/PID/ns and in readlink text, e.g. "mnt". */
    public String procName() {
        return procName;
    }

    /** The /proc/sys/user file for this type's limit, e.g. "max_mnt_namespaces". */
    public String maxSysctlName() {
        return "max_" + procName + "_namespaces";
    }

    /** The type whose CLONE_NEW* value is exactly {@code flag}. */
    public static Optional<NsType> ofCloneFlag(long flag) {
        for (NsType t : VALUES) {
            if (t.cloneFlag == flag) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** The type named {@code procName} ("user", "mnt", ...). */
    public static Optional<NsType> ofProcName(String procName) {
        for (NsType t : VALUES) {
            if (t.procName.equals(procName)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
