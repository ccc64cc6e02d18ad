package nsentry.syscall.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import nsentry.syscall.EventLoop;
import nsentry.syscall.Linux;
import nsentry.syscall.Notification;
import nsentry.syscall.NotifTarget;
import nsentry.syscall.SeccompListener;

/**
 * Round-trip latency of an intercepted syscall answered by Java: the C helper
 * (src/test/c/notif_target.c, mode "bench") times each getppid() with CLOCK_MONOTONIC
 * and reports median, p99 and minimum. Not a unit test; run from syscall-shim/:
 *
 * <pre>
 *   mvn -q -B -o test-compile
 *   java -cp "target/classes:target/test-classes:$(cat target/cp.txt)" nsentry.syscall.bench.NotifLatency [iterations] [runs]
 * </pre>
 * (cp.txt from {@code mvn dependency:build-classpath -Dmdep.outputFile=target/cp.txt}).
 *
 * <p>Modes: {@code blocking} — a dedicated thread blocked in NOTIF_RECV (the floor);
 * {@code loop-direct} — the sentry's shape: {@link EventLoop#watchDirect} (the loop sleeps
 * in poll(2) on the listener and its epoll fd), {@link SeccompListener#receivePending()};
 * {@code loop} — the listener watched through epoll like any other fd;
 * {@code loop+poll} — that with {@link SeccompListener#receive()} (extra poll(2) per
 * notification). Each with and without SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP.
 */
public final class NotifLatency {
    private NotifLatency() {}

    private record Result(String mode, long medianNs, long p99Ns, long minNs) {}

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Linux linux = Linux.load();
        Path exe = NotifTarget.compile();
        List<Result> results = new ArrayList<>();
        for (boolean sync : new boolean[] {true, false}) {
            for (String mode : new String[] {"blocking", "loop-direct", "loop", "loop+poll"}) {
                for (int r = 0; r < runs; r++) {
                    results.add(run(linux, exe, mode, sync, iterations));
                }
            }
        }
        System.out.printf(Locale.ROOT, "%-26s %10s %10s %10s%n", "mode", "median_us", "p99_us", "min_us");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "%-26s %10.2f %10.2f %10.2f%n", r.mode(),
                    r.medianNs() / 1000.0, r.p99Ns() / 1000.0, r.minNs() / 1000.0);
        }
        System.exit(0);
    }

    private static Result run(Linux linux, Path exe, String mode, boolean sync, int iterations) throws Exception {
        int total = iterations / 10 + 100 + iterations; // the helper's warm-up + timed calls
        try (NotifTarget t = NotifTarget.start(linux, exe, "bench", Integer.toString(iterations))) {
            SeccompListener l = t.listener();
            boolean syncOn = sync && l.enableSyncWakeup();
            String name = mode + (syncOn ? " sync-wakeup" : "");
            switch (mode) {
                case "blocking" -> {
                    Thread th = new Thread(() -> {
                        int answered = 0;
                        while (answered < total) {
                            Notification n = l.receivePending();
                            if (n != null) {
                                l.respondValue(n.id(), 1);
                                answered++;
                            }
                        }
                    }, "bench-blocking");
                    th.setDaemon(true);
                    th.start();
                    t.go();
                    Result res = parse(name, t.readLine());
                    th.join(TimeUnit.SECONDS.toMillis(10));
                    return res;
                }
                case "loop-direct", "loop", "loop+poll" -> {
                    boolean poll = mode.equals("loop+poll");
                    try (EventLoop loop = EventLoop.create(linux, "bench-loop")) {
                        EventLoop.FdHandler answer = events -> {
                            if ((events & EventLoop.EPOLLIN) != 0) {
                                Notification n = poll ? l.receive() : l.receivePending();
                                if (n != null) {
                                    l.respondValue(n.id(), 1);
                                }
                            }
                        };
                        EventLoop.Registration reg = mode.equals("loop-direct")
                                ? loop.watchDirect(l.fd(), answer) : loop.watch(l.fd(), answer);
                        t.go();
                        Result res = parse(name, t.readLine());
                        reg.cancel();
                        return res;
                    }
                }
                default -> throw new IllegalArgumentException(mode);
            }
        }
    }

    private static Result parse(String mode, String line) {
        if (line == null) {
            throw new IllegalStateException("helper printed nothing");
        }
        String[] f = line.trim().split(" ");
        return new Result(mode, Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]));
    }
}
