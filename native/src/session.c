#include "session.h"

#include <stdarg.h>
#include <stdio.h>

void session_fail(struct shim_ctx *ctx, enum fail_kind kind, const char *reason)
{
	const char *what = kind == FAIL_PROTOCOL ? "protocol error from sentry"
						 : "sentry exited unexpectedly";
	const char *tail = ctx->workload_pid > 0 ? "; workload killed" : "";
	session_end(ctx, 125, "%s: %s%s", what, reason, tail);
}

void session_end(struct shim_ctx *ctx, int code, const char *fmt, ...)
{
	if (ctx->done)
		return;
	ctx->done = true;
	ctx->exit_code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->farewell, sizeof ctx->farewell, fmt, ap);
	va_end(ap);
}
