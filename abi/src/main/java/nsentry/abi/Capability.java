package nsentry.abi;

/** Capability numbers (include/uapi/linux/capability.h), as of Linux 6.18. */
public final class Capability {
    private Capability() {}

    public static final int CAP_CHOWN = 0;
    public static final int CAP_DAC_OVERRIDE = 1;
    public static final int CAP_DAC_READ_SEARCH = 2;
    public static final int CAP_FOWNER = 3;
    public static final int CAP_FSETID = 4;
    public static final int CAP_KILL = 5;
    public static final int CAP_SETGID = 6;
    public static final int CAP_SETUID = 7;
    public static final int CAP_SETPCAP = 8;
    public static final int CAP_LINUX_IMMUTABLE = 9;
    public static final int CAP_NET_BIND_SERVICE = 10;
    public static final int CAP_NET_BROADCAST = 11;
    public static final int CAP_NET_ADMIN = 12;
    public static final int CAP_NET_RAW = 13;
    public static final int CAP_IPC_LOCK = 14;
    public static final int CAP_IPC_OWNER = 15;
    public static final int CAP_SYS_MODULE = 16;
    public static final int CAP_SYS_RAWIO = 17;
    public static final int CAP_SYS_CHROOT = 18;
    public static final int CAP_SYS_PTRACE = 19;
    public static final int CAP_SYS_PACCT = 20;
    public static final int CAP_SYS_ADMIN = 21;
    public static final int CAP_SYS_BOOT = 22;
    public static final int CAP_SYS_NICE = 23;
    public static final int CAP_SYS_RESOURCE = 24;
    public static final int CAP_SYS_TIME = 25;
    public static final int CAP_SYS_TTY_CONFIG = 26;
    public static final int CAP_MKNOD = 27;
    public static final int CAP_LEASE = 28;
    public static final int CAP_AUDIT_WRITE = 29;
    public static final int CAP_AUDIT_CONTROL = 30;
    public static final int CAP_SETFCAP = 31;
    public static final int CAP_MAC_OVERRIDE = 32;
    public static final int CAP_MAC_ADMIN = 33;
    public static final int CAP_SYSLOG = 34;
    public static final int CAP_WAKE_ALARM = 35;
    public static final int CAP_BLOCK_SUSPEND = 36;
    public static final int CAP_AUDIT_READ = 37;
    public static final int CAP_PERFMON = 38;
    public static final int CAP_BPF = 39;
    public static final int CAP_CHECKPOINT_RESTORE = 40;

    public static final int CAP_LAST_CAP = CAP_CHECKPOINT_RESTORE;
    /** Every capability bit (CAP_FULL_SET). */
    public static final long FULL_SET = (1L << (CAP_LAST_CAP + 1)) - 1;

    /** capget/capset header versions (_LINUX_CAPABILITY_VERSION_1..3). */
    public static final int VERSION_1 = 0x19980330;
    public static final int VERSION_2 = 0x20071026;
    public static final int VERSION_3 = 0x20080522;

    /** securebits (include/uapi/linux/securebits.h). */
    public static final int SECBIT_NOROOT = 1 << 0;
    public static final int SECBIT_NOROOT_LOCKED = 1 << 1;
    public static final int SECBIT_NO_SETUID_FIXUP = 1 << 2;
    public static final int SECBIT_NO_SETUID_FIXUP_LOCKED = 1 << 3;
    public static final int SECBIT_KEEP_CAPS = 1 << 4;
    public static final int SECBIT_KEEP_CAPS_LOCKED = 1 << 5;
    public static final int SECBIT_NO_CAP_AMBIENT_RAISE = 1 << 6;
    public static final int SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED = 1 << 7;
    public static final int SECURE_ALL_BITS = SECBIT_NOROOT | SECBIT_NO_SETUID_FIXUP | SECBIT_KEEP_CAPS
            | SECBIT_NO_CAP_AMBIENT_RAISE;
    public static final int SECURE_ALL_LOCKS = SECURE_ALL_BITS << 1;

    private static final String[] NAMES = {
        "cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner", "cap_fsetid", "cap_kill",
        "cap_setgid", "cap_setuid", "cap_setpcap", "cap_linux_immutable", "cap_net_bind_service",
        "cap_net_broadcast", "cap_net_admin", "cap_net_raw", "cap_ipc_lock", "cap_ipc_owner", "cap_sys_module",
        "cap_sys_rawio", "cap_sys_chroot", "cap_sys_ptrace", "cap_sys_pacct", "cap_sys_admin", "cap_sys_boot",
        "cap_sys_nice", "cap_sys_resource", "cap_sys_time", "cap_sys_tty_config", "cap_mknod", "cap_lease",
        "cap_audit_write", "cap_audit_control", "cap_setfcap", "cap_mac_override", "cap_mac_admin",
        "cap_syslog", "cap_wake_alarm", "cap_block_suspend", "cap_audit_read", "cap_perfmon", "cap_bpf",
        "cap_checkpoint_restore"
    };

    public static boolean isValid(long cap) {
        return cap >= 0 && cap <= CAP_LAST_CAP;
    }

    public static String name(int cap) {
        return isValid(cap) ? NAMES[cap] : "cap_" + cap;
    }
}
