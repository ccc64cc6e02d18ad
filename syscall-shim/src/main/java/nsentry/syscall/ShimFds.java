package nsentry.syscall;

import java.util.Map;

/**
 * The fds the shim hands the sentry at exec: the control socket (NSENTRY_CONTROL_FD,
 * default 3) and the fd channel for the listener fd (NSENTRY_FD_CHANNEL, default 4).
 */
public record ShimFds(int controlFd, int fdChannel) {
    public static final String CONTROL_FD_ENV = "NSENTRY_CONTROL_FD";
    public static final String FD_CHANNEL_ENV = "NSENTRY_FD_CHANNEL";
    public static final int DEFAULT_CONTROL_FD = 3;
    public static final int DEFAULT_FD_CHANNEL = 4;

    /** From the environment, e.g. {@code ShimFds.fromEnvironment(System.getenv())}. */
    public static ShimFds fromEnvironment(Map<String, String> env) {
        return new ShimFds(parse(env, CONTROL_FD_ENV, DEFAULT_CONTROL_FD), parse(env, FD_CHANNEL_ENV, DEFAULT_FD_CHANNEL));
    }

    private static int parse(Map<String, String> env, String name, int dflt) {
        String v = env.get(name);
        if (v == null || v.isEmpty()) {
            return dflt;
        }
        try {
            int fd = Integer.parseInt(v.trim());
            if (fd < 0) {
                throw new NumberFormatException();
            }
            return fd;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + "=" + v + " is not an fd number");
        }
    }
}
