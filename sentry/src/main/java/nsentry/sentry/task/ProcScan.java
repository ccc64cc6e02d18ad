package nsentry.sentry.task;

import java.util.ArrayList;
import java.util.List;

import nsentry.syscall.Linux;
import nsentry.syscall.LinuxException;
import nsentry.syscall.LittleEndian;

/**
 * The /proc reads the task table makes before every state change (thread counts and
 * children lists), done with as few syscalls as possible and without exceptions on the
 * common path: they run on the event loop while the calling thread waits.
 * {@link ProcStatus} has the general-purpose readers. Event loop only (one buffer).
 */
final class ProcScan {
    /** AT_FDCWD */
    private static final int AT_FDCWD = -100;
    /** Offset of st_nlink in x86_64's struct stat. */
    private static final int ST_NLINK = 16;

    private final Linux linux;
    private final int[] errno = new int[1];
    private final byte[] buf = new byte[4096];

    ProcScan(Linux linux) {
        this.linux = linux;
    }

    /**
     * Live threads of process {@code tgid} (get_nr_threads, the "Threads:" line of its
     * status) in one stat: /proc/PID/task has 2 + that many links (proc_task_getattr).
     * Returns -1 if the process is gone.
     */
    int threadCount(int tgid) {
        byte[] st = linux.fstatatRaw(AT_FDCWD, "/proc/" + tgid + "/task", 0, errno);
        if (st == null) {
            return -1;
        }
        long nlink = LittleEndian.u64(st, ST_NLINK);
        return (int) Math.max(0, nlink - 2);
    }

    /**
     * Children of every thread of process {@code pid}. {@code threads} is its thread count
     * if known (≤ 0: unknown): a single-threaded process's only thread is its leader (a
     * zombie leader still counts as a thread), so its one children file is read directly
     * instead of listing /proc/PID/task.
     */
    List<Integer> children(int pid, int threads) {
        if (threads != 1) {
            return ProcStatus.children(pid);
        }
        List<Integer> result = new ArrayList<>(4);
        readChildren("/proc/" + pid + "/task/" + pid + "/children", result);
        return result;
    }

    /** Appends the pids of one /proc/PID/task/TID/children file; nothing if it is gone. */
    private void readChildren(String path, List<Integer> out) {
        int fd;
        try {
            fd = linux.open(path, 0);
        } catch (LinuxException e) {
            return; // the thread is gone: it has no children to register
        }
        try {
            int value = -1;
            int n;
            while ((n = linux.read(fd, buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    byte b = buf[i];
                    if (b >= '0' && b <= '9') {
                        value = (value < 0 ? 0 : value * 10) + (b - '0');
                    } else if (value >= 0) {
                        out.add(value);
                        value = -1;
                    }
                }
            }
            if (value >= 0) {
                out.add(value);
            }
        } catch (LinuxException e) {
            // a read error (the thread exited meanwhile): what was read stands
        } finally {
            linux.close(fd);
        }
    }
}
