package nsentry.sentry.calls;

import java.nio.charset.StandardCharsets;

import nsentry.abi.Errno;
import nsentry.abi.Nsfs;
import nsentry.abi.SyscallException;
import nsentry.nsfs.UtsNamespace;
import nsentry.nsfs.UtsRules;
import nsentry.sentry.dispatch.Call;
import nsentry.sentry.dispatch.TaskGone;
import nsentry.sentry.dispatch.Verdict;
import nsentry.sentry.runtime.Kernel;

/**
 * uname, sethostname, setdomainname (kernel/sys.c) per UTS namespace. In the host's
 * initial UTS namespace the kernel answers (and only a really privileged workload can
 * change the host's name); in emulated ones the model holds the names.
 */
public final class UtsCalls {
    /** sizeof(struct new_utsname) field: __NEW_UTS_LEN + 1 */
    private static final int FIELD = Nsfs.NEW_UTS_LEN + 1;

    private final Kernel kernel;
    private final String sysname;
    private final String release;
    private final String version;

    public UtsCalls(Kernel kernel) {
        this.kernel = kernel;
        this.sysname = orDefault(Kernel.readProcFile("/proc/sys/kernel/ostype"), "Linux");
        this.release = orDefault(Kernel.readProcFile("/proc/sys/kernel/osrelease"), "");
        this.version = orDefault(Kernel.readProcFile("/proc/sys/kernel/version"), "");
    }

    private static String orDefault(String s, String d) {
        return s == null ? d : s.trim();
    }

    /** uname(buf) — struct new_utsname: six fields of 65 bytes. */
    public Verdict uname(Call c) throws SyscallException, TaskGone {
        if (c.tracing()) {
            c.describe(NamespaceCalls.ptr(c.arg(0)));
        }
        UtsNamespace uts = c.task().state().ns().uts();
        if (uts.isInitial()) {
            return Verdict.cont();
        }
        c.touched(uts);
        byte[] out = new byte[FIELD * 6];
        put(out, 0, sysname.getBytes(StandardCharsets.US_ASCII));
        put(out, 1, uts.utsnameNodename());
        put(out, 2, release.getBytes(StandardCharsets.US_ASCII));
        put(out, 3, version.getBytes(StandardCharsets.US_ASCII));
        put(out, 4, "x86_64".getBytes(StandardCharsets.US_ASCII));
        put(out, 5, uts.utsnameDomainname());
        c.write(c.arg(0), out);
        return Verdict.value(0);
    }

    private static void put(byte[] out, int field, byte[] value) {
        System.arraycopy(value, 0, out, field * FIELD, Math.min(value.length, FIELD - 1));
    }

    public Verdict sethostname(Call c) throws SyscallException, TaskGone {
        return set(c, true);
    }

    public Verdict setdomainname(Call c) throws SyscallException, TaskGone {
        return set(c, false);
    }

    /** Checks in kernel/sys.c order: CAP_SYS_ADMIN in the UTS namespace's owner, then length, then copy. */
    private Verdict set(Call c, boolean host) throws SyscallException, TaskGone {
        long addr = c.arg(0);
        long len = c.arg(1);
        if (c.tracing()) {
            c.describe(NamespaceCalls.ptr(addr) + ", " + (int) len);
        }
        UtsNamespace uts = c.task().state().ns().uts();
        c.touched(uts);
        UtsRules.check(c.task().state(), len, !host);
        byte[] name = len == 0 ? new byte[0] : c.read(addr, (int) len);
        if (c.tracing()) {
            c.describe("\"" + new String(name, StandardCharsets.ISO_8859_1) + "\", " + len);
        }
        if (uts.isInitial()) {
            if (c.task().realCreds()) {
                return Verdict.cont(); // really privileged: the host's name really changes
            }
            throw new SyscallException(Errno.EPERM, "nsentry", "the initial UTS namespace is the host's; its name "
                    + "changes only with real privilege");
        }
        if (host) {
            UtsRules.sethostname(c.task().state(), name);
        } else {
            UtsRules.setdomainname(c.task().state(), name);
        }
        return Verdict.value(0);
    }
}
