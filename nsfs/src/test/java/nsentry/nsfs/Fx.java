package nsentry.nsfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import nsentry.abi.Errno;
import nsentry.abi.SyscallException;
import org.junit.jupiter.api.function.Executable;

/** Test fixture: a registry with host-like initial namespaces and credential helpers. */
final class Fx {
    final NamespaceRegistry reg = new NamespaceRegistry(InodeSource.counter(0xF0000000L),
            NamespaceRegistry.InitialInodes.linuxDefaults(), "host", "(none)", IdMap.IDENTITY);
    final UserNamespace init = reg.initialUserNs();

    Credentials root() {
        return Credentials.of(Kuid.ROOT, Kgid.ROOT, List.of(), init);
    }

    Credentials user(int id) {
        return Credentials.of(Kuid.of(id), Kgid.of(id), List.of(), init);
    }

    TaskState state(Credentials c) {
        return reg.initialTaskState(c);
    }

    TaskFacts facts() {
        return TaskFacts.simple(reg.initialPidNs());
    }

    /** unshare(flags) and adopt the result. */
    TaskState unshare(TaskState s, long flags) throws SyscallException {
        TaskState n = UnshareRules.unshare(s, facts(), flags, reg, "test");
        reg.retain(n);
        return n;
    }

    /** Writes a map directly (as a privileged writer would), mapping ns ids to parent ids. */
    static void map(UserNamespace ns, boolean uid, long first, long lowerInParent, long count) {
        IdMap parent = uid ? ns.parent().uidMap() : ns.parent().gidMap();
        long global = parent.mapRangeDown(lowerInParent, count).orElseThrow();
        IdMap m = IdMap.of(List.of(new IdExtent(first, global, count)));
        if (uid) {
            ns.installUidMap(m);
        } else {
            ns.installGidMap(m);
        }
    }

    static SyscallException fails(Errno errno, Executable e, String why) {
        SyscallException ex = assertThrows(SyscallException.class, e, why);
        assertEquals(errno, ex.errno(), why + ": " + ex);
        return ex;
    }

    static SyscallException fails(Errno errno, Executable e) {
        SyscallException ex = assertThrows(SyscallException.class, e);
        assertEquals(errno, ex.errno(), ex.toString());
        assertFalse(ex.explanation().isBlank());
        return ex;
    }
}
