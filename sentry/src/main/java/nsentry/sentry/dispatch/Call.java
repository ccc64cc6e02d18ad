package nsentry.sentry.dispatch;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import nsentry.abi.Errno;
import nsentry.abi.SyscallException;
import nsentry.nsfs.Namespace;
import nsentry.sentry.task.Task;
import nsentry.syscall.MemoryFault;
import nsentry.syscall.Notification;
import nsentry.syscall.SeccompListener;
import nsentry.syscall.WorkloadMemory;

/**
 * One intercepted syscall being handled: the notification, the calling task, and access
 * to the task's memory. Every read of workload memory is followed by a re-check that the
 * notification is still valid (the thread may have died and its tid been reused), so a
 * handler never acts on memory that belonged to another process.
 */
public final class Call {
    private final Notification notification;
    private final Task task;
    private final WorkloadMemory memory;
    private final SeccompListener listener;
    private String decodedArgs;
    private final boolean tracing;
    private List<Namespace> touched = List.of();

    public Call(Notification notification, Task task, WorkloadMemory memory, SeccompListener listener,
            boolean tracing) {
        this.notification = notification;
        this.task = task;
        this.memory = memory;
        this.listener = listener;
        this.tracing = tracing;
    }

    public Notification notification() {
        return notification;
    }

    public Task task() {
        return task;
    }

    public int tid() {
        return notification.tid();
    }

    public int nr() {
        return notification.nr();
    }

    public long arg(int i) {
        return notification.arg(i);
    }

    public int intArg(int i) {
        return (int) notification.arg(i);
    }

    /** Arguments decoded for the trace (strace style); null until a handler sets them. */
    public String decodedArgs() {
        return decodedArgs;
    }

    /**
     * Sets the trace's decoded arguments. Call it only under {@code if (c.tracing())}, so
     * that with tracing off nothing is built: not the string, and not a lambda to build it
     * later either (a capturing lambda costs the C1-compiled sentry ~0.1 us warm and
     * ~0.7 us right after a switch from the workload; BENCHMARKS.md, session 5).
     */
    public void describe(String args) {
        this.decodedArgs = args;
    }

    /** Namespaces this call created, joined or named, for the trace (empty when not tracing). */
    public List<Namespace> touchedNamespaces() {
        return touched;
    }

    /** Notes a namespace for the trace; nothing is kept when not tracing. */
    public void touched(Namespace ns) {
        if (!tracing) {
            return;
        }
        if (touched.isEmpty()) {
            touched = new ArrayList<>(2);
        }
        touched.add(ns);
    }

    /** Whether the trace wants this call's decoded arguments (building them costs allocations). */
    public boolean tracing() {
        return tracing;
    }

    /**
     * Reads a path only to decide whether the call is the sentry's business at all: no
     * ID_VALID re-check yet (a CONTINUE for a stale notification is harmless). Anything
     * that acts on what it read must call {@link #revalidate()} first.
     */
    public String readPathForDecision(long addr) throws SyscallException {
        if (addr == 0) {
            throw new SyscallException(Errno.EFAULT, "getname", "path pointer is NULL");
        }
        try {
            return memory.readPath(tid(), addr);
        } catch (MemoryFault e) {
            throw new SyscallException(Errno.EFAULT, "getname", "path pointer 0x" + Long.toHexString(addr)
                    + " is not readable");
        }
    }

    /** Reads a NUL-terminated path (EFAULT, ENAMETOOLONG as Linux's getname). */
    public String readPath(long addr) throws SyscallException, TaskGone {
        try {
            return readPathForDecision(addr);
        } finally {
            revalidate();
        }
    }

    public byte[] read(long addr, int len) throws SyscallException, TaskGone {
        try {
            byte[] data = memory.read(tid(), addr, len);
            revalidate();
            return data;
        } catch (MemoryFault e) {
            revalidate();
            throw new SyscallException(Errno.EFAULT, "copy_from_user", len + " bytes at 0x" + Long.toHexString(addr)
                    + " are not readable");
        }
    }

    public void write(long addr, byte[] data) throws SyscallException, TaskGone {
        try {
            memory.write(tid(), addr, data);
        } catch (MemoryFault e) {
            throw new SyscallException(Errno.EFAULT, "copy_to_user", data.length + " bytes at 0x"
                    + Long.toHexString(addr) + " are not writable");
        } finally {
            revalidate();
        }
    }

    public void writeU32(long addr, int value) throws SyscallException, TaskGone {
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            b[i] = (byte) (value >>> (8 * i));
        }
        write(addr, b);
    }

    public void writeString(long addr, String s, int max) throws SyscallException, TaskGone {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > max) {
            byte[] cut = new byte[max];
            System.arraycopy(bytes, 0, cut, 0, max);
            bytes = cut;
        }
        write(addr, bytes);
    }

    /** SECCOMP_IOCTL_NOTIF_ID_VALID: the thread is still blocked in this very call. */
    public void revalidate() throws TaskGone {
        if (!listener.isValid(notification.id())) {
            throw new TaskGone("notification " + notification.id() + " of tid " + tid() + " is no longer valid");
        }
    }
}
