package nsentry.syscall;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

import nsentry.abi.Errno;
import nsentry.abi.OpenFlags;

/**
 * The seccomp listener fd: receive notifications and answer them
 * (seccomp_unotify(2)). The hot path (receive, respond, ID_VALID) reuses native buffers
 * and allocates only the returned {@link Notification}.
 *
 * <p>Thread-safe, but meant to be used from the sentry's event loop: each operation
 * locks only its own buffer. The listener owns the fd and closes it in {@link #close()}.
 *
 * <p>Answers return {@code false} when the kernel reports ENOENT: the thread was killed
 * or its call interrupted by a signal after the notification was received; there is
 * nothing left to answer (the caller may still want to undo side effects).
 */
public final class SeccompListener implements AutoCloseable {
    private static final int POLLIN = 0x1;
    private static final int POLLHUP = 0x10;
    private static final int ENOENT = Errno.ENOENT.number();
    private static final int EINTR = Errno.EINTR.number();
    private static final int EAGAIN = Errno.EAGAIN.number();

    private final Linux linux;
    private final int fd;
    private final NativeBuffer recv;
    private final NativeBuffer send;
    private final NativeBuffer idValid;
    private final NativeBuffer addfd;
    private final NativeBuffer pollfd;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** Takes ownership of {@code listenerFd}. */
    public SeccompListener(Linux linux, int listenerFd) {
        this.linux = Objects.requireNonNull(linux, "linux");
        if (listenerFd < 0) {
            throw new IllegalArgumentException("listener fd " + listenerFd);
        }
        this.fd = listenerFd;
        this.recv = linux.allocate(SeccompIoctl.SIZEOF_NOTIF);
        this.send = linux.allocate(SeccompIoctl.SIZEOF_NOTIF_RESP);
        this.idValid = linux.allocate(8);
        this.addfd = linux.allocate(SeccompIoctl.SIZEOF_NOTIF_ADDFD);
        this.pollfd = linux.allocate(8);
    }

    public int fd() {
        return fd;
    }

    /**
     * SECCOMP_IOCTL_NOTIF_RECV, without blocking: first polls the fd, and returns
     * {@code null} when no notification is pending, or the kernel reports ENOENT (the
     * thread died between poll and receive), EINTR or EAGAIN.
     */
    public Notification receive() {
        synchronized (pollfd) {
            pollfd.putInt(0, fd);
            pollfd.putInt(4, POLLIN); // events = POLLIN, revents = 0
            int r = linux.pollRaw(pollfd.address(), 0);
            if (r < 0) {
                if (-r == EINTR) {
                    return null;
                }
                throw new LinuxException("poll(seccomp listener fd " + fd + ")", -r);
            }
            if (r == 0 || (pollfd.getShort(6) & POLLIN) == 0) {
                return null;
            }
        }
        return receivePending();
    }

    /**
     * SECCOMP_IOCTL_NOTIF_RECV without the poll: only when the event loop has just
     * reported the fd readable (a notification that disappears after that is reported
     * as ENOENT, so this does not block). Blocks if nothing is pending. Returns
     * {@code null} on ENOENT, EINTR or EAGAIN.
     */
    public Notification receivePending() {
        synchronized (recv) {
            // The kernel refuses a buffer that is not zeroed (check_zeroed_user).
            recv.zero(0, SeccompIoctl.SIZEOF_NOTIF);
            long r = linux.ioctlRaw(fd, SeccompIoctl.NOTIF_RECV, recv.address());
            if (r < 0) {
                int errno = (int) -r;
                if (errno == ENOENT || errno == EINTR || errno == EAGAIN) {
                    return null;
                }
                throw failed("SECCOMP_IOCTL_NOTIF_RECV", errno);
            }
            return new Notification(
                    recv.getLong(0), recv.getInt(8), recv.getInt(12),
                    recv.getInt(16), recv.getInt(20), recv.getLong(24),
                    recv.getLong(32), recv.getLong(40), recv.getLong(48),
                    recv.getLong(56), recv.getLong(64), recv.getLong(72));
        }
    }

    /**
     * Whether the fd is hung up: no task is left in the filter (and none can join).
     * Pending notifications may still be readable.
     */
    public boolean isHungUp() {
        synchronized (pollfd) {
            pollfd.putInt(0, fd);
            pollfd.putInt(4, POLLIN);
            int r = linux.pollRaw(pollfd.address(), 0);
            if (r < 0) {
                throw new LinuxException("poll(seccomp listener fd " + fd + ")", -r);
            }
            return r > 0 && (pollfd.getShort(6) & POLLHUP) != 0;
        }
    }

    /** Answers with a return value. Returns false if the notification is gone (ENOENT). */
    public boolean respondValue(long id, long val) {
        return respond(id, val, 0, 0);
    }

    /** Answers with {@code -e}. Returns false if the notification is gone (ENOENT). */
    public boolean respondError(long id, Errno e) {
        return respondErrno(id, e.number());
    }

    /**
     * Answers with {@code -errno} for any positive errno number, including numbers
     * {@link Errno} does not name (e.g. ERESTARTNOINTR 513 for the ptrace rewrite).
     */
    public boolean respondErrno(long id, int errno) {
        if (errno <= 0 || errno > 4095) {
            throw new IllegalArgumentException("errno " + errno);
        }
        return respond(id, 0, -errno, 0);
    }

    /**
     * Lets the call run in the kernel (SECCOMP_USER_NOTIF_FLAG_CONTINUE). Only safe when
     * the kernel's own checks give the right answer: the arguments may have changed
     * since they were read.
     */
    public boolean respondContinue(long id) {
        return respond(id, 0, 0, SeccompIoctl.USER_NOTIF_FLAG_CONTINUE);
    }

    private boolean respond(long id, long val, int error, int flags) {
        synchronized (send) {
            send.putLong(0, id);
            send.putLong(8, val);
            send.putInt(16, error);
            send.putInt(20, flags);
            long r = linux.ioctlRaw(fd, SeccompIoctl.NOTIF_SEND, send.address());
            if (r >= 0) {
                return true;
            }
            if (-r == ENOENT) {
                return false;
            }
            throw failed("SECCOMP_IOCTL_NOTIF_SEND", id, (int) -r);
        }
    }

    /**
     * The exception for a failed ioctl, built out of line: the string building would
     * otherwise sit in the middle of the per-call methods' C1 code (BENCHMARKS.md,
     * session 5: the sentry's per-call time grows with its code's size).
     */
    private LinuxException failed(String request, int errno) {
        return new LinuxException("ioctl(fd " + fd + ", " + request + ")", errno);
    }

    /** {@link #failed(String, int)} for a request about one notification (any id, 0 included). */
    private LinuxException failed(String request, long id, int errno) {
        return failed(request + ", id 0x" + Long.toUnsignedString(id, 16), errno);
    }

    /**
     * SECCOMP_IOCTL_NOTIF_ID_VALID: whether the notification is still pending (the
     * thread has not died nor been interrupted). Re-check after every read of the
     * workload's memory: a pid or fd read earlier may belong to a reused process.
     */
    public boolean isValid(long id) {
        synchronized (idValid) {
            idValid.putLong(0, id);
            long r = linux.ioctlRaw(fd, SeccompIoctl.NOTIF_ID_VALID, idValid.address());
            if (r >= 0) {
                return true;
            }
            if (-r == ENOENT) {
                return false;
            }
            throw failed("SECCOMP_IOCTL_NOTIF_ID_VALID", id, (int) -r);
        }
    }

    /**
     * SECCOMP_IOCTL_NOTIF_ADDFD: installs a copy of our {@code srcFd} in the thread's
     * process.
     *
     * @param targetFd the fd number to install at (replacing what is there), or -1 for
     *     the lowest free number
     * @param cloexec set O_CLOEXEC on the new fd
     * @param sendAsReply also answer the notification with the new fd number, atomically
     *     (SECCOMP_ADDFD_FLAG_SEND); the notification must not be answered again
     * @return the fd number in the target process
     * @throws LinuxException ENOENT if the notification is gone, EMFILE/EBADF/... as the
     *     target's fd table reports them; when SEND fails the notification is still
     *     pending and must be answered
     */
    public int addFd(long id, int srcFd, int targetFd, boolean cloexec, boolean sendAsReply) {
        synchronized (addfd) {
            int flags = (targetFd >= 0 ? SeccompIoctl.ADDFD_FLAG_SETFD : 0)
                    | (sendAsReply ? SeccompIoctl.ADDFD_FLAG_SEND : 0);
            addfd.putLong(0, id);
            addfd.putInt(8, flags);
            addfd.putInt(12, srcFd);
            addfd.putInt(16, targetFd >= 0 ? targetFd : 0);
            addfd.putInt(20, cloexec ? OpenFlags.O_CLOEXEC : 0);
            long r = linux.ioctlRaw(fd, SeccompIoctl.NOTIF_ADDFD, addfd.address());
            if (r < 0) {
                throw new LinuxException("ioctl(fd " + fd + ", SECCOMP_IOCTL_NOTIF_ADDFD, id 0x"
                        + Long.toUnsignedString(id, 16) + ", srcfd " + srcFd + ", newfd " + targetFd
                        + (sendAsReply ? ", SEND" : "") + ")", (int) -r);
            }
            return (int) r;
        }
    }

    /**
     * SECCOMP_IOCTL_NOTIF_SET_FLAGS(SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP): the kernel
     * switches straight to the handler thread. Returns false if the kernel lacks it
     * (before 6.6: EINVAL or ENOTTY).
     */
    public boolean enableSyncWakeup() {
        long r = linux.ioctlRaw(fd, SeccompIoctl.NOTIF_SET_FLAGS, SeccompIoctl.USER_NOTIF_FD_SYNC_WAKE_UP);
        if (r >= 0) {
            return true;
        }
        int errno = (int) -r;
        if (errno == Errno.EINVAL.number() || errno == Errno.ENOTTY.number()) {
            return false;
        }
        throw new LinuxException("ioctl(fd " + fd + ", SECCOMP_IOCTL_NOTIF_SET_FLAGS, SYNC_WAKE_UP)", errno);
    }

    /**
     * Closes the listener. The kernel then fails every pending and future filtered call
     * of the workload with ENOSYS. Idempotent.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            linux.close(fd);
        }
    }
}
