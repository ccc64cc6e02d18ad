/* cfloor: the C-supervisor floor for an intercepted call.
 *
 *   cfloor [--no-sync] MODE ITERATIONS
 *
 * Forks a child that sets no_new_privs, installs a seccomp filter that sends one
 * syscall to user space (SECCOMP_RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER),
 * passes the listener fd to the parent and execs ./callbench MODE ITERATIONS (next to
 * this binary). The parent answers each notification directly, doing the least work
 * the sentry must do for that call, so the numbers are the floor of the design:
 *
 *   getuid     RECV, SEND a value                                  (filter: getuid)
 *   openat-ns  RECV, read the path (process_vm_readv), ID_VALID, then for
 *              /proc/self/ns/user ADDFD|SEND of a memfd, for any other path CONTINUE
 *   openat     same; /etc/passwd gets CONTINUE                     (filter: openat)
 *   stat       RECV, read the path, ID_VALID, CONTINUE             (filter: newfstatat)
 *   setns      RECV, pidfd_getfd of the fd argument + fstat + close, ID_VALID,
 *              SEND 0                                              (filter: setns)
 *
 * By default the listener gets SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (kernel >= 6.6), as
 * the sentry's does; --no-sync leaves it off. The supervisor is one thread blocked in
 * SECCOMP_IOCTL_NOTIF_RECV. callbench prints the result line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "listener_pass.h"

#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

enum mode { M_GETUID, M_OPENAT, M_STAT, M_SETNS };

static int listener = -1, pidfd = -1, memfd = -1;
static pid_t child;
static enum mode mode;

static void die(const char *what)
{
	fprintf(stderr, "cfloor: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int install_filter(int nr)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof f / sizeof f[0], .filter = f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("PR_SET_NO_NEW_PRIVS");
	int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (fd < 0)
		die("seccomp");
	return fd;
}

/* Reads the NUL-terminated path at addr (up to 256 bytes, as the sentry reads a path). */
static int read_path(pid_t pid, unsigned long addr, char *out, size_t len)
{
	struct iovec local = { out, len - 1 }, remote = { (void *)addr, len - 1 };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n <= 0)
		return -1;
	out[n] = 0;
	return 0;
}

static void *supervise(void *arg)
{
	(void)arg;
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	char path[256];
	for (;;) {
		memset(&req, 0, sizeof req);
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOENT) /* the target died between notify and receive */
				continue;
			return NULL;
		}
		memset(&resp, 0, sizeof resp);
		resp.id = req.id;
		switch (mode) {
		case M_GETUID:
			resp.val = 0;
			break;
		case M_OPENAT:
		case M_STAT:
			if (read_path((pid_t)req.pid, (unsigned long)req.data.args[1], path, sizeof path) < 0
			    || ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) < 0) {
				resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
				break;
			}
			if (mode == M_OPENAT && strcmp(path, "/proc/self/ns/user") == 0) {
				struct seccomp_notif_addfd a = {
					.id = req.id, .flags = SECCOMP_ADDFD_FLAG_SEND, .srcfd = (__u32)memfd,
					.newfd_flags = O_CLOEXEC,
				};
				if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a) >= 0)
					continue; /* ADDFD|SEND answered the call */
				resp.error = -EIO;
				break;
			}
			resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
			break;
		case M_SETNS: {
			int fd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)req.data.args[0], 0);
			struct stat st;
			if (fd < 0 || fstat(fd, &st) < 0) {
				resp.error = -EBADF;
			} else {
				resp.val = 0;
			}
			if (fd >= 0)
				close(fd);
			if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) < 0)
				continue;
			break;
		}
		}
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
			return NULL;
	}
}

int main(int argc, char **argv)
{
	int sync = 1, a = 1;
	if (a < argc && strcmp(argv[a], "--no-sync") == 0) {
		sync = 0;
		a++;
	}
	if (argc - a != 2) {
		fprintf(stderr, "usage: cfloor [--no-sync] getuid|openat-ns|openat|stat|setns ITERATIONS\n");
		return 2;
	}
	const char *m = argv[a];
	int nr;
	if (strcmp(m, "getuid") == 0) {
		mode = M_GETUID, nr = SYS_getuid;
	} else if (strcmp(m, "openat-ns") == 0 || strcmp(m, "openat") == 0) {
		mode = M_OPENAT, nr = SYS_openat;
	} else if (strcmp(m, "stat") == 0) {
		mode = M_STAT, nr = SYS_newfstatat;
	} else if (strcmp(m, "setns") == 0) {
		mode = M_SETNS, nr = SYS_setns;
	} else {
		fprintf(stderr, "cfloor: unknown mode %s\n", m);
		return 2;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 32);
	if (n < 0)
		die("readlink /proc/self/exe");
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	strcpy(slash + 1, "callbench");

	memfd = memfd_create("cfloor-ns", MFD_CLOEXEC);
	if (memfd < 0)
		die("memfd_create");
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		close(sv[0]);
		int fd = install_filter(nr);
		if (listener_send(sv[1], fd) < 0)
			die("sendmsg(listener)");
		close(fd);
		char go;
		if (read(sv[1], &go, 1) != 1)
			_exit(1);
		execl(exe, "callbench", m, argv[a + 1], (char *)NULL);
		fprintf(stderr, "cfloor: exec %s: %s\n", exe, strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	listener = listener_recv(sv[0]);
	if (listener < 0)
		die("recvmsg(listener)");
	if (sync) {
		__u64 flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags) < 0)
			fprintf(stderr, "cfloor: SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: %s (continuing without)\n",
				strerror(errno));
	}
	pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	if (pidfd < 0)
		die("pidfd_open");
	pthread_t th;
	if (pthread_create(&th, NULL, supervise, NULL) != 0)
		die("pthread_create");
	if (write(sv[0], "g", 1) != 1)
		die("write");
	int status;
	if (waitpid(child, &status, 0) < 0)
		die("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
