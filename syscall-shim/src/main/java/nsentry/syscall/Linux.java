package nsentry.syscall;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.LastError;
import com.kenai.jffi.Library;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Type;

import nsentry.abi.Errno;
import nsentry.abi.OpenFlags;
import nsentry.abi.Sysno;

/**
 * The one place in nsentry that calls native code: the syscalls the JDK lacks, through
 * jffi (libffi calls of libc functions looked up by name). Every failure throws
 * {@link LinuxException} with the errno and the call.
 * Thread-safe (each call uses its own memory; errno is per thread).
 *
 * <p>Hot-path callers ({@link SeccompListener}, {@link WorkloadMemory}) use the
 * package-private raw methods, which take native addresses, return {@code -errno} and
 * allocate nothing.
 */
public final class Linux {

    /** pidfd_open flag: a pidfd for a thread rather than a thread group (O_EXCL, Linux 6.9). */
    public static final int PIDFD_THREAD = 0200;
    /** memfd_create flags. */
    public static final int MFD_CLOEXEC = 0x0001;
    public static final int MFD_ALLOW_SEALING = 0x0002;
    /** lseek whence. */
    public static final int SEEK_SET = 0;
    public static final int SEEK_CUR = 1;
    public static final int SEEK_END = 2;
    /** socket(2) constants. */
    public static final int AF_UNIX = 1;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_SEQPACKET = 5;
    public static final int SOCK_CLOEXEC = OpenFlags.O_CLOEXEC;

    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;
    private static final int F_ADD_SEALS = 1033;
    /** F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE */
    public static final int SEAL_ALL = 0x1 | 0x2 | 0x4 | 0x8;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_CTRUNC = 0x8;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int SHUT_RDWR = 2;
    private static final int SO_PEERCRED = 17;
    /** struct ucred: pid, uid, gid. */
    private static final int UCRED_SIZE = 12;
    /** sizeof(struct sockaddr_un) - sizeof(sa_family_t). */
    private static final int SUN_PATH_SIZE = 108;
    /** The largest piece {@link #sendAll} copies to native memory at once. */
    private static final int SEND_CHUNK = 64 << 10;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;

    // struct msghdr (x86_64): 56 bytes.
    private static final int MSGHDR_IOV = 16;
    private static final int MSGHDR_IOVLEN = 24;
    private static final int MSGHDR_CONTROL = 32;
    private static final int MSGHDR_CONTROLLEN = 40;
    private static final int MSGHDR_FLAGS = 48;
    private static final int MSGHDR_SIZE = 56;
    // struct cmsghdr + one int: CMSG_LEN(4) = 20, CMSG_SPACE(4) = 24.
    private static final int CMSG_LEN_ONE_FD = 20;
    private static final int CMSG_SPACE_ONE_FD = 24;
    private static final int CMSG_DATA = 16;

    private final LibC libc;
    // The six-argument hot calls (process_vm_readv/writev) are invoked here directly.
    private final Invoker invoker = Invoker.getInstance();
    private final CallContext sixArgs = CallContext.getCallContext(Type.SINT64,
            new Type[] {Type.SINT32, Type.POINTER, Type.UINT64, Type.POINTER, Type.UINT64, Type.UINT64},
            CallingConvention.DEFAULT, true);
    private final long processVmReadv;
    private final long processVmWritev;
    /** sizeof(struct stat) on x86_64. */
    private static final int STAT_SIZE = 144;
    private final NativeBuffer statBuffer;
    /** struct pidfd_info, PIDFD_INFO_SIZE_VER0. */
    private static final int PIDFD_INFO_SIZE = 64;
    private final NativeBuffer pidfdInfoBuffer;

    private Linux(Library c) {
        this.libc = new LibC(c);
        this.processVmReadv = symbol(c, "process_vm_readv");
        this.processVmWritev = symbol(c, "process_vm_writev");
        this.statBuffer = allocate(STAT_SIZE); // struct stat (144) and struct statfs (120)
        this.pidfdInfoBuffer = allocate(PIDFD_INFO_SIZE);
    }

    /**
     * Binds libc: looks up each function and prepares its call description (well under a
     * millisecond; no code is generated). Create one per sentry and pass it around.
     */
    public static Linux load() {
        return new Linux(Library.getDefault());
    }

    /** The errno of this thread's last call through {@link LibC}. */
    private static int errno() {
        return LastError.getInstance().get();
    }

    /**
     * The libc functions and syscalls nsentry calls, as jffi calls: one call description
     * per C signature, errno saved after each call (read it with {@link #errno()}).
     * Pointers are {@code long} addresses of {@link NativeBuffer}s, so the hot calls are
     * primitive-only and allocation-free; arrays and strings are copied through native
     * memory freed before the call returns. Variadic C functions (syscall, ioctl, fcntl,
     * open) are called with their fixed x86-64 argument registers, as glibc expects.
     */
    private static final class LibC {
        private static final Type INT = Type.SINT32;
        private static final Type LONG = Type.SINT64;
        private static final Type PTR = Type.POINTER;

        private final Invoker invoker = Invoker.getInstance();
        private final MemoryIO memory = MemoryIO.getInstance();
        // Strings are encoded as jnr-ffi encoded them: the platform charset, NUL-terminated.
        private final Charset charset = Charset.defaultCharset();

        private final CallContext lRetLLLLL = context(LONG, LONG, LONG, LONG, LONG, LONG);
        private final CallContext lRetLLLLLL = context(LONG, LONG, LONG, LONG, LONG, LONG, LONG);
        private final CallContext iRetILL = context(INT, INT, LONG, LONG);
        private final CallContext iRetPLI = context(INT, PTR, LONG, INT);
        private final CallContext lRetIPL = context(LONG, INT, PTR, LONG);
        private final CallContext lRetILI = context(LONG, INT, LONG, INT);
        private final CallContext lRetIPI = context(LONG, INT, PTR, INT);
        private final CallContext iRetI = context(INT, INT);
        private final CallContext iRetII = context(INT, INT, INT);
        private final CallContext iRetIII = context(INT, INT, INT, INT);
        private final CallContext iRetPI = context(INT, PTR, INT);
        private final CallContext iRetPII = context(INT, PTR, INT, INT);
        private final CallContext iRetIIIP = context(INT, INT, INT, INT, PTR);
        private final CallContext lRetPPL = context(LONG, PTR, PTR, LONG);
        private final CallContext iRetIPPI = context(INT, INT, PTR, PTR, INT);
        private final CallContext iRetIIIPP = context(INT, INT, INT, INT, PTR, PTR);
        private final CallContext iRetIPIIP = context(INT, INT, PTR, INT, INT, PTR);
        private final CallContext iRetV = context(INT);
        private final CallContext iRetIIIL = context(INT, INT, INT, INT, LONG);
        private final CallContext iRetILII = context(INT, INT, LONG, INT, INT);
        private final CallContext lRetILLI = context(LONG, INT, LONG, LONG, INT);

        private final long syscall;
        private final long ioctl;
        private final long poll;
        private final long read;
        private final long write;
        private final long lseek;
        private final long close;
        private final long dup;
        private final long fchmod;
        private final long fcntl;
        private final long memfdCreate;
        private final long recvmsg;
        private final long sendmsg;
        private final long socketpair;
        private final long readlink;
        private final long open;
        private final long pipe2;
        private final long fstatat;
        private final long statx;
        private final long kill;
        private final long getpid;
        private final long epollCreate1;
        private final long epollCtl;
        private final long epollWait;
        private final long eventfd;
        private final long send;
        private final long getsockopt;

        LibC(Library c) {
            syscall = symbol(c, "syscall");
            ioctl = symbol(c, "ioctl");
            poll = symbol(c, "poll");
            read = symbol(c, "read");
            write = symbol(c, "write");
            lseek = symbol(c, "lseek");
            close = symbol(c, "close");
            dup = symbol(c, "dup");
            fchmod = symbol(c, "fchmod");
            fcntl = symbol(c, "fcntl");
            memfdCreate = symbol(c, "memfd_create");
            recvmsg = symbol(c, "recvmsg");
            sendmsg = symbol(c, "sendmsg");
            socketpair = symbol(c, "socketpair");
            readlink = symbol(c, "readlink");
            open = symbol(c, "open");
            pipe2 = symbol(c, "pipe2");
            fstatat = symbol(c, "fstatat");
            statx = symbol(c, "statx");
            kill = symbol(c, "kill");
            getpid = symbol(c, "getpid");
            epollCreate1 = symbol(c, "epoll_create1");
            epollCtl = symbol(c, "epoll_ctl");
            epollWait = symbol(c, "epoll_wait");
            eventfd = symbol(c, "eventfd");
            send = symbol(c, "send");
            getsockopt = symbol(c, "getsockopt");
        }

        private static CallContext context(Type result, Type... params) {
            return CallContext.getCallContext(result, params, CallingConvention.DEFAULT, true);
        }

        /** syscall(2) for calls glibc may lack (pidfd_*, tgkill, fstat). */
        long syscall(long number, long a0, long a1, long a2, long a3) {
            return invoker.invokeN5(lRetLLLLL, syscall, number, a0, a1, a2, a3);
        }

        /** syscall(2) with five arguments (kcmp). */
        long syscall(long number, long a0, long a1, long a2, long a3, long a4) {
            return invoker.invokeN6(lRetLLLLLL, syscall, number, a0, a1, a2, a3, a4);
        }

        /** ioctl(2) with a pointer or integer third argument. */
        int ioctl(int fd, long request, long arg) {
            return (int) invoker.invokeN3(iRetILL, ioctl, fd, request, arg);
        }

        int poll(long fds, long nfds, int timeoutMillis) {
            return (int) invoker.invokeN3(iRetPLI, poll, fds, nfds, timeoutMillis);
        }

        long read(int fd, byte[] buf, long count) {
            long p = malloc(count, false);
            try {
                long r = invoker.invokeN3(lRetIPL, read, fd, p, count);
                if (r > 0) {
                    memory.getByteArray(p, buf, 0, (int) r);
                }
                return r;
            } finally {
                memory.freeMemory(p);
            }
        }

        long write(int fd, byte[] buf, long count) {
            long p = copyIn(buf, (int) count);
            try {
                return invoker.invokeN3(lRetIPL, write, fd, p, count);
            } finally {
                memory.freeMemory(p);
            }
        }

        long lseek(int fd, long offset, int whence) {
            return invoker.invokeN3(lRetILI, lseek, fd, offset, whence);
        }

        int close(int fd) {
            return (int) invoker.invokeN1(iRetI, close, fd);
        }

        int dup(int fd) {
            return (int) invoker.invokeN1(iRetI, dup, fd);
        }

        int fchmod(int fd, int mode) {
            return (int) invoker.invokeN2(iRetII, fchmod, fd, mode);
        }

        /** fcntl(2) with an int argument. */
        int fcntl(int fd, int cmd, long arg) {
            return (int) invoker.invokeN3(iRetIII, fcntl, fd, cmd, arg);
        }

        int memfd_create(String name, int flags) {
            long p = cString(name);
            try {
                return (int) invoker.invokeN2(iRetPI, memfdCreate, p, flags);
            } finally {
                memory.freeMemory(p);
            }
        }

        long recvmsg(int fd, long msghdr, int flags) {
            return invoker.invokeN3(lRetIPI, recvmsg, fd, msghdr, flags);
        }

        long sendmsg(int fd, long msghdr, int flags) {
            return invoker.invokeN3(lRetIPI, sendmsg, fd, msghdr, flags);
        }

        int socketpair(int domain, int type, int protocol, int[] sv) {
            long p = malloc(8, true);
            try {
                int r = (int) invoker.invokeN4(iRetIIIP, socketpair, domain, type, protocol, p);
                memory.getIntArray(p, sv, 0, 2);
                return r;
            } finally {
                memory.freeMemory(p);
            }
        }

        /**
         * open(path, flags) + read(2) until end of file or {@code buf} is full + close, in one
         * native buffer: the count read, or -1 with errno saved (by open or read).
         */
        long readFile(String path, int flags, byte[] buf) {
            long p = cString(path);
            long out = malloc(buf.length, false);
            try {
                int fd = (int) invoker.invokeN3(iRetPII, open, p, flags, 0);
                if (fd < 0) {
                    return -1;
                }
                long total = 0;
                try {
                    while (total < buf.length) {
                        long r = invoker.invokeN3(lRetIPL, read, fd, out + total, buf.length - total);
                        if (r < 0) {
                            return -1;
                        }
                        if (r == 0) {
                            break;
                        }
                        total += r;
                    }
                } finally {
                    invoker.invokeN1(iRetI, close, fd);
                }
                memory.getByteArray(out, buf, 0, (int) total);
                return total;
            } finally {
                memory.freeMemory(out);
                memory.freeMemory(p);
            }
        }

        long readlink(String path, byte[] buf, long size) {
            long p = cString(path);
            long out = malloc(size, false);
            try {
                long r = invoker.invokeN3(lRetPPL, readlink, p, out, size);
                if (r > 0) {
                    memory.getByteArray(out, buf, 0, (int) r);
                }
                return r;
            } finally {
                memory.freeMemory(out);
                memory.freeMemory(p);
            }
        }

        int open(String path, int flags, int mode) {
            long p = cString(path);
            try {
                return (int) invoker.invokeN3(iRetPII, open, p, flags, mode);
            } finally {
                memory.freeMemory(p);
            }
        }

        int pipe2(int[] fds, int flags) {
            long p = malloc(8, true);
            try {
                int r = (int) invoker.invokeN2(iRetPI, pipe2, p, flags);
                memory.getIntArray(p, fds, 0, 2);
                return r;
            } finally {
                memory.freeMemory(p);
            }
        }

        int fstatat(int dirfd, String path, byte[] buf, int flags) {
            long p = cString(path);
            long out = malloc(buf.length, true);
            try {
                int r = (int) invoker.invokeN4(iRetIPPI, fstatat, dirfd, p, out, flags);
                memory.getByteArray(out, buf, 0, buf.length);
                return r;
            } finally {
                memory.freeMemory(out);
                memory.freeMemory(p);
            }
        }

        int statx(int dirfd, String path, int flags, int mask, byte[] buf) {
            long p = cString(path);
            long out = malloc(buf.length, true);
            try {
                int r = (int) invoker.invokeN5(iRetIPIIP, statx, dirfd, p, flags, mask, out);
                memory.getByteArray(out, buf, 0, buf.length);
                return r;
            } finally {
                memory.freeMemory(out);
                memory.freeMemory(p);
            }
        }

        int kill(int pid, int sig) {
            return (int) invoker.invokeN2(iRetII, kill, pid, sig);
        }

        int getpid() {
            return (int) invoker.invokeN0(iRetV, getpid);
        }

        int epoll_create1(int flags) {
            return (int) invoker.invokeN1(iRetI, epollCreate1, flags);
        }

        /** epoll_ctl(2) with the struct epoll_event at {@code event}. */
        int epoll_ctl(int epfd, int op, int fd, long event) {
            return (int) invoker.invokeN4(iRetIIIL, epollCtl, epfd, op, fd, event);
        }

        int epoll_wait(int epfd, long events, int maxEvents, int timeoutMillis) {
            return (int) invoker.invokeN4(iRetILII, epollWait, epfd, events, maxEvents, timeoutMillis);
        }

        int eventfd(int initval, int flags) {
            return (int) invoker.invokeN2(iRetII, eventfd, initval, flags);
        }

        long read(int fd, long buf, long count) {
            return invoker.invokeN3(lRetIPL, read, fd, buf, count);
        }

        long write(int fd, long buf, long count) {
            return invoker.invokeN3(lRetIPL, write, fd, buf, count);
        }

        long send(int fd, long buf, long count, int flags) {
            return invoker.invokeN4(lRetILLI, send, fd, buf, count, flags);
        }

        int getsockopt(int fd, int level, int name, long value, long length) {
            return (int) invoker.invokeN5(iRetIIIPP, getsockopt, fd, level, name, value, length);
        }

        /** {@code size} bytes (at least one) of native memory; the caller frees it. */
        private long malloc(long size, boolean zeroed) {
            long p = memory.allocateMemory(Math.max(size, 1), zeroed);
            if (p == 0) {
                throw new OutOfMemoryError("native memory of " + size + " bytes");
            }
            return p;
        }

        /** Native copy of {@code s}, NUL-terminated; the caller frees it. */
        private long cString(String s) {
            byte[] b = s.getBytes(charset);
            long p = malloc(b.length + 1, false);
            memory.putZeroTerminatedByteArray(p, b, 0, b.length);
            return p;
        }

        /** Native copy of the first {@code n} bytes of {@code b}; the caller frees it. */
        private long copyIn(byte[] b, int n) {
            long p = malloc(n, false);
            memory.putByteArray(p, b, 0, n);
            return p;
        }
    }

    private static long symbol(Library lib, String name) {
        long address = lib.getSymbolAddress(name);
        if (address == 0) {
            throw new UnsatisfiedLinkError("libc lacks " + name + ": " + Library.getLastError());
        }
        return address;
    }

    // ------------------------------------------------------------------ pidfds and signals

    /** pidfd_open(2): a pidfd for {@code pid} ({@link #PIDFD_THREAD} for a thread). */
    public int pidfdOpen(int pid, int flags) {
        long r = libc.syscall(Sysno.PIDFD_OPEN, pid, flags, 0, 0);
        if (r < 0) {
            throw fail("pidfd_open(pid " + pid + ", flags " + flags + ")");
        }
        return (int) r;
    }

    /**
     * pidfd_open(2) that reports failure as a value: the pidfd, or {@code -errno} (ESRCH: no
     * such task; ENOENT, EINVAL before Linux 6.9: {@code pid} is not a thread-group leader and
     * {@link #PIDFD_THREAD} was not given).
     */
    public int pidfdOpenRaw(int pid, int flags) {
        long r = libc.syscall(Sysno.PIDFD_OPEN, pid, flags, 0, 0);
        return r < 0 ? -errno() : (int) r;
    }

    /** PIDFD_GET_INFO: _IOWR(PIDFS_IOCTL_MAGIC 0xFF, 11, struct pidfd_info of PIDFD_INFO_SIZE_VER0 64 bytes). */
    private static final long PIDFD_GET_INFO = 0xC040FF0BL;
    /** struct pidfd_info: mask (u64) at 0, then cgroupid (u64), pid, tgid, ppid (u32 each). */
    private static final int PIDFD_INFO_PID = 1;
    private static final int PIDFD_INFO_TGID_OFFSET = 20;
    private static final int PIDFD_INFO_PPID_OFFSET = 24;

    /**
     * ioctl(pidfd, PIDFD_GET_INFO) (Linux 6.13, pidfd_info in fs/pidfs.c): the task's thread-group
     * id and its parent's, as the sentry's pid namespace numbers them, into
     * {@code tgidPpid[0..1]}. Returns 0, or {@code -errno} (ESRCH: the task has exited;
     * ENOTTY or EINVAL: an older kernel without the ioctl).
     */
    public int pidfdInfoRaw(int pidfd, int[] tgidPpid) {
        NativeBuffer b = pidfdInfoBuffer;
        synchronized (b) {
            b.zero(0, PIDFD_INFO_SIZE);
            b.putLong(0, PIDFD_INFO_PID);
            if (libc.ioctl(pidfd, PIDFD_GET_INFO, b.address()) < 0) {
                return -errno();
            }
            tgidPpid[0] = b.getInt(PIDFD_INFO_TGID_OFFSET);
            tgidPpid[1] = b.getInt(PIDFD_INFO_PPID_OFFSET);
            return 0;
        }
    }

    /** pidfd_getfd(2): a duplicate (close-on-exec) of {@code targetFd} in the pidfd's process. */
    public int pidfdGetfd(int pidfd, int targetFd) {
        long r = libc.syscall(Sysno.PIDFD_GETFD, pidfd, targetFd, 0, 0);
        if (r < 0) {
            throw fail("pidfd_getfd(pidfd " + pidfd + ", fd " + targetFd + ")");
        }
        return (int) r;
    }

    /**
     * pidfd_getfd(2) that reports failure as a value: the new fd, or {@code -errno}
     * (EBADF: {@code targetFd} is not open there). For probes on a hot path, where a
     * failure is an answer rather than an error.
     */
    public int pidfdGetfdRaw(int pidfd, int targetFd) {
        long r = libc.syscall(Sysno.PIDFD_GETFD, pidfd, targetFd, 0, 0);
        return r < 0 ? -errno() : (int) r;
    }

    /** kcmp(2)'s KCMP_FILE */
    private static final int KCMP_FILE = 0;

    /**
     * kcmp(pid1, pid2, KCMP_FILE, fd1, fd2): 0 when fd1 of process pid1 and fd2 of pid2 are
     * the same open file description, 1 or 2 when they are not (an ordering), or {@code -errno}
     * (EBADF: one fd is not open; ESRCH: no such process; EPERM: no ptrace read access). Asks
     * without taking a copy of the fd, unlike {@link #pidfdGetfd}.
     */
    public int kcmpFileRaw(int pid1, int pid2, int fd1, int fd2) {
        long r = libc.syscall(Sysno.KCMP, pid1, pid2, KCMP_FILE, fd1, fd2);
        return r < 0 ? -errno() : (int) r;
    }

    /** pidfd_send_signal(2) with no siginfo and no flags. */
    public void pidfdSendSignal(int pidfd, int sig) {
        long r = libc.syscall(Sysno.PIDFD_SEND_SIGNAL, pidfd, sig, 0, 0);
        if (r < 0) {
            throw fail("pidfd_send_signal(pidfd " + pidfd + ", sig " + sig + ")");
        }
    }

    /** kill(2); returns 0. */
    public int kill(int pid, int sig) {
        int r = libc.kill(pid, sig);
        if (r < 0) {
            throw fail("kill(pid " + pid + ", sig " + sig + ")");
        }
        return r;
    }

    /** tgkill(2); returns 0. */
    public int tgkill(int tgid, int tid, int sig) {
        long r = libc.syscall(Sysno.TGKILL, tgid, tid, sig, 0);
        if (r < 0) {
            throw fail("tgkill(tgid " + tgid + ", tid " + tid + ", sig " + sig + ")");
        }
        return (int) r;
    }

    public int getpid() {
        return libc.getpid();
    }

    // ------------------------------------------------------------------ files

    /** memfd_create(2). */
    public int memfdCreate(String name, int flags) {
        Objects.requireNonNull(name, "name");
        int r = libc.memfd_create(name, flags);
        if (r < 0) {
            throw fail("memfd_create(\"" + name + "\", flags " + flags + ")");
        }
        return r;
    }

    /** fstat(2). */
    public StatResult fstat(int fd) {
        NativeBuffer b = statBuffer;
        synchronized (b) { // one reused buffer: a fresh direct allocation per call costs a Cleaner
            long r = libc.syscall(Sysno.FSTAT, fd, b.address(), 0, 0);
            if (r < 0) {
                throw fail("fstat(fd " + fd + ")");
            }
            byte[] raw = new byte[STAT_SIZE];
            b.get(0, raw, 0, STAT_SIZE);
            return StatResult.of(raw);
        }
    }

    /** fstatfs(2), returning {@code f_type} (e.g. NSFS_MAGIC, TMPFS_MAGIC). */
    public long fstatfsType(int fd) {
        NativeBuffer b = statBuffer;
        synchronized (b) {
            long r = libc.syscall(Sysno.FSTATFS, fd, b.address(), 0, 0);
            if (r < 0) {
                throw fail("fstatfs(fd " + fd + ")");
            }
            return b.getLong(0);
        }
    }

    /** fchmod(2). */
    public void fchmod(int fd, int mode) {
        if (libc.fchmod(fd, mode) < 0) {
            throw fail("fchmod(fd " + fd + ", mode 0" + Integer.toOctalString(mode) + ")");
        }
    }

    /** write(2) of the whole array; returns the count written (may be short). */
    public int write(int fd, byte[] b) {
        long r = libc.write(fd, b, b.length);
        if (r < 0) {
            throw fail("write(fd " + fd + ", " + b.length + " bytes)");
        }
        return (int) r;
    }

    /** read(2) into the array; returns the count read, 0 at end of file. */
    public int read(int fd, byte[] b) {
        long r = libc.read(fd, b, b.length);
        if (r < 0) {
            throw fail("read(fd " + fd + ", " + b.length + " bytes)");
        }
        return (int) r;
    }

    /** lseek(2). */
    public long lseek(int fd, long offset, int whence) {
        long r = libc.lseek(fd, offset, whence);
        if (r < 0) {
            throw fail("lseek(fd " + fd + ", " + offset + ", whence " + whence + ")");
        }
        return r;
    }

    /** close(2). EINTR is not retried (Linux has closed the fd anyway). */
    public void close(int fd) {
        if (libc.close(fd) < 0) {
            int errno = errno();
            if (errno != Errno.EINTR.number()) {
                throw new LinuxException("close(fd " + fd + ")", errno);
            }
        }
    }

    /** open(2) of a path in the sentry's own view (e.g. /proc/self/ns/user); returns the fd. */
    public int open(String path, int flags) {
        int fd = libc.open(path, flags | OpenFlags.O_CLOEXEC, 0);
        if (fd < 0) {
            throw fail("open(\"" + path + "\", 0" + Integer.toOctalString(flags) + ")");
        }
        return fd;
    }

    /**
     * The start of a small file of the sentry's own view (a /proc file of a task): open
     * (O_RDONLY|O_CLOEXEC|O_NOCTTY|O_NONBLOCK: a FIFO does not block the open; its read
     * fails with EAGAIN), read(2) until end of file or {@code buf} is full, close.
     * Returns the count read ({@code buf.length}: maybe more to read), or {@code -errno}
     * (ENOENT or ESRCH: the task is gone). No exception and no Java file-system layer: the
     * sentry reads /proc/PID/status and auxv for every new task and exec while it waits.
     */
    public int readFileRaw(String path, byte[] buf) {
        long r = libc.readFile(path, OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC | OpenFlags.O_NOCTTY | OpenFlags.O_NONBLOCK, buf);
        return r < 0 ? -errno() : (int) r;
    }

    /**
     * newfstatat(2) in the sentry's own view: the raw 144-byte struct stat, or
     * {@code null} with the errno in {@code errno[0]} (a failure the workload should see).
     */
    public byte[] fstatatRaw(int dirfd, String path, int flags, int[] errno) {
        byte[] buf = new byte[144];
        if (libc.fstatat(dirfd, path, buf, flags) < 0) {
            errno[0] = errno();
            return null;
        }
        return buf;
    }

    /** statx(2) in the sentry's own view: the raw 256-byte struct statx, or null (errno in {@code errno[0]}). */
    public byte[] statxRaw(int dirfd, String path, int flags, int mask, int[] errno) {
        byte[] buf = new byte[256];
        if (libc.statx(dirfd, path, flags, mask, buf) < 0) {
            errno[0] = errno();
            return null;
        }
        return buf;
    }

    /** fcntl(F_GETFL): the open file description's flags (O_PATH, access mode, ...). */
    public int fileFlags(int fd) {
        int r = libc.fcntl(fd, F_GETFL, 0);
        if (r < 0) {
            throw fail("fcntl(fd " + fd + ", F_GETFL)");
        }
        return r;
    }

    /** pipe2(2): {read end, write end}. */
    public int[] pipe(int flags) {
        int[] fds = new int[2];
        if (libc.pipe2(fds, flags) < 0) {
            throw fail("pipe2(0" + Integer.toOctalString(flags) + ")");
        }
        return fds;
    }

    /** read(2) that returns -1 instead of throwing when a non-blocking fd has nothing (EAGAIN). */
    public int readNonBlocking(int fd, byte[] b) {
        long r = libc.read(fd, b, b.length);
        if (r < 0) {
            int errno = errno();
            if (errno == Errno.EAGAIN.number()) {
                return -1;
            }
            throw new LinuxException("read(fd " + fd + ")", errno);
        }
        return (int) r;
    }

    /** fcntl(F_ADD_SEALS) on a memfd created with MFD_ALLOW_SEALING. */
    public void addSeals(int fd, int seals) {
        if (libc.fcntl(fd, F_ADD_SEALS, seals) < 0) {
            throw fail("fcntl(fd " + fd + ", F_ADD_SEALS, 0x" + Integer.toHexString(seals) + ")");
        }
    }

    /** dup(2). */
    public int dup(int fd) {
        int r = libc.dup(fd);
        if (r < 0) {
            throw fail("dup(fd " + fd + ")");
        }
        return r;
    }

    /** Sets or clears O_NONBLOCK on the open file description. */
    public void setNonBlocking(int fd, boolean nonBlocking) {
        int flags = libc.fcntl(fd, F_GETFL, 0);
        if (flags < 0) {
            throw fail("fcntl(fd " + fd + ", F_GETFL)");
        }
        int wanted = nonBlocking ? flags | OpenFlags.O_NONBLOCK : flags & ~OpenFlags.O_NONBLOCK;
        if (wanted != flags && libc.fcntl(fd, F_SETFL, wanted) < 0) {
            throw fail("fcntl(fd " + fd + ", F_SETFL, 0" + Integer.toOctalString(wanted) + ")");
        }
    }

    /** readlink(2), decoded as UTF-8 (e.g. of {@code /proc/<pid>/fd/<n>}). */
    public String readlink(String path) {
        byte[] buf = new byte[4097];
        long r = libc.readlink(path, buf, buf.length);
        if (r < 0) {
            throw fail("readlink(\"" + path + "\")");
        }
        if (r == buf.length) {
            throw new LinuxException("readlink(\"" + path + "\")", Errno.ENAMETOOLONG.number(),
                    "target longer than 4096 bytes");
        }
        return new String(buf, 0, (int) r, StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ unix sockets

    /** socketpair(AF_UNIX, type | SOCK_CLOEXEC). */
    public int[] socketPair(int type) {
        int[] sv = new int[2];
        if (libc.socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0) {
            throw fail("socketpair(AF_UNIX, type " + type + ")");
        }
        return sv;
    }

    /**
     * Blocking recvmsg(2) of one message carrying exactly one fd with SCM_RIGHTS (and
     * one dummy byte), as the shim sends the seccomp listener. The fd is received
     * close-on-exec. Throws ENODATA if the peer closed or sent no fd, EINVAL if more
     * than one fd (or other control data) arrived.
     */
    public int recvFd(int socketFd) {
        NativeBuffer b = oneFdMessage();
        int control = ONE_FD_CONTROL;
        String call = "recvmsg(fd " + socketFd + ", SCM_RIGHTS)";
        long n;
        do {
            n = libc.recvmsg(socketFd, b.address(), MSG_CMSG_CLOEXEC);
        } while (n < 0 && errno() == Errno.EINTR.number());
        if (n < 0) {
            throw fail(call);
        }
        long controlLen = b.getLong(MSGHDR_CONTROLLEN);
        int received = -1;
        if (controlLen >= CMSG_LEN_ONE_FD
                && b.getInt(control + 8) == SOL_SOCKET
                && b.getInt(control + 12) == SCM_RIGHTS
                && b.getLong(control) == CMSG_LEN_ONE_FD) {
            received = b.getInt(control + CMSG_DATA);
        }
        if ((b.getInt(MSGHDR_FLAGS) & MSG_CTRUNC) != 0) {
            if (received >= 0) {
                libc.close(received);
            }
            throw new LinuxException(call, Errno.EINVAL.number(), "more than one fd or other control data arrived");
        }
        if (received < 0) {
            throw new LinuxException(call, Errno.ENODATA.number(),
                    n == 0 ? "peer closed the socket before sending an fd" : "message carried no fd");
        }
        return received;
    }

    /** Offset of the control data in {@link #oneFdMessage()}'s buffer. */
    private static final int ONE_FD_CONTROL = MSGHDR_SIZE + 16 + 8;

    /**
     * A struct msghdr for one byte of data and one SCM_RIGHTS fd, in one buffer: the
     * msghdr, its iovec, the data byte, then the control space.
     */
    private NativeBuffer oneFdMessage() {
        NativeBuffer b = allocate(ONE_FD_CONTROL + CMSG_SPACE_ONE_FD);
        int iov = MSGHDR_SIZE;
        b.putLong(iov, b.address() + iov + 16);
        b.putLong(iov + 8, 1);
        b.putLong(MSGHDR_IOV, b.address() + iov);
        b.putLong(MSGHDR_IOVLEN, 1);
        b.putLong(MSGHDR_CONTROL, b.address() + ONE_FD_CONTROL);
        b.putLong(MSGHDR_CONTROLLEN, CMSG_SPACE_ONE_FD);
        return b;
    }

    /** sendmsg(2) of one dummy byte carrying {@code fd} with SCM_RIGHTS. */
    public void sendFd(int socketFd, int fd) {
        NativeBuffer b = oneFdMessage();
        int control = ONE_FD_CONTROL;
        b.putLong(control, CMSG_LEN_ONE_FD);
        b.putInt(control + 8, SOL_SOCKET);
        b.putInt(control + 12, SCM_RIGHTS);
        b.putInt(control + CMSG_DATA, fd);
        long n;
        do {
            n = libc.sendmsg(socketFd, b.address(), MSG_NOSIGNAL);
        } while (n < 0 && errno() == Errno.EINTR.number());
        if (n < 0) {
            throw fail("sendmsg(fd " + socketFd + ", SCM_RIGHTS fd " + fd + ")");
        }
    }

    // ------------------------------------------------------------------ unix stream sockets

    /**
     * A unix stream socket bound to {@code path} and listening: socket(AF_UNIX,
     * SOCK_STREAM | SOCK_CLOEXEC), bind(2), listen(2). (The JDK's own unix-domain channels set
     * up its networking and a SecureRandom first, ~25 ms of CPU at the sentry's start-up.)
     */
    public int listenUnix(String path, int backlog) {
        byte[] name = path.getBytes(StandardCharsets.UTF_8);
        if (name.length >= SUN_PATH_SIZE) {
            throw new LinuxException("bind(" + path + ")", Errno.ENAMETOOLONG.number(),
                    "a unix socket path holds at most " + (SUN_PATH_SIZE - 1) + " bytes");
        }
        long fd = libc.syscall(Sysno.SOCKET, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, 0);
        if (fd < 0) {
            throw fail("socket(AF_UNIX, SOCK_STREAM)");
        }
        NativeBuffer addr = allocate(2 + SUN_PATH_SIZE);
        addr.putShort(0, (short) AF_UNIX);
        addr.put(2, name, 0, name.length);
        if (libc.syscall(Sysno.BIND, fd, addr.address(), 2 + name.length + 1, 0) < 0) {
            LinuxException e = fail("bind(" + path + ")");
            libc.close((int) fd);
            throw e;
        }
        if (libc.syscall(Sysno.LISTEN, fd, backlog, 0, 0) < 0) {
            LinuxException e = fail("listen(" + path + ")");
            libc.close((int) fd);
            throw e;
        }
        return (int) fd;
    }

    /** accept4(fd, NULL, NULL, SOCK_CLOEXEC): blocks until a client connects; EINTR is retried. */
    public int accept(int listenFd) {
        long r;
        do {
            r = libc.syscall(Sysno.ACCEPT4, listenFd, 0, 0, SOCK_CLOEXEC);
        } while (r < 0 && errno() == Errno.EINTR.number());
        if (r < 0) {
            throw fail("accept4(fd " + listenFd + ")");
        }
        return (int) r;
    }

    /**
     * shutdown(fd, SHUT_RDWR): a thread blocked in accept or read on the socket returns
     * (closing the fd would not wake it). ENOTCONN (a peer already gone) is not an error.
     */
    public void shutdown(int fd) {
        if (libc.syscall(Sysno.SHUTDOWN, fd, SHUT_RDWR, 0, 0) < 0 && errno() != Errno.ENOTCONN.number()) {
            throw fail("shutdown(fd " + fd + ", SHUT_RDWR)");
        }
    }

    /** The uid of the peer of a connected unix socket: getsockopt(SO_PEERCRED).uid. */
    public int peerUid(int fd) {
        return peerCred(fd)[1];
    }

    /**
     * The peer of a connected unix socket as it was when it connected:
     * getsockopt(SO_PEERCRED), {pid, uid, gid}.
     */
    public int[] peerCred(int fd) {
        NativeBuffer b = allocate(UCRED_SIZE + 4);
        b.putInt(UCRED_SIZE, UCRED_SIZE);
        if (libc.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, b.address(), b.address() + UCRED_SIZE) < 0) {
            throw fail("getsockopt(fd " + fd + ", SO_PEERCRED)");
        }
        return new int[] {b.getInt(0), b.getInt(4), b.getInt(8)}; // struct ucred { pid; uid; gid; }
    }

    /** send(2) with MSG_NOSIGNAL of all of {@code b[off, off + len)}: short writes and EINTR are retried. */
    public void sendAll(int fd, byte[] b, int off, int len) {
        NativeBuffer buf = allocate(Math.min(len, SEND_CHUNK));
        while (len > 0) {
            int n = Math.min(len, SEND_CHUNK);
            buf.put(0, b, off, n);
            long r = libc.send(fd, buf.address(), n, MSG_NOSIGNAL);
            if (r < 0) {
                if (errno() == Errno.EINTR.number()) {
                    continue;
                }
                throw fail("send(fd " + fd + ", " + n + " bytes)");
            }
            off += (int) r;
            len -= (int) r;
        }
    }

    // ------------------------------------------------------------------ package-private raw access

    /** Native memory for a hot path, zeroed. */
    NativeBuffer allocate(int size) {
        return NativeBuffer.allocate(size);
    }

    /** ioctl(2); returns the result, or {@code -errno}. */
    long ioctlRaw(int fd, long request, long arg) {
        int r = libc.ioctl(fd, request, arg);
        return r < 0 ? -errno() : r;
    }

    /** process_vm_readv(2) with one local and one remote iovec at {@code iovs} (32 bytes). */
    long processVmReadvRaw(int pid, long iovs) {
        long r = invoker.invokeN6(sixArgs, processVmReadv, pid, iovs, 1, iovs + 16, 1, 0);
        return r < 0 ? -errno() : r;
    }

    /** process_vm_writev(2) with one local and one remote iovec at {@code iovs} (32 bytes). */
    long processVmWritevRaw(int pid, long iovs) {
        long r = invoker.invokeN6(sixArgs, processVmWritev, pid, iovs, 1, iovs + 16, 1, 0);
        return r < 0 ? -errno() : r;
    }

    /**
     * Waits up to {@code timeoutMillis} for {@code fd} to be readable (or at its end): poll(2)
     * with POLLIN; EINTR is retried with the full timeout.
     */
    public boolean pollReadable(int fd, int timeoutMillis) {
        NativeBuffer b = allocate(8); // struct pollfd { int fd; short events; short revents; }
        b.putInt(0, fd);
        b.putShort(4, (short) 0x1); // POLLIN
        int r;
        do {
            r = pollRaw(b.address(), timeoutMillis);
        } while (r == -Errno.EINTR.number());
        if (r < 0) {
            throw new LinuxException("poll(fd " + fd + ")", -r);
        }
        return r > 0;
    }

    /** poll(2) of one struct pollfd at {@code pollfd}; returns the count, or {@code -errno}. */
    int pollRaw(long pollfd, int timeoutMillis) {
        return pollRaw(pollfd, 1, timeoutMillis);
    }

    /** poll(2) of {@code nfds} struct pollfds at {@code pollfds}; returns the count, or {@code -errno}. */
    int pollRaw(long pollfds, int nfds, int timeoutMillis) {
        int r = libc.poll(pollfds, nfds, timeoutMillis);
        return r < 0 ? -errno() : r;
    }

    /** epoll_create1(2). */
    int epollCreate(int flags) {
        int r = libc.epoll_create1(flags);
        if (r < 0) {
            throw fail("epoll_create1(0" + Integer.toOctalString(flags) + ")");
        }
        return r;
    }

    /** epoll_ctl(2) with the struct epoll_event at {@code event} (12 bytes, packed); 0 or {@code -errno}. */
    int epollCtlRaw(int epfd, int op, int fd, long event) {
        int r = libc.epoll_ctl(epfd, op, fd, event);
        return r < 0 ? -errno() : r;
    }

    /** epoll_wait(2) into {@code maxEvents} struct epoll_events at {@code events}; the count or {@code -errno}. */
    int epollWaitRaw(int epfd, long events, int maxEvents, int timeoutMillis) {
        int r = libc.epoll_wait(epfd, events, maxEvents, timeoutMillis);
        return r < 0 ? -errno() : r;
    }

    /** eventfd(2). */
    int eventfd(int initval, int flags) {
        int r = libc.eventfd(initval, flags);
        if (r < 0) {
            throw fail("eventfd(" + initval + ", 0" + Integer.toOctalString(flags) + ")");
        }
        return r;
    }

    /** read(2) into native memory; the count, or {@code -errno}. */
    long readRaw(int fd, long buf, long count) {
        long r = libc.read(fd, buf, count);
        return r < 0 ? -errno() : r;
    }

    /** write(2) from native memory; the count, or {@code -errno}. */
    long writeRaw(int fd, long buf, long count) {
        long r = libc.write(fd, buf, count);
        return r < 0 ? -errno() : r;
    }

    /** send(2) with MSG_NOSIGNAL from native memory (a closed peer is EPIPE, not SIGPIPE); the count, or {@code -errno}. */
    long sendRaw(int fd, long buf, long count) {
        long r = libc.send(fd, buf, count, MSG_NOSIGNAL);
        return r < 0 ? -errno() : r;
    }

    private LinuxException fail(String call) {
        return new LinuxException(call, errno());
    }
}
