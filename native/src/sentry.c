#include "sentry.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

/* The sentry's tunable: no restartable sequences. glibc registers one for every thread,
 * and the kernel then rewrites it (__rseq_handle_notify_resume) on each return to user
 * space after a context switch: the sentry's loop thread switches with the workload twice
 * per notification (measured: 0.2 us of a 6.4 us getuid round trip; BENCHMARKS.md). The
 * JVM does not use rseq. Appended, so it wins over an earlier glibc.pthread.rseq; only the
 * sentry's environment changes, the workload's stays as given. */
#define SENTRY_TUNABLE "glibc.pthread.rseq=0"

static int set_sentry_tunables(void)
{
	const char *given = getenv("GLIBC_TUNABLES");
	if (given == NULL || given[0] == '\0')
		return setenv("GLIBC_TUNABLES", SENTRY_TUNABLE, 1);
	size_t len = strlen(given) + sizeof ":" SENTRY_TUNABLE;
	char *v = malloc(len);
	if (v == NULL)
		return -1;
	snprintf(v, len, "%s:%s", given, SENTRY_TUNABLE);
	int r = setenv("GLIBC_TUNABLES", v, 1);
	free(v);
	return r;
}

/* In the child: put fd on target, without close-on-exec. */
static int place_fd(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target) < 0 ? -1 : 0;
}

static void sentry_child(struct shim_ctx *ctx, int ctl, int fdc, char *const argv[])
{
	if (proc_restore_signals(&ctx->orig_signals) < 0)
		_exit(125);
	if (setsid() < 0) {
		log_errno(errno, "setsid (sentry)");
		_exit(125);
	}
	/* Move both above the targets first so neither dup2 clobbers the other. */
	int c = fcntl(ctl, F_DUPFD_CLOEXEC, 10);
	int f = fcntl(fdc, F_DUPFD_CLOEXEC, 10);
	if (c < 0 || f < 0) {
		log_errno(errno, "fcntl(F_DUPFD_CLOEXEC) (sentry)");
		_exit(125);
	}
	if (place_fd(c, SENTRY_CONTROL_FD) < 0 || place_fd(f, SENTRY_FD_CHANNEL) < 0) {
		log_errno(errno, "dup2 (sentry sockets)");
		_exit(125);
	}
	if (setenv("NSENTRY_CONTROL_FD", "3", 1) < 0 || setenv("NSENTRY_FD_CHANNEL", "4", 1) < 0 ||
	    set_sentry_tunables() < 0) {
		log_errno(errno, "setenv (sentry)");
		_exit(125);
	}
	execvp(argv[0], argv);
	int e = errno;
	log_errno(e, "exec sentry %s", argv[0]);
	_exit(e == ENOENT ? 127 : 126);
}

int sentry_spawn(struct shim_ctx *ctx, char *const argv[])
{
	int ctl[2], fdc[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0) {
		log_errno(errno, "socketpair(control)");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fdc) < 0) {
		log_errno(errno, "socketpair(fd channel)");
		close(ctl[0]);
		close(ctl[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_errno(errno, "fork (sentry)");
		close(ctl[0]);
		close(ctl[1]);
		close(fdc[0]);
		close(fdc[1]);
		return -1;
	}
	if (pid == 0) {
		close(ctl[0]);
		close(fdc[0]);
		sentry_child(ctx, ctl[1], fdc[1], argv);
	}
	close(ctl[1]);
	close(fdc[1]);
	ctx->sentry_pid = pid;
	ctx->ctl_fd = ctl[0];
	ctx->fdchan_fd = fdc[0];
	return 0;
}
