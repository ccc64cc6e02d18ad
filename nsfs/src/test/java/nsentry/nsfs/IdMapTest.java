package nsentry.nsfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class IdMapTest {
    @Test
    void identityMapsEverythingButMinusOne() {
        assertEquals(OptionalLong.of(0), IdMap.IDENTITY.mapDown(0));
        assertEquals(OptionalLong.of(4294967294L), IdMap.IDENTITY.mapDown(4294967294L));
        assertTrue(IdMap.IDENTITY.mapDown(4294967295L).isEmpty());
        assertTrue(IdMap.IDENTITY.mapUp(4294967295L).isEmpty());
        assertEquals(OptionalLong.of(1000), IdMap.IDENTITY.mapUp(1000));
        assertTrue(IdMap.EMPTY.mapDown(0).isEmpty());
        assertTrue(IdMap.EMPTY.isEmpty());
    }

    @Test
    void downUpAndRanges() {
        IdMap m = IdMap.of(List.of(new IdExtent(0, 1000, 1), new IdExtent(1, 100000, 65536)));
        assertEquals(OptionalLong.of(1000), m.mapDown(0));
        assertEquals(OptionalLong.of(100000), m.mapDown(1));
        assertEquals(OptionalLong.of(165535), m.mapDown(65536));
        assertTrue(m.mapDown(65537).isEmpty());
        assertEquals(OptionalLong.of(0), m.mapUp(1000));
        assertEquals(OptionalLong.of(2), m.mapUp(100001));
        assertTrue(m.mapUp(999).isEmpty());
        // the unboxed form: the id, or the caller's value for unmapped (and out-of-range) ids
        assertEquals(2, m.mapUpOr(100001, -1));
        assertEquals(65534, m.mapUpOr(999, 65534));
        assertEquals(-1, m.mapUpOr(-5, -1));
        assertEquals(-1, IdMap.IDENTITY.mapUpOr(4294967295L, -1));
        assertEquals(-1, IdMap.EMPTY.mapUpOr(0, -1));
        // map_id_range_down: whole range in one extent
        assertEquals(OptionalLong.of(100000), m.mapRangeDown(1, 65536));
        assertTrue(m.mapRangeDown(0, 2).isEmpty(), "range spanning two extents is not mapped");
        assertTrue(m.mapRangeDown(1, 65537).isEmpty());
    }

    @Test
    void displayOrderIsWrittenUpToFiveThenSorted() {
        List<IdExtent> five = new ArrayList<>();
        for (int i = 4; i >= 0; i--) {
            five.add(new IdExtent(i * 10, 1000 + i * 10, 10));
        }
        assertEquals(five, IdMap.of(five).extents());
        List<IdExtent> six = new ArrayList<>(five);
        six.add(new IdExtent(100, 5000, 1));
        List<IdExtent> shown = IdMap.of(six).extents();
        for (int i = 1; i < shown.size(); i++) {
            assertTrue(shown.get(i - 1).first() < shown.get(i).first());
        }
        // binary search works on many extents
        List<IdExtent> many = new ArrayList<>();
        for (int i = 0; i < 340; i++) {
            many.add(new IdExtent(i * 3L, 1_000_000 - i * 3L, 2));
        }
        IdMap big = IdMap.of(many);
        for (int i = 0; i < 340; i++) {
            assertEquals(OptionalLong.of(1_000_000 - i * 3L + 1), big.mapDown(i * 3L + 1));
            assertTrue(big.mapDown(i * 3L + 2).isEmpty());
            assertEquals(OptionalLong.of(i * 3L), big.mapUp(1_000_000 - i * 3L));
        }
    }

    @Test
    void rejectsOverlapsAndTooMany() {
        assertThrows(IllegalArgumentException.class,
                () -> IdMap.of(List.of(new IdExtent(0, 0, 10), new IdExtent(5, 100, 1))));
        assertThrows(IllegalArgumentException.class,
                () -> IdMap.of(List.of(new IdExtent(0, 0, 10), new IdExtent(50, 9, 1))));
        List<IdExtent> tooMany = new ArrayList<>();
        for (int i = 0; i < 341; i++) {
            tooMany.add(new IdExtent(i, i, 1));
        }
        assertThrows(IllegalArgumentException.class, () -> IdMap.of(tooMany));
        assertThrows(IllegalArgumentException.class, () -> new IdExtent(4294967294L, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> new IdExtent(0, 0, 0));
    }

    @Test
    void kuidValues() {
        assertEquals(4294967295L, Kuid.INVALID.unsigned());
        assertEquals(Kuid.INVALID, Kuid.of(4294967295L));
        assertTrue(Kuid.of(1000).isValid());
        assertThrows(IllegalArgumentException.class, () -> Kuid.of(-5));
    }
}
