/* The --server front of the command line, and the RunRequest/RunReply exchange of
 * sentry_connect_server() with a server played by a thread of this test over a real
 * unix socket: what it receives, and each answer that makes the shim fall back. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "args.h"
#include "ctx.h"
#include "fdpass.h"
#include "frame.h"
#include "sentry.h"
#include "tharness.h"
#include "wire.h"

/* ---- arguments */

static int parse(struct shim_args *a, char **words)
{
	int argc = 0;
	while (words[argc] != NULL)
		argc++;
	return shim_parse_args(argc, words, a);
}

static void test_args_plain(struct trun *t)
{
	char *w[] = { "shim", "--sentry-argc", "3", "java", "run", "true", NULL };
	struct shim_args a;
	CHECK(t, parse(&a, w) == 0);
	CHECK(t, a.server == NULL && a.sentry_argc == 3 && a.sentry_argv == &w[3]);
	CHECK(t, a.run_args == NULL && a.n_run_args == 0);
}

static void test_args_server(struct trun *t)
{
	char *w[] = { "shim", "--server", "/s", "--run-args-at", "2", "--sentry-argc", "5",
		      "java", "-jar", "run", "--root", "id", NULL };
	struct shim_args a;
	CHECK(t, parse(&a, w) == 0);
	CHECK(t, a.server != NULL && strcmp(a.server, "/s") == 0);
	CHECK(t, a.sentry_argc == 5 && a.sentry_argv == &w[7]);
	CHECK(t, a.n_run_args == 2 && a.run_args == &w[10]);
	/* `run` as the last word: no run args */
	char *w2[] = { "shim", "--server", "/s", "--run-args-at", "1", "--sentry-argc", "2",
		       "java", "run", NULL };
	CHECK(t, parse(&a, w2) == 0 && a.n_run_args == 0 && a.run_args == &w2[9]);
}

static void test_args_refused(struct trun *t)
{
	struct shim_args a;
	char *none[] = { "shim", NULL };
	char *no_args[] = { "shim", "--sentry-argc", "0", NULL };
	char *count_off[] = { "shim", "--sentry-argc", "2", "java", NULL };
	char *count_nan[] = { "shim", "--sentry-argc", "1x", "java", NULL };
	char *k_too_big[] = { "shim", "--server", "/s", "--run-args-at", "2", "--sentry-argc", "2",
			      "java", "run", NULL };
	char *k_negative[] = { "shim", "--server", "/s", "--run-args-at", "-1", "--sentry-argc", "2",
			       "java", "run", NULL };
	char *k_not_run[] = { "shim", "--server", "/s", "--run-args-at", "0", "--sentry-argc", "2",
			      "java", "run", NULL };
	char *k_empty[] = { "shim", "--server", "/s", "--run-args-at", "", "--sentry-argc", "2",
			    "java", "run", NULL };
	char *k_missing[] = { "shim", "--server", "/s", "--sentry-argc", "2", "java", "run", NULL };
	char *path_empty[] = { "shim", "--server", "", "--run-args-at", "1", "--sentry-argc", "2",
			       "java", "run", NULL };
	char *server_last[] = { "shim", "--sentry-argc", "2", "java", "run", "--server", NULL };
	CHECK(t, parse(&a, none) < 0);
	CHECK(t, parse(&a, no_args) < 0);
	CHECK(t, parse(&a, count_off) < 0);
	CHECK(t, parse(&a, count_nan) < 0);
	CHECK(t, parse(&a, k_too_big) < 0);
	CHECK(t, parse(&a, k_negative) < 0);
	CHECK(t, parse(&a, k_not_run) < 0);
	CHECK(t, parse(&a, k_empty) < 0);
	CHECK(t, parse(&a, k_missing) < 0);
	CHECK(t, parse(&a, path_empty) < 0);
	CHECK(t, parse(&a, server_last) < 0);
}

/* ---- the exchange */

enum answer { ACCEPT, REFUSE, CLOSE, GARBAGE, HELLO, EXIT_FIRST };

struct server {
	char dir[64], path[96];
	int listen_fd;
	enum answer answer;
	pthread_t thread;
	/* what it received */
	int fds[3];
	ShimMessage *request;
};

static int send_sentry(int fd, const SentryMessage *m)
{
	size_t len = nsentry__v1__sentry_message__get_packed_size(m);
	uint8_t *buf = malloc(len ? len : 1);
	nsentry__v1__sentry_message__pack(m, buf);
	int rc = frame_write(fd, buf, len);
	free(buf);
	return rc;
}

static int send_reply(int fd, Nsentry__V1__RunReply *r)
{
	SentryMessage m = NSENTRY__V1__SENTRY_MESSAGE__INIT;
	m.body_case = NSENTRY__V1__SENTRY_MESSAGE__BODY_RUN_REPLY;
	m.run_reply = r;
	return send_sentry(fd, &m);
}

static ShimMessage *read_request(int fd)
{
	struct frame_reader r;
	frame_reader_init(&r, WIRE_MAX_FRAME_BYTES);
	ShimMessage *m = NULL;
	for (;;) {
		const uint8_t *body;
		size_t len;
		if (frame_reader_next(&r, &body, &len) == FRAME_OK) {
			char why[128];
			m = wire_unpack_shim(body, len, why, sizeof why);
			break;
		}
		if (frame_reader_fill(&r, fd, 0) <= 0)
			break;
	}
	frame_reader_free(&r);
	return m;
}

static void *serve_one(void *opaque)
{
	struct server *s = opaque;
	int c = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return NULL;
	if (s->answer == CLOSE) {
		close(c);
		return NULL;
	}
	for (int i = 0; i < 3; i++)
		s->fds[i] = fdpass_recv(c);
	s->request = read_request(c);
	Nsentry__V1__RunReply r = NSENTRY__V1__RUN_REPLY__INIT;
	switch (s->answer) {
	case ACCEPT:
		r.body_case = NSENTRY__V1__RUN_REPLY__BODY_ACCEPTED;
		r.accepted = 1;
		send_reply(c, &r);
		/* The sandbox runs until the shim closes the control socket. */
		char b;
		while (s->fds[0] >= 0 && read(s->fds[0], &b, 1) > 0)
			;
		r.body_case = NSENTRY__V1__RUN_REPLY__BODY_EXIT_CODE;
		r.exit_code = 7;
		send_reply(c, &r);
		break;
	case REFUSE:
		r.body_case = NSENTRY__V1__RUN_REPLY__BODY_REFUSED;
		r.refused = "busy";
		send_reply(c, &r);
		break;
	case EXIT_FIRST:
		r.body_case = NSENTRY__V1__RUN_REPLY__BODY_EXIT_CODE;
		r.exit_code = 3;
		send_reply(c, &r);
		break;
	case HELLO: {
		Nsentry__V1__Hello h = NSENTRY__V1__HELLO__INIT;
		SentryMessage m = NSENTRY__V1__SENTRY_MESSAGE__INIT;
		m.body_case = NSENTRY__V1__SENTRY_MESSAGE__BODY_HELLO;
		m.hello = &h;
		send_sentry(c, &m);
		break;
	}
	case GARBAGE: {
		const uint8_t junk[] = { 0x03, 0xff, 0xff, 0xff };
		frame_write(c, junk, sizeof junk);
		break;
	}
	case CLOSE:
		break;
	}
	/* Wait for the shim to hang up, as a server would. */
	char byte;
	while (read(c, &byte, 1) > 0)
		;
	close(c);
	return NULL;
}

static int tmp_dir(char dir[64])
{
	snprintf(dir, 64, "/tmp/nsentry-test-XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int server_start(struct server *s, enum answer answer)
{
	memset(s, 0, sizeof *s);
	s->answer = answer;
	s->fds[0] = s->fds[1] = s->fds[2] = -1;
	s->listen_fd = -1;
	if (tmp_dir(s->dir) < 0)
		return -1;
	snprintf(s->path, sizeof s->path, "%s/server.sock", s->dir);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	snprintf(addr.sun_path, sizeof addr.sun_path, "%s", s->path);
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
	    listen(s->listen_fd, 4) < 0)
		return -1;
	return pthread_create(&s->thread, NULL, serve_one, s) == 0 ? 0 : -1;
}

/* After the thread is done (it returns once the shim has hung up). */
static void server_free(struct server *s)
{
	for (int i = 0; i < 3; i++)
		if (s->fds[i] >= 0)
			close(s->fds[i]);
	wire_free_shim(s->request);
	close(s->listen_fd);
	unlink(s->path);
	rmdir(s->dir);
}

/* The file that was stderr during the last connect_logged. */
static struct stat captured_stderr;

/* sentry_connect_server with its log lines captured into log. */
static int connect_logged(struct shim_ctx *ctx, const char *path, char **run_args, size_t n,
			  char *log, size_t log_len)
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	dup2(fileno(f), STDERR_FILENO);
	fstat(STDERR_FILENO, &captured_stderr);
	int rc = sentry_connect_server(ctx, path, run_args, n);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	size_t got = fread(log, 1, log_len - 1, f);
	log[got] = '\0';
	fclose(f);
	return rc;
}

static bool untouched(const struct shim_ctx *ctx)
{
	return !ctx->sentry_is_server && ctx->server_fd < 0 && ctx->ctl_fd < 0 &&
	       ctx->fdchan_fd < 0 && ctx->sentry_pid == 0;
}

/* The peer's end of a socket pair the shim gave up: it must see EOF. */
static bool hung_up(int fd)
{
	char b;
	return fd >= 0 && recv(fd, &b, 1, MSG_DONTWAIT) == 0;
}

static void test_no_server(struct trun *t)
{
	struct shim_ctx ctx;
	ctx_init(&ctx);
	char log[1024];
	char *args[] = { "true" };
	CHECK(t, connect_logged(&ctx, "/nonexistent/nsentry.sock", args, 1, log, sizeof log) == 1);
	CHECKF(t, log[0] == '\0', "logged: %s", log);
	CHECK(t, untouched(&ctx));

	/* A socket file nobody listens on any more: ECONNREFUSED, also silent. */
	char dir[64], path[96];
	CHECK(t, tmp_dir(dir) == 0);
	snprintf(path, sizeof path, "%s/stale.sock", dir);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
	int stale = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(t, bind(stale, (struct sockaddr *)&addr, sizeof addr) == 0);
	close(stale);
	CHECK(t, connect_logged(&ctx, path, args, 1, log, sizeof log) == 1);
	CHECKF(t, log[0] == '\0', "logged: %s", log);
	CHECK(t, untouched(&ctx));
	unlink(path);

	/* Not a socket: ECONNREFUSED too (unix_find_bsd). */
	CHECK(t, connect_logged(&ctx, dir, args, 1, log, sizeof log) == 1);
	CHECKF(t, log[0] == '\0', "logged: %s", log);
	rmdir(dir);

	/* Any other failure: one line. */
	char long_path[200];
	memset(long_path, 'x', sizeof long_path - 1);
	long_path[0] = '/';
	long_path[sizeof long_path - 1] = '\0';
	CHECK(t, connect_logged(&ctx, long_path, args, 1, log, sizeof log) == 1);
	CHECKF(t, strstr(log, "nsentry-shim: sentry server /xxx") == log &&
		  strstr(log, ": path longer than 107 bytes; starting a sentry of its own\n") != NULL,
	       "logged: %s", log);
	CHECK(t, untouched(&ctx));
	ctx_free(&ctx);
}

static void test_accepted(struct trun *t)
{
	struct server s;
	CHECK(t, server_start(&s, ACCEPT) == 0);
	struct shim_ctx ctx;
	ctx_init(&ctx);
	char log[1024];
	char *args[] = { "--root", "sh", "-c", "exit 3" };
	CHECK(t, connect_logged(&ctx, s.path, args, 4, log, sizeof log) == 0);
	CHECKF(t, log[0] == '\0', "logged: %s", log);
	CHECK(t, ctx.sentry_is_server && ctx.sentry_pid == getpid());
	CHECK(t, ctx.server_fd >= 0 && ctx.ctl_fd >= 0 && ctx.fdchan_fd >= 0);
	CHECK(t, (fcntl(ctx.server_fd, F_GETFD) & FD_CLOEXEC) != 0);

	/* What the server got: the other ends of both sockets, our stderr, and the
	 * request (read by the thread before it answered). */
	CHECK(t, s.fds[0] >= 0 && s.fds[1] >= 0 && s.fds[2] >= 0);
	char b = 0; /* (the thread reads fds[0] until EOF: write the other way) */
	CHECK(t, s.fds[0] >= 0 && write(s.fds[0], "c", 1) == 1);
	CHECK(t, read(ctx.ctl_fd, &b, 1) == 1 && b == 'c');
	int type = 0;
	socklen_t tl = sizeof type;
	CHECK(t, getsockopt(s.fds[1], SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_SEQPACKET);
	CHECK(t, send(s.fds[1], "f", 1, 0) == 1 && read(ctx.fdchan_fd, &b, 1) == 1 && b == 'f');
	struct stat theirs;
	CHECK(t, fstat(s.fds[2], &theirs) == 0 && theirs.st_dev == captured_stderr.st_dev &&
		 theirs.st_ino == captured_stderr.st_ino);
	CHECK(t, s.request != NULL && s.request->body_case == NSENTRY__V1__SHIM_MESSAGE__BODY_RUN_REQUEST);
	if (s.request != NULL && s.request->run_request != NULL) {
		Nsentry__V1__RunRequest *rr = s.request->run_request;
		CHECK(t, rr->n_run_args == 4 && strcmp(rr->run_args[0], "--root") == 0 &&
			 strcmp(rr->run_args[3], "exit 3") == 0);
		char cwd[4096];
		CHECK(t, getcwd(cwd, sizeof cwd) != NULL && strcmp(rr->cwd, cwd) == 0);
	}

	/* The end, as shutdown_session does it: close the sockets, read the status. */
	close(ctx.ctl_fd);
	close(ctx.fdchan_fd);
	ctx.ctl_fd = ctx.fdchan_fd = -1;
	CHECK(t, sentry_server_exit_code(&ctx, 5000) == 7);
	CHECK(t, ctx.server_fd == -1);
	pthread_join(s.thread, NULL);
	server_free(&s);
	ctx_free(&ctx);
}

/* An answer other than `accepted`: one line, everything of the attempt closed
 * (the server sees both sockets hang up), nothing kept. */
static void check_fallback(struct trun *t, enum answer answer, const char *expect)
{
	struct server s;
	CHECK(t, server_start(&s, answer) == 0);
	struct shim_ctx ctx;
	ctx_init(&ctx);
	char log[1024];
	char *args[] = { "true" };
	CHECK(t, connect_logged(&ctx, s.path, args, 1, log, sizeof log) == 1);
	CHECKF(t, strstr(log, expect) != NULL && strstr(log, "; starting a sentry of its own\n") != NULL
		  && strchr(log, '\n') == log + strlen(log) - 1, "logged: %s", log);
	CHECK(t, untouched(&ctx));
	pthread_join(s.thread, NULL); /* returns once the shim has hung up */
	if (answer != CLOSE)
		CHECK(t, hung_up(s.fds[0]) && hung_up(s.fds[1]));
	server_free(&s);
	ctx_free(&ctx);
}

static void test_refused(struct trun *t)
{
	check_fallback(t, REFUSE, "nsentry-shim: sentry server: busy; ");
}

static void test_closed(struct trun *t)
{
	/* "connection closed without an answer", or a failed send if the close was quicker */
	check_fallback(t, CLOSE, "nsentry-shim: sentry server /tmp/");
}

static void test_garbage(struct trun *t)
{
	check_fallback(t, GARBAGE, "malformed SentryMessage");
}

static void test_other_message(struct trun *t)
{
	check_fallback(t, HELLO, "expected RunReply, got Hello");
}

static void test_exit_code_first(struct trun *t)
{
	check_fallback(t, EXIT_FIRST, "got an exit code");
}

int main(void)
{
	struct trun t = { 0 };
	RUN(&t, test_args_plain);
	RUN(&t, test_args_server);
	RUN(&t, test_args_refused);
	RUN(&t, test_no_server);
	RUN(&t, test_accepted);
	RUN(&t, test_refused);
	RUN(&t, test_closed);
	RUN(&t, test_garbage);
	RUN(&t, test_other_message);
	RUN(&t, test_exit_code_first);
	return trun_finish(&t);
}
