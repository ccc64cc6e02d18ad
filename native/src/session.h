/* How a session ends early: the reason line the user sees and the exit code. */
#ifndef NSENTRY_SESSION_H
#define NSENTRY_SESSION_H

#include "ctx.h"

enum fail_kind {
	FAIL_SENTRY_GONE,   /* EOF or a broken control socket */
	FAIL_PROTOCOL,      /* a bad frame or an unexpected message */
};

/* End with exit code 125 and "nsentry: sentry exited unexpectedly: <reason>"
 * or "nsentry: protocol error from sentry: <reason>", plus "; workload
 * killed" once a workload exists. The line is printed after the tree is
 * killed. Keeps the first failure if called again. */
void session_fail(struct shim_ctx *ctx, enum fail_kind kind, const char *reason);

/* End with exit code `code`, printing "nsentry: <fmt...>" after the tree is
 * killed (nothing if fmt is empty). */
void session_end(struct shim_ctx *ctx, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
