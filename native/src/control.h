/* The shim's side of the conversation with the sentry: the messages it sends
 * and what it does with each SentryMessage. No policy: every decision about
 * the workload is the sentry's. */
#ifndef NSENTRY_CONTROL_H
#define NSENTRY_CONTROL_H

#include <stddef.h>

#include "ctx.h"
#include "wire.h"

#define SHIM_SOFTWARE "nsentry-shim 0.1.0"

/* Send Hello. Returns 0 or -errno. */
int control_send_hello(struct shim_ctx *ctx);

/* Send WorkloadExited for the workload's status. Returns 0 or -errno. */
int control_send_exited(struct shim_ctx *ctx);

/* Best-effort ShimError before the shim ends the session. */
void control_send_error(struct shim_ctx *ctx, const char *message);

/* Act on one message. Returns 0, or -1 with a protocol error in why (the
 * session must end). May set ctx->done. */
int control_dispatch(struct shim_ctx *ctx, const SentryMessage *m, char *why, size_t why_len);

#endif
