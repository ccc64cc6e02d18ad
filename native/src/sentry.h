/* Starting the sentry: its own session, the control socket on fd 3 and the fd
 * channel on fd 4. */
#ifndef NSENTRY_SENTRY_H
#define NSENTRY_SENTRY_H

#include "ctx.h"

#define SENTRY_CONTROL_FD 3
#define SENTRY_FD_CHANNEL 4

/* Create both socket pairs and fork/exec argv. Fills ctx->sentry_pid,
 * ctx->ctl_fd, ctx->fdchan_fd. Returns 0 or -1 (reported). */
int sentry_spawn(struct shim_ctx *ctx, char *const argv[]);

#endif
