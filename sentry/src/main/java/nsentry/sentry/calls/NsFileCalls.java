package nsentry.sentry.calls;

import static nsentry.abi.OpenFlags.O_CLOEXEC;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import nsentry.abi.Errno;
import nsentry.abi.Nsfs;
import nsentry.abi.SyscallException;
import nsentry.nsfs.Credentials;
import nsentry.nsfs.Namespace;
import nsentry.nsfs.NsIoctls;
import nsentry.nsfs.NsType;
import nsentry.nsfs.UtsRules;
import nsentry.procfs.IdMapFile;
import nsentry.procfs.MaxNamespacesFile;
import nsentry.procfs.ProcPath;
import nsentry.procfs.SetgroupsFile;
import nsentry.sentry.dispatch.Call;
import nsentry.sentry.dispatch.TaskGone;
import nsentry.sentry.dispatch.Verdict;
import nsentry.sentry.runtime.Kernel;

/**
 * Operations on fds in the emulated-file band and the NS_GET_* ioctls (fs/nsfs.c
 * ns_file_operations, ns_ioctl). An nsfs file has no read or write: read is EINVAL, write
 * EBADF (it is open read-only), lseek ESPIPE, fchmod EPERM; writable /proc files are
 * written through the model (uid_map, gid_map, setgroups, max_*_namespaces, hostname).
 */
public final class NsFileCalls {
    private static final int SEEK_CUR = 1;
    private static final int F_DUPFD = 0;
    private static final int F_DUPFD_CLOEXEC = 1030;

    private final Kernel kernel;
    private final NsFiles nsFiles;
    private final ProcFileCalls procFiles;

    public NsFileCalls(Kernel kernel, NsFiles nsFiles, ProcFileCalls procFiles) {
        this.kernel = kernel;
        this.nsFiles = nsFiles;
        this.procFiles = procFiles;
    }

    /** What a band fd is: an nsfs stand-in, a writable emulated /proc file, or neither. */
    private sealed interface BandFile permits NsFile, ProcFile, Plain {}

    private record NsFile(Namespace ns) implements BandFile {}

    private record ProcFile(ProcFileCalls.OpenProcFile file) implements BandFile {}

    private record Plain() implements BandFile {}

    private BandFile classify(Call c, int fd) throws TaskGone {
        NsFiles.FdTarget target = nsFiles.identify(c, fd);
        if (target instanceof NsFiles.NsTarget ns) {
            return new NsFile(ns.namespace());
        }
        if (target instanceof NsFiles.ProcFileTarget pf) {
            return new ProcFile(pf.file());
        }
        return new Plain();
    }

    private boolean inBand(Call c) {
        return kernel.band().contains(c.arg(0));
    }

    /** read(fd, buf, count): EINVAL for namespace files; emulated /proc files read from the model. */
    public Verdict read(Call c) throws SyscallException, TaskGone {
        return doRead(c, -1);
    }

    /** pread64(fd, buf, count, offset) */
    public Verdict pread(Call c) throws SyscallException, TaskGone {
        if (c.arg(3) < 0 && inBand(c)) {
            return Verdict.fail(Errno.EINVAL, "ksys_pread64", "negative offset " + c.arg(3));
        }
        return doRead(c, c.arg(3));
    }

    /** readv: namespace files EINVAL; emulated /proc files read their snapshot (one iovec per seq read is rare). */
    public Verdict readv(Call c) throws TaskGone {
        if (c.tracing()) {
            c.describe(c.intArg(0) + ", " + NamespaceCalls.ptr(c.arg(1)) + ", " + c.arg(2));
        }
        if (inBand(c) && classify(c, c.intArg(0)) instanceof NsFile) {
            return Verdict.fail(Errno.EINVAL, "vfs_readv", "namespace files cannot be read");
        }
        return Verdict.cont();
    }

    private Verdict doRead(Call c, long offset) throws SyscallException, TaskGone {
        if (c.tracing()) {
            c.describe(c.intArg(0) + ", " + NamespaceCalls.ptr(c.arg(1)) + ", " + c.arg(2));
        }
        if (!inBand(c)) {
            return Verdict.cont();
        }
        BandFile f = classify(c, c.intArg(0));
        if (f instanceof NsFile ns) {
            c.touched(ns.ns());
            return Verdict.fail(Errno.EINVAL, "vfs_read", "namespace files cannot be read");
        }
        if (f instanceof ProcFile pf) {
            if (!accessOk(c.arg(1), c.arg(2))) {
                throw new SyscallException(Errno.EFAULT, "vfs_read", "buffer outside user space (access_ok)");
            }
            return procFiles.readFresh(c, pf.file(), c.arg(1), c.arg(2), offset);
        }
        return Verdict.cont();
    }

    public Verdict pwrite(Call c) throws TaskGone {
        if (c.tracing()) {
            c.describe(c.intArg(0) + ", " + NamespaceCalls.ptr(c.arg(1)) + ", " + c.arg(2) + ", " + c.arg(3));
        }
        if (!inBand(c)) {
            return Verdict.cont();
        }
        BandFile f = classify(c, c.intArg(0));
        if (f instanceof NsFile) {
            return Verdict.fail(Errno.EBADF, "vfs_write", "namespace files are open read-only");
        }
        if (f instanceof ProcFile) {
            if (c.arg(3) < 0) {
                return Verdict.fail(Errno.EINVAL, "ksys_pwrite64", "negative offset " + c.arg(3));
            }
            return Verdict.fail(Errno.ESPIPE, "ksys_pwrite64", "these /proc files cannot be written at an offset");
        }
        return Verdict.cont();
    }

    /**
     * writev(fd, iov, iovcnt): files without write_iter get one ->write per segment
     * (do_loop_readv_writev), stopping at the first error or short write; the bytes written
     * so far are returned, else the first error.
     */
    public Verdict writev(Call c) throws SyscallException, TaskGone {
        if (c.tracing()) {
            c.describe(c.intArg(0) + ", " + NamespaceCalls.ptr(c.arg(1)) + ", " + c.arg(2));
        }
        if (!inBand(c)) {
            return Verdict.cont();
        }
        BandFile f = classify(c, c.intArg(0));
        if (f instanceof NsFile) {
            return Verdict.fail(Errno.EBADF, "vfs_writev", "namespace files are open read-only");
        }
        if (!(f instanceof ProcFile pf)) {
            return Verdict.cont();
        }
        long iovcnt = c.arg(2);
        if (iovcnt < 0 || iovcnt > 1024) {
            throw new SyscallException(Errno.EINVAL, "import_iovec", "iovcnt " + iovcnt + " is outside 0..UIO_MAXIOV");
        }
        ByteBuffer iov = ByteBuffer.wrap(c.read(c.arg(1), (int) iovcnt * 16)).order(ByteOrder.LITTLE_ENDIAN);
        long total = 0;
        for (int i = 0; i < iovcnt; i++) {
            long base = iov.getLong(i * 16);
            long len = iov.getLong(i * 16 + 8);
            if (!accessOk(base, len)) {
                throw new SyscallException(Errno.EFAULT, "import_iovec", "segment " + i + " is outside user space");
            }
            if (len == 0) {
                continue;
            }
            try {
                long n = writeProcFile(c, pf.file(), base, len);
                total += n;
                if (n < len) {
                    break;
                }
            } catch (SyscallException e) {
                if (total > 0) {
                    break;
                }
                throw e;
            }
        }
        return wrote(c, pf.file(), total);
    }

    /** write(fd, buf, count): the uid_map/gid_map/setgroups/sysctl write paths. */
    public Verdict write(Call c) throws SyscallException, TaskGone {
        int fd = c.intArg(0);
        long buf = c.arg(1);
        long count = c.arg(2);
        if (c.tracing()) {
            c.describe(fd + ", " + NamespaceCalls.ptr(buf) + ", " + count);
        }
        if (!inBand(c)) {
            return Verdict.cont();
        }
        BandFile f = classify(c, fd);
        if (f instanceof NsFile ns) {
            c.touched(ns.ns());
            return Verdict.fail(Errno.EBADF, "vfs_write", "namespace files are open read-only");
        }
        if (!(f instanceof ProcFile pf)) {
            return Verdict.cont();
        }
        ProcFileCalls.OpenProcFile file = pf.file();
        if (!accessOk(buf, count)) {
            throw new SyscallException(Errno.EFAULT, "vfs_write", "buffer 0x" + Long.toHexString(buf) + " + "
                    + Long.toUnsignedString(count) + " bytes is outside user space (access_ok)");
        }
        if (c.tracing()) {
            c.describe(fd + "<" + file.name() + ">, \"" + printable(c, buf, count) + "\", " + count);
        }
        return wrote(c, file, writeProcFile(c, file, buf, count));
    }

    /** One write of {@code count} bytes at {@code buf} to an emulated file, at its current position. */
    /** The answer to a write of {@code n} bytes: a written id map reaches the shim's owner views first. */
    private Verdict wrote(Call c, ProcFileCalls.OpenProcFile file, long n) {
        if (n > 0 && (file.kind() == ProcPath.Kind.UID_MAP || file.kind() == ProcPath.Kind.GID_MAP)) {
            return kernel.ownerViews().mapWritten(c, file.target(), n);
        }
        return Verdict.value(n);
    }

    private long writeProcFile(Call c, ProcFileCalls.OpenProcFile file, long buf, long count)
            throws SyscallException, TaskGone {
        long pos = kernel.linux().lseek(file.backingFd(), 0, SEEK_CUR);
        Credentials writer = c.task().state().cred();
        long written = switch (file.kind()) {
            case UID_MAP, GID_MAP -> {
                boolean uid = file.kind() == ProcPath.Kind.UID_MAP;
                IdMapFile.checkWrite(file.target(), file.opener(), pos, count, uid); // before the copy (map_write)
                yield IdMapFile.write(file.target(), file.opener(), writer, pos, readData(c, buf, count), uid);
            }
            case SETGROUPS -> {
                SetgroupsFile.checkWrite(pos, count);
                yield SetgroupsFile.write(file.target(), pos, readData(c, buf, count));
            }
            case MAX_NAMESPACES -> MaxNamespacesFile.write(file.target(), ProcFileCalls.maxNamespacesType(file.name()),
                    pos, readData(c, buf, Math.min(count, Nsfs.PAGE_SIZE - 1)));
            case HOSTNAME, DOMAINNAME -> writeUts(c, file, pos, buf, count);
            default -> throw new SyscallException(Errno.EINVAL, "nsentry", "unexpected file " + file.name());
        };
        kernel.linux().lseek(file.backingFd(), written, SEEK_CUR);
        return written;
    }

    /** access_ok(): the range lies in user space (TASK_SIZE_MAX), mapped or not. */
    static boolean accessOk(long addr, long size) {
        long max = nsentry.nsfs.CloneRules.TASK_SIZE_MAX;
        return Long.compareUnsigned(size, max) <= 0 && Long.compareUnsigned(addr, max - size) <= 0;
    }

    private long writeUts(Call c, ProcFileCalls.OpenProcFile file, long pos, long buf, long count)
            throws SyscallException, TaskGone {
        byte[] data = readData(c, buf, Math.min(count, Nsfs.NEW_UTS_LEN + 1));
        int len = 0;
        while (len < data.length && data[len] != '\n' && data[len] != 0) {
            len++;
        }
        byte[] value = java.util.Arrays.copyOf(data, Math.min(len, Nsfs.NEW_UTS_LEN));
        // The open checked the permission (proc_sys_permission); the name is the writer's UTS namespace's.
        if (file.name().equals("hostname")) {
            UtsRules.sethostname(c.task().state(), value);
        } else {
            UtsRules.setdomainname(c.task().state(), value);
        }
        return count;
    }

    private static byte[] readData(Call c, long buf, long count) throws SyscallException, TaskGone {
        return count == 0 ? new byte[0] : c.read(buf, (int) count);
    }

    private static String printable(Call c, long buf, long count) {
        try {
            byte[] d = c.read(buf, (int) Math.min(count, 200));
            return new String(d, StandardCharsets.UTF_8).replace("\n", "\\n").replace("\0", "\\0");
        } catch (SyscallException | TaskGone e) {
            return "?";
        }
    }

    /** dup2(oldfd, newfd): a writable emulated file leaving the band becomes a pipe into the model. */
    public Verdict dup2(Call c) throws SyscallException, TaskGone {
        if (c.tracing()) {
            c.describe(c.intArg(0) + ", " + c.intArg(1));
        }
        return dup(c, c.intArg(0), c.intArg(1), false, "dup2");
    }

    /** dup3(oldfd, newfd, flags) */
    public Verdict dup3(Call c) throws SyscallException, TaskGone {
        if (c.tracing()) {
            c.describe(c.intArg(0) + ", " + c.intArg(1) + ", 0x" + Long.toHexString(c.arg(2)));
        }
        return dup(c, c.intArg(0), c.intArg(1), (c.arg(2) & O_CLOEXEC) != 0, "dup3");
    }

    /** fcntl(fd, F_DUPFD[_CLOEXEC], minfd) on a band fd; every other fcntl runs natively. */
    public Verdict fcntl(Call c) throws SyscallException, TaskGone {
        int cmd = c.intArg(1);
        if (c.tracing()) {
            c.describe(c.intArg(0) + ", " + cmd + ", " + c.arg(2));
        }
        if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC) {
            return Verdict.cont();
        }
        int min = c.intArg(2);
        if (min < 0 || !inBand(c) || !(classify(c, c.intArg(0)) instanceof ProcFile)) {
            return Verdict.cont();
        }
        int target = lowestFreeFrom(c.tid(), min);
        if (target < 0) {
            return Verdict.cont(); // the kernel answers EMFILE/EINVAL
        }
        return dup(c, c.intArg(0), target, cmd == F_DUPFD_CLOEXEC, "fcntl(F_DUPFD)");
    }

    private Verdict dup(Call c, int oldfd, int newfd, boolean cloexec, String how)
            throws SyscallException, TaskGone {
        if (!inBand(c) || newfd < 0 || newfd == oldfd || kernel.band().contains(newfd)) {
            return Verdict.cont(); // the kernel's own answer (EBADF, EINVAL, or a dup inside the band)
        }
        if (classify(c, oldfd) instanceof ProcFile pf) {
            return procFiles.pipeInto(c, pf.file(), newfd, cloexec, how);
        }
        return Verdict.cont(); // namespace files dup natively: the copy still names the namespace
    }

    private static int lowestFreeFrom(int tid, int min) {
        java.util.Set<Integer> open = new java.util.HashSet<>();
        try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/" + tid + "/fd"))) {
            fds.forEach(f -> {
                try {
                    open.add(Integer.parseInt(f.getFileName().toString()));
                } catch (NumberFormatException ignored) {
                    // not an fd
                }
            });
        } catch (java.io.IOException e) {
            return -1;
        }
        int fd = min;
        while (open.contains(fd)) {
            fd++;
        }
        return fd;
    }

    public Verdict lseek(Call c) throws TaskGone {
        if (c.tracing()) {
            c.describe(c.intArg(0) + ", " + c.arg(1) + ", " + c.arg(2));
        }
        if (inBand(c) && classify(c, c.intArg(0)) instanceof NsFile) {
            return Verdict.fail(Errno.ESPIPE, "no_llseek", "namespace files cannot seek");
        }
        return Verdict.cont();
    }

    public Verdict fstat(Call c) throws SyscallException, TaskGone {
        if (c.tracing()) {
            c.describe(c.intArg(0) + ", " + NamespaceCalls.ptr(c.arg(1)));
        }
        if (inBand(c) && classify(c, c.intArg(0)) instanceof NsFile ns && !ns.ns().isInitial()) {
            c.touched(ns.ns());
            c.write(c.arg(1), NsStat.stat(kernel, ns.ns(), c.task().state().cred()));
            return Verdict.value(0);
        }
        return Verdict.cont();
    }

    /** fstatfs of an nsfs file: NSFS_MAGIC, the nsfs block size and name length. */
    public Verdict fstatfs(Call c) throws SyscallException, TaskGone {
        if (c.tracing()) {
            c.describe(c.intArg(0) + ", " + NamespaceCalls.ptr(c.arg(1)));
        }
        if (inBand(c) && classify(c, c.intArg(0)) instanceof NsFile ns && !ns.ns().isInitial()) {
            ByteBuffer b = ByteBuffer.allocate(120).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(0, Nsfs.NSFS_MAGIC);
            b.putLong(8, Nsfs.PAGE_SIZE);
            b.putLong(64, 255);
            b.putLong(72, Nsfs.PAGE_SIZE);
            c.write(c.arg(1), b.array());
            return Verdict.value(0);
        }
        return Verdict.cont();
    }

    public Verdict fchmod(Call c) throws TaskGone {
        if (c.tracing()) {
            c.describe(c.intArg(0) + ", 0" + Long.toOctalString(c.arg(1)));
        }
        if (inBand(c) && classify(c, c.intArg(0)) instanceof NsFile) {
            return Verdict.fail(Errno.EPERM, "nsfs", "namespace files cannot change mode");
        }
        return Verdict.cont();
    }

    public Verdict fchown(Call c) throws TaskGone {
        if (c.tracing()) {
            c.describe(c.intArg(0) + ", " + IdentityCalls.id(c.arg(1)) + ", " + IdentityCalls.id(c.arg(2)));
        }
        if (inBand(c) && classify(c, c.intArg(0)) instanceof NsFile) {
            return Verdict.fail(Errno.EPERM, "nsfs", "namespace files cannot change owner");
        }
        return Verdict.cont();
    }

    public Verdict ftruncate(Call c) throws TaskGone {
        if (c.tracing()) {
            c.describe(c.intArg(0) + ", " + c.arg(1));
        }
        if (inBand(c) && classify(c, c.intArg(0)) instanceof NsFile) {
            return Verdict.fail(Errno.EINVAL, "do_ftruncate", "namespace files are not open for writing");
        }
        return Verdict.cont();
    }

    /** ioctl(fd, cmd, arg): NS_GET_* on namespace files (ns_ioctl); ENOTTY for anything else on them. */
    public Verdict ioctl(Call c) throws SyscallException, TaskGone {
        int fd = c.intArg(0);
        long cmd = c.arg(1) & 0xffffffffL;
        if (c.tracing()) {
            c.describe(fd + ", " + ioctlName(cmd) + ", " + NamespaceCalls.ptr(c.arg(2)));
        }
        NsFiles.FdTarget target = nsFiles.identify(c, fd);
        if (target instanceof NsFiles.PathOnlyFd) {
            return Verdict.fail(Errno.EBADF, "ksys_ioctl", "fd " + fd + " is an O_PATH fd");
        }
        if (!(target instanceof NsFiles.NsTarget t)) {
            return Verdict.cont();
        }
        Namespace ns = t.namespace();
        c.touched(ns);
        if (c.tracing()) {
            c.describe(fd + "<" + target.describe() + ">, " + ioctlName(cmd) + ", " + NamespaceCalls.ptr(c.arg(2)));
        }
        var caller = c.task().state();
        if (cmd == Nsfs.NS_GET_USERNS) {
            return nsFiles.inject(c, NsIoctls.getUserns(caller.cred(), ns), true);
        }
        if (cmd == Nsfs.NS_GET_PARENT) {
            return nsFiles.inject(c, NsIoctls.getParent(caller, ns), true);
        }
        if (cmd == Nsfs.NS_GET_NSTYPE) {
            return Verdict.value(ns.type().cloneFlag());
        }
        if (cmd == Nsfs.NS_GET_OWNER_UID) {
            long uid = NsIoctls.getOwnerUid(caller.cred(), ns);
            c.writeU32(c.arg(2), (int) uid);
            return Verdict.value(0);
        }
        if (cmd == Nsfs.NS_GET_ID || cmd == Nsfs.NS_GET_MNTNS_ID) {
            if (cmd == Nsfs.NS_GET_MNTNS_ID && ns.type() != NsType.MNT) {
                throw new SyscallException(Errno.EINVAL, "ns_ioctl", "NS_GET_MNTNS_ID on a " + ns.type().procName()
                        + " namespace");
            }
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(0, ns.inode());
            c.write(c.arg(2), b.array());
            return Verdict.value(0);
        }
        if (cmd >= Nsfs.NS_GET_PID_FROM_PIDNS && cmd <= Nsfs.NS_GET_TGID_IN_PIDNS) {
            // pid namespaces are emulated in identity only: every task keeps its host pid.
            if (ns.type() != NsType.PID) {
                throw new SyscallException(Errno.EINVAL, "ns_ioctl", ioctlName(cmd) + " on a "
                        + ns.type().procName() + " namespace");
            }
            int pid = c.intArg(2);
            if (pid <= 0 || nsentry.sentry.task.ProcStatus.read(kernel.linux(), pid) == null) {
                throw new SyscallException(Errno.ESRCH, "ns_ioctl", "no process " + pid);
            }
            return Verdict.value(pid);
        }
        throw new SyscallException(Errno.ENOTTY, "ns_ioctl", "ioctl 0x" + Long.toHexString(cmd)
                + " is not a namespace ioctl");
    }

    static String ioctlName(long cmd) {
        if (cmd == Nsfs.NS_GET_USERNS) {
            return "NS_GET_USERNS";
        }
        if (cmd == Nsfs.NS_GET_PARENT) {
            return "NS_GET_PARENT";
        }
        if (cmd == Nsfs.NS_GET_NSTYPE) {
            return "NS_GET_NSTYPE";
        }
        if (cmd == Nsfs.NS_GET_OWNER_UID) {
            return "NS_GET_OWNER_UID";
        }
        if (cmd == Nsfs.NS_GET_MNTNS_ID) {
            return "NS_GET_MNTNS_ID";
        }
        if (cmd == Nsfs.NS_GET_ID) {
            return "NS_GET_ID";
        }
        return "0x" + Long.toHexString(cmd);
    }
}
