package nsentry.sentry.cli;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.JdkLoggerFactory;

import nsentry.syscall.EventLoop;
import nsentry.syscall.Linux;

/**
 * The sentry's slow start-up pieces, begun at once on their own threads so that they
 * overlap with command-line parsing: the native bindings and the event loop.
 */
final class Startup {
    private final CompletableFuture<Linux> linux;
    private final CompletableFuture<EventLoop> loop;

    private Startup(CompletableFuture<Linux> linux, CompletableFuture<EventLoop> loop) {
        this.linux = linux;
        this.loop = loop;
    }

    static Startup begin() {
        // Netty picks its logger by probing for SLF4J and Log4J; each absent class is looked
        // for in every jar of the class path (~25 jars opened). nsentry ships neither, so the
        // probe would end at JDK logging anyway: name it.
        InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE);
        return new Startup(CompletableFuture.supplyAsync(Linux::load, Startup::daemon),
                CompletableFuture.supplyAsync(() -> EventLoop.create("nsentry-sentry"), Startup::daemon));
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
