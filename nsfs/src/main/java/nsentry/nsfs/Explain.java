package nsentry.nsfs;

import nsentry.abi.Capability;
import nsentry.abi.CloneFlags;

/** Wording shared by refusal explanations. */
final class Explain {
    private Explain() {}

    static String ns(Namespace ns) {
        if (ns instanceof UserNamespace u) {
            return u.describe();
        }
        return ns.linkText();
    }

    static String who(Credentials c) {
        return "euid " + c.userNs().fromKuidMunged(c.euid()) + " in " + c.userNs().describe();
    }

    /** "the caller (euid 1000 in user:[..]) lacks CAP_SYS_ADMIN in user:[..]". */
    static String lacks(Credentials c, int cap, UserNamespace target) {
        String where = target == c.userNs() ? "its own user namespace " + target.describe()
                : "user namespace " + target.describe();
        return "the caller (" + who(c) + ") lacks " + Capability.name(cap).toUpperCase() + " in " + where;
    }

    static String flags(long flags) {
        return CloneFlags.describe(flags, false);
    }
}
