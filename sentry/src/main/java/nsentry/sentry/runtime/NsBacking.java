package nsentry.sentry.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import nsentry.nsfs.InodeSource;
import nsentry.nsfs.NsType;
import nsentry.syscall.Linux;

/**
 * Backs every emulated namespace with a small anonymous file (a memfd, mode 0444) whose
 * inode number IS the namespace's inode number, so readlink, stat of the path and fstat
 * of an fd agree (DESIGN.md "The model"). Each backing file stays open for the
 * namespace's lifetime: memfd inode numbers are recycled once closed (spikes.md §2).
 */
public final class NsBacking implements InodeSource {
    private static final int MFD_CLOEXEC = 0x0001;
    private static final int MFD_ALLOW_SEALING = 0x0002;

    private final Linux linux;
    /** An open backing file: the sentry's fd and the file's st_dev (fixed for its lifetime). */
    private record Backing(int fd, long dev) {}

    private final Map<Long, Backing> byInode = new HashMap<>();
    private final long nsfsDev;
    private final long nsfsTime;

    public NsBacking(Linux linux) {
        this.linux = linux;
        this.nsfsDev = realNsfsDev();
        this.nsfsTime = realNsfsTime();
    }

    @Override
    public long allocate(NsType type) {
        int fd = linux.memfdCreate("nsentry-" + type.procName() + "-ns", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        linux.fchmod(fd, 0444);
        linux.addSeals(fd, Linux.SEAL_ALL); // nothing can be written through a stray copy
        nsentry.syscall.StatResult st = linux.fstat(fd);
        byInode.put(st.ino(), new Backing(fd, st.dev()));
        return st.ino();
    }

    @Override
    public void release(long inode) {
        Backing b = byInode.remove(inode);
        if (b != null) {
            linux.close(b.fd());
        }
    }

    /** The sandbox is over: closes every backing file. */
    public void releaseAll() {
        for (Backing b : byInode.values()) {
            linux.close(b.fd());
        }
        byInode.clear();
    }

    /** The sentry's fd of the backing file of an emulated namespace, or -1. */
    public int backingFd(long inode) {
        Backing b = byInode.get(inode);
        return b == null ? -1 : b.fd();
    }

    /** Whether (dev, ino) of some fd names one of our backing files. */
    public boolean isBacking(long dev, long inode) {
        Backing b = byInode.get(inode);
        return b != null && dev == b.dev();
    }

    /** st_dev of the real nsfs (the same for every namespace file), shown for emulated ones too. */
    public long nsfsDev() {
        return nsfsDev;
    }

    /** The timestamps nsfs reports (the same for every namespace file). */
    public long nsfsTime() {
        return nsfsTime;
    }

    public int count() {
        return byInode.size();
    }

    private static long realNsfsDev() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self/ns/user"), "unix:dev")).longValue();
        } catch (IOException | UnsupportedOperationException e) {
            return 4; // nsfs's usual anonymous device number
        }
    }

    private static long realNsfsTime() {
        try {
            return ((java.nio.file.attribute.FileTime) Files.getAttribute(Path.of("/proc/self/ns/user"),
                    "unix:lastModifiedTime")).toMillis() / 1000;
        } catch (IOException | UnsupportedOperationException | ClassCastException e) {
            return 0;
        }
    }

    /** Inode number of a real namespace of the sentry (= the sandbox's initial ones). */
    public static long realNamespaceInode(String procName) {
        try {
            String link = Files.readSymbolicLink(Path.of("/proc/self/ns/" + procName)).toString();
            return Long.parseLong(link.substring(link.indexOf('[') + 1, link.indexOf(']')));
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
