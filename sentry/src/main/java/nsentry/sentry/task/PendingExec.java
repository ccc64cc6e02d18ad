package nsentry.sentry.task;

/**
 * An execve the task made that may or may not have succeeded. Confirmed at the task's
 * next notification when its image was replaced ({@link ImageWitness}).
 *
 * @param path the program path as the task passed it, resolved to an absolute path
 * @param image what the sentry noted of the image that called execve (owns an fd)
 * @param file what the file looked like when execve was called (setuid bits, owner)
 */
public record PendingExec(String path, ImageWitness image, ExecFileInfo file) {

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
