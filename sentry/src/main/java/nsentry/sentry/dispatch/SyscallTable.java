package nsentry.sentry.dispatch;

import java.util.ArrayList;
import java.util.List;

import nsentry.abi.Sysno;

/**
 * The dispatch table: syscall number → handler, with each syscall's support status.
 * Built once in {@link nsentry.sentry.calls.Dispatch}; find the handler for any syscall
 * there in one step.
 */
public final class SyscallTable {

    /** One row: the syscall, who handles it, how completely, and what is left out. */
    public record Entry(int nr, String name, SyscallHandler handler, Support support, String note) {}

    private final Entry[] entries = new Entry[Sysno.tableSize()];
    private final SyscallHandler fallback;

    public SyscallTable(SyscallHandler fallback) {
        this.fallback = fallback;
    }

    public SyscallTable add(int nr, Support support, SyscallHandler handler, String note) {
        if (entries[nr] != null) {
            throw new IllegalStateException(Sysno.name(nr) + " registered twice");
        }
        entries[nr] = new Entry(nr, Sysno.name(nr), handler, support, note);
        return this;
    }

    public SyscallTable add(int nr, Support support, SyscallHandler handler) {
        return add(nr, support, handler, "");
    }

    /** The entry for {@code nr}; syscalls the table does not know continue natively. */
    public Entry entry(int nr) {
        Entry e = nr >= 0 && nr < entries.length ? entries[nr] : null;
        return e != null ? e : new Entry(nr, Sysno.name(nr), fallback, Support.OBSERVED, "not in the dispatch table");
    }

    public List<Entry> entries() {
        List<Entry> list = new ArrayList<>();
        for (Entry e : entries) {
            if (e != null) {
                list.add(e);
            }
        }
        return list;
    }
}
