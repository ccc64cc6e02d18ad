package nsentry.syscall;

import nsentry.abi.Sysno;

/**
 * One {@code struct seccomp_notif}: a thread stopped in a filtered syscall, waiting for
 * the sentry's answer.
 *
 * @param id the notification's cookie, used in every answer and in ID_VALID checks
 * @param tid the host tid of the calling thread (seccomp_notif.pid)
 * @param flags seccomp_notif.flags (currently always 0)
 * @param nr the syscall number (seccomp_data.nr)
 * @param arch the audit architecture (seccomp_data.arch), e.g. AUDIT_ARCH_X86_64
 * @param instructionPointer the address of the syscall instruction
 */
public record Notification(
        long id,
        int tid,
        int flags,
        int nr,
        int arch,
        long instructionPointer,
        long arg0,
        long arg1,
        long arg2,
        long arg3,
        long arg4,
        long arg5) {

    /** Argument {@code i} (0..5). */
    public long arg(int i) {
        switch (i) {
            case 0: return arg0;
            case 1: return arg1;
            case 2: return arg2;
            case 3: return arg3;
            case 4: return arg4;
            case 5: return arg5;
            default: throw new IndexOutOfBoundsException("syscall argument " + i);
        }
    }

    @Override
    public String toString() {
        return "Notification[id=" + Long.toUnsignedString(id, 16) + ", tid=" + tid + ", "
                + Sysno.name(nr) + "(0x" + Long.toHexString(arg0) + ", 0x" + Long.toHexString(arg1)
                + ", 0x" + Long.toHexString(arg2) + ", 0x" + Long.toHexString(arg3)
                + ", 0x" + Long.toHexString(arg4) + ", 0x" + Long.toHexString(arg5)
                + "), arch=0x" + Integer.toHexString(arch) + ", ip=0x" + Long.toHexString(instructionPointer) + "]";
    }
}
