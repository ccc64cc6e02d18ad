package nsentry.procfs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import nsentry.abi.Capability;
import nsentry.abi.Errno;
import nsentry.abi.Nsfs;
import nsentry.abi.SyscallException;
import nsentry.nsfs.Capabilities;
import nsentry.nsfs.Credentials;
import nsentry.nsfs.IdExtent;
import nsentry.nsfs.IdMap;
import nsentry.nsfs.Kgid;
import nsentry.nsfs.Kuid;
import nsentry.nsfs.UserNamespace;

/**
 * /proc/PID/uid_map and /proc/PID/gid_map (kernel/user_namespace.c proc_uid_map_write,
 * proc_gid_map_write, map_write, new_idmap_permitted, verify_root_map, uid_m_show). The file
 * is bound to the target task's user namespace at open; the opener's credentials
 * (file-&gt;f_cred) and the writer's current credentials both matter.
 *
 * <p>Sentry's order for write(2): {@link #checkWrite} (EPERM, EPERM, EINVAL) → read the
 * workload's buffer (EFAULT) → {@link #write}. pwrite(2) on these files is ESPIPE before
 * anything (seq_open clears FMODE_PWRITE). After a successful write the file position is
 * {@code count}, so a second write on the same fd is EINVAL.
 */
public final class IdMapFile {
    private IdMapFile() {}

    /** A parsed line: upper first, lower first (relative to the parent namespace), count. */
    public record Line(long first, long lowerFirst, long count) {}

    /**
     * proc_uid_map_write()'s namespace checks and map_write()'s size check: target is the
     * initial namespace → EPERM; the opener's namespace is neither the target nor its parent
     * → EPERM; pos != 0 or count &gt;= PAGE_SIZE → EINVAL.
     */
    public static void checkWrite(UserNamespace target, Credentials opener, long pos, long count, boolean isUid)
            throws SyscallException {
        String file = name(isUid);
        String rule = isUid ? "proc_uid_map_write" : "proc_gid_map_write";
        if (target.parent() == null) {
            throw new SyscallException(Errno.EPERM, rule, "the " + file + " of the initial user namespace cannot be"
                    + " written");
        }
        UserNamespace seq = opener.userNs();
        if (seq != target && seq != target.parent()) {
            throw new SyscallException(Errno.EPERM, rule, "the file was opened from user namespace " + seq.describe()
                    + ", which is neither the target " + target.describe() + " nor its parent "
                    + target.parent().describe());
        }
        if (pos != 0) {
            throw new SyscallException(Errno.EINVAL, "map_write", file + " must be written in one write() at offset"
                    + " 0; this write is at offset " + pos + (pos > 0 ? " (a second write on the same fd?)" : ""));
        }
        if (count < 0 || count >= Nsfs.PAGE_SIZE) {
            throw new SyscallException(Errno.EINVAL, "map_write", "a " + file + " write must be shorter than "
                    + Nsfs.PAGE_SIZE + " bytes; this one is " + count);
        }
    }

    /**
     * The whole write: {@link #checkWrite}, then map already written → EPERM; opener lacks
     * CAP_SYS_ADMIN in the target → EPERM; parse → EINVAL; permission → EPERM; lower ranges
     * not mapped in the parent → EPERM; then the map is installed and {@code data.length}
     * (the full count, even past an embedded NUL) returned.
     *
     * @param opener the credentials the file was opened with
     * @param writer the writing task's current credentials
     * @param data exactly the bytes written
     */
    public static long write(UserNamespace target, Credentials opener, Credentials writer, long pos, byte[] data,
            boolean isUid) throws SyscallException {
        checkWrite(target, opener, pos, data.length, isUid);
        String file = name(isUid);
        IdMap current = isUid ? target.uidMap() : target.gidMap();
        if (!current.isEmpty()) {
            throw new SyscallException(Errno.EPERM, "map_write", "the " + file + " of " + target.describe()
                    + " was already written; it can be written only once");
        }
        if (!Capabilities.fileNsCapable(opener, target, Capability.CAP_SYS_ADMIN)) {
            throw new SyscallException(Errno.EPERM, "map_write", "the opener of " + file + " ("
                    + who(opener) + ") lacks CAP_SYS_ADMIN in the target " + target.describe());
        }
        List<Line> lines = parse(data, file);
        newIdmapPermitted(target, opener, writer, lines, isUid);
        UserNamespace parent = target.parent();
        IdMap parentMap = isUid ? parent.uidMap() : parent.gidMap();
        List<IdExtent> global = new ArrayList<>(lines.size());
        for (Line l : lines) {
            OptionalLong low = parentMap.mapRangeDown(l.lowerFirst(), l.count());
            if (low.isEmpty()) {
                throw new SyscallException(Errno.EPERM, "map_write", "lower range " + l.lowerFirst() + ".."
                        + (l.lowerFirst() + l.count() - 1) + " is not inside one extent of the parent's " + file
                        + " (" + parent.describe() + ")");
            }
            global.add(new IdExtent(l.first(), low.getAsLong(), l.count()));
        }
        IdMap map = IdMap.of(global);
        if (isUid) {
            target.installUidMap(map);
        } else {
            target.installGidMap(map);
        }
        return data.length;
    }

    /**
     * map_write()'s parser. Text ends at the first NUL; lines split on '\n' with one final
     * '\n' allowed; each line: optional spaces, three base-10 fields separated by spaces,
     * optional trailing spaces. EINVAL for anything else, for first or lower 4294967295,
     * count 0, ranges that wrap, ranges overlapping an earlier line (upper or lower), more
     * than 340 lines. Numbers wrap like simple_strtoul and are truncated to u32.
     */
    public static List<Line> parse(byte[] data, String file) throws SyscallException {
        int end = 0;
        while (end < data.length && data[end] != 0) {
            end++;
        }
        List<Line> out = new ArrayList<>();
        List<IdExtent> seen = new ArrayList<>();
        int pos = 0;
        int lineNo = 0;
        boolean more = true;
        while (more) {
            lineNo++;
            int nl = pos;
            while (nl < end && data[nl] != '\n') {
                nl++;
            }
            int lineEnd = nl;
            int next = -1;
            if (nl < end) {
                next = nl + 1;
                if (next >= end) {
                    next = -1;
                }
            }
            Cursor c = new Cursor(data, pos, lineEnd);
            c.skipSpaces();
            long first = c.strtoul();
            if (!KernelText.isspace(c.peek())) {
                throw junk(file, lineNo, c, "after the first field");
            }
            c.skipSpaces();
            long lower = c.strtoul();
            if (!KernelText.isspace(c.peek())) {
                throw junk(file, lineNo, c, "after the second field");
            }
            c.skipSpaces();
            long count = c.strtoul();
            if (c.peek() != 0 && !KernelText.isspace(c.peek())) {
                throw junk(file, lineNo, c, "after the third field");
            }
            c.skipSpaces();
            if (c.peek() != 0) {
                throw junk(file, lineNo, c, "at the end of the line");
            }
            String rule = "map_write";
            if (first == 0xFFFFFFFFL || lower == 0xFFFFFFFFL) {
                throw new SyscallException(Errno.EINVAL, rule, file + " line " + lineNo + ": "
                        + (first == 0xFFFFFFFFL ? "first" : "lower") + " id 4294967295 is not a valid id");
            }
            if (((first + count) & 0xFFFFFFFFL) <= first || ((lower + count) & 0xFFFFFFFFL) <= lower) {
                throw new SyscallException(Errno.EINVAL, rule, file + " line " + lineNo + ": "
                        + (count == 0 ? "count is 0" : "range " + first + " " + lower + " " + count
                                + " runs past 4294967294"));
            }
            IdExtent e = new IdExtent(first, lower, count);
            for (int i = 0; i < seen.size(); i++) {
                if (IdMap.overlaps(seen.get(i), e)) {
                    throw new SyscallException(Errno.EINVAL, rule, file + " line " + lineNo + " (" + first + " "
                            + lower + " " + count + ") overlaps line " + (i + 1) + " ("
                            + seen.get(i).first() + " " + seen.get(i).lowerFirst() + " " + seen.get(i).count() + ")");
                }
            }
            if (seen.size() + 1 == IdMap.MAX_EXTENTS && next != -1) {
                throw new SyscallException(Errno.EINVAL, rule, file + " has more than " + IdMap.MAX_EXTENTS + " lines");
            }
            seen.add(e);
            out.add(new Line(first, lower, count));
            pos = next;
            more = next != -1;
        }
        return out;
    }

    private static SyscallException junk(String file, int lineNo, Cursor c, String where) {
        return new SyscallException(Errno.EINVAL, "map_write", file + " line " + lineNo + ": unexpected "
                + KernelText.show(c.peek()) + " " + where + " (each line is three decimal numbers: first lower count)");
    }

    /** new_idmap_permitted() and verify_root_map(). */
    private static void newIdmapPermitted(UserNamespace ns, Credentials opener, Credentials writer, List<Line> lines,
            boolean isUid) throws SyscallException {
        String file = name(isUid);
        String rule = "new_idmap_permitted";
        if (isUid) {
            // verify_root_map()
            for (Line l : lines) {
                if (l.lowerFirst() == 0) {
                    if (opener.userNs() == ns) {
                        if (!ns.parentCouldSetfcap()) {
                            throw new SyscallException(Errno.EPERM, "verify_root_map", "mapping parent uid 0 needs"
                                    + " CAP_SETFCAP: the creator of " + ns.describe() + " did not have CAP_SETFCAP"
                                    + " in its effective set when it created the namespace");
                        }
                    } else if (!Capabilities.fileNsCapable(opener, ns.parent(), Capability.CAP_SETFCAP)) {
                        throw new SyscallException(Errno.EPERM, "verify_root_map", "mapping parent uid 0 needs"
                                + " CAP_SETFCAP in the parent " + ns.parent().describe() + ", which the opener ("
                                + who(opener) + ") lacks");
                    }
                    break;
                }
            }
        }
        boolean singleSelf = lines.size() == 1 && lines.get(0).count() == 1 && ns.ownerUid().equals(opener.euid());
        if (singleSelf) {
            long id = lines.get(0).lowerFirst();
            if (isUid) {
                if (ns.parent().makeKuid(id).equals(opener.euid())) {
                    return;
                }
            } else if (!ns.setgroupsAllowed() && ns.parent().makeKgid(id).equals(opener.egid())) {
                return;
            }
        }
        int cap = isUid ? Capability.CAP_SETUID : Capability.CAP_SETGID;
        boolean writerOk = Capabilities.nsCapable(writer, ns.parent(), cap);
        boolean openerOk = Capabilities.fileNsCapable(opener, ns.parent(), cap);
        if (writerOk && openerOk) {
            return;
        }
        StringBuilder why = new StringBuilder();
        why.append("without ").append(Capability.name(cap).toUpperCase()).append(" in the parent ")
                .append(ns.parent().describe()).append(" (the ")
                .append(!writerOk && !openerOk ? "writer and the opener lack" : !writerOk ? "writer lacks" : "opener lacks")
                .append(" it), ").append(file).append(" may only map the opener's own ")
                .append(isUid ? "euid" : "egid").append(" with one line of count 1");
        if (!ns.ownerUid().equals(opener.euid())) {
            why.append(", and only when the opener's euid owns the namespace (owner is kuid ")
                    .append(ns.ownerUid().unsigned()).append(", opener euid is kuid ")
                    .append(opener.euid().unsigned()).append(')');
        } else if (lines.size() != 1 || lines.get(0).count() != 1) {
            why.append("; this write has ").append(lines.size()).append(" line(s)")
                    .append(lines.size() == 1 ? " with count " + lines.get(0).count() : "");
        } else if (isUid) {
            why.append("; parent uid ").append(lines.get(0).lowerFirst()).append(" is not the opener's euid ")
                    .append(ns.parent().fromKuidMunged(opener.euid()));
        } else if (ns.setgroupsAllowed()) {
            why.append(", after writing \"deny\" to /proc/PID/setgroups");
        } else {
            why.append("; parent gid ").append(lines.get(0).lowerFirst()).append(" is not the opener's egid ")
                    .append(ns.parent().fromKgidMunged(opener.egid()));
        }
        throw new SyscallException(Errno.EPERM, rule, why.toString());
    }

    /**
     * uid_m_show()/gid_m_show(): the target's map as {@code "%10u %10u %10u\n"} lines, the
     * lower id shown in the reader's namespace (its parent if the reader is inside the
     * target); 4294967295 where unmapped there. {@code readerNs} is the opener's user namespace.
     */
    public static String read(UserNamespace target, UserNamespace readerNs, boolean isUid) {
        UserNamespace lowerNs = readerNs;
        if (lowerNs == target && lowerNs.parent() != null) {
            lowerNs = lowerNs.parent();
        }
        IdMap map = isUid ? target.uidMap() : target.gidMap();
        StringBuilder sb = new StringBuilder(map.size() * 33);
        for (IdExtent e : map.extents()) {
            long lower = isUid ? lowerNs.fromKuid(Kuid.of(e.lowerFirst())) : lowerNs.fromKgid(Kgid.of(e.lowerFirst()));
            sb.append(String.format("%10d %10d %10d\n", e.first(), lower == -1 ? 0xFFFFFFFFL : lower, e.count()));
        }
        return sb.toString();
    }

    /** {@link #read} as bytes. */
    public static byte[] readBytes(UserNamespace target, UserNamespace readerNs, boolean isUid) {
        return read(target, readerNs, isUid).getBytes(StandardCharsets.US_ASCII);
    }

    private static String name(boolean isUid) {
        return isUid ? "uid_map" : "gid_map";
    }

    static String who(Credentials c) {
        return "euid " + c.userNs().fromKuidMunged(c.euid()) + " in " + c.userNs().describe();
    }

    /** A read position within one line; peek() is 0 at the line's end. */
    private static final class Cursor {
        private final byte[] d;
        private int p;
        private final int end;

        Cursor(byte[] d, int p, int end) {
            this.d = d;
            this.p = p;
            this.end = end;
        }

        int peek() {
            return p < end ? d[p] & 0xff : 0;
        }

        void skipSpaces() {
            while (p < end && KernelText.isspace(d[p])) {
                p++;
            }
        }

        /** simple_strtoul(s, &amp;end, 10) into a u32: digits wrap mod 2^64, then truncate. */
        long strtoul() {
            long v = 0;
            while (p < end && KernelText.isdigit(d[p])) {
                v = v * 10 + (d[p] - '0');
                p++;
            }
            return v & 0xFFFFFFFFL;
        }
    }
}
