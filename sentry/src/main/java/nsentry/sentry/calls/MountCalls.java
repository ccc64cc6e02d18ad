package nsentry.sentry.calls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import nsentry.abi.Capability;
import nsentry.abi.Errno;
import nsentry.abi.SyscallException;
import nsentry.nsfs.Capabilities;
import nsentry.nsfs.MountNamespace;
import nsentry.sentry.dispatch.Call;
import nsentry.sentry.dispatch.TaskGone;
import nsentry.sentry.dispatch.Verdict;
import nsentry.sentry.runtime.Kernel;

/**
 * mount, umount2, pivot_root, chroot (fs/namespace.c, fs/open.c). Mount namespaces are
 * emulated in identity only: in an emulated one, propagation changes (what `unshare
 * --mount` and container runtimes do first) succeed and are recorded; every other mount
 * operation is refused with EPERM and a trace line, because doing it for real would change
 * the host's mount table. In the host's initial mount namespace the kernel decides.
 */
public final class MountCalls {
    private static final long MS_REC = 16384;
    private static final long MS_SILENT = 32768;
    private static final long MS_UNBINDABLE = 1 << 17;
    private static final long MS_PRIVATE = 1 << 18;
    private static final long MS_SLAVE = 1 << 19;
    private static final long MS_SHARED = 1 << 20;
    private static final long PROPAGATION = MS_UNBINDABLE | MS_PRIVATE | MS_SLAVE | MS_SHARED;

    private final Kernel kernel;

    public MountCalls(Kernel kernel) {
        this.kernel = kernel;
    }

    /** mount(source, target, fstype, flags, data) */
    public Verdict mount(Call c) throws SyscallException, TaskGone {
        long flags = c.arg(3);
        MountNamespace mnt = c.task().state().ns().mnt();
        String target = c.arg(1) == 0 ? "NULL" : c.readPath(c.arg(1));
        if (c.tracing()) {
            c.describe(NamespaceCalls.ptr(c.arg(0)) + ", \"" + target + "\", " + NamespaceCalls.ptr(c.arg(2)) + ", 0x"
                    + Long.toHexString(flags) + ", " + NamespaceCalls.ptr(c.arg(4)));
        }
        if (mnt.isInitial()) {
            return Verdict.cont();
        }
        c.touched(mnt);
        if (!Capabilities.capable(c.task().state().cred(), mnt.owner(), Capability.CAP_SYS_ADMIN)) {
            throw new SyscallException(Errno.EPERM, "may_mount", "no CAP_SYS_ADMIN in the user namespace that owns "
                    + "mount namespace " + mnt.inode());
        }
        long type = flags & PROPAGATION;
        if (type != 0 && (flags & ~(PROPAGATION | MS_REC | MS_SILENT)) == 0 && Long.bitCount(type) == 1) {
            return Verdict.value(0); // do_change_type: recorded, nothing real to change
        }
        throw new SyscallException(Errno.EPERM, "nsentry", "mount namespace " + mnt.inode() + " is emulated in "
                + "identity only: only propagation changes (MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE) are "
                + "emulated; this mount would change the host's mount table (known divergence)");
    }

    /** umount2(target, flags) */
    public Verdict umount2(Call c) throws SyscallException, TaskGone {
        String target = c.readPath(c.arg(0));
        if (c.tracing()) {
            c.describe("\"" + target + "\", 0x" + Long.toHexString(c.arg(1)));
        }
        MountNamespace mnt = c.task().state().ns().mnt();
        if (mnt.isInitial()) {
            return Verdict.cont();
        }
        c.touched(mnt);
        throw new SyscallException(Errno.EPERM, "nsentry", "mount namespace " + mnt.inode() + " is emulated in "
                + "identity only; umount would change the host's mount table (known divergence)");
    }

    /** pivot_root(new_root, put_old): CAP_SYS_ADMIN in the mount namespace's owner is checked before any lookup. */
    public Verdict pivotRoot(Call c) throws SyscallException, TaskGone {
        MountNamespace mnt = c.task().state().ns().mnt();
        if (c.tracing()) {
            c.describe(NamespaceCalls.ptr(c.arg(0)) + ", " + NamespaceCalls.ptr(c.arg(1)));
        }
        if (mnt.isInitial() && c.task().realCreds()) {
            return Verdict.cont();
        }
        if (!Capabilities.capable(c.task().state().cred(), mnt.owner(), Capability.CAP_SYS_ADMIN)) {
            throw new SyscallException(Errno.EPERM, "pivot_root", "no CAP_SYS_ADMIN in the user namespace that owns "
                    + "the caller's mount namespace (checked before the paths are looked up)");
        }
        String newRoot = c.readPath(c.arg(0));
        String putOld = c.readPath(c.arg(1));
        if (c.tracing()) {
            c.describe("\"" + newRoot + "\", \"" + putOld + "\"");
        }
        lookupDirectory(c, newRoot, "pivot_root");
        lookupDirectory(c, putOld, "pivot_root");
        throw new SyscallException(Errno.EPERM, "nsentry", "pivot_root in an emulated mount namespace is not "
                + "emulated (the root would move for real); known divergence");
    }

    /**
     * chroot(path): lookup errors, then MAY_EXEC, then CAP_SYS_CHROOT in the caller's user
     * namespace. Where the model and the real credentials agree on that capability, the
     * kernel does the whole call (its lookup is the task's own, /proc/self and all); only
     * where they disagree does the sentry look the path up itself and refuse with EPERM.
     */
    public Verdict chroot(Call c) throws SyscallException, TaskGone {
        String path = c.readPath(c.arg(0));
        if (c.tracing()) {
            c.describe("\"" + path + "\"");
        }
        boolean modelAllows = Capabilities.capable(c.task().state().cred(), c.task().state().cred().userNs(),
                Capability.CAP_SYS_CHROOT);
        boolean realAllows = kernel.realRoot();
        if (modelAllows == realAllows) {
            if (modelAllows) {
                // create_user_ns refuses chrooted callers: a root that is not the mount
                // namespace's root (the sandbox's root counts as that).
                c.task().setChrooted(!realPath(c, path).equals("/"));
            }
            return new Verdict.Continue(modelAllows ? "the kernel chroots with the real privilege"
                    : "the kernel refuses it as the model would (after its own path lookup)");
        }
        lookupDirectory(c, path, "chroot");
        if (!modelAllows) {
            throw new SyscallException(Errno.EPERM, "ksys_chroot", "no CAP_SYS_CHROOT in the caller's user namespace");
        }
        throw new SyscallException(Errno.EPERM, "nsentry", "the model allows this chroot (CAP_SYS_CHROOT in an "
                + "emulated user namespace) but the real user may not chroot, and nsentry does not translate paths "
                + "(known divergence)");
    }

    private static String realPath(Call c, String path) {
        Path p = Path.of(ProcPaths.taskView(c.tid(), ProcPaths.AT_FDCWD, path));
        try {
            return p.toRealPath().toString(); // in the sandbox's view: "/" is the mount namespace's root
        } catch (IOException e) {
            return path;
        }
    }

    /** Path lookup as the task: ENOENT, ENOTDIR, EACCES, ELOOP in that order of discovery. */
    private static void lookupDirectory(Call c, String path, String rule) throws SyscallException {
        if (path.isEmpty()) {
            throw new SyscallException(Errno.ENOENT, rule, "empty path");
        }
        Path p = Path.of(ProcPaths.taskView(c.tid(), ProcPaths.AT_FDCWD, path));
        try {
            if (!Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class).isDirectory()) {
                throw new SyscallException(Errno.ENOTDIR, rule, "\"" + path + "\" is not a directory");
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw new SyscallException(Errno.ENOENT, rule, "\"" + path + "\" does not exist");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new SyscallException(Errno.EACCES, rule, "search permission denied on \"" + path + "\"");
        } catch (java.nio.file.FileSystemException e) {
            String reason = e.getReason() == null ? "" : e.getReason();
            if (reason.contains("Not a directory")) {
                throw new SyscallException(Errno.ENOTDIR, rule, "a component of \"" + path + "\" is not a directory");
            }
            if (reason.contains("symbolic links")) {
                throw new SyscallException(Errno.ELOOP, rule, "too many symbolic links in \"" + path + "\"");
            }
            throw new SyscallException(Errno.ENOENT, rule, "\"" + path + "\": " + reason);
        } catch (IOException e) {
            throw new SyscallException(Errno.EIO, rule, "\"" + path + "\": " + e.getMessage());
        }
        if (!Files.isExecutable(p)) {
            throw new SyscallException(Errno.EACCES, rule, "no search permission on \"" + path + "\"");
        }
        if (Files.isSymbolicLink(p) && !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new SyscallException(Errno.ENOENT, rule, "dangling link \"" + path + "\"");
        }
    }
}
