/* floorrun: what any supervisor of nsentry's design costs a whole workload.
 *
 *   floorrun [--no-sync] -- CMD ARGS...
 *
 * Runs CMD under nsentry's own seccomp filter (native/src/filter_table.c, the default
 * variant, built and installed by native/src/filter.c exactly as the shim does) and
 * answers every notification from one C thread with the least work a supervisor must do
 * for a task in the sandbox's initial user namespace, where the real answer is the
 * emulated one:
 *
 *   open, openat   read the path (process_vm_readv, at most 256 bytes, as the sentry's
 *                  first read), then CONTINUE
 *   anything else  CONTINUE
 *
 * So the gap between CMD under floorrun and CMD natively is the price of the seccomp
 * filter and of the notification round trips themselves (the scheduler's wake-ups, cold
 * caches); the gap between nsentry and floorrun is the sentry's own. No model, no fd
 * band, no clone rewrite: do not run workloads that create namespaces under it.
 *
 * The listener gets SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, as the sentry's does (--no-sync
 * leaves it off). floorrun exits with CMD's status (128+N for a signal N) once CMD has
 * exited; descendants that outlive CMD lose their supervisor (their notified calls fail
 * with ENOSYS).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* bench/run also passes it, for native/src/filter.c */
#endif
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "filter.h"
#include "listener_pass.h"


static void die(const char *what)
{
	fprintf(stderr, "floorrun: %s: %s\n", what, strerror(errno));
	exit(125);
}

/* The child: nsentry's filter, the listener to the parent, then CMD. */
static void run_child(int sock, char **argv)
{
	struct fd_band band;
	struct sock_fprog prog;
	char err[512];
	if (fd_band_compute(&band, err, sizeof err) < 0 ||
	    filter_build(&band, VARIANT_OWNER_TRACER, &prog, err, sizeof err) < 0) {
		fprintf(stderr, "floorrun: %s\n", err);
		_exit(125);
	}
	int listener = filter_install(&prog, err, sizeof err);
	if (listener < 0) {
		fprintf(stderr, "floorrun: %s\n", err);
		_exit(125);
	}
	if (listener_send(sock, listener) < 0) {
		fprintf(stderr, "floorrun: sendmsg(listener): %s\n", strerror(errno));
		_exit(125);
	}
	close(listener);
	close(sock);
	execvp(argv[0], argv);
	fprintf(stderr, "floorrun: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* One notification: RECV, the least work, SEND. Returns -1 when the listener is gone. */
static int answer_one(int listener)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	char path[256];
	memset(&req, 0, sizeof req);
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return errno == EINTR || errno == ENOENT ? 0 : -1;
	int path_arg = req.data.nr == SYS_open ? 0 : req.data.nr == SYS_openat ? 1 : -1;
	if (path_arg >= 0) {
		struct iovec local = { path, sizeof path - 1 };
		struct iovec remote = { (void *)(unsigned long)req.data.args[path_arg], sizeof path - 1 };
		ssize_t n = process_vm_readv((pid_t)req.pid, &local, 1, &remote, 1, 0);
		path[n > 0 ? n : 0] = '\0';
	}
	memset(&resp, 0, sizeof resp);
	resp.id = req.id;
	resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	int a = 1, sync_wakeup = 1;
	if (a < argc && strcmp(argv[a], "--no-sync") == 0) {
		sync_wakeup = 0;
		a++;
	}
	if (a >= argc || strcmp(argv[a], "--") != 0 || a + 1 >= argc) {
		fprintf(stderr, "usage: floorrun [--no-sync] -- CMD ARGS...\n");
		return 2;
	}
	char **cmd = &argv[a + 1];
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	pid_t child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		close(sv[0]);
		run_child(sv[1], cmd);
	}
	close(sv[1]);
	int listener = listener_recv(sv[0]);
	if (listener < 0) {
		if (errno == EBADMSG) {
			fprintf(stderr, "floorrun: the child sent no listener (it failed to install the filter)\n");
			exit(125);
		}
		die("recvmsg(listener)");
	}
	close(sv[0]);
	if (sync_wakeup && ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) < 0)
		die("SECCOMP_IOCTL_NOTIF_SET_FLAGS(SYNC_WAKE_UP)");
	int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	if (pidfd < 0)
		die("pidfd_open");
	struct pollfd fds[2] = { { .fd = listener, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if ((fds[0].revents & POLLIN) && answer_one(listener) < 0)
			die("answering a notification");
		if (fds[1].revents & POLLIN)
			break;
		if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			fds[0].fd = -1; /* every task under the filter is gone; wait for CMD */
	}
	int status;
	if (waitpid(child, &status, 0) < 0)
		die("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
