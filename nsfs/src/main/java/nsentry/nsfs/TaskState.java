package nsentry.nsfs;

import java.util.Objects;

/**
 * The namespace-relevant state of one task: credentials (with the user namespace), the
 * nsproxy and the active pid namespace. Immutable; rules return a new one.
 * Reference counting is per slot: see {@link NamespaceRegistry}.
 */
public record TaskState(Credentials cred, NsSet ns, PidNamespace activePidNs) {
    public TaskState {
        Objects.requireNonNull(cred);
        Objects.requireNonNull(ns);
        Objects.requireNonNull(activePidNs);
    }

    public UserNamespace userNs() {
        return cred.userNs();
    }

    public TaskState withCred(Credentials c) {
        return new TaskState(c, ns, activePidNs);
    }

    public TaskState withNs(NsSet n) {
        return new TaskState(cred, n, activePidNs);
    }

    /** The namespace of {@code type} the task itself is in (PID: the active one; TIME: its own). */
    public Namespace namespace(NsType type) {
        return switch (type) {
            case USER -> cred.userNs();
            case PID -> activePidNs;
            default -> ns.get(type);
        };
    }

    // equals/hashCode written out: a record's generated ones bootstrap
    // java.lang.runtime.ObjectMethods on first use (tens of ms on JDK 17, inside whichever
    // syscall compares a model value first). StartupCostIT checks none is left.
    @Override
    public boolean equals(Object o) {
        return o instanceof TaskState t && t.cred.equals(cred) && t.ns.equals(ns) && t.activePidNs == activePidNs;
    }

    @Override
    public int hashCode() {
        return (cred.hashCode() * 31 + ns.hashCode()) * 31 + System.identityHashCode(activePidNs);
    }
}
