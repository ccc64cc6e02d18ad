package nsentry.sentry.calls;

import static nsentry.syscall.LittleEndian.putU32;
import static nsentry.syscall.LittleEndian.u32;

import nsentry.abi.Capability;
import nsentry.abi.Errno;
import nsentry.abi.Prctl;
import nsentry.abi.SyscallException;
import nsentry.nsfs.CapabilityRules;
import nsentry.nsfs.Credentials;
import nsentry.sentry.dispatch.Call;
import nsentry.sentry.dispatch.TaskGone;
import nsentry.sentry.dispatch.Verdict;
import nsentry.sentry.runtime.Kernel;
import nsentry.sentry.task.Task;

/**
 * capget/capset (kernel/capability.c) and the capability prctls (kernel/sys.c,
 * security/commoncap.c cap_task_prctl). This class decodes the user ABI; the rules are in
 * {@link CapabilityRules}.
 */
public final class CapabilityCalls {
    private final Kernel kernel;

    public CapabilityCalls(Kernel kernel) {
        this.kernel = kernel;
    }

    /** cap_validate_magic: the number of u32 words per set, or -1 for an unknown version. */
    private static int wordsFor(int version) {
        return switch (version) {
            case Capability.VERSION_1 -> 1;
            case Capability.VERSION_2, Capability.VERSION_3 -> 2;
            default -> -1;
        };
    }

    /** struct __user_cap_header_struct, with the number of data words its version implies (-1: unknown). */
    private record Header(int version, int pid, int words) {}

    /**
     * cap_validate_magic: reads the header; an unknown version is answered by writing the
     * kernel's version back into it (the caller then fails with EINVAL, or capget with a
     * NULL data pointer succeeds: that is how libcap probes the version).
     */
    private static Header header(Call c) throws SyscallException, TaskGone {
        long hdr = c.arg(0);
        if (c.tracing()) {
            c.describe(ptr(hdr) + ", " + ptr(c.arg(1)));
        }
        byte[] h = c.read(hdr, 8);
        Header header = new Header(u32(h, 0), u32(h, 4), wordsFor(u32(h, 0)));
        if (header.words() < 0) {
            c.writeU32(hdr, Capability.VERSION_3);
        }
        return header;
    }

    /** capget(hdrp, datap) */
    public Verdict capget(Call c) throws SyscallException, TaskGone {
        long data = c.arg(1);
        Header h = header(c);
        int version = h.version();
        int pid = h.pid();
        int words = h.words();
        if (words < 0) {
            if (data == 0) {
                return Verdict.value(0);
            }
            throw new SyscallException(Errno.EINVAL, "cap_validate_magic", "unknown capability version 0x"
                    + Integer.toHexString(version) + "; the kernel's (0x20080522) was written to the header");
        }
        if (data == 0) {
            return Verdict.value(0);
        }
        if (pid < 0) {
            throw new SyscallException(Errno.EINVAL, "capget", "pid " + pid + " is negative");
        }
        Credentials cr = c.task().state().cred();
        if (pid != 0 && pid != c.task().tgid() && pid != c.tid()) {
            Task target = kernel.tasks().lookup(pid);
            if (target == null) {
                return Verdict.cont(); // a process outside the sandbox: the kernel answers
            }
            cr = target.state().cred();
        }
        byte[] out = new byte[12 * words];
        for (int i = 0; i < words; i++) {
            putU32(out, i * 12, (int) (cr.capEffective() >>> (32 * i)));
            putU32(out, i * 12 + 4, (int) (cr.capPermitted() >>> (32 * i)));
            putU32(out, i * 12 + 8, (int) (cr.capInheritable() >>> (32 * i)));
        }
        c.write(data, out);
        return Verdict.value(0);
    }

    /** capset(hdrp, datap) */
    public Verdict capset(Call c) throws SyscallException, TaskGone {
        long data = c.arg(1);
        Header h = header(c);
        int version = h.version();
        int pid = h.pid();
        int words = h.words();
        if (words < 0) {
            throw new SyscallException(Errno.EINVAL, "cap_validate_magic", "unknown capability version 0x"
                    + Integer.toHexString(version));
        }
        if (pid != 0 && pid != c.tid()) { // task_pid_vnr(current): the calling thread
            throw new SyscallException(Errno.EPERM, "capset", "pid " + pid + " is not the caller; capset only "
                    + "changes the calling process");
        }
        byte[] d = c.read(data, 12 * words);
        // mk_kernel_cap: bits above CAP_LAST_CAP are masked off, not refused
        CapabilityRules.CapSets sets = CapabilityRules.decode(d, words);
        if (c.tracing()) {
            c.describe("{version=0x" + Integer.toHexString(version) + ", pid=" + pid + "}, {effective=0x"
                    + Long.toHexString(sets.effective()) + ", permitted=0x" + Long.toHexString(sets.permitted())
                    + ", inheritable=0x" + Long.toHexString(sets.inheritable()) + "}");
        }
        Credentials next = CapabilityRules.capset(c.task().state().cred(), sets);
        return apply(c, next);
    }

    /** prctl(option, arg2, arg3, arg4, arg5) for the capability options. */
    public Verdict prctl(Call c) throws SyscallException {
        int option = c.intArg(0);
        long a2 = c.arg(1);
        long a3 = c.arg(2);
        long a4 = c.arg(3);
        long a5 = c.arg(4);
        Credentials cr = c.task().state().cred();
        if (c.tracing()) {
            c.describe(prctlName(option) + ", " + a2 + (option == Prctl.PR_CAP_AMBIENT ? ", " + a3 : ""));
        }
        switch (option) {
            case Prctl.PR_CAPBSET_READ -> {
                return Verdict.value(CapabilityRules.capbsetRead(cr, a2));
            }
            case Prctl.PR_CAPBSET_DROP -> {
                return apply(c, CapabilityRules.capbsetDrop(cr, a2));
            }
            case Prctl.PR_GET_KEEPCAPS -> {
                return Verdict.value(cr.keepCaps() ? 1 : 0);
            }
            case Prctl.PR_SET_KEEPCAPS -> {
                return apply(c, CapabilityRules.setKeepcaps(cr, a2));
            }
            case Prctl.PR_GET_SECUREBITS -> {
                return Verdict.value(cr.securebits());
            }
            case Prctl.PR_SET_SECUREBITS -> {
                return apply(c, CapabilityRules.setSecurebits(cr, a2));
            }
            case Prctl.PR_GET_NO_NEW_PRIVS -> {
                // kernel/sys.c: arg2..arg5 must be 0
                if ((a2 | a3 | a4 | a5) != 0) {
                    throw new SyscallException(Errno.EINVAL, "prctl", "PR_GET_NO_NEW_PRIVS takes no arguments");
                }
                return Verdict.value(c.task().noNewPrivs() ? 1 : 0);
            }
            case Prctl.PR_SET_NO_NEW_PRIVS -> {
                if (a2 != 1 || (a3 | a4 | a5) != 0) {
                    throw new SyscallException(Errno.EINVAL, "prctl", "PR_SET_NO_NEW_PRIVS takes exactly 1");
                }
                c.task().setNoNewPrivs(true); // the real flag is set already (by the shim)
                return Verdict.value(0);
            }
            case Prctl.PR_GET_DUMPABLE -> {
                return Verdict.value(c.task().dumpable());
            }
            case Prctl.PR_SET_DUMPABLE -> {
                // SUID_DUMP_DISABLE (0) or SUID_DUMP_USER (1); kept in the model only, so the
                // sentry can still read the task's memory and fds (spikes.md §2)
                if (a2 != 0 && a2 != 1) {
                    throw new SyscallException(Errno.EINVAL, "prctl", "PR_SET_DUMPABLE takes 0 or 1, not " + a2);
                }
                c.task().setDumpable((int) a2);
                return Verdict.value(0);
            }
            case Prctl.PR_CAP_AMBIENT -> {
                CapabilityRules.PrctlResult r = CapabilityRules.capAmbient(cr, a2, a3, a4, a5);
                if (r.cred() == cr) {
                    return Verdict.value(r.value());
                }
                return apply(c, r.cred());
            }
            default -> {
                return Verdict.cont();
            }
        }
    }

    private Verdict apply(Call c, Credentials next) {
        return kernel.commitCred(c.task(), next);
    }

    static String prctlName(int option) {
        return switch (option) {
            case Prctl.PR_GET_KEEPCAPS -> "PR_GET_KEEPCAPS";
            case Prctl.PR_SET_KEEPCAPS -> "PR_SET_KEEPCAPS";
            case Prctl.PR_CAPBSET_READ -> "PR_CAPBSET_READ";
            case Prctl.PR_CAPBSET_DROP -> "PR_CAPBSET_DROP";
            case Prctl.PR_GET_SECUREBITS -> "PR_GET_SECUREBITS";
            case Prctl.PR_SET_SECUREBITS -> "PR_SET_SECUREBITS";
            case Prctl.PR_CAP_AMBIENT -> "PR_CAP_AMBIENT";
            case Prctl.PR_GET_DUMPABLE -> "PR_GET_DUMPABLE";
            case Prctl.PR_SET_DUMPABLE -> "PR_SET_DUMPABLE";
            case Prctl.PR_GET_NO_NEW_PRIVS -> "PR_GET_NO_NEW_PRIVS";
            case Prctl.PR_SET_NO_NEW_PRIVS -> "PR_SET_NO_NEW_PRIVS";
            default -> Integer.toString(option);
        };
    }


    static String ptr(long addr) {
        return addr == 0 ? "NULL" : "0x" + Long.toHexString(addr);
    }
}
