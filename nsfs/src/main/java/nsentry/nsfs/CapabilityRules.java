package nsentry.nsfs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import nsentry.abi.Capability;
import nsentry.abi.Errno;
import nsentry.abi.Prctl;
import nsentry.abi.Securebits;
import nsentry.abi.SyscallException;

/**
 * capget/capset (kernel/capability.c, security/commoncap.c cap_capset) and the capability
 * prctls (security/commoncap.c cap_task_prctl, cap_prctl_drop). Data layout: an array of
 * struct __user_cap_data_struct {u32 effective, permitted, inheritable} — one for
 * version 1, two (low word first) for versions 2 and 3.
 */
public final class CapabilityRules {
    private CapabilityRules() {}

    /** sizeof(struct __user_cap_data_struct). */
    public static final int DATA_STRUCT_SIZE = 12;

    /** The three sets capget reports and capset takes. */
    public record CapSets(long effective, long permitted, long inheritable) {}

    /**
     * cap_validate_magic(): how many data structs the version uses (1 for v1, 2 for v2/v3).
     * Unknown version → EINVAL; the kernel then writes VERSION_3 into header-&gt;version (the
     * sentry's job; capget with a NULL data pointer then returns 0 instead of EINVAL).
     */
    public static int dataCount(int version) throws SyscallException {
        return switch (version) {
            case Capability.VERSION_1 -> 1;
            case Capability.VERSION_2, Capability.VERSION_3 -> 2;
            default -> throw new SyscallException(Errno.EINVAL, "cap_validate_magic", String.format(
                    "unknown capability header version 0x%08x (this kernel speaks 0x%08x)", version,
                    Capability.VERSION_3));
        };
    }

    /**
     * capget(2) after the header checks: {@code pid < 0} → EINVAL (looking the pid up, ESRCH,
     * is the sentry's). Returns the data bytes to copy out (12 or 24).
     */
    public static byte[] capget(Credentials target, int version, int pid) throws SyscallException {
        int n = dataCount(version);
        if (pid < 0) {
            throw new SyscallException(Errno.EINVAL, "capget", "negative pid " + pid);
        }
        return encode(new CapSets(target.capEffective(), target.capPermitted(), target.capInheritable()), n);
    }

    /** The capget data layout for {@code count} structs. */
    public static byte[] encode(CapSets s, int count) {
        ByteBuffer b = ByteBuffer.allocate(count * DATA_STRUCT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            b.putInt((int) (s.effective() >>> (32 * i)));
            b.putInt((int) (s.permitted() >>> (32 * i)));
            b.putInt((int) (s.inheritable() >>> (32 * i)));
        }
        return b.array();
    }

    /** mk_kernel_cap() over the capset data layout (missing high words are 0; masked to valid caps). */
    public static CapSets decode(byte[] data, int count) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        long[] v = new long[3];
        for (int i = 0; i < count && (i + 1) * DATA_STRUCT_SIZE <= data.length; i++) {
            for (int j = 0; j < 3; j++) {
                v[j] |= Integer.toUnsignedLong(b.getInt(i * DATA_STRUCT_SIZE + 4 * j)) << (32 * i);
            }
        }
        return new CapSets(v[0] & Capability.FULL_SET, v[1] & Capability.FULL_SET, v[2] & Capability.FULL_SET);
    }

    /**
     * capset(2): version (EINVAL), pid neither 0 nor the caller's → EPERM, then cap_capset():
     * new inheritable beyond old inheritable|permitted without CAP_SETPCAP → EPERM; beyond
     * old inheritable|bounding → EPERM; new permitted beyond old permitted → EPERM; new
     * effective beyond new permitted → EPERM. Ambient keeps only bits still in permitted
     * and inheritable.
     *
     * @param pid header-&gt;pid; {@code callerVpid} the caller's pid as it sees it
     * @param data the {@code dataCount(version) * 12} bytes read from the workload
     */
    public static Credentials capset(Credentials old, int version, int pid, int callerVpid, byte[] data)
            throws SyscallException {
        int n = dataCount(version);
        if (pid != 0 && pid != callerVpid) {
            throw new SyscallException(Errno.EPERM, "capset", "capset can only change the calling thread's"
                    + " capabilities; header pid is " + pid);
        }
        return capset(old, decode(data, n));
    }

    /** cap_capset() itself. */
    public static Credentials capset(Credentials old, CapSets s) throws SyscallException {
        long inh = s.inheritable();
        long prm = s.permitted();
        long eff = s.effective();
        boolean capped = !Capabilities.capable(old, old.userNs(), Capability.CAP_SETPCAP);
        long extra = inh & ~(old.capInheritable() | old.capPermitted());
        if (capped && extra != 0) {
            throw new SyscallException(Errno.EPERM, "cap_capset", "new inheritable set adds "
                    + Capabilities.describe(extra) + ", which is in neither the old inheritable nor the permitted"
                    + " set, and the caller lacks CAP_SETPCAP");
        }
        extra = inh & ~(old.capInheritable() | old.capBounding());
        if (extra != 0) {
            throw new SyscallException(Errno.EPERM, "cap_capset", "new inheritable set adds "
                    + Capabilities.describe(extra) + ", which is outside the bounding set");
        }
        extra = prm & ~old.capPermitted();
        if (extra != 0) {
            throw new SyscallException(Errno.EPERM, "cap_capset", "new permitted set adds "
                    + Capabilities.describe(extra) + "; the permitted set can only shrink");
        }
        extra = eff & ~prm;
        if (extra != 0) {
            throw new SyscallException(Errno.EPERM, "cap_capset", "new effective set has "
                    + Capabilities.describe(extra) + ", which is not in the new permitted set");
        }
        long amb = old.capAmbient() & prm & inh;
        return old.withCaps(inh, prm, eff, old.capBounding(), amb);
    }

    /** PR_CAPBSET_READ: 1 or 0; EINVAL for an invalid cap. */
    public static int capbsetRead(Credentials c, long cap) throws SyscallException {
        checkCap("cap_task_prctl", cap);
        return (c.capBounding() & (1L << cap)) != 0 ? 1 : 0;
    }

    /** cap_prctl_drop(): CAP_SETPCAP in the caller's namespace (EPERM) first, then a valid cap (EINVAL). */
    public static Credentials capbsetDrop(Credentials c, long cap) throws SyscallException {
        if (!Capabilities.nsCapable(c, c.userNs(), Capability.CAP_SETPCAP)) {
            throw new SyscallException(Errno.EPERM, "cap_prctl_drop", "dropping from the bounding set needs"
                    + " CAP_SETPCAP; " + Explain.lacks(c, Capability.CAP_SETPCAP, c.userNs()));
        }
        checkCap("cap_prctl_drop", cap);
        return c.withBounding(c.capBounding() & ~(1L << cap));
    }

    /**
     * PR_SET_SECUREBITS (6.14+): changing a locked bit, unlocking a lock or an unknown bit →
     * EPERM; without CAP_SETPCAP only SECURE_ALL_UNPRIVILEGED bits (and their locks) may
     * change, and a request that changes nothing is EPERM.
     */
    public static Credentials setSecurebits(Credentials c, long arg2) throws SyscallException {
        long old = c.securebits() & 0xFFFFFFFFL;
        if ((((old & Securebits.SECURE_ALL_LOCKS) >>> 1) & (old ^ arg2)) != 0) {
            throw new SyscallException(Errno.EPERM, "cap_task_prctl", String.format("securebits 0x%x would change"
                    + " a locked bit (current 0x%x)", arg2, old));
        }
        if ((old & Securebits.SECURE_ALL_LOCKS & ~arg2) != 0) {
            throw new SyscallException(Errno.EPERM, "cap_task_prctl", String.format("securebits 0x%x would clear a"
                    + " lock bit (current 0x%x); locks are permanent", arg2, old));
        }
        if ((arg2 & ~(long) (Securebits.SECURE_ALL_LOCKS | Securebits.SECURE_ALL_BITS)) != 0) {
            throw new SyscallException(Errno.EPERM, "cap_task_prctl", String.format("securebits 0x%x has unknown"
                    + " bits", arg2));
        }
        if (!Capabilities.capable(c, c.userNs(), Capability.CAP_SETPCAP)) {
            long unpriv = Securebits.SECURE_ALL_UNPRIVILEGED | (long) Securebits.SECURE_ALL_UNPRIVILEGED << 1;
            long changed = old ^ arg2;
            if (changed == 0) {
                throw new SyscallException(Errno.EPERM, "cap_task_prctl", "setting securebits without CAP_SETPCAP"
                        + " must change an unprivileged bit; this call changes nothing");
            }
            if ((changed & ~unpriv) != 0) {
                throw new SyscallException(Errno.EPERM, "cap_task_prctl", String.format("changing securebits 0x%x"
                        + " needs CAP_SETPCAP; ", changed & ~unpriv) + Explain.lacks(c, Capability.CAP_SETPCAP,
                                c.userNs()));
            }
        }
        return c.withSecurebits((int) arg2);
    }

    /** PR_GET_SECUREBITS. */
    public static int getSecurebits(Credentials c) {
        return c.securebits();
    }

    /** PR_GET_KEEPCAPS. */
    public static int getKeepcaps(Credentials c) {
        return c.keepCaps() ? 1 : 0;
    }

    /** PR_SET_KEEPCAPS: arg2 &gt; 1 (unsigned) → EINVAL; SECBIT_KEEP_CAPS_LOCKED → EPERM. */
    public static Credentials setKeepcaps(Credentials c, long arg2) throws SyscallException {
        if (Long.compareUnsigned(arg2, 1) > 0) {
            throw new SyscallException(Errno.EINVAL, "cap_task_prctl", "PR_SET_KEEPCAPS takes 0 or 1, not "
                    + Long.toUnsignedString(arg2));
        }
        if (c.isSecure(Capability.SECBIT_KEEP_CAPS_LOCKED)) {
            throw new SyscallException(Errno.EPERM, "cap_task_prctl", "SECBIT_KEEP_CAPS_LOCKED is set");
        }
        return c.withKeepCaps(arg2 == 1);
    }

    /** Outcome of PR_CAP_AMBIENT: the prctl return value and the (possibly new) credentials. */
    public record PrctlResult(long value, Credentials cred) {}

    /**
     * PR_CAP_AMBIENT: CLEAR_ALL (other args must be 0, else EINVAL); otherwise an invalid cap
     * or non-zero arg4/arg5 → EINVAL; IS_SET returns 0/1; an unknown sub-op → EINVAL; RAISE
     * needs the cap in permitted and inheritable and no SECBIT_NO_CAP_AMBIENT_RAISE (EPERM).
     */
    public static PrctlResult capAmbient(Credentials c, long arg2, long arg3, long arg4, long arg5)
            throws SyscallException {
        String rule = "cap_task_prctl";
        if (arg2 == Prctl.PR_CAP_AMBIENT_CLEAR_ALL) {
            if ((arg3 | arg4 | arg5) != 0) {
                throw new SyscallException(Errno.EINVAL, rule, "PR_CAP_AMBIENT_CLEAR_ALL takes no further arguments");
            }
            return new PrctlResult(0, c.withAmbient(0));
        }
        if (!Capability.isValid(arg3) || (arg4 | arg5) != 0) {
            throw new SyscallException(Errno.EINVAL, rule, !Capability.isValid(arg3)
                    ? "invalid capability " + Long.toUnsignedString(arg3) : "arg4 and arg5 must be 0");
        }
        long bit = 1L << arg3;
        if (arg2 == Prctl.PR_CAP_AMBIENT_IS_SET) {
            return new PrctlResult((c.capAmbient() & bit) != 0 ? 1 : 0, c);
        }
        if (arg2 != Prctl.PR_CAP_AMBIENT_RAISE && arg2 != Prctl.PR_CAP_AMBIENT_LOWER) {
            throw new SyscallException(Errno.EINVAL, rule, "unknown PR_CAP_AMBIENT operation " + arg2);
        }
        if (arg2 == Prctl.PR_CAP_AMBIENT_RAISE) {
            if ((c.capPermitted() & bit) == 0 || (c.capInheritable() & bit) == 0
                    || c.isSecure(Capability.SECBIT_NO_CAP_AMBIENT_RAISE)) {
                String why = (c.capPermitted() & bit) == 0 ? "it is not in the permitted set"
                        : (c.capInheritable() & bit) == 0 ? "it is not in the inheritable set"
                        : "SECBIT_NO_CAP_AMBIENT_RAISE is set";
                throw new SyscallException(Errno.EPERM, rule, "cannot raise " + Capability.name((int) arg3)
                        + " in the ambient set: " + why);
            }
            return new PrctlResult(0, c.withAmbient(c.capAmbient() | bit));
        }
        return new PrctlResult(0, c.withAmbient(c.capAmbient() & ~bit));
    }

    private static void checkCap(String rule, long cap) throws SyscallException {
        if (!Capability.isValid(cap)) {
            throw new SyscallException(Errno.EINVAL, rule, "invalid capability " + Long.toUnsignedString(cap)
                    + " (the last is " + Capability.CAP_LAST_CAP + ")");
        }
    }
}
