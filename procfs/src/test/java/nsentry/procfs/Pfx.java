package nsentry.procfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import nsentry.abi.CloneFlags;
import nsentry.abi.Errno;
import nsentry.abi.SyscallException;
import nsentry.nsfs.Credentials;
import nsentry.nsfs.IdMap;
import nsentry.nsfs.InodeSource;
import nsentry.nsfs.Kgid;
import nsentry.nsfs.Kuid;
import nsentry.nsfs.NamespaceRegistry;
import nsentry.nsfs.TaskFacts;
import nsentry.nsfs.TaskState;
import nsentry.nsfs.UnshareRules;
import nsentry.nsfs.UserNamespace;
import org.junit.jupiter.api.function.Executable;

/** procfs test fixture. */
final class Pfx {
    final NamespaceRegistry reg = new NamespaceRegistry(InodeSource.counter(0xF0000000L),
            NamespaceRegistry.InitialInodes.linuxDefaults(), "host", "(none)", IdMap.IDENTITY);
    final UserNamespace init = reg.initialUserNs();

    Credentials root() {
        return Credentials.of(Kuid.ROOT, Kgid.ROOT, List.of(), init);
    }

    Credentials user(int id) {
        return Credentials.of(Kuid.of(id), Kgid.of(id), List.of(), init);
    }

    /** unshare(CLONE_NEWUSER) by {@code c}. */
    TaskState newUserNs(Credentials c) throws SyscallException {
        return UnshareRules.unshare(reg.initialTaskState(c), TaskFacts.simple(reg.initialPidNs()),
                CloneFlags.CLONE_NEWUSER, reg, "test");
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static SyscallException fails(Errno errno, Executable e) {
        SyscallException ex = assertThrows(SyscallException.class, e);
        assertEquals(errno, ex.errno(), ex.toString());
        return ex;
    }
}
