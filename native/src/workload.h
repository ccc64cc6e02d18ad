/* Launching the workload's first process under the seccomp filter. */
#ifndef NSENTRY_WORKLOAD_H
#define NSENTRY_WORKLOAD_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctx.h"

/* Fork the workload: restore signals, PR_SET_PDEATHSIG(SIGKILL),
 * no_new_privs, install prog with a listener, send the listener fd back over
 * a private socket pair, execvp(argv). With traced, the child also installs
 * the owner filter (ctx->owners) and waits until the shim has attached to it
 * as its permanent tracer, bound to view_id. Fills ctx->workload_pid and
 * ctx->listener_fd. Returns 0, or -1 with a reason in err (the child, if it
 * was forked, has been reaped into ctx). */
int workload_spawn(struct shim_ctx *ctx, char *const argv[], const struct sock_fprog *prog,
		   bool traced, uint64_t view_id, char *err, size_t err_len);

#endif
