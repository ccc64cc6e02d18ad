package nsentry.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class AbiTest {
    @Test
    void cloneFlagsPrintLikeStrace() {
        assertEquals("CLONE_NEWNS|CLONE_NEWUSER|SIGCHLD",
                CloneFlags.describe(CloneFlags.CLONE_NEWUSER | CloneFlags.CLONE_NEWNS | Signals.SIGCHLD, true));
        assertEquals("CLONE_NEWUSER|CLONE_NEWTIME", CloneFlags.describe(CloneFlags.CLONE_NEWUSER | 0x80, false));
        assertEquals("0", CloneFlags.describe(0, false));
        assertEquals("CLONE_VM|0x1000000000", CloneFlags.describe(CloneFlags.CLONE_VM | (1L << 36), false));
    }

    @Test
    void openFlagsPrintLikeStrace() {
        assertEquals("O_RDONLY|O_CLOEXEC", OpenFlags.describe(02000000));
        assertEquals("O_WRONLY|O_CREAT|O_TRUNC", OpenFlags.describe(01 | 0100 | 01000));
        assertEquals("O_RDWR|O_DIRECTORY|040000000", OpenFlags.describe(02 | 0200000 | 040000000));
    }

    @Test
    void errnosAndSyscallsByNumber() {
        assertEquals(Errno.EPERM, Errno.of(1));
        assertEquals("E200", Errno.nameOf(200));
        assertEquals("setns", Sysno.name(Sysno.SETNS));
        assertEquals("syscall_9999", Sysno.name(9999));
        assertEquals(0x1ffffffffffL, Capability.FULL_SET);
    }
}
