package nsentry.sentry.calls;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import nsentry.abi.Nsfs;
import nsentry.nsfs.Credentials;
import nsentry.nsfs.Kgid;
import nsentry.nsfs.Kuid;
import nsentry.nsfs.Namespace;
import nsentry.sentry.runtime.Kernel;

/**
 * What stat/fstat/statx say of an nsfs file (fs/nsfs.c, fs/stat.c cp_new_stat): the nsfs
 * device, the namespace's inode, mode 0100444, one link, owner root as seen from the
 * caller's user namespace (65534 where 0 is unmapped), size 0, block size 4096.
 */
final class NsStat {
    private static final int S_IFREG = 0100000;
    private static final int STATX_BASIC_STATS = 0x7ff;

    private NsStat() {}

    /** struct stat (x86_64, 144 bytes). */
    static byte[] stat(Kernel k, Namespace ns, Credentials caller) {
        ByteBuffer b = ByteBuffer.allocate(144).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, k.backing().nsfsDev());
        b.putLong(8, ns.inode());
        b.putLong(16, 1);
        b.putInt(24, S_IFREG | 0444);
        b.putInt(28, (int) caller.userNs().fromKuidMunged(new Kuid(0)));
        b.putInt(32, (int) caller.userNs().fromKgidMunged(new Kgid(0)));
        b.putLong(56, Nsfs.PAGE_SIZE);
        long t = k.backing().nsfsTime();
        b.putLong(72, t);
        b.putLong(88, t);
        b.putLong(104, t);
        return b.array();
    }

    /** struct statx (256 bytes). */
    static byte[] statx(Kernel k, Namespace ns, Credentials caller) {
        ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, STATX_BASIC_STATS);
        b.putInt(4, Nsfs.PAGE_SIZE);
        b.putInt(16, 1);
        b.putInt(20, (int) caller.userNs().fromKuidMunged(new Kuid(0)));
        b.putInt(24, (int) caller.userNs().fromKgidMunged(new Kgid(0)));
        b.putShort(28, (short) (S_IFREG | 0444));
        b.putLong(32, ns.inode());
        long t = k.backing().nsfsTime();
        b.putLong(64, t);
        b.putLong(96, t);
        b.putLong(112, t);
        long dev = k.backing().nsfsDev();
        b.putInt(136, (int) ((dev >>> 8) & 0xfff | (dev >>> 32) & ~0xfffL));
        b.putInt(140, (int) ((dev & 0xff) | ((dev >>> 12) & ~0xffL)));
        return b.array();
    }
}
