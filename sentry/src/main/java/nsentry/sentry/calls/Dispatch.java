package nsentry.sentry.calls;

import nsentry.abi.Sysno;
import nsentry.abi.SyscallException;
import nsentry.sentry.dispatch.Call;
import nsentry.sentry.dispatch.SyscallHandler;
import nsentry.sentry.dispatch.TaskGone;
import nsentry.sentry.dispatch.Verdict;
import nsentry.sentry.runtime.Kernel;

/**
 * THE dispatch table: every syscall the shim's filter sends to the sentry, its handler
 * and how completely it is emulated (FULL: Linux's rules and errnos; PARTIAL: the cases
 * named, the rest continues to the kernel; OBSERVED: seen, then run by the kernel). To
 * find the handler of a syscall, look here.
 *
 * <p>One switch rather than a method reference per syscall: linking 60 lambdas cost
 * 10-17 ms of start-up, while the workload waited (BENCHMARKS.md, session 4).
 */
public final class Dispatch implements SyscallHandler {
    private final Kernel k;
    private final IdentityCalls id;
    private final CapabilityCalls caps;
    private final NamespaceCalls ns;
    private final ProcFileCalls proc;
    private final NsFileCalls nsfd;
    private final UtsCalls uts;
    private final MountCalls mount;

    public Dispatch(Kernel k) {
        this.k = k;
        NsFiles nsFiles = new NsFiles(k);
        this.id = new IdentityCalls(k);
        this.caps = new CapabilityCalls(k);
        this.ns = new NamespaceCalls(k, nsFiles);
        this.proc = new ProcFileCalls(k, nsFiles);
        k.setProcFiles(proc);
        this.nsfd = new NsFileCalls(k, nsFiles, proc);
        this.uts = new UtsCalls(k);
        this.mount = new MountCalls(k);
    }

    /** Syscalls that are not in the table continue to the kernel. */
    @Override
    public Verdict handle(Call c) throws SyscallException, TaskGone {
        return switch (c.nr()) {
            // credentials: kernel/sys.c, kernel/groups.c
            case Sysno.GETUID -> id.getuid(c); // FULL
            case Sysno.GETEUID -> id.geteuid(c); // FULL
            case Sysno.GETGID -> id.getgid(c); // FULL
            case Sysno.GETEGID -> id.getegid(c); // FULL
            case Sysno.GETRESUID -> id.getresuid(c); // FULL
            case Sysno.GETRESGID -> id.getresgid(c); // FULL
            case Sysno.GETGROUPS -> id.getgroups(c); // FULL
            case Sysno.SETUID -> id.setuid(c); // FULL
            case Sysno.SETGID -> id.setgid(c); // FULL
            case Sysno.SETREUID -> id.setreuid(c); // FULL
            case Sysno.SETREGID -> id.setregid(c); // FULL
            case Sysno.SETRESUID -> id.setresuid(c); // FULL
            case Sysno.SETRESGID -> id.setresgid(c); // FULL
            case Sysno.SETFSUID -> id.setfsuid(c); // FULL
            case Sysno.SETFSGID -> id.setfsgid(c); // FULL
            case Sysno.SETGROUPS -> id.setgroups(c); // FULL
            // capabilities: kernel/capability.c, security/commoncap.c
            case Sysno.CAPGET -> caps.capget(c); // FULL
            case Sysno.CAPSET -> caps.capset(c); // FULL
            case Sysno.PRCTL -> caps.prctl(c); // PARTIAL: capability options only; the filter sends no others
            // namespaces: kernel/fork.c, kernel/nsproxy.c
            case Sysno.UNSHARE -> ns.unshare(c); // FULL
            case Sysno.CLONE -> ns.clone(c); // FULL: only calls with CLONE_NEW* flags reach the sentry
            case Sysno.CLONE3 -> ns.clone3(c); // FULL: calls without namespace flags continue natively
            case Sysno.SETNS -> ns.setns(c); // FULL
            // exec: fs/exec.c + security/commoncap.c (applied at the next notification)
            // OBSERVED: seen so that a process whose other calls the sentry never saw (they ran natively or through
            // the owner tracer) is known before it exits: its orphans inherit its namespaces (TaskTable.adoptOrphans)
            case Sysno.EXIT_GROUP -> Verdict.cont();
            case Sysno.EXECVE -> k.execs().execve(c); // OBSERVED
            case Sysno.EXECVEAT -> k.execs().execveat(c); // OBSERVED
            // UTS: kernel/sys.c
            case Sysno.UNAME -> uts.uname(c); // FULL
            case Sysno.SETHOSTNAME -> uts.sethostname(c); // FULL
            case Sysno.SETDOMAINNAME -> uts.setdomainname(c); // FULL
            // paths into /proc: fs/proc, fs/nsfs.c, kernel/user_namespace.c
            // PARTIAL: emulated /proc files only; O_DIRECTORY opens never reach the sentry
            case Sysno.OPEN -> proc.open(c);
            case Sysno.OPENAT -> proc.openat(c); // PARTIAL: emulated /proc files only
            case Sysno.CREAT -> proc.creat(c); // PARTIAL: emulated /proc files only
            case Sysno.OPENAT2 -> proc.openat2(c); // PARTIAL: emulated /proc files only
            case Sysno.READLINK -> proc.readlink(c); // PARTIAL: /proc/*/ns/* and fds of emulated files
            case Sysno.READLINKAT -> proc.readlinkat(c); // PARTIAL: /proc/*/ns/* and fds of emulated files
            case Sysno.STAT -> proc.stat(c); // PARTIAL: nsfs files; owner translation in nested user namespaces
            case Sysno.LSTAT -> proc.lstat(c); // PARTIAL: nsfs files; owner translation in nested user namespaces
            // PARTIAL: nsfs files; owner translation in nested user namespaces
            case Sysno.NEWFSTATAT -> proc.newfstatat(c);
            case Sysno.STATX -> proc.statx(c); // PARTIAL: nsfs files; owner translation in nested user namespaces
            case Sysno.STATFS -> proc.statfs(c); // PARTIAL: /proc/*/ns/* paths
            // fds in the emulated-file band: fs/nsfs.c ns_file_operations, proc files
            case Sysno.READ -> nsfd.read(c); // PARTIAL: fds in the band only
            case Sysno.PREAD64 -> nsfd.pread(c); // PARTIAL: fds in the band only
            case Sysno.READV -> nsfd.readv(c); // PARTIAL: fds in the band only
            case Sysno.WRITE -> nsfd.write(c); // PARTIAL: fds in the band only
            case Sysno.PWRITE64 -> nsfd.pwrite(c); // PARTIAL: fds in the band only
            case Sysno.WRITEV -> nsfd.writev(c); // PARTIAL: fds in the band only
            case Sysno.LSEEK -> nsfd.lseek(c); // PARTIAL: fds in the band only
            case Sysno.FSTAT -> nsfd.fstat(c); // PARTIAL: fds in the band only
            case Sysno.FSTATFS -> nsfd.fstatfs(c); // PARTIAL: fds in the band only
            case Sysno.FCHMOD -> nsfd.fchmod(c); // PARTIAL: fds in the band only
            case Sysno.FCHOWN -> nsfd.fchown(c); // PARTIAL: fds in the band only
            case Sysno.FTRUNCATE -> nsfd.ftruncate(c); // PARTIAL: fds in the band only
            case Sysno.IOCTL -> nsfd.ioctl(c); // FULL: NSIO ioctls on any fd, any ioctl on band fds
            case Sysno.DUP2 -> nsfd.dup2(c); // PARTIAL: writable emulated files dup'ed out of the band
            case Sysno.DUP3 -> nsfd.dup3(c); // PARTIAL: writable emulated files dup'ed out of the band
            case Sysno.FCNTL -> nsfd.fcntl(c); // PARTIAL: F_DUPFD of writable emulated files
            // mounts: fs/namespace.c, fs/open.c (identity-only mount namespaces)
            case Sysno.MOUNT -> mount.mount(c); // PARTIAL: propagation changes in emulated mount namespaces
            case Sysno.UMOUNT2 -> mount.umount2(c); // PARTIAL: refused in emulated mount namespaces
            case Sysno.PIVOT_ROOT -> mount.pivotRoot(c); // PARTIAL: permission order; the root never moves
            case Sysno.CHROOT -> mount.chroot(c); // PARTIAL: real chroot only where the real user may
            default -> Verdict.cont();
        };
    }
}
