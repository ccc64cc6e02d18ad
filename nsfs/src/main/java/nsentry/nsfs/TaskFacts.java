package nsentry.nsfs;

/**
 * What the rules need to know about the calling task beyond its credentials and
 * namespaces, gathered by the sentry.
 *
 * @param threadsInGroup threads in the caller's thread group (1 = single-threaded)
 * @param fsShared the fs_struct is shared with another task (fs->users != 1: CLONE_FS)
 * @param sighandShared the signal handler table is shared (sighand->count > 1)
 * @param vmShared the mm is shared with a task outside the thread group (CLONE_VM / vfork)
 * @param activePidNs the task's active pid namespace (must equal {@link TaskState#activePidNs()}
 *     where both are given; the state's is used)
 * @param chrooted the fs root differs from the mount namespace's root (the sandbox root counts
 *     as the mount namespace root)
 * @param isPidNsInit the task is the init (child reaper) of its pid namespace, or of the
 *     sandbox (SIGNAL_UNKILLABLE)
 */
public record TaskFacts(int threadsInGroup, boolean fsShared, boolean sighandShared, boolean vmShared,
        PidNamespace activePidNs, boolean chrooted, boolean isPidNsInit) {

    /** A single-threaded, unshared, unchrooted ordinary task. */
    public static TaskFacts simple(PidNamespace activePidNs) {
        return new TaskFacts(1, false, false, false, activePidNs, false, false);
    }

    /** thread_group_empty(current) is false. */
    public boolean multithreaded() {
        return threadsInGroup > 1;
    }

    /** current_is_single_threaded(): one thread and no other process shares the mm. */
    public boolean singleThreaded() {
        return threadsInGroup <= 1 && !vmShared;
    }

    public TaskFacts withThreads(int n) {
        return new TaskFacts(n, fsShared, sighandShared, vmShared, activePidNs, chrooted, isPidNsInit);
    }

    public TaskFacts withFsShared(boolean v) {
        return new TaskFacts(threadsInGroup, v, sighandShared, vmShared, activePidNs, chrooted, isPidNsInit);
    }

    public TaskFacts withChrooted(boolean v) {
        return new TaskFacts(threadsInGroup, fsShared, sighandShared, vmShared, activePidNs, v, isPidNsInit);
    }

    public TaskFacts withVmShared(boolean v) {
        return new TaskFacts(threadsInGroup, fsShared, sighandShared, v, activePidNs, chrooted, isPidNsInit);
    }

    public TaskFacts withSighandShared(boolean v) {
        return new TaskFacts(threadsInGroup, fsShared, v, vmShared, activePidNs, chrooted, isPidNsInit);
    }

    public TaskFacts withPidNsInit(boolean v) {
        return new TaskFacts(threadsInGroup, fsShared, sighandShared, vmShared, activePidNs, chrooted, v);
    }
}
