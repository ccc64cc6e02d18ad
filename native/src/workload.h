/* Launching the workload's first process under the seccomp filter. */
#ifndef NSENTRY_WORKLOAD_H
#define NSENTRY_WORKLOAD_H

#include <linux/filter.h>
#include <stddef.h>

#include "ctx.h"

/* Fork the workload: restore signals, PR_SET_PDEATHSIG(SIGKILL),
 * no_new_privs, install prog with a listener, send the listener fd back over
 * a private socket pair, execvp(argv). Fills ctx->workload_pid and
 * ctx->listener_fd. Returns 0, or -1 with a reason in err (the child, if it
 * was forked, has been reaped into ctx). */
int workload_spawn(struct shim_ctx *ctx, char *const argv[], const struct sock_fprog *prog,
		   char *err, size_t err_len);

#endif
