package nsentry.nsfs;

/**
 * One line of an id map (struct uid_gid_extent): ids {@code first .. first+count-1} of the
 * namespace map to {@code lowerFirst ..} in the global id space. All three are u32 values;
 * as in the kernel, no range may include 4294967295 ((u32)-1).
 * (As written to /proc/PID/uid_map, the lower range is relative to the parent namespace;
 * once installed in an {@link IdMap} it is global, as in the kernel.)
 */
public record IdExtent(long first, long lowerFirst, long count) {
    public IdExtent {
        if (first < 0 || first > 0xFFFFFFFFL || lowerFirst < 0 || lowerFirst > 0xFFFFFFFFL || count < 1
                || first + count > 0xFFFFFFFFL || lowerFirst + count > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("invalid extent " + first + " " + lowerFirst + " " + count);
        }
    }

    /** Last id of the upper range. */
    public long last() {
        return first + count - 1;
    }

    /** Last id of the lower range. */
    public long lowerLast() {
        return lowerFirst + count - 1;
    }

    // equals/hashCode written out: a record's generated ones bootstrap
    // java.lang.runtime.ObjectMethods on first use (tens of ms on JDK 17, inside whichever
    // syscall compares a model value first). StartupCostIT checks none is left.
    @Override
    public boolean equals(Object o) {
        return o instanceof IdExtent e && e.first == first && e.lowerFirst == lowerFirst && e.count == count;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(first) * 961 + Long.hashCode(lowerFirst) * 31 + Long.hashCode(count);
    }
}
