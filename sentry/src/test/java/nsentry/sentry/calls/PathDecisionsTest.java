package nsentry.sentry.calls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import org.junit.jupiter.api.Test;

import nsentry.nsfs.IdExtent;
import nsentry.nsfs.IdMap;
import nsentry.nsfs.InodeSource;
import nsentry.nsfs.NamespaceRegistry;
import nsentry.nsfs.TaskFacts;
import nsentry.nsfs.UserNamespace;
import nsentry.nsfs.UserNamespaceRules;

/** The cheap decisions on the hot path must never skip a file nsentry emulates. */
class PathDecisionsTest {

    @Test
    void emulatedNamesAreRecognised() {
        for (String p : List.of("/proc/self/ns/user", "/proc/12/task/13/ns/pid_for_children", "uid_map",
                "/proc/self/gid_map", "setgroups", "/proc/1/status", "/proc/sys/kernel/hostname",
                "/proc/sys/user/max_user_namespaces", "ns/mnt/", "net", "time_for_children")) {
            assertTrue(ProcFileCalls.mayNameEmulatedFile(p), p);
        }
    }

    @Test
    void everythingElseIsDecidedByNameAlone() {
        for (String p : List.of("/etc/passwd", "/usr/lib/x86_64-linux-gnu/libc.so.6", "", "/", "/proc/self/maps",
                "/proc/self/ns", "users", "status.txt", "max_user_namespaces.bak", "/proc/sys/kernel/osrelease")) {
            assertFalse(ProcFileCalls.mayNameEmulatedFile(p), p);
        }
    }

    @Test
    void fdLinksOfTheCallerOnly() {
        assertEquals(5, ProcFileCalls.fdLinkOfSelf("/proc/42/fd/5", 42));
        assertEquals(960, ProcFileCalls.fdLinkOfSelf("/proc/42/task/43/fd/960", 42));
        assertEquals(-1, ProcFileCalls.fdLinkOfSelf("/proc/41/fd/5", 42));
        assertEquals(-1, ProcFileCalls.fdLinkOfSelf("/proc/42/fdinfo/5", 42));
        assertEquals(-1, ProcFileCalls.fdLinkOfSelf("/proc/42/fd/", 42));
        assertTrue(ProcFileCalls.isFdLink("/proc/self/fd/3"));
        assertFalse(ProcFileCalls.isFdLink("/proc/self/exe"));
    }

    @Test
    void procPathsNormaliseSelfThreadSelfAndDots() {
        assertEquals("/proc/100/ns/user", ProcPaths.normalise("/proc/self/ns/user", 101, 100));
        assertEquals("/proc/100/task/101/ns/net", ProcPaths.normalise("/proc/thread-self/ns/net", 101, 100));
        assertEquals("/proc/7/uid_map", ProcPaths.normalise("/proc//7/./ns/../uid_map", 101, 100));
        assertEquals("/etc", ProcPaths.normalise("/proc/../etc", 101, 100));
        assertEquals("/", ProcPaths.normalise("/..", 1, 1));
    }

    /** The one-pass normaliser agrees with the obvious split-and-stack one on random paths. */
    @Test
    void procPathsNormaliseLikeTheReference() {
        String[] parts = {"proc", "self", "thread-self", ".", "..", "", "ns", "user", "12", "task", "x", "self.",
                "...", "p", "thread-selfx"};
        java.util.Random r = new java.util.Random(8);
        for (int k = 0; k < 20_000; k++) {
            StringBuilder p = new StringBuilder(r.nextBoolean() ? "/" : "");
            int n = r.nextInt(24);
            for (int i = 0; i < n; i++) {
                p.append(i == 0 && r.nextBoolean() ? "proc" : parts[r.nextInt(parts.length)]);
                if (i + 1 < n || r.nextInt(4) == 0) {
                    p.append('/');
                }
            }
            String path = p.toString();
            assertEquals(referenceNormalise(path, 101, 100), ProcPaths.normalise(path, 101, 100), path);
        }
    }

    private static String referenceNormalise(String path, int tid, int tgid) {
        java.util.Deque<String> parts = new java.util.ArrayDeque<>();
        for (String p : path.split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                parts.pollLast();
                continue;
            }
            if (parts.size() == 1 && "proc".equals(parts.peekLast())) {
                if (p.equals("self")) {
                    parts.add(Integer.toString(tgid));
                    continue;
                }
                if (p.equals("thread-self")) {
                    parts.add(Integer.toString(tgid));
                    parts.add("task");
                    parts.add(Integer.toString(tid));
                    continue;
                }
            }
            parts.add(p);
        }
        StringBuilder sb = new StringBuilder();
        for (String p : parts) {
            sb.append('/').append(p);
        }
        return sb.length() == 0 ? "/" : sb.toString();
    }

    @Test
    void absolutePathsOutsideProcAreNeverResolved() {
        // resolve() must not touch /proc/TID/cwd for them (pid 0 does not exist: would return null anyway)
        assertEquals(null, ProcPaths.resolve(0, 0, ProcPaths.AT_FDCWD, "/etc/passwd"));
        assertEquals("/proc/9/ns/user", ProcPaths.resolve(0, 9, ProcPaths.AT_FDCWD, "/proc/self/ns/user"));
    }

    @Test
    void statOwnersAreTranslatedThroughTheCallersMaps() throws Exception {
        NamespaceRegistry reg = new NamespaceRegistry(InodeSource.counter(0xF0000000L),
                NamespaceRegistry.InitialInodes.linuxDefaults(), "host", "(none)", IdMap.IDENTITY);
        var creator = nsentry.nsfs.Credentials.of(new nsentry.nsfs.Kuid(1000), new nsentry.nsfs.Kgid(1000), List.of(),
                reg.initialUserNs());
        UserNamespace ns = UserNamespaceRules.create(creator, TaskFacts.simple(reg.initialPidNs()), reg, "t").userNs();
        ns.installUidMap(IdMap.of(List.of(new IdExtent(0, 1000, 1))));
        ns.installGidMap(IdMap.of(List.of(new IdExtent(0, 1000, 1))));
        byte[] stat = new byte[144];
        ByteBuffer b = ByteBuffer.wrap(stat).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(28, 1000).putInt(32, 0);
        OwnerTranslation.translate(stat, ns, false);
        assertEquals(0, b.getInt(28), "the mapped owner reads as 0");
        assertEquals(65534, b.getInt(32), "unmapped global root reads as the overflow gid");
        byte[] statx = new byte[256];
        ByteBuffer x = ByteBuffer.wrap(statx).order(ByteOrder.LITTLE_ENDIAN);
        x.putInt(20, 5).putInt(24, 1000);
        OwnerTranslation.translate(statx, ns, true);
        assertEquals(65534, x.getInt(20));
        assertEquals(0, x.getInt(24));
    }
}
