package nsentry.nsfs;

import static nsentry.abi.CloneFlags.CLONE_NEWUSER;
import static nsentry.abi.CloneFlags.CLONE_NEWUTS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.junit.jupiter.api.Test;

/**
 * The model's value records write equals/hashCode out (see Kuid): they must mean exactly
 * what a record's generated ones mean, component by component.
 */
class ValueEqualityTest {
    private final Fx fx = new Fx();

    /** Every pair: equals iff all components are equal; equal values hash alike. */
    private static void assertRecordSemantics(List<? extends Record> values) throws Exception {
        int equalPairs = 0;
        int differentPairs = 0;
        for (Record a : values) {
            for (Record b : values) {
                boolean expected = a.getClass() == b.getClass() && componentsEqual(a, b);
                assertEquals(expected, a.equals(b), a + " vs " + b);
                if (expected) {
                    assertEquals(a.hashCode(), b.hashCode(), a + " vs " + b);
                    equalPairs++;
                } else {
                    differentPairs++;
                }
            }
            assertTrue(!a.equals(null) && !a.equals("x"));
        }
        assertTrue(equalPairs > values.size() && differentPairs > 0, "the samples include equal copies and differences");
    }

    private static boolean componentsEqual(Record a, Record b) throws Exception {
        for (RecordComponent c : a.getClass().getRecordComponents()) {
            if (!Objects.equals(c.getAccessor().invoke(a), c.getAccessor().invoke(b))) {
                return false;
            }
        }
        return true;
    }

    @Test
    void ids() throws Exception {
        assertRecordSemantics(List.of(new Kuid(5), new Kuid(5), new Kuid(6), Kuid.INVALID, new Kuid(-1)));
        assertRecordSemantics(List.of(new Kgid(5), new Kgid(5), new Kgid(6), Kgid.ROOT, new Kgid(0)));
        assertTrue(!new Kuid(5).equals(new Kgid(5)));
        assertRecordSemantics(List.of(new IdExtent(0, 1000, 1), new IdExtent(0, 1000, 1), new IdExtent(1, 1000, 1),
                new IdExtent(0, 1001, 1), new IdExtent(0, 1000, 2)));
    }

    @Test
    void credentialsAndStates() throws Exception {
        Credentials u = fx.user(1000);
        TaskState s = fx.state(u);
        TaskState nested = fx.unshare(s, CLONE_NEWUSER);
        List<Credentials> creds = new ArrayList<>(List.of(u, fx.user(1000), fx.user(1001), fx.root(),
                u.withUids(Kuid.of(1000), Kuid.of(1000), Kuid.of(1000), Kuid.of(0)),
                u.withGids(Kgid.of(1000), Kgid.of(7), Kgid.of(1000), Kgid.of(1000)),
                u.withGroups(List.of(Kgid.of(4))), u.withGroups(List.of(Kgid.of(4))),
                u.withCaps(0, 1, 0, u.capBounding(), 0), u.withEffective(0), u.withAmbient(0),
                u.withBounding(0), u.withKeepCaps(true), u.withUserNs(nested.cred().userNs())));
        assertRecordSemantics(creds);
        List<TaskState> states = List.of(s, fx.state(fx.user(1000)), fx.state(fx.user(1001)), nested,
                fx.unshare(nested, CLONE_NEWUTS), new TaskState(u, s.ns(), s.activePidNs()));
        assertRecordSemantics(states);
        List<NsSet> sets = new ArrayList<>();
        for (TaskState t : states) {
            sets.add(t.ns());
        }
        sets.add(new NsSet(s.ns().mnt(), s.ns().uts(), s.ns().ipc(), s.ns().net(), s.ns().pidForChildren(),
                s.ns().cgroup(), s.ns().time(), s.ns().timeForChildren()));
        assertRecordSemantics(sets);
    }
}
