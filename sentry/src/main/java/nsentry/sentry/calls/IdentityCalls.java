package nsentry.sentry.calls;

import java.util.List;

import nsentry.abi.Errno;
import nsentry.abi.SyscallException;
import nsentry.nsfs.CredentialRules;
import nsentry.nsfs.Credentials;
import nsentry.nsfs.Kgid;
import nsentry.nsfs.Kuid;
import nsentry.sentry.dispatch.Call;
import nsentry.sentry.dispatch.TaskGone;
import nsentry.sentry.dispatch.Verdict;
import nsentry.sentry.runtime.Kernel;
import nsentry.syscall.LittleEndian;

/**
 * get*id / set*id / setgroups (kernel/sys.c, kernel/groups.c). Ids are read and written
 * as seen in the caller's user namespace; the rules live in {@link CredentialRules}.
 */
public final class IdentityCalls {
    /** NGROUPS_MAX */
    private static final int NGROUPS_MAX = 65536;

    private final Kernel kernel;

    public IdentityCalls(Kernel kernel) {
        this.kernel = kernel;
    }

    private static Credentials cred(Call c) {
        return c.task().state().cred();
    }

    private static long uidSeen(Credentials cred, Kuid kuid) {
        return cred.userNs().fromKuidMunged(kuid);
    }

    private static long gidSeen(Credentials cred, Kgid kgid) {
        return cred.userNs().fromKgidMunged(kgid);
    }

    public Verdict getuid(Call c) {
        return Verdict.value(uidSeen(cred(c), cred(c).uid()));
    }

    public Verdict geteuid(Call c) {
        return Verdict.value(uidSeen(cred(c), cred(c).euid()));
    }

    public Verdict getgid(Call c) {
        return Verdict.value(gidSeen(cred(c), cred(c).gid()));
    }

    public Verdict getegid(Call c) {
        return Verdict.value(gidSeen(cred(c), cred(c).egid()));
    }

    /** getresuid(ruid*, euid*, suid*): each pointer written in turn (EFAULT on the first bad one). */
    public Verdict getresuid(Call c) throws SyscallException, TaskGone {
        Credentials cr = cred(c);
        if (c.tracing()) {
            c.describe(ptr(c.arg(0)) + ", " + ptr(c.arg(1)) + ", " + ptr(c.arg(2)));
        }
        c.writeU32(c.arg(0), (int) uidSeen(cr, cr.uid()));
        c.writeU32(c.arg(1), (int) uidSeen(cr, cr.euid()));
        c.writeU32(c.arg(2), (int) uidSeen(cr, cr.suid()));
        return Verdict.value(0);
    }

    public Verdict getresgid(Call c) throws SyscallException, TaskGone {
        Credentials cr = cred(c);
        if (c.tracing()) {
            c.describe(ptr(c.arg(0)) + ", " + ptr(c.arg(1)) + ", " + ptr(c.arg(2)));
        }
        c.writeU32(c.arg(0), (int) gidSeen(cr, cr.gid()));
        c.writeU32(c.arg(1), (int) gidSeen(cr, cr.egid()));
        c.writeU32(c.arg(2), (int) gidSeen(cr, cr.sgid()));
        return Verdict.value(0);
    }

    /** getgroups(size, list) (kernel/groups.c): size 0 returns the count; too small → EINVAL. */
    public Verdict getgroups(Call c) throws SyscallException, TaskGone {
        Credentials cr = cred(c);
        int size = c.intArg(0);
        List<Kgid> groups = cr.groups();
        if (c.tracing()) {
            c.describe(size + ", " + ptr(c.arg(1)));
        }
        if (size < 0) {
            throw new SyscallException(Errno.EINVAL, "getgroups", "size " + size + " is negative");
        }
        if (size == 0) {
            return Verdict.value(groups.size());
        }
        if (size < groups.size()) {
            throw new SyscallException(Errno.EINVAL, "getgroups", "size " + size + " < " + groups.size()
                    + " supplementary groups");
        }
        byte[] out = new byte[groups.size() * 4];
        for (int i = 0; i < groups.size(); i++) {
            int g = (int) gidSeen(cr, groups.get(i));
            for (int b = 0; b < 4; b++) {
                out[i * 4 + b] = (byte) (g >>> (8 * b));
            }
        }
        if (out.length > 0) {
            c.write(c.arg(1), out);
        }
        return Verdict.value(groups.size());
    }

    public Verdict setuid(Call c) throws SyscallException {
        if (c.tracing()) {
            c.describe(Long.toString(c.arg(0) & 0xffffffffL));
        }
        return apply(c, CredentialRules.setuid(cred(c), c.arg(0) & 0xffffffffL));
    }

    public Verdict setgid(Call c) throws SyscallException {
        if (c.tracing()) {
            c.describe(Long.toString(c.arg(0) & 0xffffffffL));
        }
        return apply(c, CredentialRules.setgid(cred(c), c.arg(0) & 0xffffffffL));
    }

    public Verdict setreuid(Call c) throws SyscallException {
        if (c.tracing()) {
            c.describe(id(c.arg(0)) + ", " + id(c.arg(1)));
        }
        return apply(c, CredentialRules.setreuid(cred(c), c.arg(0) & 0xffffffffL, c.arg(1) & 0xffffffffL));
    }

    public Verdict setregid(Call c) throws SyscallException {
        if (c.tracing()) {
            c.describe(id(c.arg(0)) + ", " + id(c.arg(1)));
        }
        return apply(c, CredentialRules.setregid(cred(c), c.arg(0) & 0xffffffffL, c.arg(1) & 0xffffffffL));
    }

    public Verdict setresuid(Call c) throws SyscallException {
        if (c.tracing()) {
            c.describe(id(c.arg(0)) + ", " + id(c.arg(1)) + ", " + id(c.arg(2)));
        }
        return apply(c, CredentialRules.setresuid(cred(c), c.arg(0) & 0xffffffffL, c.arg(1) & 0xffffffffL,
                c.arg(2) & 0xffffffffL));
    }

    public Verdict setresgid(Call c) throws SyscallException {
        if (c.tracing()) {
            c.describe(id(c.arg(0)) + ", " + id(c.arg(1)) + ", " + id(c.arg(2)));
        }
        return apply(c, CredentialRules.setresgid(cred(c), c.arg(0) & 0xffffffffL, c.arg(1) & 0xffffffffL,
                c.arg(2) & 0xffffffffL));
    }

    /** setfsuid returns the old fsuid whether or not it changed it. */
    public Verdict setfsuid(Call c) {
        Credentials cr = cred(c);
        if (c.tracing()) {
            c.describe(Long.toString(c.arg(0) & 0xffffffffL));
        }
        long old = uidSeen(cr, cr.fsuid());
        boolean real = c.task().realCreds();
        kernel.updateCred(c.task(), CredentialRules.setfsuid(cr, c.arg(0) & 0xffffffffL).cred());
        return real ? new Verdict.Continue("real credentials change too") : Verdict.value(old);
    }

    public Verdict setfsgid(Call c) {
        Credentials cr = cred(c);
        if (c.tracing()) {
            c.describe(Long.toString(c.arg(0) & 0xffffffffL));
        }
        long old = gidSeen(cr, cr.fsgid());
        boolean real = c.task().realCreds();
        kernel.updateCred(c.task(), CredentialRules.setfsgid(cr, c.arg(0) & 0xffffffffL).cred());
        return real ? new Verdict.Continue("real credentials change too") : Verdict.value(old);
    }

    /**
     * setgroups(size, list) (kernel/groups.c): may_setgroups() → EPERM first, then the size
     * (EINVAL), then groups_from_user reads and validates one gid at a time, so an unmapped
     * gid (EINVAL) before an unreadable one (EFAULT) wins.
     */
    public Verdict setgroups(Call c) throws SyscallException, TaskGone {
        int size = c.intArg(0);
        if (c.tracing()) {
            c.describe(size + ", " + ptr(c.arg(1)));
        }
        CredentialRules.setgroups(cred(c), new long[0]); // may_setgroups(): EPERM before anything else
        CredentialRules.checkSetgroupsSize(size);
        long[] gids = new long[size];
        if (size > 0) {
            byte[] raw;
            try {
                raw = c.read(c.arg(1), size * 4);
            } catch (SyscallException fault) {
                raw = readGidsUntilFault(c, size);
            }
            gids = u32s(raw);
        }
        return apply(c, CredentialRules.setgroups(cred(c), gids));
    }

    /** Little-endian u32 array (a gid_t list) as unsigned values. */
    private static long[] u32s(byte[] raw) {
        long[] out = new long[raw.length / 4];
        for (int i = 0; i < out.length; i++) {
            out[i] = LittleEndian.u32(raw, i * 4) & 0xffffffffL;
        }
        return out;
    }

    /** The gids before the first unreadable one, validated as Linux does; then EFAULT. */
    private static byte[] readGidsUntilFault(Call c, int size) throws SyscallException, TaskGone {
        java.io.ByteArrayOutputStream ok = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < size; i++) {
            byte[] one;
            try {
                one = c.read(c.arg(1) + 4L * i, 4);
            } catch (SyscallException fault) {
                CredentialRules.setgroups(cred(c), u32s(ok.toByteArray())); // an unmapped gid read so far → EINVAL
                throw fault;
            }
            ok.write(one, 0, 4);
        }
        return ok.toByteArray();
    }

    private Verdict apply(Call c, Credentials next) {
        return kernel.commitCred(c.task(), next);
    }

    static String id(long v) {
        return (int) v == -1 ? "-1" : Long.toString(v & 0xffffffffL);
    }

    static String ptr(long addr) {
        return addr == 0 ? "NULL" : "0x" + Long.toHexString(addr);
    }
}
