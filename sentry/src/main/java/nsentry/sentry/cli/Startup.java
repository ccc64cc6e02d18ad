package nsentry.sentry.cli;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import nsentry.syscall.EventLoop;
import nsentry.syscall.Linux;

/**
 * The sentry's slow start-up piece, begun at once on its own thread so that it overlaps
 * with command-line parsing: the native bindings (jffi loads its JNI library), then the
 * event loop that needs them.
 */
final class Startup {
    private final CompletableFuture<Linux> linux;
    private final CompletableFuture<EventLoop> loop;

    private Startup(CompletableFuture<Linux> linux, CompletableFuture<EventLoop> loop) {
        this.linux = linux;
        this.loop = loop;
    }

    static Startup begin() {
        CompletableFuture<Linux> linux = CompletableFuture.supplyAsync(Linux::load, Startup::daemon);
        return new Startup(linux, linux.thenApply(l -> EventLoop.create(l, "nsentry-sentry")));
    }

    /** Bindings already loaded and a new event loop: a sentry server's next sandbox. */
    static Startup ready(Linux linux, String loopName) {
        return new Startup(CompletableFuture.completedFuture(linux),
                CompletableFuture.completedFuture(EventLoop.create(linux, loopName)));
    }

    private static void daemon(Runnable r) {
        Thread t = new Thread(r, "nsentry-startup");
        t.setDaemon(true);
        t.start();
    }

    Linux linux() throws InterruptedException {
        return get(linux);
    }

    EventLoop loop() throws InterruptedException {
        return get(loop);
    }

    private static <T> T get(CompletableFuture<T> f) throws InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        }
    }
}
