package nsentry.nsfs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;

/**
 * An immutable uid or gid map (struct uid_gid_map): at most 340 non-overlapping extents.
 * Lower ids are global. Lookups mirror kernel/user_namespace.c {@code map_id_down} /
 * {@code map_id_up} (binary search over sorted copies, as the kernel does above five
 * extents). {@link #extents()} is in the order the kernel shows them in /proc: as written
 * for up to five extents, sorted by {@code first} above that.
 */
public final class IdMap {
    /** UID_GID_MAP_MAX_BASE_EXTENTS: up to this many the kernel keeps (and shows) written order. */
    public static final int MAX_BASE_EXTENTS = 5;
    /** UID_GID_MAP_MAX_EXTENTS. */
    public static final int MAX_EXTENTS = 340;

    /** A namespace whose map has not been written yet. */
    public static final IdMap EMPTY = new IdMap(new IdExtent[0]);
    /** The initial namespace's map: {@code 0 0 4294967295}. */
    public static final IdMap IDENTITY = new IdMap(new IdExtent[] {new IdExtent(0, 0, 4294967295L)});

    private final IdExtent[] shown;
    private final IdExtent[] forward; // sorted by first
    private final IdExtent[] reverse; // sorted by lowerFirst

    private IdMap(IdExtent[] extents) {
        this.forward = sortedBy(extents, false);
        this.reverse = sortedBy(extents, true);
        this.shown = extents.length > MAX_BASE_EXTENTS ? forward : extents.clone();
    }

    /**
     * A copy sorted by {@code first} or by {@code lowerFirst}: an insertion sort (at most 340
     * extents, usually one), because {@code Comparator.comparingLong} spins a lambda class at
     * its first use, ~3 ms of the sentry's start-up (BENCHMARKS.md).
     */
    private static IdExtent[] sortedBy(IdExtent[] extents, boolean byLower) {
        IdExtent[] sorted = extents.clone();
        for (int i = 1; i < sorted.length; i++) {
            IdExtent e = sorted[i];
            long key = sortKey(e, byLower);
            int j = i - 1;
            while (j >= 0 && sortKey(sorted[j], byLower) > key) {
                sorted[j + 1] = sorted[j];
                j--;
            }
            sorted[j + 1] = e;
        }
        return sorted;
    }

    private static long sortKey(IdExtent e, boolean byLower) {
        return byLower ? e.lowerFirst() : e.first();
    }

    /**
     * A map of the given extents (global lower ids). Throws IllegalArgumentException if
     * there are more than 340 or any upper or lower ranges overlap; the /proc writer
     * ({@code nsentry.procfs.IdMapFile}) checks these first and reports EINVAL.
     */
    public static IdMap of(List<IdExtent> extents) {
        if (extents.size() > MAX_EXTENTS) {
            throw new IllegalArgumentException("more than " + MAX_EXTENTS + " extents");
        }
        IdExtent[] arr = extents.toArray(new IdExtent[0]);
        for (int i = 0; i < arr.length; i++) {
            for (int j = 0; j < i; j++) {
                if (overlaps(arr[j], arr[i])) {
                    throw new IllegalArgumentException("overlapping extents " + arr[j] + " and " + arr[i]);
                }
            }
        }
        return arr.length == 0 ? EMPTY : new IdMap(arr);
    }

    /** kernel/user_namespace.c mappings_overlap(), for one pair. */
    public static boolean overlaps(IdExtent a, IdExtent b) {
        boolean upper = a.first() <= b.last() && a.last() >= b.first();
        boolean lower = a.lowerFirst() <= b.lowerLast() && a.lowerLast() >= b.lowerFirst();
        return upper || lower;
    }

    /** The extents, in /proc display order. */
    public List<IdExtent> extents() {
        return List.of(shown);
    }

    public int size() {
        return forward.length;
    }

    public boolean isEmpty() {
        return forward.length == 0;
    }

    /** map_id_down: namespace id to global id (make_kuid), empty if unmapped. */
    public OptionalLong mapDown(long id) {
        return mapRangeDown(id, 1);
    }

    /**
     * map_id_range_down: the global id of {@code first} if the whole range
     * {@code first .. first+count-1} lies inside ONE extent, else empty.
     */
    public OptionalLong mapRangeDown(long first, long count) {
        if (first < 0 || first > 0xFFFFFFFFL || count < 1) {
            return OptionalLong.empty();
        }
        long last = first + count - 1;
        int lo = 0;
        int hi = forward.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            IdExtent e = forward[mid];
            if (first < e.first()) {
                hi = mid - 1;
            } else if (first > e.last()) {
                lo = mid + 1;
            } else {
                return last <= e.last() ? OptionalLong.of(e.lowerFirst() + (first - e.first())) : OptionalLong.empty();
            }
        }
        return OptionalLong.empty();
    }

    /** map_id_up: global id to namespace id (from_kuid), empty if unmapped. */
    public OptionalLong mapUp(long kid) {
        long id = mapUpOr(kid, -1);
        return id < 0 ? OptionalLong.empty() : OptionalLong.of(id);
    }

    /**
     * {@link #mapUp} without the box: the namespace id, or {@code unmapped}. For the
     * sentry's per-call path (getuid, stat owners), where C1-compiled code would allocate
     * the OptionalLong.
     */
    public long mapUpOr(long kid, long unmapped) {
        if (kid < 0 || kid > 0xFFFFFFFFL) {
            return unmapped;
        }
        int lo = 0;
        int hi = reverse.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            IdExtent e = reverse[mid];
            if (kid < e.lowerFirst()) {
                hi = mid - 1;
            } else if (kid > e.lowerLast()) {
                lo = mid + 1;
            } else {
                return e.first() + (kid - e.lowerFirst());
            }
        }
        return unmapped;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IdMap m && Arrays.equals(shown, m.shown);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(shown);
    }

    /** The map in /proc format relative to the global id space. */
    @Override
    public String toString() {
        List<String> lines = new ArrayList<>();
        for (IdExtent e : shown) {
            lines.add(e.first() + " " + e.lowerFirst() + " " + e.count());
        }
        return String.join("\n", lines);
    }
}
