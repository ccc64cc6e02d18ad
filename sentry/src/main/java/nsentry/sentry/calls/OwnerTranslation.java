package nsentry.sentry.calls;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import nsentry.abi.Errno;
import nsentry.abi.SyscallException;
import nsentry.nsfs.Kgid;
import nsentry.nsfs.Kuid;
import nsentry.nsfs.UserNamespace;
import nsentry.sentry.dispatch.Call;
import nsentry.sentry.dispatch.TaskGone;
import nsentry.sentry.runtime.Kernel;
import nsentry.syscall.LinuxException;

/**
 * stat owners as a task in a nested user namespace sees them (fs/stat.c cp_new_stat →
 * from_kuid_munged): the sentry performs the stat itself, from the task's point of view
 * (its root, cwd or dirfd through /proc/TID/...), and rewrites st_uid/st_gid through the
 * task's user namespace (65534 where unmapped). Tasks in the initial user namespace never
 * get here: their stat calls continue to the kernel.
 */
final class OwnerTranslation {
    private static final int AT_FDCWD = -100;
    private static final int AT_EMPTY_PATH = 0x1000;

    private final Kernel kernel;

    OwnerTranslation(Kernel kernel) {
        this.kernel = kernel;
    }

    /** The struct stat or struct statx the task would get, owners translated. */
    byte[] stat(Call c, int dirfd, String path, int flags, boolean statx, int statxMask)
            throws SyscallException, TaskGone {
        int local = -1;
        String where;
        int at = AT_FDCWD;
        try {
            if (path.isEmpty() && (flags & AT_EMPTY_PATH) != 0) {
                local = copyFd(c, dirfd);
                at = local;
                where = "";
            } else if (path.startsWith("/")) {
                // unchrooted, the task's root is the sentry's: no detour through /proc
                where = c.task().chrooted() ? ProcPaths.taskView(c.tid(), AT_FDCWD, path) : path;
            } else if (path.isEmpty()) {
                throw new SyscallException(Errno.ENOENT, "getname_flags", "empty path without AT_EMPTY_PATH");
            } else if (dirfd == AT_FDCWD) {
                where = ProcPaths.taskView(c.tid(), AT_FDCWD, path);
            } else {
                local = copyFd(c, dirfd);
                at = local;
                where = path;
            }
            int[] errno = new int[1];
            byte[] raw = statx ? kernel.linux().statxRaw(at, where, flags, statxMask, errno)
                    : kernel.linux().fstatatRaw(at, where, flags, errno);
            c.revalidate();
            if (raw == null) {
                Errno e = Errno.of(errno[0]);
                throw new SyscallException(e == null ? Errno.EIO : e, statx ? "do_statx" : "vfs_fstatat",
                        "\"" + path + "\": " + (e == null ? "errno " + errno[0] : e.description()));
            }
            translate(raw, c.task().state().cred().userNs(), statx);
            return raw;
        } finally {
            if (local >= 0) {
                kernel.linux().close(local);
            }
        }
    }

    private int copyFd(Call c, int fd) throws SyscallException, TaskGone {
        try {
            return kernel.linux().pidfdGetfd(kernel.tasks().processPidfd(c.task()), fd);
        } catch (LinuxException e) {
            c.revalidate();
            throw new SyscallException(Errno.EBADF, "fdget", "fd " + fd + " is not open");
        }
    }

    /** Rewrites the owner fields in place (struct stat: 28/32; struct statx: 20/24). */
    static void translate(byte[] raw, UserNamespace ns, boolean statx) {
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        int uidAt = statx ? 20 : 28;
        int gidAt = statx ? 24 : 32;
        b.putInt(uidAt, (int) ns.fromKuidMunged(new Kuid(b.getInt(uidAt))));
        b.putInt(gidAt, (int) ns.fromKgidMunged(new Kgid(b.getInt(gidAt))));
    }
}
