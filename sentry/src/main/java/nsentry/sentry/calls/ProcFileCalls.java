package nsentry.sentry.calls;

import static nsentry.abi.OpenFlags.O_ACCMODE;
import static nsentry.abi.OpenFlags.O_CLOEXEC;
import static nsentry.abi.OpenFlags.O_CREAT;
import static nsentry.abi.OpenFlags.O_PATH;
import static nsentry.abi.OpenFlags.O_RDONLY;
import static nsentry.abi.OpenFlags.O_TRUNC;
import static nsentry.abi.OpenFlags.O_WRONLY;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import nsentry.abi.Errno;
import nsentry.abi.Nsfs;
import nsentry.abi.SyscallException;
import nsentry.nsfs.Credentials;
import nsentry.nsfs.Namespace;
import nsentry.nsfs.NsType;
import nsentry.nsfs.TaskState;
import nsentry.nsfs.UserNamespace;
import nsentry.nsfs.UtsNamespace;
import nsentry.procfs.IdMapFile;
import nsentry.procfs.NsEntry;
import nsentry.procfs.ProcPath;
import nsentry.procfs.MaxNamespacesFile;
import nsentry.procfs.SetgroupsFile;
import nsentry.procfs.StatusFile;
import nsentry.sentry.dispatch.Call;
import nsentry.sentry.dispatch.TaskGone;
import nsentry.sentry.dispatch.Verdict;
import nsentry.sentry.runtime.Kernel;
import nsentry.sentry.task.ProcStatus;
import nsentry.sentry.task.Task;
import nsentry.syscall.EventLoop;
import nsentry.syscall.LinuxException;
import nsentry.syscall.LittleEndian;

/**
 * Paths into /proc that nsentry emulates: /proc/PID/ns/* (open, readlink, stat),
 * uid_map, gid_map, setgroups, status, /proc/sys/user/max_*_namespaces and
 * /proc/sys/kernel/{hostname,domainname}. Every other path continues to the kernel, and
 * that decision is made first and cheaply.
 */
public final class ProcFileCalls {
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int MFD_CLOEXEC = 1;
    /** Writable emulated files kept (their backing fds stay open so inode numbers stay unique). */
    private static final int MAX_OPEN_FILES = 1024;

    /** A writable emulated /proc file handed to the workload, recognised by its inode. */
    public record OpenProcFile(ProcPath.Kind kind, UserNamespace target, Credentials opener, String name,
            int backingFd, UtsNamespace uts, String statusPath) {

        OpenProcFile(ProcPath.Kind kind, UserNamespace target, Credentials opener, String name, int backingFd,
                UtsNamespace uts) {
            this(kind, target, opener, name, backingFd, uts, null);
        }

        OpenProcFile withBackingFd(int fd) {
            return new OpenProcFile(kind, target, opener, name, fd, uts, statusPath);
        }
    }

    private final Kernel kernel;
    private final NsFiles nsFiles;
    private final Map<Long, OpenProcFile> writable = new LinkedHashMap<>();
    private final OwnerTranslation owners;

    public ProcFileCalls(Kernel kernel, NsFiles nsFiles) {
        this.kernel = kernel;
        this.nsFiles = nsFiles;
        this.owners = new OwnerTranslation(kernel);
    }

    // ------------------------------------------------------------------ open

    public Verdict open(Call c) throws SyscallException, TaskGone {
        return doOpen(c, ProcPaths.AT_FDCWD, c.arg(0), c.intArg(1));
    }

    /** creat(path, mode): open(path, O_CREAT|O_WRONLY|O_TRUNC, mode) (fs/open.c), a shell's "> FILE". */
    public Verdict creat(Call c) throws SyscallException, TaskGone {
        return doOpen(c, ProcPaths.AT_FDCWD, c.arg(0), O_CREAT | O_WRONLY | O_TRUNC);
    }

    public Verdict openat(Call c) throws SyscallException, TaskGone {
        return doOpen(c, c.intArg(0), c.arg(1), c.intArg(2));
    }

    /** openat2(dirfd, path, struct open_how *how, size): flags are the first u64 of how. */
    public Verdict openat2(Call c) throws SyscallException, TaskGone {
        long size = c.arg(3);
        if (size < 24) {
            return Verdict.cont(); // the kernel's EINVAL
        }
        long flags = LittleEndian.u64(c.read(c.arg(2), 8), 0);
        return doOpen(c, c.intArg(0), c.arg(1), (int) flags);
    }

    private Verdict doOpen(Call c, int dirfd, long pathAddr, int flags) throws SyscallException, TaskGone {
        String path = c.readPathForDecision(pathAddr);
        if (c.tracing()) {
            c.describe((dirfd == ProcPaths.AT_FDCWD ? "AT_FDCWD" : Integer.toString(dirfd)) + ", \"" + path + "\", "
                    + nsentry.abi.OpenFlags.describe(flags));
        }
        if (!mayNameEmulatedFile(path)) {
            return Verdict.cont(); // the hot path: decided by the name alone
        }
        c.revalidate();
        String resolved = ProcPaths.resolve(c.tid(), c.task().tgid(), dirfd, path);
        if (resolved == null) {
            return Verdict.cont();
        }
        ProcPath target = ProcPath.classify(resolved);
        // An O_PATH fd reads nothing and setns/ioctl refuse it: the real file will do. The
        // filter leaves open/openat with O_PATH to the kernel (native/src/filter_table.c);
        // openat2's flags are in memory, so those come here.
        if (target.kind() == ProcPath.Kind.NOT_EMULATED || (flags & O_PATH) != 0) {
            return Verdict.cont();
        }
        boolean cloexec = (flags & O_CLOEXEC) != 0;
        boolean forWrite = (flags & O_ACCMODE) != O_RDONLY;
        switch (target.kind()) {
            case NS_ENTRY -> {
                Namespace ns = nsEntry(c, target);
                if (ns == null) {
                    return Verdict.cont();
                }
                if (forWrite) {
                    throw new SyscallException(Errno.EPERM, "nsfs", "namespace files open read-only");
                }
                return nsFiles.inject(c, ns, cloexec);
            }
            case UID_MAP, GID_MAP, SETGROUPS -> {
                return openIdFile(c, target, forWrite, cloexec);
            }
            case STATUS -> {
                if (forWrite) {
                    return Verdict.cont();
                }
                return openStatus(c, target, cloexec);
            }
            case MAX_NAMESPACES -> {
                return openMaxNamespaces(c, target, forWrite, cloexec);
            }
            case HOSTNAME, DOMAINNAME -> {
                return openUtsName(c, target, forWrite, cloexec);
            }
            default -> {
                return Verdict.cont();
            }
        }
    }

    /**
     * The namespace a /proc/PID/ns entry names, or null when the real file is right (the
     * namespace is the host's initial one, or the process is not the sandbox's).
     * Zombies ENOENT; the ptrace access rule EACCES (fs/proc/namespaces.c).
     */
    private Namespace nsEntry(Call c, ProcPath target) throws SyscallException {
        Task owner = kernel.tasks().lookup(target.effectiveTid());
        if (owner == null) {
            return null;
        }
        NsEntry entry = target.entry();
        boolean forChildren = entry == NsEntry.PID_FOR_CHILDREN || entry == NsEntry.TIME_FOR_CHILDREN;
        NsType type = entry.type();
        Namespace ns = NsFiles.namespaceOf(owner.state(), type, forChildren);
        if (ns == null) {
            return null;
        }
        boolean kernelKnowsEnough = ns.isInitial() && owner.dumpable() == 1 && owner.realCreds()
                && c.task().realCreds() && !hasEmulatedNamespace(owner.state());
        if (kernelKnowsEnough) {
            // Every entry of this task is the host's: the real link is right, and a racing
            // thread that rewrites the path can only reach another real (initial) entry.
            return null;
        }
        // The caller's own process is alive by definition; anyone else may be a zombie.
        ProcStatus status = owner.tgid() == c.task().tgid() ? null : ProcStatus.read(kernel.linux(), target.effectiveTid());
        if (status == null && owner.tgid() != c.task().tgid()) {
            throw new SyscallException(Errno.ENOENT, "proc_ns_get_link", "process " + target.effectiveTid() + " is gone");
        }
        if (status != null && status.isZombie()) {
            throw new SyscallException(Errno.ENOENT, "proc_ns_get_link", "process " + target.effectiveTid()
                    + " is a zombie");
        }
        if (!PtraceAccess.readFsCreds(c.task(), owner)) {
            throw new SyscallException(Errno.EACCES, "proc_ns_get_link", "ptrace_may_access(PTRACE_MODE_READ_FSCREDS)"
                    + " denies access to process " + target.effectiveTid() + "'s namespaces"
                    + (owner.dumpable() == 1 ? "" : " (it is not dumpable: PR_SET_DUMPABLE 0)"));
        }
        if (type == NsType.PID && forChildren && ns != owner.state().activePidNs()
                && !kernel.tasks().hasMemberOf((nsentry.nsfs.PidNamespace) ns, owner)) {
            // pidns_for_children_get: no process has been created in it yet
            throw new SyscallException(Errno.ENOENT, "pidns_for_children_get", "pid namespace " + ns.inode()
                    + " has no process yet (its first child makes it exist)");
        }
        return ns;
    }

    /** Whether any of a task's namespaces is emulated (then none of its ns entries goes to the kernel). */
    static boolean hasEmulatedNamespace(TaskState s) {
        for (NsType t : NsType.values()) {
            Namespace a = NsFiles.namespaceOf(s, t, false);
            Namespace b = NsFiles.namespaceOf(s, t, true);
            if (a != null && !a.isInitial() || b != null && !b.isInitial()) {
                return true;
            }
        }
        return false;
    }

    private TaskState stateOf(int tid) {
        Task t = kernel.tasks().lookup(tid);
        return t != null ? t.state() : null;
    }

    private Verdict openIdFile(Call c, ProcPath target, boolean forWrite, boolean cloexec)
            throws SyscallException, TaskGone {
        TaskState owner = stateOf(target.effectiveTid());
        Credentials opener = c.task().state().cred();
        UserNamespace targetNs = owner != null ? owner.cred().userNs() : kernel.registry().initialUserNs();
        if (targetNs.isInitial() && opener.userNs().isInitial() && c.task().realCreds()) {
            return Verdict.cont(); // the real file says the same
        }
        boolean uid = target.kind() == ProcPath.Kind.UID_MAP;
        String name = fileName(target.kind());
        if (target.kind() == ProcPath.Kind.SETGROUPS && forWrite) {
            SetgroupsFile.checkOpenForWrite(targetNs, opener);
        }
        String content = switch (target.kind()) {
            case UID_MAP, GID_MAP -> IdMapFile.read(targetNs, opener.userNs(), uid);
            default -> SetgroupsFile.read(targetNs);
        };
        if (!forWrite) {
            return injectReadable(c, new OpenProcFile(target.kind(), targetNs, opener, name, -1, null), content,
                    cloexec);
        }
        return injectWritable(c, new OpenProcFile(target.kind(), targetNs, opener, name, -1, null),
                content, cloexec);
    }

    private Verdict openStatus(Call c, ProcPath target, boolean cloexec) throws SyscallException, TaskGone {
        Task owner = kernel.tasks().lookup(target.effectiveTid());
        if (owner == null) {
            return Verdict.cont();
        }
        String path = "/proc/" + target.pid() + (target.tid() != 0 ? "/task/" + target.tid() : "") + "/status";
        OpenProcFile file = new OpenProcFile(target.kind(), owner.state().cred().userNs(), c.task().state().cred(),
                "status", -1, null, path);
        String text = currentContent(file);
        if (text == null) {
            return Verdict.cont(); // the kernel reports the error
        }
        return injectReadable(c, file, text, cloexec);
    }

    private Verdict openMaxNamespaces(Call c, ProcPath target, boolean forWrite, boolean cloexec)
            throws SyscallException, TaskGone {
        Credentials opener = c.task().state().cred();
        UserNamespace ns = opener.userNs();
        if (ns.isInitial()) {
            // The host's own limits: the kernel shows and guards them (the model does not
            // enforce them, so a host with max_user_namespaces=0 still gets emulated ones).
            return Verdict.cont();
        }
        NsType type = target.limitType();
        MaxNamespacesFile.checkOpen(ns, opener, forWrite);
        String content = new String(MaxNamespacesFile.read(ns, type, 0, Nsfs.PAGE_SIZE), StandardCharsets.US_ASCII);
        if (!forWrite) {
            return injectReadable(c, new OpenProcFile(target.kind(), ns, opener, type.maxSysctlName(), -1, null),
                    content, cloexec);
        }
        return injectWritable(c, new OpenProcFile(target.kind(), ns, opener, type.maxSysctlName(), -1, null), content,
                cloexec);
    }

    private Verdict openUtsName(Call c, ProcPath target, boolean forWrite, boolean cloexec)
            throws SyscallException, TaskGone {
        UtsNamespace uts = c.task().state().ns().uts();
        if (uts.isInitial()) {
            return Verdict.cont();
        }
        String name = fileName(target.kind());
        String value = target.kind() == ProcPath.Kind.HOSTNAME ? uts.hostname() : uts.domainname();
        if (!forWrite) {
            return injectReadable(c, new OpenProcFile(target.kind(), uts.owner(), c.task().state().cred(), name, -1,
                    uts), value + "\n", cloexec);
        }
        Credentials opener = c.task().state().cred();
        if (opener.euid().value() != 0) {
            // test_perm: only euid == GLOBAL_ROOT_UID gets the owner's rw; capabilities do not count
            throw new SyscallException(Errno.EACCES, "proc_sys_permission", "/proc/sys/kernel/" + name
                    + " is writable only by the initial user namespace's uid 0 (this euid is "
                    + opener.userNs().fromKuidMunged(opener.euid()) + " in its namespace)");
        }
        return injectWritable(c, new OpenProcFile(target.kind(), opener.userNs(), opener, name, -1, uts),
                value + "\n", cloexec);
    }

    /**
     * Whether a path's last component is the name of a file nsentry emulates (ns entries,
     * uid_map, gid_map, setgroups, status, hostname, domainname, max_*_namespaces). Every
     * other path continues to the kernel without resolving anything: this is what keeps
     * open- and stat-heavy workloads near native speed.
     */
    static boolean mayNameEmulatedFile(String path) {
        int end = path.length();
        while (end > 0 && path.charAt(end - 1) == '/') {
            end--;
        }
        String last = path.substring(path.lastIndexOf('/', end - 1) + 1, end);
        switch (last) {
            case "uid_map", "gid_map", "setgroups", "status", "hostname", "domainname", "net", "uts", "ipc",
                    "pid", "pid_for_children", "user", "mnt", "cgroup", "time", "time_for_children" -> {
                return true;
            }
            default -> {
                return last.startsWith("max_") && last.endsWith("_namespaces");
            }
        }
    }

    /** /proc/PID/fd/N (its link text names an nsfs stand-in as such). */
    static boolean isFdLink(String path) {
        int slash = path.lastIndexOf('/');
        return slash > 3 && path.startsWith("/fd", slash - 3) && !path.isEmpty()
                && Character.isDigit(path.charAt(path.length() - 1));
    }

    /** The namespace type of /proc/sys/user/max_TYPE_namespaces, or null. */
    static NsType maxNamespacesType(String name) {
        for (NsType t : NsType.values()) {
            if (t.maxSysctlName().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** The file name of an emulated /proc file, for names and the trace. */
    static String fileName(ProcPath.Kind kind) {
        return switch (kind) {
            case UID_MAP -> "uid_map";
            case GID_MAP -> "gid_map";
            case SETGROUPS -> "setgroups";
            case STATUS -> "status";
            case HOSTNAME -> "hostname";
            case DOMAINNAME -> "domainname";
            default -> kind.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /** N of "/proc/TGID/fd/N" (or task/TID/fd/N) when TGID is the caller's own process, else -1. */
    static int fdLinkOfSelf(String resolved, int tgid) {
        String prefix = "/proc/" + tgid + "/";
        if (!resolved.startsWith(prefix)) {
            return -1;
        }
        int fd = resolved.lastIndexOf("/fd/");
        if (fd < 0) {
            return -1;
        }
        String number = resolved.substring(fd + 4);
        if (number.isEmpty() || number.length() > 9 || !number.chars().allMatch(Character::isDigit)) {
            return -1;
        }
        return Integer.parseInt(number);
    }

    /** A read-only snapshot of an emulated file, at the lowest free fd. */
    private Verdict injectContent(Call c, String name, String content, boolean cloexec) throws SyscallException {
        int fd = kernel.linux().memfdCreate("nsentry-" + name, MFD_CLOEXEC);
        try {
            byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
            if (bytes.length > 0) {
                kernel.linux().write(fd, bytes);
            }
            kernel.linux().lseek(fd, 0, 0);
            int installed = kernel.listener().addFd(c.notification().id(), fd, -1, cloexec, true);
            return new Verdict.Answered(installed, "emulated " + name + " (snapshot)");
        } catch (LinuxException e) {
            throw addFdFailure(e);
        } finally {
            kernel.linux().close(fd);
        }
    }

    /**
     * A readable emulated file: in the fd band when there is room, so that read() is
     * answered from the model at read time, as Linux's seq_files are (a uid_map opened
     * before the map was written reads the map); else a snapshot at the lowest free fd.
     */
    private Verdict injectReadable(Call c, OpenProcFile file, String content, boolean cloexec)
            throws SyscallException {
        if (kernel.band().lowestFree(c.tid()) < 0) {
            return injectContent(c, file.name(), content, cloexec);
        }
        return injectWritable(c, file, content, cloexec);
    }

    /** What a read of {@code f} returns now, or null if its process is gone. */
    String currentContent(OpenProcFile f) {
        return switch (f.kind()) {
            case UID_MAP, GID_MAP -> IdMapFile.read(f.target(), f.opener().userNs(), f.kind() == ProcPath.Kind.UID_MAP);
            case SETGROUPS -> SetgroupsFile.read(f.target());
            case MAX_NAMESPACES -> new String(nsentry.procfs.MaxNamespacesFile.read(f.target(),
                    maxNamespacesType(f.name()), 0, Nsfs.PAGE_SIZE), StandardCharsets.US_ASCII);
            case HOSTNAME -> f.uts().hostname() + "\n";
            case DOMAINNAME -> f.uts().domainname() + "\n";
            case STATUS -> {
                String real = Kernel.readProcFile(f.statusPath());
                Task owner = kernel.tasks().lookup(ownerOf(f.statusPath()));
                yield real == null || owner == null ? null : StatusFile.rewrite(real, owner.state().cred(),
                        f.opener().userNs(), null, owner.noNewPrivs());
            }
            default -> "";
        };
    }

    private static int ownerOf(String statusPath) {
        String[] p = statusPath.split("/");
        return Integer.parseInt(p.length > 5 ? p[4] : p[2]); // /proc/PID/task/TID/status or /proc/PID/status
    }

    /**
     * read/pread of a band fd of an emulated file: the current content from {@code offset}
     * (-1: the file position, which then advances).
     */
    Verdict readFresh(Call c, OpenProcFile f, long buf, long count, long offset) throws SyscallException, TaskGone {
        String text = currentContent(f);
        byte[] content = (text == null ? "" : text).getBytes(StandardCharsets.UTF_8);
        long pos = offset >= 0 ? offset : kernel.linux().lseek(f.backingFd(), 0, 1);
        int n = (int) Math.max(0, Math.min(count, content.length - pos));
        if (n > 0) {
            byte[] out = new byte[n];
            System.arraycopy(content, (int) pos, out, 0, n);
            c.write(buf, out);
            if (offset < 0) {
                kernel.linux().lseek(f.backingFd(), n, 1);
            }
        }
        return Verdict.value(n);
    }

    /** A writable emulated file, in the fd band so that write() reaches the sentry. */
    private Verdict injectWritable(Call c, OpenProcFile file, String content, boolean cloexec)
            throws SyscallException {
        int slot = kernel.band().lowestFree(c.tid());
        if (slot < 0) {
            throw new SyscallException(Errno.EMFILE, "nsentry", "no free fd in the emulated-file band ("
                    + kernel.band().base() + ".." + (kernel.band().base() + kernel.band().size() - 1) + ")");
        }
        int fd = kernel.linux().memfdCreate("nsentry-" + file.name(), MFD_CLOEXEC);
        try {
            byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
            if (bytes.length > 0) {
                kernel.linux().write(fd, bytes);
                kernel.linux().lseek(fd, 0, 0);
            }
            long inode = kernel.linux().fstat(fd).ino();
            OpenProcFile kept = file.withBackingFd(fd);
            int installed = kernel.listener().addFd(c.notification().id(), fd, slot, cloexec, true);
            remember(inode, kept);
            return new Verdict.Answered(installed, "emulated " + file.name() + " (answered from the model)");
        } catch (LinuxException e) {
            kernel.linux().close(fd);
            throw addFdFailure(e);
        }
    }

    private void remember(long inode, OpenProcFile file) {
        OpenProcFile old = writable.put(inode, file);
        if (old != null && old.backingFd() != file.backingFd()) {
            kernel.linux().close(old.backingFd());
        }
        if (writable.size() > MAX_OPEN_FILES) {
            var eldest = writable.entrySet().iterator().next();
            kernel.linux().close(eldest.getValue().backingFd());
            writable.remove(eldest.getKey());
        }
    }

    /**
     * A writable emulated file that the workload dup'ed out of the fd band (a shell's
     * {@code echo ... > /proc/PID/uid_map} opens the file, then dup2()s it to fd 1): the
     * new fd is the write end of a pipe whose read end the sentry drains before it answers
     * any later call, so the write takes effect in the order the workload made it. The
     * writer already saw success, so a refused write is reported on stderr and in the trace.
     */
    private final class PipedFile {
        final int readFd;
        final OpenProcFile file;
        final Credentials writer;
        final EventLoop.Registration watch;
        long written;
        boolean done;

        PipedFile(int readFd, OpenProcFile file, Credentials writer, long startPos) {
            this.readFd = readFd;
            this.file = file;
            this.writer = writer;
            this.written = startPos;
            this.watch = kernel.loop().watchReadable(readFd, () -> drain(this));
        }
    }

    /** ArrayList, not List: C1 inlines no interface call, and {@link #drainPipes} runs before every call. */
    private final java.util.ArrayList<PipedFile> pipes = new java.util.ArrayList<>();

    /** Replaces what fd {@code newfd} of the caller will be by a pipe into {@code file}. */
    Verdict pipeInto(Call c, OpenProcFile file, int newfd, boolean cloexec, String how) throws SyscallException {
        int[] p = kernel.linux().pipe(O_CLOEXEC);
        try {
            kernel.linux().setNonBlocking(p[0], true);
            long pos = kernel.linux().lseek(file.backingFd(), 0, 1);
            int installed = kernel.listener().addFd(c.notification().id(), p[1], newfd, cloexec, true);
            pipes.add(new PipedFile(p[0], file, c.task().state().cred(), pos));
            return new Verdict.Answered(installed, how + " of the emulated " + file.name()
                    + ": writes to fd " + installed + " reach the model through a pipe");
        } catch (LinuxException e) {
            kernel.linux().close(p[0]);
            throw addFdFailure(e);
        } finally {
            kernel.linux().close(p[1]);
        }
    }

    /** The sandbox is over: closes the writable files' backing fds and the pipes' read ends. */
    public void releaseAll() {
        for (OpenProcFile f : writable.values()) {
            kernel.linux().close(f.backingFd());
        }
        writable.clear();
        for (PipedFile p : pipes) {
            p.watch.cancel();
            kernel.linux().close(p.readFd);
        }
        pipes.clear();
    }

    /** Applies whatever the workload wrote into piped emulated files (before any later call). */
    public void drainPipes() {
        if (!pipes.isEmpty()) { // small enough for C1 to inline before every call
            drainAll();
        }
    }

    private void drainAll() {
        for (PipedFile p : new java.util.ArrayList<>(pipes)) {
            drain(p);
        }
    }

    private void drain(PipedFile p) {
        if (p.done) {
            return;
        }
        byte[] buf = new byte[Nsfs.PAGE_SIZE];
        int n;
        try {
            n = kernel.linux().readNonBlocking(p.readFd, buf);
        } catch (LinuxException e) {
            n = 0;
        }
        if (n < 0) {
            return; // nothing yet
        }
        if (n == 0) {
            p.done = true;
            p.watch.cancel();
            kernel.linux().close(p.readFd);
            pipes.remove(p);
            return;
        }
        byte[] data = java.util.Arrays.copyOf(buf, n);
        OpenProcFile f = p.file;
        try {
            long count = switch (f.kind()) {
                case UID_MAP, GID_MAP -> IdMapFile.write(f.target(), f.opener(), p.writer, p.written, data,
                        f.kind() == ProcPath.Kind.UID_MAP);
                case SETGROUPS -> SetgroupsFile.write(f.target(), p.written, data);
                case MAX_NAMESPACES -> nsentry.procfs.MaxNamespacesFile.write(f.target(),
                        maxNamespacesType(f.name()), p.written, data);
                default -> throw new SyscallException(Errno.EINVAL, "nsentry", f.name()
                        + " cannot be written through a dup'ed fd");
            };
            p.written += count;
            if (f.kind() == ProcPath.Kind.UID_MAP || f.kind() == ProcPath.Kind.GID_MAP) {
                kernel.ownerViews().mapWritten(f.target());
            }
            note("write(" + f.name() + " through a dup'ed fd, \"" + printable(data) + "\") = " + count);
        } catch (SyscallException e) {
            p.written += n;
            String line = "write(" + f.name() + " through a dup'ed fd, \"" + printable(data) + "\") = -"
                    + e.errno().name() + ": " + e.explanation() + " (" + e.rule() + "); the writer could not be "
                    + "told (it wrote into a pipe)";
            kernel.err().println("nsentry: " + line);
            note(line);
        }
    }

    private void note(String line) {
        if (kernel.tracer().enabled()) {
            kernel.tracer().note(kernel.now(), 0, line);
        }
    }

    private static String printable(byte[] d) {
        return new String(d, StandardCharsets.UTF_8).replace("\n", "\\n").replace("\0", "\\0");
    }

    /** The writable emulated file behind (dev, ino) of a workload fd, or null. */
    public OpenProcFile writableFile(long dev, long inode) {
        OpenProcFile f = writable.get(inode);
        if (f == null) {
            return null;
        }
        return kernel.linux().fstat(f.backingFd()).dev() == dev ? f : null;
    }

    static SyscallException addFdFailure(LinuxException e) {
        if (e.is(Errno.ENOENT)) {
            return new SyscallException(Errno.EINTR, "seccomp_addfd", "the thread left the call");
        }
        Errno errno = e.errno() != null ? e.errno() : Errno.EMFILE;
        return new SyscallException(errno, "seccomp_addfd", "could not install the fd: " + e.getMessage());
    }

    // ------------------------------------------------------------------ readlink

    public Verdict readlink(Call c) throws SyscallException, TaskGone {
        return doReadlink(c, ProcPaths.AT_FDCWD, c.arg(0), c.arg(1), c.intArg(2));
    }

    public Verdict readlinkat(Call c) throws SyscallException, TaskGone {
        return doReadlink(c, c.intArg(0), c.arg(1), c.arg(2), c.intArg(3));
    }

    private Verdict doReadlink(Call c, int dirfd, long pathAddr, long buf, int bufsiz)
            throws SyscallException, TaskGone {
        String path = c.readPathForDecision(pathAddr);
        if (c.tracing()) {
            c.describe("\"" + path + "\", " + NamespaceCalls.ptr(buf) + ", " + bufsiz);
        }
        if (!mayNameEmulatedFile(path) && !isFdLink(path)) {
            return Verdict.cont();
        }
        c.revalidate();
        String resolved = ProcPaths.resolve(c.tid(), c.task().tgid(), dirfd, path);
        if (resolved == null) {
            return Verdict.cont();
        }
        ProcPath target = ProcPath.classify(resolved);
        String text = null;
        int fdLink = fdLinkOfSelf(resolved, c.task().tgid());
        if (target.kind() == ProcPath.Kind.NS_ENTRY) {
            Namespace ns = nsEntry(c, target);
            if (ns != null) {
                c.touched(ns);
                text = NsFiles.linkText(ns);
            }
        } else if (fdLink >= 0) {
            NsFiles.FdTarget fd = nsFiles.identify(c, fdLink);
            if (fd instanceof NsFiles.NsTarget ns && !ns.namespace().isInitial()) {
                text = NsFiles.linkText(ns.namespace());
            }
        }
        if (text == null) {
            return Verdict.cont();
        }
        if (bufsiz <= 0) {
            throw new SyscallException(Errno.EINVAL, "do_readlinkat", "bufsiz " + bufsiz + " <= 0");
        }
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        int n = Math.min(bytes.length, bufsiz);
        byte[] out = new byte[n];
        System.arraycopy(bytes, 0, out, 0, n);
        c.write(buf, out);
        return Verdict.value(n);
    }

    // ------------------------------------------------------------------ stat family

    public Verdict stat(Call c) throws SyscallException, TaskGone {
        return doStat(c, ProcPaths.AT_FDCWD, c.arg(0), c.arg(1), 0, false);
    }

    public Verdict lstat(Call c) throws SyscallException, TaskGone {
        return doStat(c, ProcPaths.AT_FDCWD, c.arg(0), c.arg(1), AT_SYMLINK_NOFOLLOW, false);
    }

    public Verdict newfstatat(Call c) throws SyscallException, TaskGone {
        return doStat(c, c.intArg(0), c.arg(1), c.arg(2), c.intArg(3), false);
    }

    /** statx(dirfd, path, flags, mask, buf) */
    public Verdict statx(Call c) throws SyscallException, TaskGone {
        return doStat(c, c.intArg(0), c.arg(1), c.arg(4), c.intArg(2), true);
    }

    /**
     * A stat the kernel can answer, unless the caller is in a nested user namespace: then
     * owners are translated (the sentry stats the file itself).
     */
    private Verdict kernelOrTranslated(Call c, int dirfd, String path, long buf, int flags, boolean statx)
            throws SyscallException, TaskGone {
        if (c.task().state().cred().userNs().isInitial()) {
            return Verdict.cont();
        }
        byte[] raw = owners.stat(c, dirfd, path, flags, statx, statx ? c.intArg(3) : 0);
        c.write(buf, raw);
        return new Verdict.Value(0);
    }

    public Verdict statfs(Call c) {
        return Verdict.cont(); // every nsfs file reports the same statfs; the real one is right
    }

    private Verdict doStat(Call c, int dirfd, long pathAddr, long buf, int flags, boolean statx)
            throws SyscallException, TaskGone {
        boolean initial = c.task().state().cred().userNs().isInitial();
        if (initial && (flags & AT_SYMLINK_NOFOLLOW) != 0 && !kernel.band().contains(dirfd) && !c.tracing()) {
            // The hot path (find, tar, ls): the link or file itself, owners as the kernel says.
            return Verdict.cont();
        }
        String path = c.readPathForDecision(pathAddr);
        if (c.tracing()) {
            c.describe((dirfd == ProcPaths.AT_FDCWD ? "" : dirfd + ", ") + "\"" + path + "\", "
                    + NamespaceCalls.ptr(buf) + (flags != 0 ? ", 0x" + Integer.toHexString(flags) : ""));
        }
        if (initial && !kernel.band().contains(dirfd) && !mayNameEmulatedFile(path)) {
            return Verdict.cont();
        }
        c.revalidate();
        if (path.isEmpty() && (flags & AT_EMPTY_PATH) != 0) {
            if (kernel.band().contains(dirfd)) {
                NsFiles.FdTarget fd = nsFiles.identify(c, dirfd);
                if (fd instanceof NsFiles.NsTarget ns && !ns.namespace().isInitial()) {
                    c.write(buf, statx ? NsStat.statx(kernel, ns.namespace(), c.task().state().cred())
                            : NsStat.stat(kernel, ns.namespace(), c.task().state().cred()));
                    return Verdict.value(0);
                }
            }
            return kernelOrTranslated(c, dirfd, path, buf, flags, statx);
        }
        if ((flags & AT_SYMLINK_NOFOLLOW) != 0) {
            // the magic link itself is a real procfs link
            return kernelOrTranslated(c, dirfd, path, buf, flags, statx);
        }
        String resolved = ProcPaths.resolve(c.tid(), c.task().tgid(), dirfd, path);
        ProcPath target = resolved == null ? ProcPath.NOT_EMULATED : ProcPath.classify(resolved);
        Namespace ns = target.kind() == ProcPath.Kind.NS_ENTRY ? nsEntry(c, target) : null;
        if (ns == null) {
            return kernelOrTranslated(c, dirfd, path, buf, flags, statx);
        }
        c.touched(ns);
        Credentials cred = c.task().state().cred();
        c.write(buf, statx ? NsStat.statx(kernel, ns, cred) : NsStat.stat(kernel, ns, cred));
        return Verdict.value(0);
    }
}
