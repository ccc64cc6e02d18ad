package nsentry.sentry.calls;

import static nsentry.sentry.dispatch.Support.FULL;
import static nsentry.sentry.dispatch.Support.OBSERVED;
import static nsentry.sentry.dispatch.Support.PARTIAL;

import nsentry.abi.Sysno;
import nsentry.sentry.dispatch.SyscallTable;
import nsentry.sentry.dispatch.Verdict;
import nsentry.sentry.runtime.Kernel;

/**
 * THE dispatch table: every syscall the shim's filter sends to the sentry, its handler
 * and how completely it is emulated. To find the handler of a syscall, look here.
 */
public final class Dispatch {
    private Dispatch() {}

    public static SyscallTable table(Kernel k) {
        IdentityCalls id = new IdentityCalls(k);
        CapabilityCalls caps = new CapabilityCalls(k);
        NsFiles nsFiles = new NsFiles(k);
        NamespaceCalls ns = new NamespaceCalls(k, nsFiles);
        ProcFileCalls proc = new ProcFileCalls(k, nsFiles);
        k.setProcFiles(proc);
        NsFileCalls nsfd = new NsFileCalls(k, nsFiles, proc);
        UtsCalls uts = new UtsCalls(k);
        MountCalls mount = new MountCalls(k);

        return new SyscallTable(c -> Verdict.cont())
                // credentials: kernel/sys.c, kernel/groups.c
                .add(Sysno.GETUID, FULL, id::getuid)
                .add(Sysno.GETEUID, FULL, id::geteuid)
                .add(Sysno.GETGID, FULL, id::getgid)
                .add(Sysno.GETEGID, FULL, id::getegid)
                .add(Sysno.GETRESUID, FULL, id::getresuid)
                .add(Sysno.GETRESGID, FULL, id::getresgid)
                .add(Sysno.GETGROUPS, FULL, id::getgroups)
                .add(Sysno.SETUID, FULL, id::setuid)
                .add(Sysno.SETGID, FULL, id::setgid)
                .add(Sysno.SETREUID, FULL, id::setreuid)
                .add(Sysno.SETREGID, FULL, id::setregid)
                .add(Sysno.SETRESUID, FULL, id::setresuid)
                .add(Sysno.SETRESGID, FULL, id::setresgid)
                .add(Sysno.SETFSUID, FULL, id::setfsuid)
                .add(Sysno.SETFSGID, FULL, id::setfsgid)
                .add(Sysno.SETGROUPS, FULL, id::setgroups)
                // capabilities: kernel/capability.c, security/commoncap.c
                .add(Sysno.CAPGET, FULL, caps::capget)
                .add(Sysno.CAPSET, FULL, caps::capset)
                .add(Sysno.PRCTL, PARTIAL, caps::prctl, "capability options only; the filter sends no others")
                // namespaces: kernel/fork.c, kernel/nsproxy.c
                .add(Sysno.UNSHARE, FULL, ns::unshare)
                .add(Sysno.CLONE, FULL, ns::clone, "only calls with CLONE_NEW* flags reach the sentry")
                .add(Sysno.CLONE3, FULL, ns::clone3, "calls without namespace flags continue natively")
                .add(Sysno.SETNS, FULL, ns::setns)
                // exec: fs/exec.c + security/commoncap.c (applied at the next notification)
                .add(Sysno.EXIT_GROUP, OBSERVED, c -> Verdict.cont(), "seen so that a process whose other "
                        + "calls the sentry never saw (they ran natively or through the owner tracer) is known "
                        + "before it exits: its orphans inherit its namespaces (TaskTable.adoptOrphans)")
                .add(Sysno.EXECVE, OBSERVED, k.execs()::execve)
                .add(Sysno.EXECVEAT, OBSERVED, k.execs()::execveat)
                // UTS: kernel/sys.c
                .add(Sysno.UNAME, FULL, uts::uname)
                .add(Sysno.SETHOSTNAME, FULL, uts::sethostname)
                .add(Sysno.SETDOMAINNAME, FULL, uts::setdomainname)
                // paths into /proc: fs/proc, fs/nsfs.c, kernel/user_namespace.c
                .add(Sysno.OPEN, PARTIAL, proc::open, "emulated /proc files only; O_DIRECTORY opens never reach the sentry")
                .add(Sysno.OPENAT, PARTIAL, proc::openat, "emulated /proc files only")
                .add(Sysno.OPENAT2, PARTIAL, proc::openat2, "emulated /proc files only")
                .add(Sysno.READLINK, PARTIAL, proc::readlink, "/proc/*/ns/* and fds of emulated files")
                .add(Sysno.READLINKAT, PARTIAL, proc::readlinkat, "/proc/*/ns/* and fds of emulated files")
                .add(Sysno.STAT, PARTIAL, proc::stat, "nsfs files; owner translation in nested user namespaces")
                .add(Sysno.LSTAT, PARTIAL, proc::lstat, "nsfs files; owner translation in nested user namespaces")
                .add(Sysno.NEWFSTATAT, PARTIAL, proc::newfstatat, "nsfs files; owner translation in nested user namespaces")
                .add(Sysno.STATX, PARTIAL, proc::statx, "nsfs files; owner translation in nested user namespaces")
                .add(Sysno.STATFS, PARTIAL, proc::statfs, "/proc/*/ns/* paths")
                // fds in the emulated-file band: fs/nsfs.c ns_file_operations, proc files
                .add(Sysno.READ, PARTIAL, nsfd::read, "fds in the band only")
                .add(Sysno.PREAD64, PARTIAL, nsfd::pread, "fds in the band only")
                .add(Sysno.READV, PARTIAL, nsfd::readv, "fds in the band only")
                .add(Sysno.WRITE, PARTIAL, nsfd::write, "fds in the band only")
                .add(Sysno.PWRITE64, PARTIAL, nsfd::pwrite, "fds in the band only")
                .add(Sysno.WRITEV, PARTIAL, nsfd::writev, "fds in the band only")
                .add(Sysno.LSEEK, PARTIAL, nsfd::lseek, "fds in the band only")
                .add(Sysno.FSTAT, PARTIAL, nsfd::fstat, "fds in the band only")
                .add(Sysno.FSTATFS, PARTIAL, nsfd::fstatfs, "fds in the band only")
                .add(Sysno.FCHMOD, PARTIAL, nsfd::fchmod, "fds in the band only")
                .add(Sysno.FCHOWN, PARTIAL, nsfd::fchown, "fds in the band only")
                .add(Sysno.FTRUNCATE, PARTIAL, nsfd::ftruncate, "fds in the band only")
                .add(Sysno.IOCTL, FULL, nsfd::ioctl, "NSIO ioctls on any fd, any ioctl on band fds")
                .add(Sysno.DUP2, PARTIAL, nsfd::dup2, "writable emulated files dup'ed out of the band")
                .add(Sysno.DUP3, PARTIAL, nsfd::dup3, "writable emulated files dup'ed out of the band")
                .add(Sysno.FCNTL, PARTIAL, nsfd::fcntl, "F_DUPFD of writable emulated files")
                // mounts: fs/namespace.c, fs/open.c (identity-only mount namespaces)
                .add(Sysno.MOUNT, PARTIAL, mount::mount, "propagation changes in emulated mount namespaces")
                .add(Sysno.UMOUNT2, PARTIAL, mount::umount2, "refused in emulated mount namespaces")
                .add(Sysno.PIVOT_ROOT, PARTIAL, mount::pivotRoot, "permission order; the root never moves")
                .add(Sysno.CHROOT, PARTIAL, mount::chroot, "real chroot only where the real user may");
    }
}
