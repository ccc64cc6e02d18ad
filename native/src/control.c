#include "control.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "filter.h"
#include "filter_table.h"
#include "log.h"
#include "rewrite.h"
#include "session.h"
#include "workload.h"

/* Every wait of a rewrite is bounded by this. */
#define REWRITE_TIMEOUT_MS 10000

static char *shim_features[] = {
	"rewrite-clone", "rewrite-clone3", "fd-band", "wait-killable-recv", "subreaper", "owner-views",
};

int control_send_hello(struct shim_ctx *ctx)
{
	struct utsname u;
	if (uname(&u) < 0)
		return -errno;
	Nsentry__V1__Hello hello = NSENTRY__V1__HELLO__INIT;
	hello.protocol_version = WIRE_PROTOCOL_VERSION;
	hello.software = SHIM_SOFTWARE;
	hello.kernel_release = u.release;
	hello.n_features = sizeof shim_features / sizeof shim_features[0];
	hello.features = shim_features;
	ShimMessage m = NSENTRY__V1__SHIM_MESSAGE__INIT;
	m.body_case = NSENTRY__V1__SHIM_MESSAGE__BODY_HELLO;
	m.hello = &hello;
	return wire_send_shim(ctx->ctl_fd, &m);
}

int control_send_exited(struct shim_ctx *ctx)
{
	Nsentry__V1__WorkloadExited ex = NSENTRY__V1__WORKLOAD_EXITED__INIT;
	int st = ctx->workload_status;
	ex.pid = ctx->workload_pid;
	if (WIFEXITED(st)) {
		ex.exit_code = WEXITSTATUS(st);
	} else if (WIFSIGNALED(st)) {
		ex.signal = WTERMSIG(st);
		ex.core_dumped = WCOREDUMP(st) != 0;
	}
	ShimMessage m = NSENTRY__V1__SHIM_MESSAGE__INIT;
	m.body_case = NSENTRY__V1__SHIM_MESSAGE__BODY_WORKLOAD_EXITED;
	m.workload_exited = &ex;
	return wire_send_shim(ctx->ctl_fd, &m);
}

void control_send_error(struct shim_ctx *ctx, const char *message)
{
	if (ctx->ctl_fd < 0)
		return;
	Nsentry__V1__ShimError e = NSENTRY__V1__SHIM_ERROR__INIT;
	e.message = (char *)message;
	ShimMessage m = NSENTRY__V1__SHIM_MESSAGE__INIT;
	m.body_case = NSENTRY__V1__SHIM_MESSAGE__BODY_ERROR;
	m.error = &e;
	wire_send_shim(ctx->ctl_fd, &m); /* best effort: the session is ending */
}

static int on_hello(struct shim_ctx *ctx, const Nsentry__V1__Hello *h, char *why, size_t why_len)
{
	if (ctx->phase != PHASE_HELLO) {
		snprintf(why, why_len, "unexpected Hello");
		return -1;
	}
	if (h->protocol_version != WIRE_PROTOCOL_VERSION) {
		snprintf(why, why_len, "unsupported protocol version %u (this shim speaks %u)",
			 h->protocol_version, WIRE_PROTOCOL_VERSION);
		return -1;
	}
	ctx->phase = PHASE_LAUNCH;
	return 0;
}

static int put_view(struct shim_ctx *ctx, const Nsentry__V1__OwnerView *m, char *why, size_t why_len);

/* The shim cannot start the workload: say why and end. */
static void launch_failed(struct shim_ctx *ctx, const char *reason)
{
	log_msg("%s", reason);
	control_send_error(ctx, reason);
	session_end(ctx, 125, "%s", "");
}

static int send_started(struct shim_ctx *ctx)
{
	const char *names[128];
	size_t n = filter_table_names(ctx->filter_variant, names, sizeof names / sizeof names[0]);
	Nsentry__V1__WorkloadStarted ws = NSENTRY__V1__WORKLOAD_STARTED__INIT;
	ws.pid = ctx->workload_pid;
	ws.fd_band_base = ctx->band.base;
	ws.fd_band_size = ctx->band.size;
	ws.n_filtered_syscalls = n;
	ws.filtered_syscalls = (char **)names;
	ShimMessage m = NSENTRY__V1__SHIM_MESSAGE__INIT;
	m.body_case = NSENTRY__V1__SHIM_MESSAGE__BODY_WORKLOAD_STARTED;
	m.workload_started = &ws;
	return wire_send_shim(ctx->ctl_fd, &m);
}

static int on_launch(struct shim_ctx *ctx, const Nsentry__V1__LaunchConfig *lc, char *why,
		     size_t why_len)
{
	if (ctx->phase != PHASE_LAUNCH) {
		snprintf(why, why_len, "unexpected LaunchConfig");
		return -1;
	}
	if (lc->n_argv == 0 || lc->argv[0][0] == '\0') {
		snprintf(why, why_len, "LaunchConfig without a command");
		return -1;
	}
	char err[512];
	if (fd_band_compute(&ctx->band, err, sizeof err) < 0) {
		launch_failed(ctx, err);
		return 0;
	}
	ctx->filter_variant = lc->debuggable ? VARIANT_DEBUGGABLE : VARIANT_OWNER_TRACER;
	if (lc->debuggable && lc->initial_view != NULL) {
		snprintf(why, why_len, "LaunchConfig with an initial owner view in debuggable mode");
		return -1;
	}
	struct sock_fprog prog;
	if (filter_build(&ctx->band, ctx->filter_variant, &prog, err, sizeof err) < 0) {
		launch_failed(ctx, err);
		return 0;
	}
	if (!lc->debuggable && owners_build_filter(&ctx->owners, err, sizeof err) < 0) {
		filter_prog_free(&prog);
		launch_failed(ctx, err);
		return 0;
	}
	uint64_t initial_view = 0;
	if (lc->initial_view != NULL) {
		if (put_view(ctx, lc->initial_view, why, why_len) < 0) {
			filter_prog_free(&prog);
			return -1;
		}
		initial_view = lc->initial_view->view_id;
	}
	char **argv = calloc(lc->n_argv + 1, sizeof *argv);
	if (argv == NULL) {
		filter_prog_free(&prog);
		launch_failed(ctx, "out of memory");
		return 0;
	}
	memcpy(argv, lc->argv, lc->n_argv * sizeof *argv);
	int rc = workload_spawn(ctx, argv, &prog, lc->initial_view != NULL, initial_view, err,
				sizeof err);
	free(argv);
	filter_prog_free(&prog);
	if (rc < 0) {
		launch_failed(ctx, err);
		return 0;
	}
	ctx->phase = PHASE_RUNNING;
	rc = send_started(ctx);
	if (rc == 0)
		rc = fdpass_send(ctx->fdchan_fd, ctx->listener_fd);
	if (rc < 0) {
		snprintf(err, sizeof err, "sending WorkloadStarted: %s", strerror(-rc));
		session_fail(ctx, FAIL_SENTRY_GONE, err);
	}
	return 0;
}

static int send_rewrite_result(struct shim_ctx *ctx, const Nsentry__V1__RewriteClone *rq,
			       const struct rewrite_result *res)
{
	Nsentry__V1__RewriteResult rr = NSENTRY__V1__REWRITE_RESULT__INIT;
	rr.notification_id = rq->notification_id;
	rr.tid = rq->tid;
	rr.outcome = (Nsentry__V1__RewriteResult__Outcome)res->outcome;
	rr.child_tid = res->child_tid;
	rr.error_number = res->error_number;
	rr.detail = (char *)res->detail;
	ShimMessage m = NSENTRY__V1__SHIM_MESSAGE__INIT;
	m.body_case = NSENTRY__V1__SHIM_MESSAGE__BODY_REWRITE_RESULT;
	m.rewrite_result = &rr;
	return wire_send_shim(ctx->ctl_fd, &m);
}

static int release_held(struct shim_ctx *ctx, const struct held_task *t, uint64_t child_view_id,
			char *err, size_t err_len);

static int on_rewrite(struct shim_ctx *ctx, const Nsentry__V1__RewriteClone *rq, char *why,
		      size_t why_len)
{
	if (ctx->phase != PHASE_RUNNING) {
		snprintf(why, why_len, "unexpected RewriteClone before the workload started");
		return -1;
	}
	/* sentry_pid: the server's, in server mode (0 if not visible here) */
	if (rq->tid <= 0 || rq->tid == ctx->sentry_pid || rq->tid == getpid()) {
		snprintf(why, why_len, "RewriteClone for invalid thread %d", rq->tid);
		return -1;
	}
	struct rewrite_request req = {
		.notification_id = rq->notification_id,
		.tid = rq->tid,
		.syscall_nr = rq->syscall_nr,
		.instruction_pointer = rq->instruction_pointer,
		.strip_flags = rq->strip_flags,
		.clone_args_addr = rq->clone_args_addr,
		.keep_traced = owners_find(&ctx->owners, rq->tid) != NULL,
	};
	struct rewrite_env env = {
		.listener_fd = ctx->listener_fd,
		.timeout_ms = REWRITE_TIMEOUT_MS,
		.on_exit = ctx_on_exit,
		.opaque = ctx,
	};
	struct rewrite_result res;
	rewrite_clone(&env, &req, &res);
	if (res.outcome == REWRITE_CHILD_CREATED) {
		struct held_task t = {
			.notification_id = rq->notification_id, .tid = rq->tid, .child_tid = res.child_tid,
			.parent_traced = req.keep_traced,
		};
		if (ctx_hold(ctx, &t) < 0) {
			char err[64];
			release_held(ctx, &t, 0, err, sizeof err);
			res.outcome = REWRITE_CALL_FAILED;
			res.error_number = ENOMEM;
			snprintf(res.detail, sizeof res.detail, "out of memory holding the child");
		}
	}
	int rc = send_rewrite_result(ctx, rq, &res);
	if (rc < 0) {
		char err[128];
		snprintf(err, sizeof err, "sending RewriteResult: %s", strerror(-rc));
		session_fail(ctx, FAIL_SENTRY_GONE, err);
	}
	return 0;
}

/* Let a rewrite's parent and child go. A child in a nested user namespace
 * (child_view_id != 0) stays traced with the owner filter, which a traced
 * parent's child has inherited already and another child gets now. */
static int release_held(struct shim_ctx *ctx, const struct held_task *t, uint64_t child_view_id,
			char *err, size_t err_len)
{
	int rc = 0;
	struct tracee *parent = t->parent_traced ? owners_find(&ctx->owners, t->tid) : NULL;
	if (parent != NULL && child_view_id == 0)
		child_view_id = parent->view_id; /* the sentry's model says otherwise: keep it safe */
	if (t->child_tid > 0 && (child_view_id != 0 || t->parent_traced)) {
		int given = 0; /* the child got the owner filter: inherited, or injected now */
		if (t->parent_traced)
			given = 1;
		else if (ptrace(PTRACE_SETOPTIONS, t->child_tid, NULL, (void *)(long)OWNERS_TRACE_OPTIONS) < 0)
			snprintf(err, err_len, "PTRACE_SETOPTIONS(child %d): %s", t->child_tid,
				 strerror(errno));
		else
			given = owners_inject(&ctx->owners, t->child_tid, REWRITE_TIMEOUT_MS, err, err_len) == 0;
		if (!given) {
			kill(t->child_tid, SIGKILL); /* fail closed: no owner translation, no task */
			rc = -1;
		} else if (owners_track(&ctx->owners, t->child_tid, child_view_id, TRACEE_RUNNING) < 0) {
			kill(t->child_tid, SIGKILL);
			snprintf(err, err_len, "out of memory tracking child %d; killed", t->child_tid);
			rc = -1;
		} else {
			ptrace(PTRACE_CONT, t->child_tid, NULL, NULL); /* ESRCH: gone meanwhile */
		}
	} else if (t->child_tid > 0 && ptrace(PTRACE_DETACH, t->child_tid, NULL, NULL) < 0 &&
		   errno != ESRCH) {
		snprintf(err, err_len, "PTRACE_DETACH(child %d): %s", t->child_tid, strerror(errno));
		rc = -1;
	}
	long r = t->parent_traced ? ptrace(PTRACE_CONT, t->tid, NULL, NULL)
				  : ptrace(PTRACE_DETACH, t->tid, NULL, NULL);
	if (r < 0 && errno != ESRCH && rc == 0) {
		snprintf(err, err_len, "releasing %d: %s", t->tid, strerror(errno));
		rc = -1;
	}
	return rc;
}

static int on_release(struct shim_ctx *ctx, const Nsentry__V1__ReleaseTask *rt, char *why,
		      size_t why_len)
{
	struct held_task t = {
		.notification_id = rt->notification_id, .tid = rt->tid, .child_tid = rt->child_tid,
	};
	if (ctx->phase != PHASE_RUNNING || ctx_unhold(ctx, &t) < 0) {
		snprintf(why, why_len, "ReleaseTask for a task not held (notification %llu, tid %d, child %d)",
			 (unsigned long long)rt->notification_id, rt->tid, rt->child_tid);
		return -1;
	}
	char err[256];
	if (release_held(ctx, &t, rt->child_view_id, err, sizeof err) < 0) {
		log_msg("%s", err);
		control_send_error(ctx, err);
	}
	return 0;
}

/* Copy a view out of its message (ids are u32 on both sides). */
static int put_view(struct shim_ctx *ctx, const Nsentry__V1__OwnerView *m, char *why, size_t why_len)
{
	if (m->n_uid_extents > 340 || m->n_gid_extents > 340) {
		snprintf(why, why_len, "OwnerView %llu with %zu/%zu extents (at most 340)",
			 (unsigned long long)m->view_id, m->n_uid_extents, m->n_gid_extents);
		return -1;
	}
	struct id_extent uid[340], gid[340];
	for (size_t i = 0; i < m->n_uid_extents; i++)
		uid[i] = (struct id_extent){ m->uid_extents[i]->first, m->uid_extents[i]->lower_first,
					     m->uid_extents[i]->count };
	for (size_t i = 0; i < m->n_gid_extents; i++)
		gid[i] = (struct id_extent){ m->gid_extents[i]->first, m->gid_extents[i]->lower_first,
					     m->gid_extents[i]->count };
	struct owner_view v = { .id = m->view_id, .uid = uid, .gid = gid,
				.n_uid = m->n_uid_extents, .n_gid = m->n_gid_extents };
	if (owners_put_view(&ctx->owners, &v) < 0) {
		snprintf(why, why_len, "out of memory for OwnerView %llu", (unsigned long long)m->view_id);
		return -1;
	}
	return 0;
}

static int on_owner_views(struct shim_ctx *ctx, const Nsentry__V1__OwnerViews *ov, char *why,
			  size_t why_len)
{
	if (ctx->phase != PHASE_RUNNING || ctx->filter_variant != VARIANT_OWNER_TRACER) {
		snprintf(why, why_len, "unexpected OwnerViews (%s)", ctx->phase != PHASE_RUNNING
			 ? "before the workload started" : "--debuggable has no owner tracer");
		return -1;
	}
	for (size_t i = 0; i < ov->n_views; i++)
		if (put_view(ctx, ov->views[i], why, why_len) < 0)
			return -1;
	if (ov->tid < 0 || (ov->tid > 0 && (ov->tid == ctx->sentry_pid || ov->tid == getpid()))) {
		snprintf(why, why_len, "OwnerViews for invalid thread %d", ov->tid);
		return -1;
	}
	struct tracee *t = ov->tid > 0 ? owners_find(&ctx->owners, ov->tid) : NULL;
	if (t != NULL)
		t->view_id = ov->bind_view_id;
	if (ov->tid > 0 && t == NULL) {
		/* Answers the notification itself, once the thread is held. */
		char err[256];
		int rc = owners_attach(&ctx->owners, ctx->listener_fd, ov->tid, ov->bind_view_id,
				       ov->notification_id, ov->reply_value, REWRITE_TIMEOUT_MS, err,
				       sizeof err);
		if (rc < 0)
			log_msg("%s", err);
		if (rc == -1)
			control_send_error(ctx, err); /* fail closed */
		return 0;
	}
	int rc = ov->notification_id != 0
			 ? owners_answer(ctx->listener_fd, ov->notification_id, ov->reply_value) : 0;
	if (rc < 0) {
		char err[128];
		snprintf(err, sizeof err, "SECCOMP_IOCTL_NOTIF_SEND(id %llu): %s",
			 (unsigned long long)ov->notification_id, strerror(-rc));
		log_msg("%s", err);
		control_send_error(ctx, err);
	}
	return 0;
}

static int on_kill_tree(struct shim_ctx *ctx, const Nsentry__V1__KillTree *kt, char *why,
			size_t why_len)
{
	if (ctx->phase == PHASE_HELLO) {
		snprintf(why, why_len, "unexpected KillTree before Hello");
		return -1;
	}
	const char *reason = kt->reason != NULL && kt->reason[0] != '\0' ? kt->reason
									 : "workload killed by the sentry";
	session_end(ctx, 125, "%s", reason);
	return 0;
}

int control_dispatch(struct shim_ctx *ctx, const SentryMessage *m, char *why, size_t why_len)
{
	if (ctx->phase == PHASE_HELLO && m->body_case != NSENTRY__V1__SENTRY_MESSAGE__BODY_HELLO) {
		snprintf(why, why_len, "expected Hello, got %s", wire_sentry_body_name(m));
		return -1;
	}
	switch (m->body_case) {
	case NSENTRY__V1__SENTRY_MESSAGE__BODY_HELLO:
		return on_hello(ctx, m->hello, why, why_len);
	case NSENTRY__V1__SENTRY_MESSAGE__BODY_LAUNCH:
		return on_launch(ctx, m->launch, why, why_len);
	case NSENTRY__V1__SENTRY_MESSAGE__BODY_REWRITE_CLONE:
		return on_rewrite(ctx, m->rewrite_clone, why, why_len);
	case NSENTRY__V1__SENTRY_MESSAGE__BODY_RELEASE:
		return on_release(ctx, m->release, why, why_len);
	case NSENTRY__V1__SENTRY_MESSAGE__BODY_OWNER_VIEWS:
		return on_owner_views(ctx, m->owner_views, why, why_len);
	case NSENTRY__V1__SENTRY_MESSAGE__BODY_KILL_TREE:
		return on_kill_tree(ctx, m->kill_tree, why, why_len);
	case NSENTRY__V1__SENTRY_MESSAGE__BODY_RUN_REPLY:
		snprintf(why, why_len, "unexpected RunReply on the control socket");
		return -1;
	default:
		snprintf(why, why_len, "unknown message body %d", (int)m->body_case);
		return -1;
	}
}
