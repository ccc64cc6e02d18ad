package nsentry.sentry.task;

import nsentry.abi.Errno;
import nsentry.syscall.Linux;

/**
 * What the task table learns of a thread it sees for the first time: a pidfd, which pins
 * the thread (a pid reused later is another pidfd), and through it the thread group and
 * the parent process, from PIDFD_GET_INFO (no /proc walk: a new pid's /proc directory is
 * built on first use, which cost every fork ~40 µs). Kernels before 6.13 lack the ioctl;
 * there /proc/TID/status answers.
 *
 * @param pidfd a process pidfd for a thread-group leader, a PIDFD_THREAD one otherwise
 *              (the exit each reports is the one the task table waits for)
 */
record NewThread(int pidfd, int tgid, int ppid) {

    /** The thread, or null if it is gone. The caller owns the pidfd. */
    static NewThread open(Linux linux, int tid) {
        int pidfd = linux.pidfdOpenRaw(tid, 0);
        if (pidfd == -Errno.ENOENT.number() || pidfd == -Errno.EINVAL.number()) {
            pidfd = linux.pidfdOpenRaw(tid, Linux.PIDFD_THREAD); // not a thread-group leader
        }
        if (pidfd < 0) {
            return null;
        }
        int[] ids = new int[2];
        int r = linux.pidfdInfoRaw(pidfd, ids);
        if (r == 0) {
            return new NewThread(pidfd, ids[0], ids[1]);
        }
        ProcStatus status = r == -Errno.ESRCH.number() ? null : ProcStatus.read(linux, tid);
        if (status == null) {
            linux.close(pidfd);
            return null;
        }
        return new NewThread(pidfd, status.tgid(), status.ppid());
    }
}
