package nsentry.syscall;

import nsentry.abi.Errno;
import nsentry.abi.SyscallException;

/**
 * Workload memory could not be read or written: the address is unmapped (or not
 * readable/writable), the range is only partly mapped, or the task is gone. The
 * workload sees {@link Errno#EFAULT}, as when the kernel's copy_from_user fails;
 * {@link #hostErrno()} is what process_vm_readv/writev reported, for the trace.
 */
public final class MemoryFault extends Exception {
    private static final long serialVersionUID = 1L;

    private final int tid;
    private final long address;
    private final int length;
    private final int hostErrno;

    public MemoryFault(int tid, long address, int length, int hostErrno, String what) {
        super(what + " of " + length + " bytes at 0x" + Long.toHexString(address) + " in tid " + tid
                + " failed: " + Errno.nameOf(hostErrno), null, false, false);
        this.tid = tid;
        this.address = address;
        this.length = length;
        this.hostErrno = hostErrno;
    }

    /** What the workload sees: always EFAULT. */
    public Errno errno() {
        return Errno.EFAULT;
    }

    /** The errno process_vm_readv/writev reported (EFAULT, ESRCH, EPERM, ...). */
    public int hostErrno() {
        return hostErrno;
    }

    public int tid() {
        return tid;
    }

    /** The first address that could not be accessed. */
    public long address() {
        return address;
    }

    public int length() {
        return length;
    }

    /** As the model's exception, with {@code rule} naming the kernel function mirrored. */
    public SyscallException toSyscallException(String rule) {
        return new SyscallException(Errno.EFAULT, rule, getMessage());
    }
}
