package nsentry.procfs;

import java.nio.charset.StandardCharsets;
import nsentry.abi.Capability;
import nsentry.abi.Errno;
import nsentry.abi.Nsfs;
import nsentry.abi.SyscallException;
import nsentry.nsfs.Capabilities;
import nsentry.nsfs.Credentials;
import nsentry.nsfs.NsType;
import nsentry.nsfs.UserNamespace;

/**
 * /proc/sys/user/max_TYPE_namespaces (kernel/ucount.c set_lookup/set_permissions with
 * kernel/sysctl.c proc_dointvec_minmax, range 0..INT_MAX). Each task sees the values of its
 * own user namespace (the opener's).
 */
public final class MaxNamespacesFile {
    private MaxNamespacesFile() {}

    /** TMPBUFLEN in kernel/sysctl.c. */
    private static final int TMPBUFLEN = 22;

    /**
     * set_permissions(): the file is 0644; with CAP_SYS_RESOURCE in the namespace the owner
     * bits apply to everyone (rw), without it at most r--. Opening for write without it → EACCES.
     */
    public static void checkOpen(UserNamespace ns, Credentials opener, boolean write) throws SyscallException {
        if (write && !Capabilities.nsCapable(opener, ns, Capability.CAP_SYS_RESOURCE)) {
            throw new SyscallException(Errno.EACCES, "set_permissions", "writing /proc/sys/user limits of "
                    + ns.describe() + " needs CAP_SYS_RESOURCE there, which the opener ("
                    + IdMapFile.who(opener) + ") lacks");
        }
    }

    /**
     * A read of {@code count} bytes at {@code pos}: the value and a newline at pos 0; any
     * read at a non-zero position is EOF (proc_dointvec reads are not resumable).
     */
    public static byte[] read(UserNamespace ns, NsType type, long pos, int count) {
        if (pos != 0 || count <= 0) {
            return new byte[0];
        }
        byte[] all = (ns.maxNamespaces(type) + "\n").getBytes(StandardCharsets.US_ASCII);
        if (count >= all.length) {
            return all;
        }
        byte[] part = new byte[count];
        System.arraycopy(all, 0, part, 0, count);
        return part;
    }

    /**
     * A write (proc_dointvec_minmax): at pos != 0 the write is ignored but reported as fully
     * written (sysctl_writes_strict); empty → 0; otherwise leading whitespace, an optional
     * '-', a number in C notation (decimal, 0x hex, 0 octal) ending in space/tab/newline or
     * the end, value within 0..INT_MAX, else EINVAL. Only the first number is used; trailing
     * whitespace is consumed and anything after it is not (the return value is then less
     * than the length). Sets the limit and returns the bytes consumed.
     */
    public static long write(UserNamespace ns, NsType type, long pos, byte[] data) throws SyscallException {
        if (data.length == 0) {
            return 0;
        }
        if (pos != 0) {
            return data.length;
        }
        int left = Math.min(data.length, Nsfs.PAGE_SIZE - 1);
        int p = 0;
        while (p < left && KernelText.isspace(data[p])) {
            p++;
        }
        if (p == left) {
            throw einval("no number in the write");
        }
        // proc_get_long()
        int size = left - p;
        int len = Math.min(size, TMPBUFLEN - 1);
        int q = p;
        int tmpEnd = p + len; // tmp[len] = 0
        boolean neg = false;
        if (data[q] == '-' && size > 1) {
            neg = true;
            q++;
        }
        if (q >= tmpEnd || !KernelText.isdigit(data[q])) {
            throw einval("expected a number");
        }
        // strtoul_lenient(p, &p, 0, val): base from the prefix, overflow is an error
        int base = 10;
        if (data[q] == '0') {
            if (q + 1 < tmpEnd && (data[q + 1] | 0x20) == 'x' && q + 2 < tmpEnd && isHex(data[q + 2])) {
                base = 16;
                q += 2;
            } else {
                base = 8;
            }
        }
        long val = 0;
        boolean overflow = false;
        while (q < tmpEnd) {
            int d = digit(data[q]);
            if (d < 0 || d >= base) {
                break;
            }
            if (Long.compareUnsigned(val, Long.divideUnsigned(-1L - d, base)) > 0) {
                overflow = true;
            }
            val = val * base + d;
            q++;
        }
        if (overflow) {
            throw einval("number out of range");
        }
        int used = q - p;
        if (used == TMPBUFLEN - 1) {
            throw einval("number too long");
        }
        if (used < size) {
            byte c = data[q];
            if (c != ' ' && c != '\t' && c != '\n') {
                throw einval("unexpected " + KernelText.show(c) + " after the number");
            }
        }
        // do_proc_dointvec_conv + minmax
        long v;
        if (neg) {
            if (Long.compareUnsigned(val, (long) Integer.MAX_VALUE + 1) > 0) {
                throw einval("number out of range");
            }
            v = -val;
        } else {
            if (Long.compareUnsigned(val, Integer.MAX_VALUE) > 0) {
                throw einval("value " + Long.toUnsignedString(val) + " is larger than " + Integer.MAX_VALUE);
            }
            v = val;
        }
        if (v < 0) {
            throw einval("value " + v + " is below 0");
        }
        ns.setMaxNamespaces(type, v);
        int r = q;
        while (r < left && KernelText.isspace(data[r])) {
            r++;
        }
        return r;
    }

    private static boolean isHex(byte b) {
        int d = digit(b);
        return d >= 0 && d < 16;
    }

    private static int digit(byte b) {
        int c = b & 0xff;
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        c |= 0x20;
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return -1;
    }

    private static SyscallException einval(String why) {
        return new SyscallException(Errno.EINVAL, "proc_dointvec_minmax", why + " (expected an integer in 0.."
                + Integer.MAX_VALUE + ")");
    }
}
