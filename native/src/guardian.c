#include "guardian.h"

#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "log.h"
#include "proc.h"
#include "sentry.h"
#include "session.h"
#include "tree.h"
#include "wire.h"

#define SENTRY_GRACE_MS 5000
#define KILL_TREE_MAX_ROUNDS 5000

static void guarded_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGQUIT);
}

int guardian_setup_signals(struct shim_ctx *ctx)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigemptyset(&ign.sa_mask);
	if (sigaction(SIGPIPE, &ign, &ctx->orig_signals.sigpipe) < 0) {
		log_errno(errno, "sigaction(SIGPIPE)");
		return -1;
	}
	sigset_t set;
	guarded_set(&set);
	if (sigprocmask(SIG_BLOCK, &set, &ctx->orig_signals.mask) < 0) {
		log_errno(errno, "sigprocmask(SIG_BLOCK)");
		return -1;
	}
	ctx->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (ctx->sig_fd < 0) {
		log_errno(errno, "signalfd");
		return -1;
	}
	return 0;
}

/* Collect every exited child (the shim is a subreaper, so orphans of the
 * workload end up here) and handle the stops of permanent tracees (owners.h).
 * Stops of threads held by a rewrite are passed over: they stay stopped
 * until ReleaseTask. */
static void reap(struct shim_ctx *ctx)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG | __WALL);
		if (pid > 0) {
			if (WIFEXITED(status) || WIFSIGNALED(status))
				ctx_note_exit(ctx, pid, status);
			else if (WIFSTOPPED(status) && !ctx_is_held(ctx, pid))
				owners_on_stop(&ctx->owners, pid, status);
			continue;
		}
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0 && errno != ECHILD)
			log_errno(errno, "waitpid");
		return;
	}
}

static void on_signal(struct shim_ctx *ctx, const struct signalfd_siginfo *si)
{
	int sig = (int)si->ssi_signo;
	if (sig == SIGCHLD)
		return;
	if (ctx->phase != PHASE_RUNNING) {
		/* No workload yet: the sentry (in its own session) did not see a
		 * terminal's signal. End both. A sentry server is not ours to signal:
		 * closing the control socket ends this sandbox in it. */
		if (!ctx->sentry_is_server && !ctx->sentry_reaped && ctx->sentry_pid > 0)
			kill(ctx->sentry_pid, SIGTERM);
		session_end(ctx, 128 + sig, "%s", "");
		return;
	}
	/* Terminal-generated signals (SI_KERNEL) reached the workload through
	 * the foreground process group already; forward only those a process
	 * sent (SI_USER, SI_QUEUE, SI_TKILL, ... are <= 0). */
	if (si->ssi_code > 0 || ctx->workload_reaped)
		return;
	if (kill(ctx->workload_pid, sig) < 0 && errno != ESRCH)
		log_errno(errno, "forwarding signal %d to %d", sig, ctx->workload_pid);
}

static void drain_signals(struct shim_ctx *ctx, bool act)
{
	for (;;) {
		struct signalfd_siginfo si[8];
		ssize_t n = read(ctx->sig_fd, si, sizeof si);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN)
				log_errno(errno, "read(signalfd)");
			return;
		}
		for (size_t i = 0; act && i < (size_t)n / sizeof si[0]; i++)
			on_signal(ctx, &si[i]);
	}
}

static void on_control_eof(struct shim_ctx *ctx)
{
	size_t pending = frame_reader_pending(&ctx->reader);
	if (ctx->phase != PHASE_RUNNING && pending == 0) {
		/* The sentry ended before launching anything (--help, a usage
		 * error): its exit status is ours, with no word from us. */
		ctx->exit_as_sentry = true;
		session_end(ctx, 0, "%s", "");
		return;
	}
	char why[128];
	if (pending > 0)
		snprintf(why, sizeof why, "control connection closed inside a frame (%zu bytes)",
			 pending);
	else
		snprintf(why, sizeof why, "control connection closed");
	session_fail(ctx, FAIL_SENTRY_GONE, why);
}

static void on_control(struct shim_ctx *ctx)
{
	long n = frame_reader_fill(&ctx->reader, ctx->ctl_fd, MSG_DONTWAIT);
	if (n == -EAGAIN)
		return;
	/* A peer that exits with our Hello unread resets the connection: that
	 * is its end of the stream too. */
	if (n == -ECONNRESET)
		n = 0;
	if (n < 0) {
		char why[128];
		snprintf(why, sizeof why, "control socket: %s", strerror((int)-n));
		session_fail(ctx, FAIL_SENTRY_GONE, why);
		return;
	}
	while (!ctx->done) {
		const uint8_t *body;
		size_t len;
		enum frame_status st = frame_reader_next(&ctx->reader, &body, &len);
		if (st == FRAME_NEED_MORE)
			break;
		char why[256];
		if (st != FRAME_OK) {
			session_fail(ctx, FAIL_PROTOCOL, frame_status_str(st));
			return;
		}
		SentryMessage *m = wire_unpack_sentry(body, len, why, sizeof why);
		if (m == NULL) {
			session_fail(ctx, FAIL_PROTOCOL, why);
			return;
		}
		int rc = control_dispatch(ctx, m, why, sizeof why);
		wire_free_sentry(m);
		if (rc < 0)
			session_fail(ctx, FAIL_PROTOCOL, why);
	}
	if (n == 0 && !ctx->done)
		on_control_eof(ctx);
}

/* Session state that changes without a message. In server mode sentry_reaped
 * stays false: the end of the server's sentry shows as EOF on the control
 * socket (the server held its only other end), a FAIL_SENTRY_GONE. */
static void check_processes(struct shim_ctx *ctx)
{
	if (ctx->done || ctx->phase != PHASE_RUNNING)
		return;
	if (ctx->workload_reaped) {
		int rc = control_send_exited(ctx);
		if (rc < 0 && rc != -EPIPE)
			log_errno(-rc, "sending WorkloadExited");
		session_end(ctx, proc_exit_code(ctx->workload_status), "%s", "");
	} else if (ctx->sentry_reaped) {
		char why[96];
		snprintf(why, sizeof why, "sentry process ended with status %d",
			 proc_exit_code(ctx->sentry_status));
		session_fail(ctx, FAIL_SENTRY_GONE, why);
	}
}

/* SIGKILL every descendant but the sentry's subtree until two walks in a
 * row find nothing (a walk can miss a child while its siblings exit). A
 * sentry server is no descendant: nothing is left out then. */
static void kill_tree(struct shim_ctx *ctx)
{
	struct pid_list l = { 0 };
	pid_t self = getpid();
	int empty = 0;
	for (int round = 0; round < KILL_TREE_MAX_ROUNDS && empty < 2; round++) {
		l.len = 0;
		pid_t exclude = ctx->sentry_is_server || ctx->sentry_reaped ? 0 : ctx->sentry_pid;
		int rc = tree_descendants(self, exclude, &l);
		if (rc < 0) {
			log_errno(-rc, "reading /proc/%d/task/*/children", (int)self);
			break;
		}
		for (size_t i = 0; i < l.len; i++)
			if (kill(l.pids[i], SIGKILL) < 0 && errno != ESRCH)
				log_errno(errno, "kill(%d, SIGKILL)", (int)l.pids[i]);
		reap(ctx);
		if (l.len == 0) {
			empty++;
		} else {
			empty = 0;
			struct timespec ts = { 0, 1000000L };
			nanosleep(&ts, NULL);
		}
	}
	if (empty < 2)
		log_msg("processes of the workload survived SIGKILL");
	pid_list_free(&l);
	ctx->n_held = 0; /* whatever was held is gone */
}

/* Wait up to timeout_ms for the sentry to exit. Returns true once reaped. */
static bool wait_sentry(struct shim_ctx *ctx, long timeout_ms)
{
	long deadline = proc_now_ms() + timeout_ms;
	for (;;) {
		reap(ctx);
		if (ctx->sentry_reaped)
			return true;
		long left = deadline - proc_now_ms();
		if (left <= 0)
			return false;
		struct pollfd p = { .fd = ctx->sig_fd, .events = POLLIN };
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR) {
			log_errno(errno, "poll");
			return false;
		}
		drain_signals(ctx, false);
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The sentry's debug endpoint is <dir>/<shim pid>.sock, dir being /run/user/UID/nsentry
 * or /tmp/nsentry-UID (sentry/.../debug/DebugPaths.java). A sentry that was killed could
 * not remove it; the shim outlives it and does. Only a socket we own is removed. */
static void remove_debug_socket(void)
{
	char paths[2][128];
	uid_t uid = getuid();
	snprintf(paths[0], sizeof paths[0], "/run/user/%u/nsentry/%d.sock", (unsigned)uid, (int)getpid());
	snprintf(paths[1], sizeof paths[1], "/tmp/nsentry-%u/%d.sock", (unsigned)uid, (int)getpid());
	for (int i = 0; i < 2; i++) {
		struct stat st;
		if (lstat(paths[i], &st) == 0 && S_ISSOCK(st.st_mode) && st.st_uid == uid
		    && unlink(paths[i]) < 0 && errno != ENOENT)
			log_errno(errno, "unlink(%s)", paths[i]);
	}
}

static void shutdown_session(struct shim_ctx *ctx)
{
	if (ctx->workload_pid > 0)
		kill_tree(ctx);
	if (ctx->farewell[0] != '\0')
		log_user("%s", ctx->farewell);
	close_fd(&ctx->ctl_fd);
	close_fd(&ctx->fdchan_fd);
	close_fd(&ctx->listener_fd);
	if (ctx->sentry_is_server) {
		/* Never signalled nor waited for: the server ends this sandbox at
		 * the EOF on the control socket and sends its exit status. */
		int code = sentry_server_exit_code(ctx, SENTRY_GRACE_MS);
		if (ctx->exit_as_sentry)
			ctx->exit_code = code >= 0 ? code : 125;
	} else {
		if (!wait_sentry(ctx, SENTRY_GRACE_MS) && ctx->sentry_pid > 0) {
			if (kill(ctx->sentry_pid, SIGKILL) < 0 && errno != ESRCH)
				log_errno(errno, "kill(sentry %d, SIGKILL)", (int)ctx->sentry_pid);
			if (!wait_sentry(ctx, SENTRY_GRACE_MS))
				log_msg("the sentry (pid %d) did not exit", (int)ctx->sentry_pid);
		}
		if (ctx->exit_as_sentry)
			ctx->exit_code = ctx->sentry_reaped ? proc_exit_code(ctx->sentry_status) : 125;
	}
	remove_debug_socket();
}

int guardian_run(struct shim_ctx *ctx)
{
	while (!ctx->done) {
		struct pollfd p[2] = {
			{ .fd = ctx->ctl_fd, .events = POLLIN },
			{ .fd = ctx->sig_fd, .events = POLLIN },
		};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_errno(errno, "poll");
			session_end(ctx, 125, "%s", "");
			break;
		}
		if (p[1].revents)
			drain_signals(ctx, true);
		if (!ctx->done && p[0].revents)
			on_control(ctx);
		reap(ctx);
		check_processes(ctx);
	}
	shutdown_session(ctx);
	return ctx->exit_code;
}
