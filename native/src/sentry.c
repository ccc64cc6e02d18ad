#include "sentry.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdpass.h"
#include "frame.h"
#include "log.h"
#include "proc.h"
#include "wire.h"

/* The sentry's tunable: no restartable sequences. glibc registers one for every thread,
 * and the kernel then rewrites it (__rseq_handle_notify_resume) on each return to user
 * space after a context switch: the sentry's loop thread switches with the workload twice
 * per notification (measured: 0.2 us of a 6.4 us getuid round trip; BENCHMARKS.md). The
 * JVM does not use rseq. Appended, so it wins over an earlier glibc.pthread.rseq; only the
 * sentry's environment changes, the workload's stays as given. */
#define SENTRY_TUNABLE "glibc.pthread.rseq=0"

static int set_sentry_tunables(void)
{
	const char *given = getenv("GLIBC_TUNABLES");
	if (given == NULL || given[0] == '\0')
		return setenv("GLIBC_TUNABLES", SENTRY_TUNABLE, 1);
	size_t len = strlen(given) + sizeof ":" SENTRY_TUNABLE;
	char *v = malloc(len);
	if (v == NULL)
		return -1;
	snprintf(v, len, "%s:%s", given, SENTRY_TUNABLE);
	int r = setenv("GLIBC_TUNABLES", v, 1);
	free(v);
	return r;
}

/* In the child: put fd on target, without close-on-exec. */
static int place_fd(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target) < 0 ? -1 : 0;
}

static void sentry_child(struct shim_ctx *ctx, int ctl, int fdc, char *const argv[])
{
	if (proc_restore_signals(&ctx->orig_signals) < 0)
		_exit(125);
	if (setsid() < 0) {
		log_errno(errno, "setsid (sentry)");
		_exit(125);
	}
	/* Move both above the targets first so neither dup2 clobbers the other. */
	int c = fcntl(ctl, F_DUPFD_CLOEXEC, 10);
	int f = fcntl(fdc, F_DUPFD_CLOEXEC, 10);
	if (c < 0 || f < 0) {
		log_errno(errno, "fcntl(F_DUPFD_CLOEXEC) (sentry)");
		_exit(125);
	}
	if (place_fd(c, SENTRY_CONTROL_FD) < 0 || place_fd(f, SENTRY_FD_CHANNEL) < 0) {
		log_errno(errno, "dup2 (sentry sockets)");
		_exit(125);
	}
	if (setenv("NSENTRY_CONTROL_FD", "3", 1) < 0 || setenv("NSENTRY_FD_CHANNEL", "4", 1) < 0 ||
	    set_sentry_tunables() < 0) {
		log_errno(errno, "setenv (sentry)");
		_exit(125);
	}
	execvp(argv[0], argv);
	int e = errno;
	log_errno(e, "exec sentry %s", argv[0]);
	_exit(e == ENOENT ? 127 : 126);
}

static void close_pair(int p[2])
{
	close(p[0]);
	close(p[1]);
}

/* The control socket and the fd channel; [1] is the sentry's end of each. */
static int make_socket_pairs(int ctl[2], int fdc[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0) {
		log_errno(errno, "socketpair(control)");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fdc) < 0) {
		log_errno(errno, "socketpair(fd channel)");
		close_pair(ctl);
		return -1;
	}
	return 0;
}

int sentry_spawn(struct shim_ctx *ctx, char *const argv[])
{
	int ctl[2], fdc[2];
	if (make_socket_pairs(ctl, fdc) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		log_errno(errno, "fork (sentry)");
		close_pair(ctl);
		close_pair(fdc);
		return -1;
	}
	if (pid == 0) {
		close(ctl[0]);
		close(fdc[0]);
		sentry_child(ctx, ctl[1], fdc[1], argv);
	}
	close(ctl[1]);
	close(fdc[1]);
	ctx->sentry_pid = pid;
	ctx->ctl_fd = ctl[0];
	ctx->fdchan_fd = fdc[0];
	return 0;
}

/* ---- the sentry server */

static void close_if_open(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* The next frame on the server connection, which must be a RunReply. Returns 1
 * with *out set (free with wire_free_sentry), 0 at EOF, or -1 with why. */
static int server_next(struct shim_ctx *ctx, int fd, long timeout_ms, SentryMessage **out,
		       char *why, size_t why_len)
{
	struct frame_reader *r = &ctx->server_reader;
	long deadline = proc_now_ms() + timeout_ms;
	for (;;) {
		const uint8_t *body;
		size_t len;
		enum frame_status st = frame_reader_next(r, &body, &len);
		if (st == FRAME_OK) {
			SentryMessage *m = wire_unpack_sentry(body, len, why, why_len);
			if (m == NULL)
				return -1;
			if (m->body_case != NSENTRY__V1__SENTRY_MESSAGE__BODY_RUN_REPLY) {
				snprintf(why, why_len, "expected RunReply, got %s", wire_sentry_body_name(m));
				wire_free_sentry(m);
				return -1;
			}
			*out = m;
			return 1;
		}
		if (st != FRAME_NEED_MORE) {
			snprintf(why, why_len, "%s", frame_status_str(st));
			return -1;
		}
		long left = deadline - proc_now_ms();
		if (left <= 0) {
			snprintf(why, why_len, "no answer within %ld ms", timeout_ms);
			return -1;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(why, why_len, "poll: %s", strerror(errno));
			return -1;
		}
		if (p.revents == 0)
			continue;
		long n = frame_reader_fill(r, fd, MSG_DONTWAIT);
		if (n == -EAGAIN)
			continue;
		if (n == -ECONNRESET)
			n = 0;
		if (n < 0) {
			snprintf(why, why_len, "read: %s", strerror((int)-n));
			return -1;
		}
		if (n == 0) {
			size_t pending = frame_reader_pending(r);
			if (pending == 0)
				return 0;
			snprintf(why, why_len, "connection closed inside a frame (%zu bytes)", pending);
			return -1;
		}
	}
}

/* Connect to the server's socket. Returns the fd, or -1 with why ("" when
 * nothing listens there: no server is the normal case). */
static int server_open(const char *path, char *why, size_t why_len)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	if (len >= sizeof addr.sun_path) {
		snprintf(why, why_len, "path longer than %zu bytes", sizeof addr.sun_path - 1);
		return -1;
	}
	memcpy(addr.sun_path, path, len + 1);
	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		snprintf(why, why_len, "socket: %s", strerror(errno));
		return -1;
	}
	/* Bounds the connect to a server that does not accept, and every send. */
	struct timeval tv = { .tv_sec = SENTRY_SERVER_REPLY_MS / 1000 };
	if (setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0) {
		snprintf(why, why_len, "setsockopt(SO_SNDTIMEO): %s", strerror(errno));
		close(sock);
		return -1;
	}
	if (connect(sock, (struct sockaddr *)&addr, sizeof addr) < 0) {
		int e = errno;
		if (e == ENOENT || e == ECONNREFUSED)
			why[0] = '\0';
		else if (e == EAGAIN) /* SO_SNDTIMEO ran out: its backlog stayed full */
			snprintf(why, why_len, "connect: not accepted within %d ms",
				 SENTRY_SERVER_REPLY_MS);
		else
			snprintf(why, why_len, "connect: %s", strerror(e));
		close(sock);
		return -1;
	}
	return sock;
}

/* The sentry's ends of both sockets, our stderr, then the RunRequest frame.
 * Returns 0 or -1 with why. */
static int server_send_request(int sock, int sentry_ctl, int sentry_fdc, char *const run_args[],
			       size_t n_run_args, char *why, size_t why_len)
{
	const int fds[3] = { sentry_ctl, sentry_fdc, STDERR_FILENO };
	const char *names[3] = { "control socket", "fd channel", "stderr" };
	for (int i = 0; i < 3; i++) {
		int rc = fdpass_send(sock, fds[i]);
		if (rc < 0) {
			snprintf(why, why_len, "sending the %s: %s", names[i], strerror(-rc));
			return -1;
		}
	}
	char *cwd = getcwd(NULL, 0); /* a working directory we cannot name: "" */
	Nsentry__V1__RunRequest rr = NSENTRY__V1__RUN_REQUEST__INIT;
	rr.n_run_args = n_run_args;
	rr.run_args = (char **)run_args;
	rr.cwd = cwd != NULL ? cwd : "";
	ShimMessage m = NSENTRY__V1__SHIM_MESSAGE__INIT;
	m.body_case = NSENTRY__V1__SHIM_MESSAGE__BODY_RUN_REQUEST;
	m.run_request = &rr;
	int rc = wire_send_shim(sock, &m);
	free(cwd);
	if (rc < 0) {
		snprintf(why, why_len, "sending RunRequest: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

/* Close what a failed attempt opened (-1: not open) and forget what the server
 * sent. Returns 1: start a sentry of our own. */
static int server_abandon(struct shim_ctx *ctx, int sock, int ctl, int fdc)
{
	close_if_open(sock);
	close_if_open(ctl);
	close_if_open(fdc);
	frame_reader_free(&ctx->server_reader);
	frame_reader_init(&ctx->server_reader, WIRE_MAX_FRAME_BYTES);
	return 1;
}

#define FALL_BACK "; starting a sentry of its own"

int sentry_connect_server(struct shim_ctx *ctx, const char *socket_path, char *const run_args[],
			  size_t n_run_args)
{
	char why[256];
	int sock = server_open(socket_path, why, sizeof why);
	if (sock < 0) {
		if (why[0] != '\0')
			log_msg("sentry server %s: %s" FALL_BACK, socket_path, why);
		return 1;
	}
	struct ucred cred;
	socklen_t cred_len = sizeof cred;
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) < 0) {
		log_msg("sentry server %s: getsockopt(SO_PEERCRED): %s" FALL_BACK, socket_path,
			strerror(errno));
		return server_abandon(ctx, sock, -1, -1);
	}
	if (cred.uid != getuid()) {
		log_msg("refusing sentry server %s: it runs as uid %u" FALL_BACK, socket_path,
			(unsigned)cred.uid);
		return server_abandon(ctx, sock, -1, -1);
	}
	int ctl[2], fdc[2];
	if (make_socket_pairs(ctl, fdc) < 0) {
		close(sock);
		return -1;
	}
	int rc = server_send_request(sock, ctl[1], fdc[1], run_args, n_run_args, why, sizeof why);
	/* The server has its own copies now (or never will). */
	close(ctl[1]);
	close(fdc[1]);
	if (rc < 0) {
		log_msg("sentry server %s: %s" FALL_BACK, socket_path, why);
		return server_abandon(ctx, sock, ctl[0], fdc[0]);
	}
	SentryMessage *m = NULL;
	rc = server_next(ctx, sock, SENTRY_SERVER_REPLY_MS, &m, why, sizeof why);
	if (rc <= 0) {
		if (rc == 0)
			snprintf(why, sizeof why, "connection closed without an answer");
		log_msg("sentry server %s: %s" FALL_BACK, socket_path, why);
		return server_abandon(ctx, sock, ctl[0], fdc[0]);
	}
	const Nsentry__V1__RunReply *reply = m->run_reply;
	if (reply->body_case == NSENTRY__V1__RUN_REPLY__BODY_REFUSED) {
		/* An empty reason: a run the server leaves to a sentry JVM as a
		 * matter of course (help, usage errors), nothing to report. */
		if (reply->refused != NULL && reply->refused[0] != '\0')
			log_msg("sentry server: %s" FALL_BACK, reply->refused);
		wire_free_sentry(m);
		return server_abandon(ctx, sock, ctl[0], fdc[0]);
	}
	if (reply->body_case != NSENTRY__V1__RUN_REPLY__BODY_ACCEPTED || !reply->accepted) {
		log_msg("sentry server %s: expected RunReply.accepted or .refused, got %s" FALL_BACK,
			socket_path, reply->body_case == NSENTRY__V1__RUN_REPLY__BODY_ACCEPTED
					     ? "accepted = false" : "an exit code");
		wire_free_sentry(m);
		return server_abandon(ctx, sock, ctl[0], fdc[0]);
	}
	wire_free_sentry(m);
	/* Accepted: the server owns the sandbox now; no falling back from here. */
	ctx->sentry_is_server = true;
	ctx->sentry_pid = cred.pid;
	ctx->server_fd = sock;
	ctx->ctl_fd = ctl[0];
	ctx->fdchan_fd = fdc[0];
	return 0;
}

int sentry_server_exit_code(struct shim_ctx *ctx, long timeout_ms)
{
	char why[256];
	SentryMessage *m = NULL;
	int code = -1;
	int rc = server_next(ctx, ctx->server_fd, timeout_ms, &m, why, sizeof why);
	if (rc > 0 && m->run_reply->body_case == NSENTRY__V1__RUN_REPLY__BODY_EXIT_CODE) {
		if (m->run_reply->exit_code >= 0 && m->run_reply->exit_code <= 255)
			code = m->run_reply->exit_code;
		else
			log_msg("sentry server: exit status %d out of range", m->run_reply->exit_code);
	} else if (rc > 0) {
		log_msg("sentry server: expected RunReply.exit_code, got another answer");
	} else if (rc == 0) {
		log_msg("sentry server: connection closed without an exit status");
	} else {
		log_msg("sentry server: %s (waiting for the exit status)", why);
	}
	wire_free_sentry(m);
	close_if_open(ctx->server_fd);
	ctx->server_fd = -1;
	return code;
}
