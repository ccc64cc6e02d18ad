package nsentry.sentry.runtime;

import nsentry.abi.Capability;
import nsentry.nsfs.Credentials;
import nsentry.nsfs.UserNamespace;

/** Short human text for credentials, as seen in their own user namespace. */
public final class CredentialsText {
    private CredentialsText() {}

    public static String of(Credentials c) {
        UserNamespace ns = c.userNs();
        return "uid=" + ns.fromKuidMunged(c.uid()) + " euid=" + ns.fromKuidMunged(c.euid())
                + " gid=" + ns.fromKgidMunged(c.gid()) + " egid=" + ns.fromKgidMunged(c.egid())
                + " caps=" + caps(c.capEffective());
    }

    /** "full", "none" or the hex set. */
    public static String caps(long set) {
        if (set == Capability.FULL_SET) {
            return "full";
        }
        return set == 0 ? "none" : "0x" + Long.toHexString(set);
    }
}
