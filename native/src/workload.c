#include "workload.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "filter.h"
#include "log.h"

/* Exit codes of a failed exec, as shells use them. */
static int exec_failure_code(int err)
{
	return (err == ENOENT || err == ENOTDIR || err == ENAMETOOLONG || err == ELOOP) ? 127 : 126;
}

static void workload_child(struct shim_ctx *ctx, pid_t shim, int sock, char *const argv[],
			   const struct sock_fprog *prog, bool traced)
{
	/* The sentry's sockets are close-on-exec; drop them now as well, since
	 * the exec below waits for the sentry. */
	close(ctx->ctl_fd);
	close(ctx->fdchan_fd);
	if (ctx->server_fd >= 0)
		close(ctx->server_fd);
	close(ctx->sig_fd);
	if (proc_restore_signals(&ctx->orig_signals) < 0)
		_exit(125);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
		log_errno(errno, "prctl(PR_SET_PDEATHSIG)");
		_exit(125);
	}
	if (getppid() != shim)
		_exit(125); /* the shim died before the death signal was armed */

	char err[256];
	int listener = filter_install(prog, err, sizeof err);
	if (listener < 0) {
		log_msg("%s", err);
		_exit(125);
	}
	int rc = fdpass_send(sock, listener);
	if (rc < 0) {
		log_errno(-rc, "sending the listener fd to the shim");
		_exit(125);
	}
	close(listener);
	if (traced) {
		/* Started in a nested user namespace (--root): the owner filter from
		 * the first instruction, and the shim as tracer before any of its
		 * calls can stop (owners.h). */
		if (owners_install_self(&ctx->owners, err, sizeof err) < 0) {
			log_msg("%s", err);
			_exit(125);
		}
		char go;
		if (read(sock, &go, 1) != 1)
			_exit(125); /* the shim could not attach: it says why */
	}
	close(sock);

	/* Intercepted: returns only once the sentry has answered. */
	execvp(argv[0], argv);
	int e = errno;
	log_user("%s: %s", argv[0], strerror(e));
	_exit(exec_failure_code(e));
}

int workload_spawn(struct shim_ctx *ctx, char *const argv[], const struct sock_fprog *prog,
		   bool traced, uint64_t view_id, char *err, size_t err_len)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		snprintf(err, err_len, "socketpair(listener handoff): %s", strerror(errno));
		return -1;
	}
	pid_t shim = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, err_len, "fork (workload): %s", strerror(errno));
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	if (pid == 0) {
		close(sp[0]);
		workload_child(ctx, shim, sp[1], argv, prog, traced);
	}
	close(sp[1]);
	ctx->workload_pid = pid;
	int fd = fdpass_recv(sp[0]);
	if (fd >= 0 && traced) {
		if (ptrace(PTRACE_SEIZE, pid, NULL, (void *)(long)OWNERS_TRACE_OPTIONS) < 0 ||
		    owners_track(&ctx->owners, pid, view_id, TRACEE_RUNNING) < 0 ||
		    write(sp[0], "g", 1) != 1) {
			snprintf(err, err_len, "tracing the workload for owner translation: %s",
				 strerror(errno));
			close(fd);
			fd = -ECANCELED;
		}
	}
	close(sp[0]);
	if (fd >= 0) {
		ctx->listener_fd = fd;
		return 0;
	}
	if (fd != -ECANCELED) {
		/* The child failed before handing over the listener; it said why. */
		snprintf(err, err_len, "the workload's filter could not be installed (%s)",
			 fd == -ENODATA ? "child exited" : strerror(-fd));
	}
	kill(pid, SIGKILL);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	ctx->workload_reaped = true;
	ctx->workload_status = status;
	return -1;
}
