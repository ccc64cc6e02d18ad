/* The shim's one event loop: control socket and signals, until the session
 * ends; then the tree is killed and the sentry waited for. */
#ifndef NSENTRY_GUARDIAN_H
#define NSENTRY_GUARDIAN_H

#include "ctx.h"

/* Block the guarded signals and open ctx->sig_fd; ignore SIGPIPE. Saves what
 * it changes in ctx->orig_signals. Returns 0 or -1 (reported). */
int guardian_setup_signals(struct shim_ctx *ctx);

/* Run the session; returns the shim's exit code. */
int guardian_run(struct shim_ctx *ctx);

#endif
