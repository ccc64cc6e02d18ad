package nsentry.sentry.calls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import nsentry.abi.Errno;
import nsentry.abi.Nsfs;
import nsentry.abi.SyscallException;
import nsentry.nsfs.Namespace;
import nsentry.nsfs.NsType;
import nsentry.nsfs.TaskState;
import nsentry.sentry.dispatch.Call;
import nsentry.sentry.dispatch.TaskGone;
import nsentry.sentry.dispatch.Verdict;
import nsentry.sentry.runtime.Kernel;
import nsentry.syscall.LinuxException;
import nsentry.syscall.StatResult;

/**
 * Namespace files as the workload holds them: recognising an fd (an emulated namespace's
 * backing file, a real nsfs file, a pidfd, or something else) by (st_dev, st_ino) of a
 * copy taken with pidfd_getfd, and handing out new ones with SECCOMP_IOCTL_NOTIF_ADDFD.
 */
public final class NsFiles {
    /** PID_FS_MAGIC (pidfs, Linux ≥ 6.9) */
    private static final long PIDFS_MAGIC = 0x50494446L;
    /** ANON_INODE_FS_MAGIC (pidfds before pidfs) */
    private static final long ANON_INODE_FS_MAGIC = 0x09041934L;

    /** What an fd of the workload is. */
    public sealed interface FdTarget {
        String describe();
    }

    public record NsTarget(Namespace namespace) implements FdTarget {
        @Override
        public String describe() {
            return namespace.type().procName() + ":[" + namespace.inode() + "]";
        }
    }

    public record PidfdTarget(int pid) implements FdTarget {
        @Override
        public String describe() {
            return "pidfd:" + pid;
        }
    }

    /** An O_PATH fd: setns and ioctl see no file there (fdget fails: EBADF). */
    public record PathOnlyFd(String what) implements FdTarget {
        @Override
        public String describe() {
            return "O_PATH fd of " + what;
        }
    }

    /** An emulated /proc file the sentry handed out (uid_map, status, ...). */
    public record ProcFileTarget(ProcFileCalls.OpenProcFile file) implements FdTarget {
        @Override
        public String describe() {
            return file.name();
        }
    }

    public record BadFd() implements FdTarget {
        @Override
        public String describe() {
            return "not an open fd";
        }
    }

    public record OtherFile(String what) implements FdTarget {
        @Override
        public String describe() {
            return what;
        }
    }

    /** Fd numbers below this have their last stand-in remembered ({@link #knownStandIn}). */
    private static final int REMEMBERED_FDS = 1024;

    private final Kernel kernel;
    private final int sentryPid;
    /**
     * By fd number: the inode of the emulated namespace whose stand-in that fd last was, in
     * whichever task (0: none). A guess that {@link #knownStandIn} checks before using it.
     */
    private final long[] lastStandIn = new long[REMEMBERED_FDS];
    /**
     * Cleared when kcmp(2) is missing (ENOSYS: a kernel without CONFIG_KCMP) or refused to the
     * sentry itself (EPERM: e.g. a container's seccomp profile): then every fd goes the long way.
     */
    private boolean kcmpUsable = true;

    public NsFiles(Kernel kernel) {
        this.kernel = kernel;
        this.sentryPid = kernel.linux().getpid();
    }

    /** Recognises fd {@code fd} of the calling task. */
    public FdTarget identify(Call c, int fd) throws TaskGone {
        if (fd < 0) {
            return new BadFd();
        }
        NsTarget known = knownStandIn(c, fd);
        if (known != null) {
            return known;
        }
        int local;
        try {
            local = kernel.linux().pidfdGetfd(kernel.tasks().processPidfd(c.task()), fd);
        } catch (LinuxException e) {
            c.revalidate();
            return e.errno() == Errno.EBADF ? new BadFd() : new OtherFile("unreadable fd (" + e.getMessage() + ")");
        }
        try {
            StatResult st = kernel.linux().fstat(local);
            boolean pathOnly = (kernel.linux().fileFlags(local) & O_PATH) != 0;
            if (kernel.backing().isBacking(st.dev(), st.ino())) {
                // an emulated namespace's stand-in: no fstatfs needed (setns's common case)
                if (pathOnly) {
                    return new PathOnlyFd("a namespace file");
                }
                Namespace ns = kernel.registry().byInode(st.ino()).orElse(null);
                if (ns == null) {
                    return new OtherFile("a released namespace");
                }
                if (fd < REMEMBERED_FDS) {
                    lastStandIn[fd] = st.ino();
                }
                return new NsTarget(ns);
            }
            long fsType = kernel.linux().fstatfsType(local);
            if (pathOnly) {
                return new PathOnlyFd(fsType == Nsfs.NSFS_MAGIC ? "a namespace file" : "a file");
            }
            if (fsType == Nsfs.NSFS_MAGIC) {
                Namespace ns = kernel.registry().byInode(st.ino()).orElse(null);
                return ns != null ? new NsTarget(ns)
                        : new OtherFile("a real namespace outside the sandbox (inode " + st.ino() + ")");
            }
            ProcFileCalls.OpenProcFile procFile = kernel.procFiles().writableFile(st.dev(), st.ino());
            if (procFile != null) {
                return new ProcFileTarget(procFile);
            }
            if (fsType == PIDFS_MAGIC || fsType == ANON_INODE_FS_MAGIC) {
                int pid = pidOfPidfd(local);
                if (pid != Integer.MIN_VALUE) {
                    return new PidfdTarget(pid);
                }
            }
            return new OtherFile("a file that is neither a namespace nor a pidfd");
        } finally {
            kernel.linux().close(local);
            c.revalidate();
        }
    }

    private static final int O_PATH = 010000000;

    /**
     * setns's and the NS_GET_* ioctls' common case in one system call: whether {@code fd} is
     * still the stand-in it was last time, asked with kcmp(KCMP_FILE) against the sentry's
     * backing fd of that namespace instead of pidfd_getfd + fstat + fcntl + close. The same
     * open file description as the backing fd is that namespace's stand-in and not O_PATH
     * (the backing fd is not), which is what {@link #identify}'s long way would find too;
     * kcmp, like pidfd_getfd there, reads the fd table of the process (its leader's). Null:
     * not known, or kcmp failed (the long way tells why).
     */
    private NsTarget knownStandIn(Call c, int fd) throws TaskGone {
        long inode = fd < REMEMBERED_FDS ? lastStandIn[fd] : 0;
        if (inode == 0 || !kcmpUsable) {
            return null;
        }
        int backing = kernel.backing().backingFd(inode);
        if (backing < 0) {
            return null;
        }
        int same = kernel.linux().kcmpFileRaw(c.task().tgid(), sentryPid, fd, backing);
        if (same != 0) {
            if (same == -Errno.ENOSYS.number() || same == -Errno.EPERM.number()) {
                kcmpUsable = false; // pidfd_getfd works (the sentry needs it), so kcmp itself is barred
            }
            return null;
        }
        c.revalidate(); // the pid still named the caller's process when kcmp looked
        Namespace ns = kernel.registry().byInode(inode).orElse(null);
        return ns == null ? null : new NsTarget(ns);
    }

    /** The "Pid:" line of our copy's fdinfo; -1 for an exited process. */
    private static int pidOfPidfd(int localFd) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + localFd))) {
                if (line.startsWith("Pid:")) {
                    return Integer.parseInt(line.substring(4).trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Integer.MIN_VALUE;
        }
        return Integer.MIN_VALUE;
    }

    /** A task's namespace of {@code type} (the *_for_children one if asked). */
    public static Namespace namespaceOf(TaskState s, NsType type, boolean forChildren) {
        return switch (type) {
            case USER -> s.cred().userNs();
            case MNT -> s.ns().mnt();
            case UTS -> s.ns().uts();
            case IPC -> s.ns().ipc();
            case NET -> s.ns().net();
            case CGROUP -> s.ns().cgroup();
            case PID -> forChildren ? s.ns().pidForChildren() : s.activePidNs();
            case TIME -> forChildren ? s.ns().timeForChildren() : s.ns().time();
        };
    }

    /**
     * Gives the calling task a new read-only fd for {@code ns} as the call's result: the
     * backing file of an emulated namespace, or the real file of an initial one. Placed in
     * the fd band when there is room, so read/write/fstat/ioctl on it are emulated.
     */
    public Verdict inject(Call c, Namespace ns, boolean cloexec) throws SyscallException {
        int src;
        boolean close = false;
        if (ns.isInitial()) {
            try {
                src = kernel.linux().open("/proc/self/ns/" + ns.type().procName(), 0);
                close = true;
            } catch (LinuxException e) {
                throw new SyscallException(Errno.ENOENT, "nsentry", "cannot open the real " + ns.type().procName()
                        + " namespace: " + e.getMessage());
            }
        } else {
            src = kernel.backing().backingFd(ns.inode());
            if (src < 0) {
                throw new SyscallException(Errno.ENOENT, "nsentry", "namespace " + ns + " has been released");
            }
        }
        try {
            // The calling thread's own pidfd: ADDFD installs into its fd table.
            int slot = kernel.band().lowestFree(c.tid(), c.task().pidfd());
            int fd = kernel.listener().addFd(c.notification().id(), src, slot, cloexec, true);
            c.touched(ns);
            return new Verdict.Answered(fd, slot < 0 ? "fd band full: read/fstat of this fd are not emulated" : "");
        } catch (LinuxException e) {
            if (e.errno() == Errno.ENOENT) {
                throw new SyscallException(Errno.EINTR, "nsentry", "the thread left the call");
            }
            throw new SyscallException(e.errno() == null ? Errno.EMFILE : e.errno(), "seccomp_addfd",
                    "could not install the namespace fd: " + e.getMessage());
        } finally {
            if (close) {
                kernel.linux().close(src);
            }
        }
    }

    /** "user:[4026531837]" */
    public static String linkText(Namespace ns) {
        return ns.type().procName() + ":[" + ns.inode() + "]";
    }
}
