/* The owner tracer (owners.c): id views, the tracee table, and, against the
 * real kernel, injecting the owner filter into a stopped child and
 * translating its lstat owners (also in a grandchild it forks), while the
 * stats the owner filter does not select stay untouched. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "owners.h"
#include "tharness.h"

static void test_map_id(struct trun *t)
{
	struct id_extent e[] = { { 0, 1000, 1 }, { 1, 100000, 65536 } };
	CHECK(t, owners_map_id(e, 2, 1000) == 0);
	CHECK(t, owners_map_id(e, 2, 100000) == 1);
	CHECK(t, owners_map_id(e, 2, 165535) == 65536);
	CHECK(t, owners_map_id(e, 2, 165536) == 65534); /* past the end: overflowuid */
	CHECK(t, owners_map_id(e, 2, 999) == 65534);
	CHECK(t, owners_map_id(e, 0, 0) == 65534);       /* no map written yet */
	struct id_extent top = { 0, 4294967294u, 1 };
	CHECK(t, owners_map_id(&top, 1, 4294967294u) == 0);
}

static void test_table(struct trun *t)
{
	struct owners o;
	owners_init(&o, NULL, NULL);
	enum { N = 5000 };
	/* tids that collide a lot: multiples of a power of two */
	for (int i = 1; i <= N; i++)
		CHECK(t, owners_track(&o, i * 64, (uint64_t)i, TRACEE_RUNNING) == 0);
	CHECK(t, o.n_tracees == N);
	for (int i = 1; i <= N; i += 2)
		owners_forget(&o, i * 64);
	owners_forget(&o, 12345); /* not tracked: nothing happens */
	int ok = 1;
	for (int i = 1; i <= N; i++) {
		struct tracee *tr = owners_find(&o, i * 64);
		if (i % 2 == 1)
			ok &= tr == NULL;
		else
			ok &= tr != NULL && tr->view_id == (uint64_t)i;
	}
	CHECK(t, ok);
	CHECK(t, o.n_tracees == N / 2);
	CHECK(t, owners_track(&o, 128, 99, TRACEE_BORN) == 0 && owners_find(&o, 128)->view_id == 99);
	CHECK(t, o.n_tracees == N / 2);
	owners_free(&o);
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* The traced child: stops once (for the injection), then reports what its
 * stats see through its exit status. */
static int child_body(void)
{
	signal(SIGUSR1, on_usr1);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return 10;
	raise(SIGUSR1); /* a signal-delivery stop: the tracer injects here */
	struct stat st;
	if (lstat("/", &st) != 0)
		return 11;
	if (st.st_uid != 42 || st.st_gid != 65534)
		return 12; /* lstat translated through the view */
	if (stat("/", &st) != 0 || st.st_uid != 0)
		return 13; /* stat is not the owner filter's */
	pid_t g = fork();
	if (g == 0) {
		struct stat gs;
		_exit(lstat("/", &gs) == 0 && gs.st_uid == 42 ? 0 : 14);
	}
	int status;
	if (waitpid(g, &status, 0) != g || !WIFEXITED(status))
		return 15;
	return WEXITSTATUS(status);
}

static void test_inject_and_translate(struct trun *t)
{
	struct stat root;
	if (stat("/", &root) != 0 || root.st_uid != 0) {
		printf("     (skipped: / is not owned by uid 0)\n");
		return;
	}
	/* As in the shim, SIGCHLD is blocked: tracee_wait waits for it with sigtimedwait. */
	sigset_t chld, old;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	struct owners o;
	owners_init(&o, NULL, NULL);
	char err[256] = "";
	CHECKF(t, owners_build_filter(&o, err, sizeof err) == 0, "%s", err);
	struct id_extent uid = { 42, 0, 1 };
	struct owner_view v = { .id = 7, .uid = &uid, .n_uid = 1 };
	CHECK(t, owners_put_view(&o, &v) == 0);

	pid_t c = fork();
	if (c == 0) {
		usleep(20000); /* let the parent seize first */
		_exit(child_body());
	}
	CHECK(t, ptrace(PTRACE_SEIZE, c, NULL, (void *)(long)OWNERS_TRACE_OPTIONS) == 0);
	int status;
	CHECK(t, waitpid(c, &status, __WALL) == c && WIFSTOPPED(status) && WSTOPSIG(status) == SIGUSR1);
	CHECKF(t, owners_inject(&o, c, 5000, err, sizeof err) == 0, "%s", err);
	CHECK(t, owners_track(&o, c, 7, TRACEE_RUNNING) == 0);
	CHECK(t, ptrace(PTRACE_CONT, c, NULL, (void *)(long)SIGUSR1) == 0);
	/* The shim's loop, in miniature. */
	int code = -1;
	for (int i = 0; i < 10000; i++) {
		pid_t p = waitpid(-1, &status, __WALL);
		if (p < 0)
			break;
		if (WIFSTOPPED(status)) {
			owners_on_stop(&o, p, status);
			continue;
		}
		owners_forget(&o, p);
		if (p == c) {
			code = WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
			break;
		}
	}
	CHECKF(t, code == 0, "child's verdict %d", code);
	CHECKF(t, o.translated >= 2, "%llu translated", (unsigned long long)o.translated);
	owners_free(&o);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int main(void)
{
	struct trun t = { 0 };
	RUN(&t, test_map_id);
	RUN(&t, test_table);
	RUN(&t, test_inject_and_translate);
	return trun_finish(&t);
}
