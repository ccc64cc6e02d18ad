/* On-demand ptrace rewrite of a notified clone/clone3 (x86_64): make the
 * thread restart the call without namespace flags, hold the new child and the
 * parent stopped, and let them go on request. See spikes.md section 1.
 *
 * Library code: used by the shim's main loop and by
 * tests/rewrite_experiment.c. Call every function from one thread (the
 * tracer). While rewrite_clone runs, SIGCHLD is blocked in the calling thread
 * and pending SIGCHLDs are consumed, so callers that reap children must do a
 * reaping pass afterwards.
 *
 * clone3 is always notified, so the restarted (flag-stripped) clone3 arrives
 * at the listener as a new notification while rewrite_clone waits for its
 * fork event: whoever owns the listener must answer it (CONTINUE) meanwhile,
 * so rewrite_clone must not run on the thread that answers notifications. A
 * stripped clone is not notified again (unless other filtered flags remain). */
#ifndef NSENTRY_REWRITE_H
#define NSENTRY_REWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* Values equal RewriteResult.Outcome in nsentry.proto. */
enum rewrite_outcome {
	REWRITE_CHILD_CREATED = 1,
	REWRITE_CALL_FAILED = 2,
	REWRITE_NOT_SEIZED = 3,
	REWRITE_INTERRUPTED = 4,
};

struct rewrite_request {
	uint64_t notification_id;
	pid_t tid;
	int syscall_nr;                 /* SYS_clone or SYS_clone3 */
	uint64_t instruction_pointer;   /* seccomp_data.instruction_pointer */
	uint64_t strip_flags;           /* removed from the clone flags */
	uint64_t clone_args_addr;       /* clone3: address of struct clone_args */
	bool keep_traced;               /* tid is a permanent tracee of the caller (owners.h) */
};

struct rewrite_result {
	enum rewrite_outcome outcome;
	pid_t child_tid;                /* CHILD_CREATED */
	int error_number;               /* CALL_FAILED, NOT_SEIZED */
	char detail[256];
};

struct rewrite_env {
	int listener_fd;                /* a copy of the seccomp listener */
	int timeout_ms;                 /* bound for every wait, e.g. 10000 */
	/* Called with exit statuses consumed while waiting for a traced thread
	 * (that thread may be the caller's own child). May be NULL. */
	void (*on_exit)(void *opaque, pid_t pid, int status);
	void *opaque;
};

/* Seize req->tid, answer the notification with -ERESTARTNOINTR, rewrite the
 * flags at the restart and follow the call to its fork event. On
 * CHILD_CREATED the parent thread and the child are left stopped under
 * ptrace; call rewrite_release for them. On NOT_SEIZED the notification was
 * not answered. */
void rewrite_clone(const struct rewrite_env *env, const struct rewrite_request *req,
		   struct rewrite_result *res);

/* Detach a held child, then its parent (either may be gone). Returns 0, or -1
 * with a reason in err. */
int rewrite_release(pid_t tid, pid_t child_tid, char *err, size_t err_len);

/* Wait until the deadline (CLOCK_MONOTONIC) for a state change of one tracee
 * (or child), SIGCHLD being blocked by the caller. Returns 1 with *status, 0
 * on timeout, -errno on error. */

int tracee_wait(pid_t pid, int *status, const struct timespec *deadline);

/* *deadline = now + ms. */
void tracee_deadline(struct timespec *deadline, int ms);

#endif
