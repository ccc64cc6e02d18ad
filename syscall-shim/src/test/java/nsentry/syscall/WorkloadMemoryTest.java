package nsentry.syscall;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import nsentry.abi.Errno;
import nsentry.abi.SyscallException;

/** process_vm_readv/writev on our own process (native buffers whose address we know). */
class WorkloadMemoryTest {
    private final Linux linux = Linux.load();
    private final WorkloadMemory mem = new WorkloadMemory(linux);
    private final int pid = linux.getpid();

    private NativeBuffer buffer(String content) {
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        NativeBuffer nb = linux.allocate(b.length + 64);
        nb.put(0, b, 0, b.length);
        return nb;
    }

    @Test
    void readsAndWritesOwnMemory() throws Exception {
        NativeBuffer nb = buffer("hello/world\0tail");
        assertEquals("hello/world", mem.readPath(pid, nb.address()));
        assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), mem.read(pid, nb.address(), 5));
        mem.write(pid, nb.address(), "HE".getBytes(StandardCharsets.US_ASCII));
        assertEquals("HEllo/world", mem.readPath(pid, nb.address()));
        mem.writeU64(pid, nb.address() + 16, 0x0102030405060708L);
        assertEquals(0x0102030405060708L, mem.readU64(pid, nb.address() + 16));
        assertEquals(0x05060708, mem.readU32(pid, nb.address() + 16));
        assertEquals(0, mem.read(pid, nb.address(), 0).length);
    }

    @Test
    void largeReadsSpanTheScratchBuffer() throws Exception {
        int size = 200_000;
        NativeBuffer nb = linux.allocate(size);
        byte[] data = new byte[size];
        for (int i = 0; i < size; i++) {
            data[i] = (byte) (i * 31);
        }
        mem.write(pid, nb.address(), data);
        assertArrayEquals(data, mem.read(pid, nb.address(), size));
    }

    @Test
    void badPointersAreMemoryFaults() {
        for (long addr : new long[] {0, 1, 4096, -1, -4096, Long.MIN_VALUE, 0x7fffffffffffL}) {
            MemoryFault f = assertThrows(MemoryFault.class, () -> mem.readPath(pid, addr), Long.toHexString(addr));
            assertEquals(Errno.EFAULT, f.errno());
            assertThrows(MemoryFault.class, () -> mem.read(pid, addr, 8));
            assertThrows(MemoryFault.class, () -> mem.readU64(pid, addr));
            assertThrows(MemoryFault.class, () -> mem.writeU32(pid, addr, 1));
        }
    }

    @Test
    void deadTaskIsMemoryFault() {
        MemoryFault f = assertThrows(MemoryFault.class, () -> mem.readU64(Integer.MAX_VALUE - 1, 4096));
        assertEquals(Errno.ESRCH.number(), f.hostErrno());
        assertEquals(Errno.EFAULT, f.errno());
    }

    @Test
    void unterminatedPathIsNameTooLong() {
        NativeBuffer nb = linux.allocate(5000);
        nb.put(0, "a".repeat(5000).getBytes(StandardCharsets.US_ASCII), 0, 5000);
        SyscallException e = assertThrows(SyscallException.class, () -> mem.readPath(pid, nb.address()));
        assertEquals(Errno.ENAMETOOLONG, e.errno());
    }

    /** Lengths around the first read's 256 bytes, starting at several distances from a page end. */
    @Test
    void pathsOfEveryLengthAroundTheFirstReadAndPageEnds() throws Exception {
        NativeBuffer nb = linux.allocate(4 * 4096);
        long firstPageEnd = (nb.address() + 4096) & ~4095L;
        for (int fromPageEnd : new int[] {1, 2, 100, 255, 256, 257, 300, 4096}) {
            for (int len : new int[] {0, 1, 254, 255, 256, 257, 511, 1000, 4095}) {
                long at = firstPageEnd + 4096 - fromPageEnd;
                int off = (int) (at - nb.address());
                byte[] path = new byte[len + 1];
                for (int i = 0; i < len; i++) {
                    path[i] = (byte) ('a' + i % 26);
                }
                if (off + path.length > 4 * 4096) {
                    continue;
                }
                nb.put(off, path, 0, path.length);
                String got = mem.readPath(pid, at);
                assertEquals(len, got.length(), "length " + len + ", " + fromPageEnd + " bytes before a page end");
                assertEquals(new String(path, 0, len, StandardCharsets.US_ASCII), got);
            }
        }
    }

    @Test
    void pathBytesAreExact() throws Exception {
        NativeBuffer nb = linux.allocate(16);
        nb.put(0, new byte[] {'/', (byte) 0xff, (byte) 0xfe, 'x', 0}, 0, 5);
        assertArrayEquals(new byte[] {'/', (byte) 0xff, (byte) 0xfe, 'x'}, mem.readPathBytes(pid, nb.address()));
        assertEquals("/\uFFFD\uFFFDx", mem.readPath(pid, nb.address()));
    }
}
