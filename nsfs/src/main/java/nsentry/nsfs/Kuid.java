package nsentry.nsfs;

/**
 * A global (kernel) user id, as stored in credentials: the kernel's {@code kuid_t}.
 * The value is a u32 held in an int; {@link #INVALID} is (u32)-1. An id as seen inside a
 * namespace is a plain {@code long} in 0..4294967295 and becomes a Kuid only through
 * {@link UserNamespace#makeKuid(long)}.
 */
public record Kuid(int value) {
    /** INVALID_UID. */
    public static final Kuid INVALID = new Kuid(-1);
    /** GLOBAL_ROOT_UID. */
    public static final Kuid ROOT = new Kuid(0);

    /** A Kuid from a u32 value (0..4294967295). */
    public static Kuid of(long u32) {
        if (u32 < 0 || u32 > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("not a u32: " + u32);
        }
        return new Kuid((int) u32);
    }

    /** uid_valid(). */
    public boolean isValid() {
        return value != -1;
    }

    /** The value as an unsigned 32-bit number. */
    public long unsigned() {
        return Integer.toUnsignedLong(value);
    }

    @Override
    public String toString() {
        return "kuid " + unsigned();
    }

    // equals/hashCode written out: a record's generated ones bootstrap
    // java.lang.runtime.ObjectMethods on first use (tens of ms on JDK 17, inside whichever
    // syscall compares a model value first). StartupCostIT checks none is left.
    @Override
    public boolean equals(Object o) {
        return o instanceof Kuid k && k.value == value;
    }

    @Override
    public int hashCode() {
        return value;
    }
}
