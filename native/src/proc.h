/* Small process helpers shared by the launch paths and the guardian. */
#ifndef NSENTRY_PROC_H
#define NSENTRY_PROC_H

#include <signal.h>
#include <sys/types.h>

/* What the shim inherited and changed: restored in its children so the
 * sentry and the workload start with the signal state the user gave nsentry
 * (the shim itself only ignores SIGPIPE and blocks the signals it reads from
 * a signalfd). */
struct signal_state {
	sigset_t mask;
	struct sigaction sigpipe;
};

/* In a freshly forked child: restore st. Returns 0 or -1 (reported). */
int proc_restore_signals(const struct signal_state *st);

/* Shell-style exit code of a wait status: the exit code, or 128+N. */
int proc_exit_code(int status);

/* CLOCK_MONOTONIC in milliseconds, for the shim's bounded waits. */
long proc_now_ms(void);

#endif
