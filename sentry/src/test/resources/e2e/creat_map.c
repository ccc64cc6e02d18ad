/* creat(2) of /proc/self/uid_map and gid_map in a new user namespace, as a shell's
 * "echo ... > uid_map" but through the old creat syscall (O_CREAT|O_WRONLY|O_TRUNC).
 * Prints what each step returned and the ids afterwards; run natively and under nsentry
 * and compare. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void write_map(const char *path, const char *line)
{
	int fd = (int)syscall(SYS_creat, path, 0644);
	if (fd < 0) {
		printf("creat %s: %s\n", path, strerror(errno));
		return;
	}
	ssize_t n = write(fd, line, strlen(line));
	printf("creat %s: ok; write: %s\n", path, n < 0 ? strerror(errno) : "ok");
	close(fd);
}

int main(void)
{
	char line[64];
	unsigned uid = getuid(), gid = getgid();
	if (unshare(CLONE_NEWUSER) < 0) {
		printf("unshare: %s\n", strerror(errno));
		return 1;
	}
	write_map("/proc/self/setgroups", "deny");
	snprintf(line, sizeof line, "0 %u 1", uid);
	write_map("/proc/self/uid_map", line);
	snprintf(line, sizeof line, "0 %u 1", gid);
	write_map("/proc/self/gid_map", line);
	printf("uid %u gid %u\n", (unsigned)getuid(), (unsigned)getgid());
	return 0;
}
