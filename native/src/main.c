/* nsentry-shim [--server SOCKET --run-args-at K] --sentry-argc N ARG1..ARGN
 *
 * Starts the sentry (ARG1..ARGN) with the control socket on fd 3 and the fd
 * channel on fd 4, launches the workload it asks for under the seccomp
 * filter, guards it, and performs ptrace clone rewrites on request.
 *
 * With --server, it first asks the sentry server (`nsentry serve`) listening
 * on SOCKET to run the sandbox instead, passing it both sockets and the run
 * args (the words after ARG(K+1), which is `run`). If no server listens there,
 * or it refuses or does not answer, the shim starts the sentry ARG1..ARGN as
 * usual. A server that accepted owns the sandbox: the shim talks to it over
 * the same sockets, but never signals or waits for it (sentry.h). */
#include <errno.h>
#include <sys/prctl.h>

#include "args.h"
#include "control.h"
#include "ctx.h"
#include "guardian.h"
#include "log.h"
#include "sentry.h"

static int usage(void)
{
	log_msg("usage: nsentry-shim [--server SOCKET --run-args-at K] --sentry-argc N ARG1..ARGN");
	return 125;
}

int main(int argc, char **argv)
{
	struct shim_args args;
	if (shim_parse_args(argc, argv, &args) < 0)
		return usage();

	struct shim_ctx ctx;
	ctx_init(&ctx);
	/* Orphans of the workload are reparented to the shim, so the tree can
	 * be found and killed however it daemonizes. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		log_errno(errno, "prctl(PR_SET_CHILD_SUBREAPER)");
		return 125;
	}
	if (guardian_setup_signals(&ctx) < 0)
		return 125;
	int rc = 1; /* 1: start a sentry of our own */
	if (args.server != NULL)
		rc = sentry_connect_server(&ctx, args.server, args.run_args, args.n_run_args);
	if (rc < 0 || (rc > 0 && sentry_spawn(&ctx, args.sentry_argv) < 0))
		return 125;
	/* A failure here means the sentry is already gone; the loop sees the
	 * EOF and exits with the sentry's status. */
	control_send_hello(&ctx);
	int code = guardian_run(&ctx);
	ctx_free(&ctx);
	return code;
}
