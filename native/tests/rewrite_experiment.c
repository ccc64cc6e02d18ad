/* Stand-alone experiment for the clone rewrite (src/rewrite.c).
 *
 * The test process is a tiny sentry: it forks a workload under the shim's
 * real filter, receives the listener fd, answers every notification with
 * CONTINUE except clone/clone3 with namespace flags, which it hands to
 * rewrite_clone() and then rewrite_release(). The workload calls
 * clone(CLONE_NEWUSER|CLONE_NEWNS|SIGCHLD) (or clone3 with the same flags)
 * ITERATIONS times; each child reports whether it runs in the parent's real
 * user namespace (same /proc/self/ns/user inode) and its own pid, so the
 * parent can check that clone returned the child's pid. Variants: one
 * thread, four busy threads, and a storm of SIGALRMs whose handler lacks
 * SA_RESTART. Runs only where the test may ptrace its child. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"
#include "filter.h"
#include "rewrite.h"
#include "tharness.h"

#define ITERATIONS 200
#define NS_FLAGS (CLONE_NEWUSER | CLONE_NEWNS)
#define CLONE_NEW_ANY 0x7E020000ULL

struct variant {
	const char *name;
	int use_clone3;
	int busy_threads;
	int signal_storm;
};

/* What the workload reports back through a pipe. */
struct wl_counts {
	int calls;          /* successful clone calls (parent side) */
	int same_userns;    /* children that ran in the parent's user namespace */
	int pid_matches;    /* clone's return value == the child's getpid() */
	int flags_intact;   /* clone3: the caller's struct unchanged afterwards */
	int eintr;          /* EINTR seen (and retried) */
	int other_errors;
};

/* Per-variant workload state (the workload is a forked copy; nothing is
 * shared with the supervisor). */
struct wl {
	const struct variant *v;
	atomic_int stop;
	ino_t userns;
};

static void *busy(void *arg)
{
	struct wl *w = arg;
	volatile unsigned long x = 0;
	while (!atomic_load(&w->stop))
		x++;
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
}

static long do_clone(const struct variant *v, struct clone_args *ca)
{
	if (v->use_clone3) {
		memset(ca, 0, sizeof *ca);
		ca->flags = NS_FLAGS;
		ca->exit_signal = SIGCHLD;
		return syscall(SYS_clone3, ca, sizeof *ca);
	}
	return syscall(SYS_clone, NS_FLAGS | SIGCHLD, 0, 0, 0, 0);
}

/* Child side of one clone: report (same userns, own pid) through the pipe. */
static void child_report(struct wl *w, int fd)
{
	struct stat st;
	int same = stat("/proc/self/ns/user", &st) == 0 && st.st_ino == w->userns;
	int msg[2] = { same, (int)getpid() };
	ssize_t n = write(fd, msg, sizeof msg);
	_exit(n == (ssize_t)sizeof msg ? 0 : 1);
}

static void workload_loop(struct wl *w, int out)
{
	struct wl_counts c = { 0 };
	const struct variant *v = w->v;
	pthread_t th[8];
	int nth = 0;
	for (int i = 0; i < v->busy_threads && i < 8; i++)
		if (pthread_create(&th[i], NULL, busy, w) == 0)
			nth++;
	if (v->signal_storm) {
		struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, NULL);
		struct itimerval it = { { 0, 200 }, { 0, 200 } };
		setitimer(ITIMER_REAL, &it, NULL);
	}
	int pipefd[2];
	if (pipe(pipefd) < 0)
		_exit(101);
	while (c.calls < ITERATIONS) {
		struct clone_args ca;
		long pid = do_clone(v, &ca);
		if (pid == 0) {
			struct itimerval off = { { 0, 0 }, { 0, 0 } };
			setitimer(ITIMER_REAL, &off, NULL);
			child_report(w, pipefd[1]);
		}
		if (pid < 0) {
			if (errno == EINTR)
				c.eintr++;
			else
				c.other_errors++;
			if (c.other_errors > 10)
				break;
			continue;
		}
		c.calls++;
		if (v->use_clone3 && ca.flags == NS_FLAGS && ca.exit_signal == SIGCHLD)
			c.flags_intact++;
		int msg[2];
		ssize_t n;
		do
			n = read(pipefd[0], msg, sizeof msg);
		while (n < 0 && errno == EINTR);
		if (n == (ssize_t)sizeof msg) {
			c.same_userns += msg[0] == 1;
			c.pid_matches += msg[1] == (int)pid;
		}
		int st;
		while (waitpid((pid_t)pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	atomic_store(&w->stop, 1);
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	ssize_t n = write(out, &c, sizeof c);
	_exit(n == (ssize_t)sizeof c ? 0 : 102);
}

static pid_t start_workload(const struct variant *v, const struct sock_fprog *prog, int *listener,
			    int *result_fd)
{
	int sp[2], res[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0 || pipe2(res, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(sp[0]);
		close(res[0]);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		struct wl w = { .v = v };
		struct stat st;
		if (stat("/proc/self/ns/user", &st) < 0)
			_exit(103);
		w.userns = st.st_ino;
		char err[256];
		int l = filter_install(prog, err, sizeof err);
		if (l < 0) {
			fprintf(stderr, "%s\n", err);
			_exit(104);
		}
		if (fdpass_send(sp[1], l) < 0)
			_exit(105);
		close(l);
		workload_loop(&w, res[1]);
	}
	close(sp[1]);
	close(res[1]);
	*listener = fdpass_recv(sp[0]);
	close(sp[0]);
	*result_fd = res[0];
	return pid;
}

/* The flags of a clone3 call, read from the workload's memory. */
static uint64_t clone3_flags(pid_t pid, uint64_t addr)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t flags = 0;
	if (fd >= 0) {
		if (pread(fd, &flags, sizeof flags, (off_t)addr) != (ssize_t)sizeof flags)
			flags = 0;
		close(fd);
	}
	return flags;
}

struct sup_counts {
	int created, call_failed, not_seized, interrupted, release_failed;
	long long total_ns;
	pid_t workload;
	int workload_status;
	int workload_reaped;
};

static void note_exit(void *opaque, pid_t pid, int status)
{
	struct sup_counts *s = opaque;
	if (pid == s->workload && !s->workload_reaped) {
		s->workload_reaped = 1;
		s->workload_status = status;
	}
}

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* On the tracer thread: rewrite one namespace clone and release it. */
static void handle(int l, struct sup_counts *s, const struct seccomp_notif *n)
{
	struct rewrite_request req = {
		.notification_id = n->id,
		.tid = (pid_t)n->pid,
		.syscall_nr = n->data.nr,
		.instruction_pointer = n->data.instruction_pointer,
		.strip_flags = CLONE_NEW_ANY,
		.clone_args_addr = n->data.nr == SYS_clone3 ? n->data.args[0] : 0,
	};
	struct rewrite_env env = { .listener_fd = l, .timeout_ms = 5000, .on_exit = note_exit, .opaque = s };
	struct rewrite_result res;
	long long t0 = now_ns();
	rewrite_clone(&env, &req, &res);
	switch (res.outcome) {
	case REWRITE_CHILD_CREATED: {
		char err[256];
		s->created++;
		if (rewrite_release(req.tid, res.child_tid, err, sizeof err) < 0) {
			s->release_failed++;
			fprintf(stderr, "  release: %s\n", err);
		}
		s->total_ns += now_ns() - t0;
		break;
	}
	case REWRITE_NOT_SEIZED: {
		s->not_seized++;
		fprintf(stderr, "  not seized: %s\n", res.detail);
		struct seccomp_notif_resp r = { .id = n->id, .error = -res.error_number };
		ioctl(l, SECCOMP_IOCTL_NOTIF_SEND, &r);
		break;
	}
	case REWRITE_INTERRUPTED:
		s->interrupted++;
		break;
	case REWRITE_CALL_FAILED:
	default:
		s->call_failed++;
		fprintf(stderr, "  call failed: %s\n", res.detail);
		break;
	}
}

/* The notification side of the tiny sentry, on its own thread: CONTINUE for
 * everything but namespace clones, which go to the tracer thread. A clone3
 * restarted by the rewrite is notified again (without the flags) and must be
 * answered while the tracer waits for its fork event, as the real sentry
 * does while the shim works. */
struct notifier {
	int listener;
	int to_tracer;       /* pipe: struct seccomp_notif */
	atomic_int stop;
};

static void *notifier_main(void *arg)
{
	struct notifier *nt = arg;
	while (!atomic_load(&nt->stop)) {
		struct pollfd p = { .fd = nt->listener, .events = POLLIN };
		int r = poll(&p, 1, 50);
		if (r <= 0 || !(p.revents & POLLIN))
			continue;
		struct seccomp_notif n;
		memset(&n, 0, sizeof n);
		if (ioctl(nt->listener, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0)
			continue;
		uint64_t flags = 0;
		if (n.data.nr == SYS_clone)
			flags = n.data.args[0];
		else if (n.data.nr == SYS_clone3)
			flags = clone3_flags((pid_t)n.pid, n.data.args[0]);
		if ((n.data.nr == SYS_clone || n.data.nr == SYS_clone3) && (flags & CLONE_NEW_ANY)) {
			if (write(nt->to_tracer, &n, sizeof n) != (ssize_t)sizeof n)
				break;
			continue;
		}
		struct seccomp_notif_resp resp = { .id = n.id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
		ioctl(nt->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
	return NULL;
}

static void run_variant(struct trun *t, const struct variant *v, const struct sock_fprog *prog)
{
	int l = -1, result_fd = -1;
	struct sup_counts s = { 0 };
	pid_t w = start_workload(v, prog, &l, &result_fd);
	CHECK(t, w > 0 && l >= 0);
	if (w <= 0 || l < 0)
		return;
	s.workload = w;
	int req[2];
	CHECK(t, pipe2(req, O_CLOEXEC) == 0);
	struct notifier nt = { .listener = l, .to_tracer = req[1] };
	pthread_t th;
	CHECK(t, pthread_create(&th, NULL, notifier_main, &nt) == 0);
	long long deadline = now_ns() + 120LL * 1000000000LL;
	while (!s.workload_reaped && now_ns() < deadline) {
		struct pollfd p = { .fd = req[0], .events = POLLIN };
		int r = poll(&p, 1, 20);
		if (r > 0 && (p.revents & POLLIN)) {
			struct seccomp_notif n;
			if (read(req[0], &n, sizeof n) == (ssize_t)sizeof n)
				handle(l, &s, &n);
			continue;
		}
		int st;
		pid_t got = waitpid(w, &st, WNOHANG | __WALL);
		if (got == w && (WIFEXITED(st) || WIFSIGNALED(st)))
			note_exit(&s, w, st);
	}
	if (!s.workload_reaped) {
		kill(w, SIGKILL);
		waitpid(w, &s.workload_status, __WALL);
	}
	atomic_store(&nt.stop, 1);
	pthread_join(th, NULL);
	close(req[0]);
	close(req[1]);
	close(l);
	struct wl_counts c = { 0 };
	ssize_t n = read(result_fd, &c, sizeof c);
	close(result_fd);
	int exp_flags = v->use_clone3 ? ITERATIONS : 0;
	printf("  %-28s calls %d/%d, child in parent's userns %d, clone returned child pid %d, "
	       "clone3 flags restored %d, EINTR retried %d, errors %d | rewrites: created %d, "
	       "interrupted %d, failed %d, not seized %d, mean %.0f us\n",
	       v->name, c.calls, ITERATIONS, c.same_userns, c.pid_matches, c.flags_intact, c.eintr,
	       c.other_errors, s.created, s.interrupted, s.call_failed, s.not_seized,
	       s.created ? (double)s.total_ns / s.created / 1000.0 : 0.0);
	CHECKF(t, WIFEXITED(s.workload_status) && WEXITSTATUS(s.workload_status) == 0,
	       "%s: workload status 0x%x", v->name, s.workload_status);
	CHECK(t, n == (ssize_t)sizeof c);
	CHECK(t, c.calls == ITERATIONS && c.same_userns == ITERATIONS && c.pid_matches == ITERATIONS);
	CHECK(t, c.flags_intact == exp_flags && c.other_errors == 0);
	CHECK(t, s.call_failed == 0 && s.not_seized == 0 && s.release_failed == 0);
	CHECK(t, s.created == ITERATIONS);
	if (!v->signal_storm)
		CHECK(t, c.eintr == 0 && s.interrupted == 0);
}

/* May this process trace its children? */
static int can_ptrace(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	int ok = ptrace(PTRACE_SEIZE, pid, NULL, NULL) == 0;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, __WALL);
	return ok;
}

static const struct variant variants[] = {
	{ "clone, 1 thread", 0, 0, 0 },
	{ "clone, 4 busy threads", 0, 4, 0 },
	{ "clone3, 1 thread", 1, 0, 0 },
	{ "clone3, 4 busy threads", 1, 4, 0 },
	{ "clone, SIGALRM storm", 0, 0, 1 },
	{ "clone3, SIGALRM storm", 1, 0, 1 },
};

static const struct sock_fprog *the_prog;

#define VARIANT_TEST(i)                                   \
	static void test_variant_##i(struct trun *t)      \
	{                                                 \
		run_variant(t, &variants[i], the_prog);   \
	}
VARIANT_TEST(0)
VARIANT_TEST(1)
VARIANT_TEST(2)
VARIANT_TEST(3)
VARIANT_TEST(4)
VARIANT_TEST(5)

int main(void)
{
	struct trun t = { 0 };
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	if (!can_ptrace()) {
		printf("rewrite_experiment: skipped (this process may not ptrace its children)\n");
		return trun_finish(&t);
	}
	struct fd_band band;
	char err[256];
	struct sock_fprog prog;
	if (fd_band_compute(&band, err, sizeof err) < 0 || filter_build(&band, VARIANT_DEBUGGABLE, &prog, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	the_prog = &prog;
	RUN(&t, test_variant_0);
	RUN(&t, test_variant_1);
	RUN(&t, test_variant_2);
	RUN(&t, test_variant_3);
	RUN(&t, test_variant_4);
	RUN(&t, test_variant_5);
	filter_prog_free(&prog);
	return trun_finish(&t);
}
