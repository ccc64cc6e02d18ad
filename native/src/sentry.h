/* Getting a sentry: either fork/exec one (its own session, the control socket
 * on fd 3 and the fd channel on fd 4), or hand both sockets to a running
 * sentry server (`nsentry serve`) that runs the sandbox in its own process. */
#ifndef NSENTRY_SENTRY_H
#define NSENTRY_SENTRY_H

#include <stddef.h>

#include "ctx.h"

#define SENTRY_CONTROL_FD 3
#define SENTRY_FD_CHANNEL 4

/* Longest wait for the server's answer to a RunRequest (also the send timeout
 * on the server connection, which bounds a connect to a server whose backlog
 * is full). */
#define SENTRY_SERVER_REPLY_MS 10000

/* Create both socket pairs and fork/exec argv. Fills ctx->sentry_pid,
 * ctx->ctl_fd, ctx->fdchan_fd. Returns 0 or -1 (reported). */
int sentry_spawn(struct shim_ctx *ctx, char *const argv[]);

/* Ask the sentry server listening on socket_path to run this sandbox: connect,
 * check that it runs as our uid, create both socket pairs as sentry_spawn
 * does, send the sentry's ends and our stderr (one fd per message, fdpass.h),
 * then the frame ShimMessage{run_request{run_args, cwd}}, and wait up to
 * SENTRY_SERVER_REPLY_MS for SentryMessage{run_reply}.
 *
 * Returns 0 if the server accepted: server mode (ctx.h), with ctx->ctl_fd,
 * ctx->fdchan_fd, ctx->server_fd, ctx->sentry_pid (the server's) filled in.
 * Returns 1 if the caller should start a sentry of its own instead: no server
 * there (ENOENT, ECONNREFUSED: silently), or any other failure or a refusal
 * (one line logged); everything the attempt opened is closed again. Returns -1
 * on a failure that would stop sentry_spawn too (reported). */
int sentry_connect_server(struct shim_ctx *ctx, const char *socket_path, char *const run_args[],
			  size_t n_run_args);

/* In server mode, once the shim has closed its sockets: wait up to timeout_ms
 * for the server's final SentryMessage{run_reply{exit_code}} (or EOF) and close
 * ctx->server_fd. Returns the exit code (0..255), or -1 if none came (logged). */
int sentry_server_exit_code(struct shim_ctx *ctx, long timeout_ms);

#endif
