package nsentry.procfs;

import java.util.List;
import nsentry.nsfs.Credentials;
import nsentry.nsfs.Kgid;
import nsentry.nsfs.UserNamespace;

/**
 * The emulated lines of /proc/PID/status (fs/proc/array.c task_state, task_cap): Uid, Gid,
 * Groups, CapInh/CapPrm/CapEff/CapBnd/CapAmb, optionally NStgid/NSpid/NSpgid/NSsid and
 * NoNewPrivs. Ids are shown in the reader's (opener's) user namespace, 65534 where unmapped.
 */
public final class StatusFile {
    private StatusFile() {}

    /**
     * Pid numbers for the NS* lines, outermost visible level first, as the reader's pid
     * namespace sees them (the sentry computes them). Null fields leave the real lines alone.
     */
    public record PidLines(List<Integer> nstgid, List<Integer> nspid, List<Integer> nspgid, List<Integer> nssid) {}

    /** "Uid:\tR\tE\tS\tFS". */
    public static String uidLine(Credentials c, UserNamespace reader) {
        return "Uid:\t" + reader.fromKuidMunged(c.uid()) + "\t" + reader.fromKuidMunged(c.euid()) + "\t"
                + reader.fromKuidMunged(c.suid()) + "\t" + reader.fromKuidMunged(c.fsuid());
    }

    /** "Gid:\tR\tE\tS\tFS". */
    public static String gidLine(Credentials c, UserNamespace reader) {
        return "Gid:\t" + reader.fromKgidMunged(c.gid()) + "\t" + reader.fromKgidMunged(c.egid()) + "\t"
                + reader.fromKgidMunged(c.sgid()) + "\t" + reader.fromKgidMunged(c.fsgid());
    }

    /** "Groups:\tG1 G2 " — the kernel always ends it with a space ("Groups:\t " when empty). */
    public static String groupsLine(Credentials c, UserNamespace reader) {
        StringBuilder sb = new StringBuilder("Groups:\t");
        List<Kgid> g = c.groups();
        for (int i = 0; i < g.size(); i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(reader.fromKgidMunged(g.get(i)));
        }
        return sb.append(' ').toString();
    }

    /** render_cap_t(): "CapXxx:\t" and 16 lowercase hex digits. */
    public static String capLine(String name, long set) {
        return name + ":\t" + String.format("%016x", set);
    }

    /** The emulated lines, in the kernel's order, each without its newline. */
    public static List<String> lines(Credentials c, UserNamespace reader) {
        return List.of(uidLine(c, reader), gidLine(c, reader), groupsLine(c, reader),
                capLine("CapInh", c.capInheritable()), capLine("CapPrm", c.capPermitted()),
                capLine("CapEff", c.capEffective()), capLine("CapBnd", c.capBounding()),
                capLine("CapAmb", c.capAmbient()));
    }

    /** As {@link #rewrite(String, Credentials, UserNamespace, PidLines, Boolean)} with no pid or NoNewPrivs lines. */
    public static String rewrite(String real, Credentials c, UserNamespace reader) {
        return rewrite(real, c, reader, null, null);
    }

    /**
     * Rewrites the real /proc/PID/status text: replaces only the Uid, Gid, Groups and Cap*
     * lines (and NS* / NoNewPrivs when given), keeping every other line and the order.
     *
     * @param noNewPrivs the emulated no_new_privs flag, or null to keep the real line
     */
    public static String rewrite(String real, Credentials c, UserNamespace reader, PidLines pids, Boolean noNewPrivs) {
        StringBuilder out = new StringBuilder(real.length() + 64);
        int pos = 0;
        int n = real.length();
        while (pos < n) {
            int nl = real.indexOf('\n', pos);
            int end = nl < 0 ? n : nl;
            String line = real.substring(pos, end);
            out.append(replacement(line, c, reader, pids, noNewPrivs));
            if (nl >= 0) {
                out.append('\n');
            }
            pos = end + 1;
        }
        return out.toString();
    }

    private static String replacement(String line, Credentials c, UserNamespace r, PidLines p, Boolean nnp) {
        int colon = line.indexOf(':');
        if (colon < 0) {
            return line;
        }
        String key = line.substring(0, colon);
        switch (key) {
            case "Uid":
                return uidLine(c, r);
            case "Gid":
                return gidLine(c, r);
            case "Groups":
                return groupsLine(c, r);
            case "CapInh":
                return capLine(key, c.capInheritable());
            case "CapPrm":
                return capLine(key, c.capPermitted());
            case "CapEff":
                return capLine(key, c.capEffective());
            case "CapBnd":
                return capLine(key, c.capBounding());
            case "CapAmb":
                return capLine(key, c.capAmbient());
            case "NoNewPrivs":
                return nnp == null ? line : "NoNewPrivs:\t" + (nnp ? 1 : 0);
            case "NStgid":
                return p == null || p.nstgid() == null ? line : pidLine(key, p.nstgid());
            case "NSpid":
                return p == null || p.nspid() == null ? line : pidLine(key, p.nspid());
            case "NSpgid":
                return p == null || p.nspgid() == null ? line : pidLine(key, p.nspgid());
            case "NSsid":
                return p == null || p.nssid() == null ? line : pidLine(key, p.nssid());
            default:
                return line;
        }
    }

    /** "NSpid:\t1\t7" (seq_put_decimal_ull with "\t" before each). */
    public static String pidLine(String key, List<Integer> nums) {
        StringBuilder sb = new StringBuilder(key).append(':');
        for (int v : nums) {
            sb.append('\t').append(v);
        }
        return sb.toString();
    }
}
