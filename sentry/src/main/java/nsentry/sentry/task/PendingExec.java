package nsentry.sentry.task;

/**
 * An execve the task made that may or may not have succeeded. Confirmed at the task's
 * next notification when its AT_RANDOM bytes changed (spikes.md §3).
 *
 * @param path the program path as the task passed it, resolved to an absolute path
 * @param atRandomAddress where the image that called execve keeps its AT_RANDOM bytes (0 if unknown)
 * @param atRandom the 16 AT_RANDOM bytes of the image that called execve (null if unreadable)
 * @param file what the file looked like when execve was called (setuid bits, owner)
 */
public record PendingExec(String path, long atRandomAddress, byte[] atRandom, ExecFileInfo file) {

    /** The program file's mode and owner as the sentry saw them (global ids). */
    public record ExecFileInfo(int mode, int uid, int gid, boolean script) {
        public boolean setuid() {
            return (mode & 04000) != 0;
        }

        public boolean setgid() {
            return (mode & 02010) == 02010;
        }
    }
}
