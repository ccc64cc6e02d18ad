package nsentry.sentry.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import nsentry.nsfs.Credentials;
import nsentry.nsfs.IdMap;
import nsentry.nsfs.InodeSource;
import nsentry.nsfs.Kgid;
import nsentry.nsfs.Kuid;
import nsentry.nsfs.NamespaceRegistry;
import nsentry.nsfs.TaskState;
import nsentry.syscall.EventLoop;
import nsentry.syscall.Linux;

/** The task table with real processes: pidfds, exit watches on a real event loop. */
class TaskTableTest {
    private Linux linux;
    private EventLoop loop;
    private TaskTable table;
    private Process child;

    @BeforeEach
    void setUp() {
        linux = Linux.load();
        loop = EventLoop.create(linux, "task-table-test");
        NamespaceRegistry reg = new NamespaceRegistry(InodeSource.counter(0xF0000000L),
                NamespaceRegistry.InitialInodes.linuxDefaults(), "host", "(none)", IdMap.IDENTITY);
        TaskState root = reg.initialTaskState(Credentials.of(Kuid.ROOT, Kgid.ROOT, List.of(), reg.initialUserNs()));
        table = new TaskTable(linux, loop, root, new TaskTable.StateListener() {
            @Override
            public void acquired(TaskState state) {}

            @Override
            public void released(TaskState state) {}

            @Override
            public void registered(Task task, String how) {}

            @Override
            public void exited(Task task) {}
        }, 1000);
    }

    @AfterEach
    void tearDown() {
        if (child != null) {
            child.destroyForcibly();
        }
        loop.close();
    }

    /** Runs on the loop thread, as the sentry does: only the loop touches the table. */
    private <T> T onLoop(Callable<T> work) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                f.complete(work.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aTaskIsFoundUntilItsExitIsSeenAndNotAfter() throws Exception {
        child = new ProcessBuilder("sleep", "60").start();
        int pid = (int) child.pid();
        Task t = onLoop(() -> table.registerUnknown(pid));
        assertNotNull(t, "a live process is registered");
        assertEquals(pid, t.tid());
        assertSame(t, onLoop(() -> table.lookup(pid)));
        assertSame(t, onLoop(() -> table.lookup(pid)), "the second lookup in a row finds the same task");

        child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!t.exited() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(t.exited(), "the pidfd reported the exit");
        // The last task looked up must not outlive its exit (a reused tid would get it).
        assertNull(onLoop(() -> table.lookup(pid)), "an exited task is not found any more");
    }

    @Test
    void lookingUpAnotherTidDoesNotReturnTheLastOne() throws Exception {
        child = new ProcessBuilder("sleep", "60").start();
        int pid = (int) child.pid();
        Task t = onLoop(() -> table.registerUnknown(pid));
        assertSame(t, onLoop(() -> table.lookup(pid)));
        assertNull(onLoop(() -> table.lookup(pid + 1_000_000)), "an unknown tid is not the cached task");
        assertSame(t, onLoop(() -> table.lookup(pid)));
    }
}
