/* Load and resource workloads (issue 9, items 4-6). Every result is checked; a wrong
 * one prints "FAIL ..." and the exit status is 1.
 *
 *   load churn N WORKERS      N user namespaces created and dropped: forked children each
 *                             unshare(CLONE_NEWUSER) and check what they see; prints
 *                             "progress I" ten times (the test samples sentry memory)
 *   load hammer THREADS SECS  threads hammering getuid/geteuid/getresuid and
 *                             open+fstat+close of /proc/self/ns/user
 *   load spawn RATE SECS      RATE short-lived processes a second, each checking its ids
 *                             and /proc/self/ns/user
 *   load hold N               keeps N namespaces alive (unshare(CLONE_NEWUTS|CLONE_NEWIPC)
 *                             and an open fd on each); for the out-of-memory test
 *   load groups N             N processes, each with its own 65,536 supplementary groups
 *                             (as root: real setgroups), then blocked; for the
 *                             out-of-memory test
 *   load block                prints "ready PID" and blocks in intercepted calls forever
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static ino_t ino_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* ------------------------------------------------------------------ churn */

static int churn_worker(long n, int w, int workers, ino_t parent_user)
{
	long step = n / 10 > 0 ? n / 10 : 1;
	int bad = 0;
	for (long i = 0; i < n; i++) {
		pid_t c = fork();
		if (c < 0) {
			printf("FAIL churn: fork: %s\n", strerror(errno));
			return 1;
		}
		if (c == 0) {
			if (syscall(SYS_unshare, CLONE_NEWUSER) != 0)
				_exit(10);
			if (getuid() != 65534 || geteuid() != 65534)
				_exit(11);
			if (ino_of("/proc/self/ns/user") == parent_user)
				_exit(12);
			_exit(0);
		}
		int st;
		while (waitpid(c, &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			if (bad++ < 5)
				printf("FAIL churn: child %ld ended with status %#x\n", i, st);
		}
		if (w == 0 && (i + 1) % step == 0)
			printf("progress %ld\n", (i + 1) * workers);
	}
	return bad != 0;
}

static int churn(long n, int workers)
{
	ino_t parent_user = ino_of("/proc/self/ns/user");
	double t0 = now();
	pid_t pids[64];
	for (int w = 1; w < workers; w++) {
		pids[w] = fork();
		if (pids[w] == 0)
			_exit(churn_worker(n / workers, w, workers, parent_user));
	}
	int rc = churn_worker(n / workers, 0, workers, parent_user);
	for (int w = 1; w < workers; w++) {
		int st;
		waitpid(pids[w], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			rc = 1;
	}
	double dt = now() - t0;
	printf("%s churn namespaces=%ld seconds=%.1f rate=%.0f/s\n", rc ? "FAIL" : "ok", n / workers * workers, dt,
	       n / dt);
	return rc;
}

/* ------------------------------------------------------------------ hammer */

static atomic_int stop;
static atomic_long total_ops, total_errors;
static uid_t uid0, euid0;
static ino_t user_ino;

static void *hammer_thread(void *arg)
{
	(void)arg;
	long ops = 0, errors = 0;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uid_t r = 1, e = 1, s = 1;
		if (syscall(SYS_getuid) != uid0 || syscall(SYS_geteuid) != euid0)
			errors++;
		if (syscall(SYS_getresuid, &r, &e, &s) != 0 || r != uid0 || e != euid0)
			errors++;
		int fd = open("/proc/self/ns/user", O_RDONLY);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) != 0 || st.st_ino != user_ino)
			errors++;
		if (fd >= 0)
			close(fd);
		ops += 4;
	}
	atomic_fetch_add(&total_ops, ops);
	atomic_fetch_add(&total_errors, errors);
	return NULL;
}

static int hammer(int threads, double seconds)
{
	uid0 = getuid();
	euid0 = geteuid();
	user_ino = ino_of("/proc/self/ns/user");
	pthread_t t[256];
	double t0 = now();
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, hammer_thread, NULL);
	struct timespec ts = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };
	nanosleep(&ts, NULL);
	atomic_store(&stop, 1);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	double dt = now() - t0;
	long ops = atomic_load(&total_ops), errors = atomic_load(&total_errors);
	printf("%s hammer threads=%d calls=%ld wrong=%ld seconds=%.1f rate=%.0f/s\n", errors ? "FAIL" : "ok", threads,
	       ops, errors, dt, ops / dt);
	return errors != 0;
}

/* ------------------------------------------------------------------ spawn */

static int spawn(int rate, double seconds)
{
	uid_t uid = getuid();
	ino_t ino = ino_of("/proc/self/ns/user");
	char want[64];
	snprintf(want, sizeof want, "user:[%lu]", (unsigned long)ino);
	long started = 0, bad = 0, reaped = 0;
	double t0 = now(), end = t0 + seconds;
	while (now() < end) {
		double due = t0 + (double)started / rate;
		double wait = due - now();
		if (wait > 0) {
			struct timespec ts = { 0, (long)(wait * 1e9) };
			nanosleep(&ts, NULL);
		}
		pid_t c = fork();
		if (c == 0) {
			char link[64] = { 0 };
			if (getuid() != uid)
				_exit(1);
			if (readlink("/proc/self/ns/user", link, sizeof link - 1) < 0 || strcmp(link, want) != 0)
				_exit(2);
			_exit(0);
		}
		if (c > 0)
			started++;
		int st;
		pid_t p;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
			reaped++;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				bad++;
		}
	}
	int st;
	while (waitpid(-1, &st, 0) > 0) {
		reaped++;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad++;
	}
	double dt = now() - t0;
	printf("%s spawn target=%d/s processes=%ld wrong=%ld seconds=%.1f rate=%.0f/s\n", bad ? "FAIL" : "ok", rate,
	       reaped, bad, dt, reaped / dt);
	return bad != 0;
}

/* ------------------------------------------------------------------ hold, block */

static int hold(long n)
{
	struct rlimit rl = { 1 << 20, 1 << 20 };
	setrlimit(RLIMIT_NOFILE, &rl);
	for (long i = 0; i < n; i++) {
		if (syscall(SYS_unshare, CLONE_NEWUTS | CLONE_NEWIPC) != 0) {
			printf("unshare %ld: %s\n", i, strerror(errno));
			return 1;
		}
		if (open("/proc/self/ns/uts", O_RDONLY) < 0 || open("/proc/self/ns/ipc", O_RDONLY) < 0) {
			printf("open %ld: %s\n", i, strerror(errno));
			return 1;
		}
		if (i % 10000 == 0)
			printf("held %ld\n", i);
	}
	printf("held all %ld\n", n);
	return 0;
}

static int groups(int n)
{
	static gid_t list[65536];
	for (int i = 0; i < n; i++) {
		pid_t c = fork();
		if (c == 0) {
			for (int k = 0; k < 65536; k++)
				list[k] = (gid_t)(i * 7 + k);
			if (setgroups(65536, list) != 0) {
				printf("setgroups: %s\n", strerror(errno));
				_exit(1);
			}
			pause();
			_exit(0);
		}
		if (i % 10 == 0)
			printf("groups %d\n", i);
	}
	printf("held all %d\n", n);
	for (;;)
		pause();
}

static int block(void)
{
	printf("ready %d\n", getpid());
	for (;;)
		syscall(SYS_getuid);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return 2;
	if (strcmp(argv[1], "churn") == 0 && argc > 3)
		return churn(atol(argv[2]), atoi(argv[3]));
	if (strcmp(argv[1], "hammer") == 0 && argc > 3)
		return hammer(atoi(argv[2]), atof(argv[3]));
	if (strcmp(argv[1], "spawn") == 0 && argc > 3)
		return spawn(atoi(argv[2]), atof(argv[3]));
	if (strcmp(argv[1], "hold") == 0 && argc > 2)
		return hold(atol(argv[2]));
	if (strcmp(argv[1], "groups") == 0 && argc > 2)
		return groups(atoi(argv[2]));
	if (strcmp(argv[1], "block") == 0)
		return block();
	fprintf(stderr, "usage: load churn N WORKERS | hammer THREADS SECS | spawn RATE SECS | hold N | block\n");
	return 2;
}
