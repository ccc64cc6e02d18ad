package nsentry.nsfs;

import nsentry.abi.Capability;
import nsentry.abi.Errno;
import nsentry.abi.Nsfs;
import nsentry.abi.SyscallException;

/** sethostname(2)/setdomainname(2) (kernel/sys.c). */
public final class UtsRules {
    private UtsRules() {}

    /**
     * The checks before the sentry reads the name: CAP_SYS_ADMIN over the UTS namespace's
     * owner → else EPERM; then len &lt; 0 or &gt; 64 → EINVAL. (Then a copy fault is EFAULT.)
     */
    public static void check(TaskState caller, long len, boolean domain) throws SyscallException {
        String rule = domain ? "setdomainname" : "sethostname";
        UtsNamespace uts = caller.ns().uts();
        if (!Capabilities.nsCapable(caller.cred(), uts.owner(), Capability.CAP_SYS_ADMIN)) {
            throw new SyscallException(Errno.EPERM, rule, "changing the " + (domain ? "domain" : "host")
                    + " name of " + uts.linkText() + " needs CAP_SYS_ADMIN over its owner; "
                    + Explain.lacks(caller.cred(), Capability.CAP_SYS_ADMIN, uts.owner()));
        }
        int l = (int) len;
        if (l < 0 || l > Nsfs.NEW_UTS_LEN) {
            throw new SyscallException(Errno.EINVAL, rule, "length " + l + " is outside 0.." + Nsfs.NEW_UTS_LEN);
        }
    }

    /** sethostname(name, len) with the {@code len} bytes read: sets the caller's UTS namespace's node name. */
    public static void sethostname(TaskState caller, byte[] name) throws SyscallException {
        check(caller, name.length, false);
        caller.ns().uts().setHostname(name);
    }

    /** setdomainname(name, len). */
    public static void setdomainname(TaskState caller, byte[] name) throws SyscallException {
        check(caller, name.length, true);
        caller.ns().uts().setDomainname(name);
    }
}
