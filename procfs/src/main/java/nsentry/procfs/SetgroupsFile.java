package nsentry.procfs;

import nsentry.abi.Capability;
import nsentry.abi.Errno;
import nsentry.abi.SyscallException;
import nsentry.nsfs.Capabilities;
import nsentry.nsfs.Credentials;
import nsentry.nsfs.UserNamespace;

/**
 * /proc/PID/setgroups (kernel/user_namespace.c proc_setgroups_open, proc_setgroups_write,
 * proc_setgroups_show). Sentry order for write(2): {@link #checkWrite} → read the buffer
 * (EFAULT) → {@link #write}. After a successful write the position is {@code count}.
 */
public final class SetgroupsFile {
    private SetgroupsFile() {}

    /** proc_setgroups_open() for writing: the opener needs CAP_SYS_ADMIN in the target, else EACCES. */
    public static void checkOpenForWrite(UserNamespace target, Credentials opener) throws SyscallException {
        if (!Capabilities.nsCapable(opener, target, Capability.CAP_SYS_ADMIN)) {
            throw new SyscallException(Errno.EACCES, "proc_setgroups_open", "opening setgroups for writing needs"
                    + " CAP_SYS_ADMIN in " + target.describe() + ", which the caller (" + IdMapFile.who(opener)
                    + ") lacks");
        }
    }

    /** pos != 0 or count &gt;= 8 → EINVAL. */
    public static void checkWrite(long pos, long count) throws SyscallException {
        if (pos != 0 || count < 0 || count >= 8) {
            throw new SyscallException(Errno.EINVAL, "proc_setgroups_write", pos != 0
                    ? "setgroups must be written at offset 0 in one write; this write is at offset " + pos
                    : "a setgroups write must be shorter than 8 bytes (\"allow\" or \"deny\"); this one is " + count);
        }
    }

    /**
     * proc_setgroups_write(): "allow" or "deny" followed only by whitespace (text ends at a
     * NUL), else EINVAL; "allow" after "deny" → EPERM; "deny" after gid_map was written →
     * EPERM. Returns the count.
     */
    public static long write(UserNamespace target, long pos, byte[] data) throws SyscallException {
        checkWrite(pos, data.length);
        int end = 0;
        while (end < data.length && data[end] != 0) {
            end++;
        }
        boolean allow;
        int p;
        if (startsWith(data, end, "allow")) {
            allow = true;
            p = 5;
        } else if (startsWith(data, end, "deny")) {
            allow = false;
            p = 4;
        } else {
            throw new SyscallException(Errno.EINVAL, "proc_setgroups_write", "setgroups accepts only \"allow\" or"
                    + " \"deny\"");
        }
        while (p < end && KernelText.isspace(data[p])) {
            p++;
        }
        if (p < end) {
            throw new SyscallException(Errno.EINVAL, "proc_setgroups_write", "unexpected "
                    + KernelText.show(data[p]) + " after \"" + (allow ? "allow" : "deny") + "\"");
        }
        if (allow) {
            if (!target.setgroupsAllowed()) {
                throw new SyscallException(Errno.EPERM, "proc_setgroups_write", "setgroups of " + target.describe()
                        + " is already \"deny\"; it cannot be re-enabled");
            }
        } else {
            if (!target.gidMap().isEmpty()) {
                throw new SyscallException(Errno.EPERM, "proc_setgroups_write", "the gid_map of " + target.describe()
                        + " is already written; setgroups can only be denied before that");
            }
            target.denySetgroups();
        }
        return data.length;
    }

    /** proc_setgroups_show(): "allow\n" or "deny\n". */
    public static String read(UserNamespace target) {
        return target.setgroupsAllowed() ? "allow\n" : "deny\n";
    }

    private static boolean startsWith(byte[] d, int end, String s) {
        if (end < s.length()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (d[i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
