/* nsentry-shim --sentry-argc N ARG1..ARGN
 *
 * Starts the sentry (ARG1..ARGN) with the control socket on fd 3 and the fd
 * channel on fd 4, launches the workload it asks for under the seccomp
 * filter, guards it, and performs ptrace clone rewrites on request. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "control.h"
#include "ctx.h"
#include "guardian.h"
#include "log.h"
#include "sentry.h"

static int usage(void)
{
	log_msg("usage: nsentry-shim --sentry-argc N ARG1..ARGN");
	return 125;
}

int main(int argc, char **argv)
{
	if (argc < 4 || strcmp(argv[1], "--sentry-argc") != 0)
		return usage();
	char *end;
	errno = 0;
	long n = strtol(argv[2], &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n != (long)argc - 3)
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
	if (sentry_spawn(&ctx, &argv[3]) < 0)
		return 125;
	/* A failure here means the sentry is already gone; the loop sees the
	 * EOF and exits with the sentry's status. */
	control_send_hello(&ctx);
	int code = guardian_run(&ctx);
	ctx_free(&ctx);
	return code;
}
