/* An execve from a thread other than the leader (the thread takes over the leader's pid,
 * fs/exec.c de_thread): the exec credential rules must apply as for any exec. As root:
 * keep capabilities across setresuid to 65534, then a second thread execs this program,
 * which prints its ids and permitted capabilities (Linux clears them: a non-root exec
 * without file capabilities). Run natively and under nsentry, the lines must match. */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static char *self;

static void *exec_from_thread(void *arg)
{
	(void)arg;
	char *argv[] = { self, "child", NULL };
	execv(self, argv);
	perror("execv");
	return NULL;
}

int main(int argc, char **argv)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	if (argc > 1 && strcmp(argv[1], "child") == 0) {
		uid_t r, e, s;
		syscall(SYS_getresuid, &r, &e, &s);
		syscall(SYS_capget, &h, d);
		printf("after the exec from a thread: uid %u %u %u permitted %#x %#x tid==pid %d\n", r, e, s,
		       d[0].permitted, d[1].permitted, (int)syscall(SYS_gettid) == getpid());
		return 0;
	}
	self = argv[0];
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || syscall(SYS_setresuid, 65534, 65534, 65534) < 0) {
		perror("keepcaps/setresuid (run as root)");
		return 1;
	}
	syscall(SYS_capget, &h, d);
	printf("before: permitted %#x %#x\n", d[0].permitted, d[1].permitted);
	fflush(stdout);
	pthread_t t;
	pthread_create(&t, NULL, exec_from_thread, NULL);
	pthread_join(t, NULL);
	return 1;
}
