/* The filter: the band, the table, and what the kernel does with the program
 * built from it (each case runs in a child under the real filter; the test
 * plays the sentry on the listener). */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "filter.h"
#include "filter_table.h"
#include "tharness.h"

static void test_band(struct trun *t)
{
	struct rlimit saved;
	getrlimit(RLIMIT_NOFILE, &saved);
	static const struct { rlim_t soft; int base; } cases[] = {
		{ 20000, 896 }, { 1024, 896 }, { 1000, 872 }, { 131, 3 }, { 100, 3 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rlimit rl = { .rlim_cur = cases[i].soft, .rlim_max = saved.rlim_max };
		if (rl.rlim_cur > rl.rlim_max)
			continue;
		CHECK(t, setrlimit(RLIMIT_NOFILE, &rl) == 0);
		struct fd_band b;
		char err[128];
		CHECK(t, fd_band_compute(&b, err, sizeof err) == 0);
		CHECKF(t, b.base == cases[i].base && b.size == 128, "soft %lu: base %d",
		       (unsigned long)cases[i].soft, b.base);
	}
	setrlimit(RLIMIT_NOFILE, &saved);
}

static void test_table_names(struct trun *t)
{
	const char *names[128];
	size_t n = filter_table_names(VARIANT_OWNER_TRACER, names, 128);
	size_t ioctls = 0;
	for (size_t i = 0; i < n; i++) {
		ioctls += strcmp(names[i], "ioctl") == 0;
		for (size_t j = i + 1; j < n; j++)
			CHECKF(t, strcmp(names[i], names[j]) != 0, "%s listed twice", names[i]);
	}
	CHECK(t, ioctls == 1);
	CHECKF(t, n == 58, "%zu names", n);
	/* --debuggable adds lstat */
	CHECKF(t, filter_table_names(VARIANT_DEBUGGABLE, names, 128) == 59, "debuggable: names");
}

static void test_build(struct trun *t)
{
	struct fd_band bands[] = { { 896, 128 }, { 872, 128 }, { 3, 128 } };
	for (size_t i = 0; i < 3; i++) {
		struct sock_fprog prog;
		char err[256] = "";
		CHECKF(t, filter_build(&bands[i], VARIANT_OWNER_TRACER, &prog, err, sizeof err) == 0, "%s", err);
		CHECK(t, prog.len > 10 && prog.filter != NULL);
		filter_prog_free(&prog);
	}
}

/* ------------------------------------------------------------------ kernel */

enum expect { NOTIFIED, NOT_NOTIFIED, KILLED_SIGSYS };

struct kcase {
	const char *what;
	long nr;
	unsigned long a[5];
	enum expect expect;
	int i386; /* call through int 0x80 with eax = nr */
};

#define BAND 896
#define TEST_PATH ((unsigned long)"/nonexistent-nsentry")

static long i386_syscall(long nr)
{
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr) : "memory");
	return ret;
}

static void run_case_child(const struct kcase *c, const struct sock_fprog *prog, int sock)
{
	char err[256];
	int l = filter_install(prog, err, sizeof err);
	if (l < 0 || fdpass_send(sock, l) < 0)
		_exit(100);
	close(l);
	if (c->i386)
		i386_syscall(c->nr);
	else
		syscall(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], 0);
	_exit(0);
}

/* Returns 1 if notified (answered with ENOSYS); *status is the child's. */
static int run_case(const struct kcase *c, const struct sock_fprog *prog, int *status, long *nr)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(sp[0]);
		run_case_child(c, prog, sp[1]);
	}
	close(sp[1]);
	int l = fdpass_recv(sp[0]);
	close(sp[0]);
	int notified = 0;
	while (l >= 0) {
		struct pollfd p = { .fd = l, .events = POLLIN };
		int r = poll(&p, 1, 50);
		if (r > 0 && (p.revents & POLLIN)) {
			struct seccomp_notif n;
			memset(&n, 0, sizeof n);
			if (ioctl(l, SECCOMP_IOCTL_NOTIF_RECV, &n) == 0) {
				struct seccomp_notif_resp resp = { .id = n.id, .error = -ENOSYS };
				if (n.data.nr == SYS_exit_group && c->nr != SYS_exit_group) {
					/* the child's own _exit: let it go */
					resp.error = 0;
					resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
				} else {
					notified = 1;
					*nr = n.data.nr;
				}
				ioctl(l, SECCOMP_IOCTL_NOTIF_SEND, &resp);
			}
			continue;
		}
		if (r == 0 || (p.revents & POLLHUP)) {
			if (waitpid(pid, status, WNOHANG) == pid) {
				close(l);
				return notified;
			}
		}
	}
	waitpid(pid, status, 0);
	return -1;
}

static void run_cases(struct trun *t, enum filter_variant variant, const struct kcase *cases, size_t n);

static void test_kernel_behaviour(struct trun *t)
{
	const struct kcase cases[] = {
		{ "getuid", SYS_getuid, { 0 }, NOTIFIED, 0 },
		{ "uname", SYS_uname, { 0 }, NOTIFIED, 0 },
		{ "clone(CLONE_NEWUSER)", SYS_clone, { 0x10000000 | SIGCHLD }, NOTIFIED, 0 },
		{ "clone(CLONE_NEWNET)", SYS_clone, { 0x40000000 | SIGCHLD }, NOTIFIED, 0 },
		/* invalid flags: fails in the kernel, creates nothing */
		{ "clone(CLONE_THREAD)", SYS_clone, { 0x00010000 }, NOTIFIED, 0 },
		{ "clone(SIGCHLD) (fork)", SYS_clone, { SIGCHLD }, NOT_NOTIFIED, 0 },
		{ "prctl(PR_GET_KEEPCAPS)", SYS_prctl, { 7 }, NOTIFIED, 0 },
		{ "prctl(PR_CAP_AMBIENT)", SYS_prctl, { 47 }, NOTIFIED, 0 },
		{ "prctl(PR_GET_NAME)", SYS_prctl, { 16 }, NOT_NOTIFIED, 0 },
		{ "prctl(1<<32 | PR_GET_KEEPCAPS)", SYS_prctl, { (1UL << 32) | 7 }, NOTIFIED, 0 },
		{ "ioctl(0, NS_GET_USERNS)", SYS_ioctl, { 0, 0xb701 }, NOTIFIED, 0 },
		{ "ioctl(0, TCGETS)", SYS_ioctl, { 0, 0x5401 }, NOT_NOTIFIED, 0 },
		{ "ioctl(band, TCGETS)", SYS_ioctl, { BAND + 5, 0x5401 }, NOTIFIED, 0 },
		{ "read(band first)", SYS_read, { BAND, 0, 0 }, NOTIFIED, 0 },
		{ "read(band last)", SYS_read, { BAND + 127, 0, 0 }, NOTIFIED, 0 },
		{ "read(band + size)", SYS_read, { BAND + 128, 0, 0 }, NOT_NOTIFIED, 0 },
		{ "read(band - 1)", SYS_read, { BAND - 1, 0, 0 }, NOT_NOTIFIED, 0 },
		{ "read(1<<32 | band)", SYS_read, { (1UL << 32) | BAND, 0, 0 }, NOTIFIED, 0 },
		{ "fstat(band)", SYS_fstat, { BAND + 64, 0 }, NOTIFIED, 0 },
		{ "fstat(1)", SYS_fstat, { 1, 0 }, NOT_NOTIFIED, 0 },
		{ "open(O_RDONLY)", SYS_open, { TEST_PATH, O_RDONLY }, NOTIFIED, 0 },
		{ "open(O_DIRECTORY)", SYS_open, { TEST_PATH, O_RDONLY | O_DIRECTORY }, NOT_NOTIFIED, 0 },
		{ "openat(O_RDONLY)", SYS_openat, { (unsigned long)AT_FDCWD, TEST_PATH, O_RDONLY }, NOTIFIED, 0 },
		{ "open(O_WRONLY|O_CREAT|O_TRUNC)", SYS_open, { TEST_PATH, O_WRONLY | O_CREAT | O_TRUNC },
		  NOTIFIED, 0 },
		{ "open(O_CREAT|O_EXCL)", SYS_open, { TEST_PATH, O_WRONLY | O_CREAT | O_EXCL }, NOT_NOTIFIED, 0 },
		{ "openat(O_CREAT)", SYS_openat, { (unsigned long)AT_FDCWD, TEST_PATH, O_RDWR | O_CREAT },
		  NOTIFIED, 0 },
		{ "openat(O_CREAT|O_EXCL)", SYS_openat,
		  { (unsigned long)AT_FDCWD, TEST_PATH, O_RDWR | O_CREAT | O_EXCL }, NOT_NOTIFIED, 0 },
		{ "stat", SYS_stat, { TEST_PATH, 0 }, NOTIFIED, 0 },
		{ "lstat", SYS_lstat, { TEST_PATH, 0 }, NOT_NOTIFIED, 0 },
		{ "newfstatat(0)", SYS_newfstatat, { (unsigned long)AT_FDCWD, TEST_PATH, 0, 0 }, NOTIFIED, 0 },
		{ "newfstatat(AT_SYMLINK_NOFOLLOW)", SYS_newfstatat,
		  { (unsigned long)AT_FDCWD, TEST_PATH, 0, AT_SYMLINK_NOFOLLOW }, NOT_NOTIFIED, 0 },
		{ "newfstatat(1, \"\", AT_EMPTY_PATH)", SYS_newfstatat, { 1, 0, 0, AT_EMPTY_PATH },
		  NOT_NOTIFIED, 0 },
		{ "newfstatat(band, \"\", AT_EMPTY_PATH)", SYS_newfstatat, { BAND + 3, 0, 0, AT_EMPTY_PATH },
		  NOTIFIED, 0 },
		{ "statx(AT_SYMLINK_NOFOLLOW)", SYS_statx,
		  { (unsigned long)AT_FDCWD, TEST_PATH, AT_SYMLINK_NOFOLLOW, 0x7ff, 0 }, NOT_NOTIFIED, 0 },
		{ "statx(0)", SYS_statx, { (unsigned long)AT_FDCWD, TEST_PATH, 0, 0x7ff, 0 }, NOTIFIED, 0 },
		{ "openat(O_DIRECTORY)", SYS_openat,
		  { (unsigned long)AT_FDCWD, TEST_PATH, O_RDONLY | O_DIRECTORY }, NOT_NOTIFIED, 0 },
		{ "openat(O_PATH|O_NOFOLLOW)", SYS_openat,
		  { (unsigned long)AT_FDCWD, TEST_PATH, O_PATH | O_NOFOLLOW | O_CLOEXEC }, NOT_NOTIFIED, 0 },
		{ "openat(O_PATH|O_CREAT)", SYS_openat,
		  { (unsigned long)AT_FDCWD, TEST_PATH, O_PATH | O_CREAT }, NOT_NOTIFIED, 0 },
		{ "open(O_PATH)", SYS_open, { TEST_PATH, O_PATH }, NOT_NOTIFIED, 0 },
		{ "openat(O_NOFOLLOW)", SYS_openat,
		  { 3, TEST_PATH, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC }, NOTIFIED, 0 },
		{ "openat((1<<32) | O_RDONLY)", SYS_openat,
		  { (unsigned long)AT_FDCWD, TEST_PATH, (1UL << 32) | O_RDONLY }, NOTIFIED, 0 },
		{ "getpid", SYS_getpid, { 0 }, NOT_NOTIFIED, 0 },
		{ "exit_group", SYS_exit_group, { 0 }, NOTIFIED, 0 },
		{ "x32 getuid", 0x40000000 | SYS_getuid, { 0 }, KILLED_SIGSYS, 0 },
		{ "i386 getuid (int 0x80)", 24, { 0 }, KILLED_SIGSYS, 1 },
	};
	run_cases(t, VARIANT_OWNER_TRACER, cases, sizeof cases / sizeof cases[0]);
}

/* --debuggable: every stat form but fstat goes to the sentry. */
static void test_debuggable_variant(struct trun *t)
{
	static const struct kcase cases[] = {
		{ "lstat", SYS_lstat, { TEST_PATH, 0 }, NOTIFIED, 0 },
		{ "newfstatat(AT_SYMLINK_NOFOLLOW)", SYS_newfstatat,
		  { (unsigned long)AT_FDCWD, TEST_PATH, 0, AT_SYMLINK_NOFOLLOW }, NOTIFIED, 0 },
		{ "newfstatat(1, \"\", AT_EMPTY_PATH)", SYS_newfstatat, { 1, 0, 0, AT_EMPTY_PATH },
		  NOTIFIED, 0 },
		{ "statx(AT_SYMLINK_NOFOLLOW)", SYS_statx,
		  { (unsigned long)AT_FDCWD, TEST_PATH, AT_SYMLINK_NOFOLLOW, 0x7ff, 0 }, NOTIFIED, 0 },
		{ "fstat(1)", SYS_fstat, { 1, 0 }, NOT_NOTIFIED, 0 },
		{ "open(O_CREAT|O_EXCL)", SYS_open, { TEST_PATH, O_WRONLY | O_CREAT | O_EXCL }, NOT_NOTIFIED, 0 },
	};
	run_cases(t, VARIANT_DEBUGGABLE, cases, sizeof cases / sizeof cases[0]);
}

static void run_cases(struct trun *t, enum filter_variant variant, const struct kcase *cases, size_t n)
{
	struct fd_band band = { BAND, 128 };
	struct sock_fprog prog;
	char err[256] = "";
	CHECKF(t, filter_build(&band, variant, &prog, err, sizeof err) == 0, "%s", err);
	if (prog.filter == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct kcase *c = &cases[i];
		int status = 0;
		long nr = -1;
		int notified = run_case(c, &prog, &status, &nr);
		switch (c->expect) {
		case NOTIFIED:
			CHECKF(t, notified == 1 && nr == c->nr, "%s: notified=%d nr=%ld", c->what,
			       notified, nr);
			CHECKF(t, WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: status 0x%x",
			       c->what, status);
			break;
		case NOT_NOTIFIED:
			CHECKF(t, notified == 0, "%s: notified=%d", c->what, notified);
			CHECKF(t, WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: status 0x%x",
			       c->what, status);
			break;
		case KILLED_SIGSYS:
			CHECKF(t, notified == 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
			       "%s: notified=%d status 0x%x", c->what, notified, status);
			break;
		}
	}
	filter_prog_free(&prog);
}

int main(void)
{
	struct trun t = { 0 };
	RUN(&t, test_band);
	RUN(&t, test_table_names);
	RUN(&t, test_build);
	RUN(&t, test_kernel_behaviour);
	RUN(&t, test_debuggable_variant);
	return trun_finish(&t);
}
