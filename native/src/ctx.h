/* The shim's one piece of mutable state, passed to every part of it. */
#ifndef NSENTRY_CTX_H
#define NSENTRY_CTX_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "filter.h"
#include "frame.h"
#include "owners.h"
#include "proc.h"

enum shim_phase {
	PHASE_HELLO,     /* waiting for the sentry's Hello */
	PHASE_LAUNCH,    /* waiting for LaunchConfig */
	PHASE_RUNNING,   /* the workload runs */
};

/* A parent thread and its new child, stopped after a rewrite until
 * ReleaseTask. */
struct held_task {
	uint64_t notification_id;
	pid_t tid;
	pid_t child_tid;
	bool parent_traced;     /* the parent is a permanent tracee (owners.h) */
};

struct shim_ctx {
	enum shim_phase phase;

	/* The sentry and its sockets. */
	pid_t sentry_pid;
	bool sentry_reaped;
	int sentry_status;
	int ctl_fd;                 /* control socket (stream), shim end */
	int fdchan_fd;              /* fd channel (seqpacket), shim end */
	struct frame_reader reader;

	/* Server mode (sentry_connect_server): the sentry runs in a sentry server
	 * that is not our child and serves other sandboxes. sentry_pid is then the
	 * server's pid (0 if it is not visible here), kept only so that its tid is
	 * refused as a rewrite target: it is never signalled or waited for, and
	 * sentry_reaped stays false. */
	bool sentry_is_server;
	int server_fd;              /* the connection the RunRequest went on */
	struct frame_reader server_reader; /* its RunReply frames */

	/* Signals: the guarded set is blocked and read from sig_fd. */
	int sig_fd;
	struct signal_state orig_signals; /* restored in children */

	/* The workload. */
	pid_t workload_pid;
	bool workload_reaped;
	int workload_status;
	int listener_fd;            /* the shim's copy, for rewrite replies */
	enum filter_variant filter_variant;
	struct fd_band band;

	/* How the shim ends, once `done` is set. */
	bool done;
	int exit_code;
	bool exit_as_sentry;        /* exit with the sentry's own status */
	char farewell[512];         /* "nsentry: ..." line printed after the tree is killed */

	/* Tasks in nested user namespaces, traced for their stat owners. */
	struct owners owners;

	/* Threads held by rewrites. */
	struct held_task *held;
	size_t n_held, cap_held;
};

void ctx_init(struct shim_ctx *ctx);
void ctx_free(struct shim_ctx *ctx);

/* Record a wait status if it belongs to the workload's first process or the
 * sentry (never in server mode: the server is not our child). */
void ctx_note_exit(struct shim_ctx *ctx, pid_t pid, int status);
/* The same, as a callback for rewrite and owners (opaque is the ctx). */
void ctx_on_exit(void *ctx, pid_t pid, int status);

/* The list of held rewrites. ctx_unhold fills in the rest of *t, or returns
 * -ENOENT if it is not held. */
int ctx_hold(struct shim_ctx *ctx, const struct held_task *t);
int ctx_unhold(struct shim_ctx *ctx, struct held_task *t);
bool ctx_is_held(const struct shim_ctx *ctx, pid_t tid);

#endif
