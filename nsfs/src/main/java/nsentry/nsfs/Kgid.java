package nsentry.nsfs;

/**
 * A global (kernel) group id, as stored in credentials: the kernel's {@code kgid_t}.
 * The value is a u32 held in an int; {@link #INVALID} is (u32)-1. An id as seen inside a
 * namespace is a plain {@code long} in 0..4294967295 and becomes a Kgid only through
 * {@link UserNamespace#makeKgid(long)}.
 */
public record Kgid(int value) {
    /** INVALID_GID. */
    public static final Kgid INVALID = new Kgid(-1);
    /** GLOBAL_ROOT_GID. */
    public static final Kgid ROOT = new Kgid(0);

    /** A Kgid from a u32 value (0..4294967295). */
    public static Kgid of(long u32) {
        if (u32 < 0 || u32 > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("not a u32: " + u32);
        }
        return new Kgid((int) u32);
    }

    /** gid_valid(). */
    public boolean isValid() {
        return value != -1;
    }

    /** The value as an unsigned 32-bit number. */
    public long unsigned() {
        return Integer.toUnsignedLong(value);
    }

    @Override
    public String toString() {
        return "kgid " + unsigned();
    }

    // equals/hashCode written out: a record's generated ones bootstrap
    // java.lang.runtime.ObjectMethods on first use (tens of ms on JDK 17, inside whichever
    // syscall compares a model value first). StartupCostIT checks none is left.
    @Override
    public boolean equals(Object o) {
        return o instanceof Kgid k && k.value == value;
    }

    @Override
    public int hashCode() {
        return value;
    }
}
