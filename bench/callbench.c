/* callbench: latency of one syscall, timed call by call.
 *
 *   callbench MODE ITERATIONS
 *
 * Modes (each call timed with CLOCK_MONOTONIC through the vDSO, which no filter sees):
 *   getppid    a call nsentry never intercepts (the "native" floor of a syscall)
 *   getuid     a credential call (intercepted always; emulated in a nested user ns)
 *   openat-ns  open("/proc/self/ns/user", O_RDONLY) + close: an nsfs file (emulated,
 *              answered with an injected fd, inside an emulated user namespace)
 *   openat     open("/etc/passwd", O_RDONLY) + close: a file nsentry lets through
 *   stat       fstatat(AT_FDCWD, "/usr/bin", 0): the stat family (owner translation)
 *   setns      setns(fd of /proc/self/ns/uts, CLONE_NEWUTS), after unshare(CLONE_NEWUTS)
 *              so that the namespace is owned by the caller's user namespace
 *
 * Runs ITERATIONS/10 untimed warm-up calls first (they warm the JIT of a Java
 * supervisor), then ITERATIONS timed calls, and prints one line:
 *   mode=getuid n=20000 median_ns=... p10_ns=... p90_ns=... p99_ns=... min_ns=... mean_ns=... errors=...
 * A call that fails is counted in errors (its time is still recorded); the errno of
 * the first failure is printed to stderr once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int ns_fd = -1;
static long errors;
static int first_errno;

static void fail(int e)
{
	if (errors++ == 0)
		first_errno = e;
}

enum mode { M_GETPPID, M_GETUID, M_OPENAT_NS, M_OPENAT, M_STAT, M_SETNS };
static const char *const modes[] = { "getppid", "getuid", "openat-ns", "openat", "stat", "setns" };

/* One call of the mode; syscall() for the id calls so no libc caching applies. */
static void one(enum mode m)
{
	long r;
	struct stat st;
	switch (m) {
	case M_GETPPID:
	case M_GETUID:
		r = syscall(m == M_GETPPID ? SYS_getppid : SYS_getuid);
		if (r < 0)
			fail(errno);
		break;
	case M_OPENAT_NS:
	case M_OPENAT:
		r = open(m == M_OPENAT_NS ? "/proc/self/ns/user" : "/etc/passwd", O_RDONLY | O_CLOEXEC);
		if (r < 0)
			fail(errno);
		else
			close((int)r);
		break;
	case M_STAT:
		if (fstatat(AT_FDCWD, "/usr/bin", &st, 0) < 0)
			fail(errno);
		break;
	case M_SETNS:
		if (setns(ns_fd, CLONE_NEWUTS) < 0)
			fail(errno);
		break;
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: callbench getppid|getuid|openat-ns|openat|stat|setns ITERATIONS\n");
		return 2;
	}
	const char *mode = argv[1];
	int m = -1;
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
		if (strcmp(mode, modes[i]) == 0)
			m = (int)i;
	long n = atol(argv[2]);
	if (m < 0 || n <= 0) {
		fprintf(stderr, "callbench: bad mode or iteration count\n");
		return 2;
	}
	if (m == M_SETNS) {
		if (unshare(CLONE_NEWUTS) < 0)
			fprintf(stderr, "callbench: unshare(CLONE_NEWUTS): %s (timing setns anyway)\n", strerror(errno));
		ns_fd = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
		if (ns_fd < 0) {
			fprintf(stderr, "callbench: open /proc/self/ns/uts: %s\n", strerror(errno));
			return 1;
		}
	}
	uint64_t *t = malloc(sizeof *t * (size_t)n);
	if (!t)
		return 1;
	for (long i = 0; i < n / 10 + 100; i++)
		one((enum mode)m);
	errors = 0;
	double sum = 0;
	for (long i = 0; i < n; i++) {
		uint64_t a = now_ns();
		one((enum mode)m);
		t[i] = now_ns() - a;
		sum += (double)t[i];
	}
	qsort(t, (size_t)n, sizeof *t, cmp_u64);
#define P(q) t[(size_t)((double)(n - 1) * (q))]
	if (errors)
		fprintf(stderr, "callbench: %s: %ld of %ld calls failed, first: %s\n", mode, errors, n,
			strerror(first_errno));
	printf("mode=%s n=%ld median_ns=%llu p10_ns=%llu p90_ns=%llu p99_ns=%llu min_ns=%llu mean_ns=%.0f errors=%ld\n",
	       mode, n, (unsigned long long)P(0.5), (unsigned long long)P(0.1), (unsigned long long)P(0.9),
	       (unsigned long long)P(0.99), (unsigned long long)t[0], sum / (double)n, errors);
	return 0;
}
