package nsentry.nsfs;

import nsentry.abi.Capability;

/** The capability check (security/commoncap.c cap_capable and its kernel/capability.c wrappers). */
public final class Capabilities {
    private Capabilities() {}

    /**
     * cap_capable(): whether {@code cred} has {@code cap} in {@code target}. Walk from target
     * upward: at the credentials' own namespace the effective bit decides; at or above its
     * level, deny; if ns's parent is the credentials' namespace and ns's owner is their euid,
     * allow (the owner has every capability in a child); else continue with the parent. So
     * capabilities reach descendants, never ancestors or siblings.
     */
    public static boolean capable(Credentials cred, UserNamespace target, int cap) {
        UserNamespace mine = cred.userNs();
        for (UserNamespace ns = target; ns != null; ns = ns.parent()) {
            if (ns == mine) {
                return cred.hasEffective(cap);
            }
            if (ns.level() <= mine.level()) {
                return false;
            }
            if (ns.parent() == mine && ns.ownerUid().equals(cred.euid())) {
                return true;
            }
        }
        return false;
    }

    /** ns_capable(ns, cap): with the caller's (current) credentials. */
    public static boolean nsCapable(Credentials current, UserNamespace ns, int cap) {
        return capable(current, ns, cap);
    }

    /** has_ns_capability(task, ns, cap): with the given task's credentials. */
    public static boolean hasNsCapability(Credentials task, UserNamespace ns, int cap) {
        return capable(task, ns, cap);
    }

    /** file_ns_capable(file, ns, cap): with the opener's credentials (file->f_cred). */
    public static boolean fileNsCapable(Credentials opener, UserNamespace ns, int cap) {
        return capable(opener, ns, cap);
    }

    /** in_userns(ancestor, child): child is ancestor or below it. */
    public static boolean inUserNs(UserNamespace ancestor, UserNamespace child) {
        return ancestor.isAncestorOf(child);
    }

    /**
     * privileged_wrt_inode_uidgid() + capable: {@code cap} in the caller's namespace and the
     * inode's owner uid and gid mapped there (capable_wrt_inode_uidgid).
     */
    public static boolean capableWrtInodeUidgid(Credentials cred, Kuid inodeUid, Kgid inodeGid, int cap) {
        UserNamespace ns = cred.userNs();
        return capable(cred, ns, cap) && ns.hasMapping(inodeUid) && ns.hasMapping(inodeGid);
    }

    /** A capability set as a human list, e.g. "cap_setuid,cap_sys_admin" or "none". */
    public static String describe(long set) {
        if (set == 0) {
            return "none";
        }
        if (set == Capability.FULL_SET) {
            return "all";
        }
        StringBuilder sb = new StringBuilder();
        for (int c = 0; c <= Capability.CAP_LAST_CAP; c++) {
            if ((set & (1L << c)) != 0) {
                if (sb.length() > 0) {
                    sb.append(',');
                }
                sb.append(Capability.name(c));
            }
        }
        return sb.toString();
    }

    /** 1 &lt;&lt; cap, for a valid cap. */
    public static long bit(int cap) {
        return 1L << cap;
    }
}
