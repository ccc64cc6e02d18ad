#include "ctx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

void ctx_init(struct shim_ctx *ctx)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->phase = PHASE_HELLO;
	ctx->ctl_fd = -1;
	ctx->fdchan_fd = -1;
	ctx->sig_fd = -1;
	ctx->listener_fd = -1;
	ctx->server_fd = -1;
	frame_reader_init(&ctx->reader, WIRE_MAX_FRAME_BYTES);
	frame_reader_init(&ctx->server_reader, WIRE_MAX_FRAME_BYTES);
	owners_init(&ctx->owners, ctx_on_exit, ctx);
}

void ctx_on_exit(void *ctx, pid_t pid, int status)
{
	ctx_note_exit(ctx, pid, status);
}

void ctx_note_exit(struct shim_ctx *ctx, pid_t pid, int status)
{
	owners_forget(&ctx->owners, pid);
	if (pid == ctx->workload_pid && ctx->workload_pid > 0 && !ctx->workload_reaped) {
		ctx->workload_reaped = true;
		ctx->workload_status = status;
	} else if (!ctx->sentry_is_server && pid == ctx->sentry_pid && ctx->sentry_pid > 0 &&
		   !ctx->sentry_reaped) {
		ctx->sentry_reaped = true;
		ctx->sentry_status = status;
	}
}

int ctx_hold(struct shim_ctx *ctx, const struct held_task *t)
{
	if (ctx->n_held == ctx->cap_held) {
		size_t cap = ctx->cap_held ? ctx->cap_held * 2 : 8;
		struct held_task *nh = realloc(ctx->held, cap * sizeof *nh);
		if (nh == NULL)
			return -ENOMEM;
		ctx->held = nh;
		ctx->cap_held = cap;
	}
	ctx->held[ctx->n_held++] = *t;
	return 0;
}

bool ctx_is_held(const struct shim_ctx *ctx, pid_t tid)
{
	for (size_t i = 0; i < ctx->n_held; i++)
		if (ctx->held[i].tid == tid || ctx->held[i].child_tid == tid)
			return true;
	return false;
}

int ctx_unhold(struct shim_ctx *ctx, struct held_task *t)
{
	for (size_t i = 0; i < ctx->n_held; i++) {
		struct held_task *h = &ctx->held[i];
		if (h->notification_id == t->notification_id && h->tid == t->tid &&
		    h->child_tid == t->child_tid) {
			*t = *h;
			*h = ctx->held[--ctx->n_held];
			return 0;
		}
	}
	return -ENOENT;
}

void ctx_free(struct shim_ctx *ctx)
{
	frame_reader_free(&ctx->reader);
	frame_reader_free(&ctx->server_reader);
	owners_free(&ctx->owners);
	free(ctx->held);
	ctx->held = NULL;
	ctx->n_held = ctx->cap_held = 0;
}
