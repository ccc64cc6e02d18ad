/* The clone rewrite (x86_64). The procedure, validated in spikes.md section 1:
 *
 *  1. PTRACE_SEIZE the thread (fork/vfork/clone events, TRACESYSGOOD,
 *     EXITKILL), PTRACE_INTERRUPT it, and answer its notification with
 *     -ERESTARTNOINTR. The thread leaves the seccomp wait and stops for the
 *     interrupt before the kernel rewinds the syscall instruction.
 *  2. At that first stop (orig_rax == nr, rip == the notified instruction
 *     pointer, rax a restart code) strip the flags (clone: rdi; clone3: the
 *     flags word of struct clone_args in the thread's memory, with
 *     PTRACE_POKEDATA since it may be read-only), force rax = -ERESTARTNOINTR
 *     and resume with PTRACE_SYSCALL: the kernel restarts the call.
 *  3. Follow the thread with PTRACE_SYSCALL until its fork event (success) or
 *     the syscall's exit (failure). A restarted clone3 is notified again and
 *     that wait is interruptible until the sentry receives it: -ERESTARTSYS at
 *     the exit stop becomes -ERESTARTNOINTR so no EINTR leaks out. Signals
 *     seen at signal-delivery stops are re-injected.
 *  4. At the fork event the caller's flags are put back (rdi, or the clone3
 *     word), the child's pid is read with PTRACE_GETEVENTMSG and the child is
 *     waited for at its initial stop. Both stay stopped until
 *     rewrite_release.
 *
 * Waits are on specific pids (never -1) so that other children of the tracer
 * are left alone, and are bounded by env->timeout_ms. */
#include "rewrite.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>

#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

/* Never honoured for the restarted call: the child must be auto-attached. */
#define CLONE_UNTRACED_FLAG 0x00800000ULL

#define TRACE_OPTIONS (PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | \
		       PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL)

/* State of one rewrite, passed between the steps. */
struct rw {
	const struct rewrite_env *env;
	const struct rewrite_request *req;
	struct rewrite_result *res;
	struct timespec deadline;
	uint64_t orig_rdi;        /* clone: the caller's flags register */
	long orig_word;           /* clone3: the caller's flags word */
	int word_modified;        /* clone3 flags word currently rewritten */
};

static void set_result(struct rw *rw, enum rewrite_outcome o, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void set_result(struct rw *rw, enum rewrite_outcome o, int err, const char *fmt, ...)
{
	rw->res->outcome = o;
	rw->res->error_number = err;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rw->res->detail, sizeof rw->res->detail, fmt, ap);
	va_end(ap);
}

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000L + (deadline->tv_nsec - now.tv_nsec) / 1000000L;
}

/* Wait for a state change of one tracee until the deadline. SIGCHLD is
 * blocked by the caller, so a change between waitpid and sigtimedwait leaves
 * SIGCHLD pending and is not missed. Returns 1 with *status, 0 on timeout,
 * -errno on error. */
int tracee_wait(pid_t pid, int *status, const struct timespec *deadline)
{
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		pid_t r = waitpid(pid, status, __WALL | WNOHANG);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -errno;
		long left = ms_left(deadline);
		if (left <= 0)
			return 0;
		struct timespec ts = { .tv_sec = left / 1000, .tv_nsec = (left % 1000) * 1000000L };
		if (sigtimedwait(&chld, NULL, &ts) < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
	}
}

void tracee_deadline(struct timespec *deadline, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += ms / 1000;
	deadline->tv_nsec += (ms % 1000) * 1000000L;
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
}

static void report_exit(struct rw *rw, pid_t pid, int status)
{
	if (rw->env->on_exit != NULL)
		rw->env->on_exit(rw->env->opaque, pid, status);
}

static int is_restart_code(long long rax)
{
	return rax == -ERESTARTSYS || rax == -ERESTARTNOINTR || rax == -ERESTARTNOHAND ||
	       rax == -ERESTART_RESTARTBLOCK;
}

/* clone3: read or write the flags word of the caller's struct clone_args. */
static int peek_word(pid_t tid, uint64_t addr, long *out)
{
	errno = 0;
	long v = ptrace(PTRACE_PEEKDATA, tid, (void *)addr, NULL);
	if (v == -1 && errno != 0)
		return -errno;
	*out = v;
	return 0;
}

static int poke_word(pid_t tid, uint64_t addr, long v)
{
	return ptrace(PTRACE_POKEDATA, tid, (void *)addr, (void *)v) < 0 ? -errno : 0;
}

/* Put the caller's clone3 flags word back if it is still rewritten. */
static int restore_word(struct rw *rw)
{
	if (!rw->word_modified)
		return 0;
	int rc = poke_word(rw->req->tid, rw->req->clone_args_addr, rw->orig_word);
	if (rc == 0)
		rw->word_modified = 0;
	return rc;
}

/* Let tid run again, delivering sig (0 for none): detach it, or, for a
 * permanent tracee (owners.h), resume it. A child of a permanent tracee that
 * cannot be handed over in a known state is killed. ESRCH means it is gone. */
static void let_go(const struct rw *rw, pid_t tid, int sig)
{
	if (!rw->req->keep_traced)
		ptrace(PTRACE_DETACH, tid, NULL, (void *)(long)sig);
	else if (tid == rw->req->tid)
		ptrace(PTRACE_CONT, tid, NULL, (void *)(long)sig);
	else
		kill(tid, SIGKILL);
}

/* Step 2: at the first stop, rewrite and resume. Returns 1 if resumed for the
 * restart, 0 if the result is final (detached). */
static int first_stop(struct rw *rw, int status)
{
	const struct rewrite_request *req = rw->req;
	pid_t tid = req->tid;
	int event = status >> 16;
	int sig = WSTOPSIG(status);
	/* A signal-delivery stop carries a signal to pass on. */
	int inject = (event == 0 && sig != (SIGTRAP | 0x80)) ? sig : 0;

	struct user_regs_struct regs;
	if (ptrace(PTRACE_GETREGS, tid, NULL, &regs) < 0) {
		int e = errno;
		let_go(rw, tid, inject);
		set_result(rw, REWRITE_CALL_FAILED, e, "PTRACE_GETREGS(%d): %s", tid, strerror(e));
		return 0;
	}
	long long rax = (long long)regs.rax;
	if ((long long)regs.orig_rax != req->syscall_nr || regs.rip != req->instruction_pointer ||
	    !is_restart_code(rax)) {
		let_go(rw, tid, inject);
		set_result(rw, REWRITE_INTERRUPTED, 0,
			   "first stop (status 0x%x) was not the restart: orig_rax=%lld rip=0x%llx rax=%lld",
			   status, (long long)regs.orig_rax, (unsigned long long)regs.rip, rax);
		return 0;
	}
	uint64_t strip = req->strip_flags | CLONE_UNTRACED_FLAG;
	if (req->syscall_nr == SYS_clone3) {
		int rc = peek_word(tid, req->clone_args_addr, &rw->orig_word);
		if (rc == 0)
			rc = poke_word(tid, req->clone_args_addr, (long)((uint64_t)rw->orig_word & ~strip));
		if (rc < 0) {
			/* Let the call restart unchanged; it comes back as a new notification. */
			regs.rax = (unsigned long long)-ERESTARTNOINTR;
			ptrace(PTRACE_SETREGS, tid, NULL, &regs);
			let_go(rw, tid, inject);
			set_result(rw, REWRITE_CALL_FAILED, -rc, "clone_args at 0x%llx: %s",
				   (unsigned long long)req->clone_args_addr, strerror(-rc));
			return 0;
		}
		rw->word_modified = 1;
	} else {
		rw->orig_rdi = regs.rdi;
		regs.rdi &= ~strip;
	}
	regs.rax = (unsigned long long)-ERESTARTNOINTR;
	if (ptrace(PTRACE_SETREGS, tid, NULL, &regs) < 0 ||
	    ptrace(PTRACE_SYSCALL, tid, NULL, (void *)(long)inject) < 0) {
		int e = errno;
		restore_word(rw);
		let_go(rw, tid, inject);
		set_result(rw, REWRITE_CALL_FAILED, e, "restarting %d: %s", tid, strerror(e));
		return 0;
	}
	return 1;
}

/* Step 4: at the fork event, put the caller's flags back and hold the child. */
static void fork_event(struct rw *rw)
{
	pid_t tid = rw->req->tid;
	unsigned long msg = 0;
	if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg) < 0) {
		int e = errno;
		set_result(rw, REWRITE_CALL_FAILED, e, "PTRACE_GETEVENTMSG(%d): %s", tid, strerror(e));
		restore_word(rw);
		let_go(rw, tid, 0);
		return;
	}
	pid_t child = (pid_t)msg;
	int rc = 0;
	if (rw->req->syscall_nr == SYS_clone3) {
		rc = restore_word(rw);
	} else {
		struct user_regs_struct regs;
		if (ptrace(PTRACE_GETREGS, tid, NULL, &regs) < 0)
			rc = -errno;
		else {
			regs.rdi = rw->orig_rdi;
			if (ptrace(PTRACE_SETREGS, tid, NULL, &regs) < 0)
				rc = -errno;
		}
	}
	if (rc < 0) {
		/* The child exists either way; the caller's flags are cosmetic. */
		snprintf(rw->res->detail, sizeof rw->res->detail,
			 "restoring the caller's clone flags failed: %s", strerror(-rc));
	}
	int status;
	int w = tracee_wait(child, &status, &rw->deadline);
	if (w <= 0) {
		int e = w == 0 ? ETIMEDOUT : -w;
		set_result(rw, REWRITE_CALL_FAILED, e, "waiting for child %d to stop: %s", child,
			   strerror(e));
		let_go(rw, child, 0);
		let_go(rw, tid, 0);
		return;
	}
	if (!WIFSTOPPED(status))
		report_exit(rw, child, status); /* killed before it ran; still created */
	rw->res->outcome = REWRITE_CHILD_CREATED;
	rw->res->child_tid = child;
}

/* A syscall-exit stop of the rewritten call. Returns 1 to keep following. */
static int syscall_exit(struct rw *rw, struct user_regs_struct *regs)
{
	pid_t tid = rw->req->tid;
	long long rax = (long long)regs->rax;
	if (rax == -ERESTARTSYS) {
		/* The re-notified clone3 was interrupted before the sentry received it. */
		regs->rax = (unsigned long long)-ERESTARTNOINTR;
		if (ptrace(PTRACE_SETREGS, tid, NULL, regs) < 0) {
			int e = errno;
			restore_word(rw);
			let_go(rw, tid, 0);
			set_result(rw, REWRITE_CALL_FAILED, e, "PTRACE_SETREGS(%d): %s", tid, strerror(e));
			return 0;
		}
		return 1;
	}
	if (is_restart_code(rax))
		return 1;
	/* The call finished without a fork event: it failed (or created an
	 * untraced child, which CLONE_UNTRACED stripping rules out). */
	restore_word(rw);
	if (rw->req->syscall_nr == SYS_clone) {
		regs->rdi = rw->orig_rdi;
		ptrace(PTRACE_SETREGS, tid, NULL, regs);
	}
	let_go(rw, tid, 0);
	if (rax < 0 && rax >= -4095)
		set_result(rw, REWRITE_CALL_FAILED, (int)-rax, "restarted call failed: %s",
			   strerror((int)-rax));
	else
		set_result(rw, REWRITE_CALL_FAILED, EPROTO,
			   "restarted call returned %lld without a fork event", rax);
	return 0;
}

/* Step 3: follow the restarted call. Returns 1 if the thread may still be
 * running under us with rewritten flags (a timeout), 0 otherwise. */
static int follow(struct rw *rw)
{
	pid_t tid = rw->req->tid;
	for (;;) {
		int status;
		int w = tracee_wait(tid, &status, &rw->deadline);
		if (w < 0) {
			set_result(rw, REWRITE_CALL_FAILED, -w, "waitpid(%d): %s", tid, strerror(-w));
			return 0;
		}
		if (w == 0) {
			set_result(rw, REWRITE_CALL_FAILED, ETIMEDOUT,
				   "no fork event from %d within %d ms", tid, rw->env->timeout_ms);
			return 1;
		}
		if (!WIFSTOPPED(status)) {
			report_exit(rw, tid, status);
			set_result(rw, REWRITE_CALL_FAILED, ESRCH, "thread %d exited during the rewrite",
				   tid);
			return 0;
		}
		int event = status >> 16;
		int sig = WSTOPSIG(status);
		int inject = 0;
		if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK ||
		    event == PTRACE_EVENT_CLONE) {
			fork_event(rw);
			return 0;
		}
		if (event == 0 && sig == (SIGTRAP | 0x80)) {
			struct __ptrace_syscall_info info;
			if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, (void *)sizeof info, &info) < 0) {
				int e = errno;
				restore_word(rw);
				let_go(rw, tid, 0);
				set_result(rw, REWRITE_CALL_FAILED, e, "PTRACE_GET_SYSCALL_INFO(%d): %s",
					   tid, strerror(e));
				return 0;
			}
			if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
				struct user_regs_struct regs;
				if (ptrace(PTRACE_GETREGS, tid, NULL, &regs) < 0) {
					int e = errno;
					restore_word(rw);
					let_go(rw, tid, 0);
					set_result(rw, REWRITE_CALL_FAILED, e, "PTRACE_GETREGS(%d): %s",
						   tid, strerror(e));
					return 0;
				}
				if ((long long)regs.orig_rax == rw->req->syscall_nr &&
				    !syscall_exit(rw, &regs))
					return 0;
			}
		} else if (event == 0) {
			inject = sig; /* signal-delivery stop */
		}
		/* Interrupt and group stops are passed over; after the detach a
		 * pending group stop takes effect again. */
		if (ptrace(PTRACE_SYSCALL, tid, NULL, (void *)(long)inject) < 0) {
			int e = errno;
			restore_word(rw);
			set_result(rw, REWRITE_CALL_FAILED, e, "PTRACE_SYSCALL(%d): %s", tid, strerror(e));
			return 0;
		}
	}
}

/* After a timeout or error with the thread possibly running under us: stop
 * it, put the caller's flags back, detach. Fail closed if it cannot be
 * stopped. */
static void abandon(struct rw *rw)
{
	pid_t tid = rw->req->tid;
	/* ESRCH here means it is stopped already or gone; the wait tells. */
	ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
	struct timespec grace;
	clock_gettime(CLOCK_MONOTONIC, &grace);
	grace.tv_sec += 1;
	int status;
	int w = tracee_wait(tid, &status, &grace);
	if (w == 1 && !WIFSTOPPED(status)) {
		report_exit(rw, tid, status);
		return;
	}
	if (w == 1) {
		struct user_regs_struct regs;
		int inject = ((status >> 16) == 0 && WSTOPSIG(status) != (SIGTRAP | 0x80))
				     ? WSTOPSIG(status) : 0;
		if (restore_word(rw) == 0 && ptrace(PTRACE_GETREGS, tid, NULL, &regs) == 0 &&
		    (long long)regs.rax == -ERESTARTSYS) {
			/* Restart with the caller's own flags: back to the sentry. */
			regs.rax = (unsigned long long)-ERESTARTNOINTR;
			ptrace(PTRACE_SETREGS, tid, NULL, &regs);
		}
		if (rw->req->keep_traced ? ptrace(PTRACE_CONT, tid, NULL, (void *)(long)inject) == 0
					 : ptrace(PTRACE_DETACH, tid, NULL, (void *)(long)inject) == 0)
			return;
	}
	/* It cannot be let go in a known state: kill it rather than leave it
	 * running with rewritten flags or stuck under a tracer. */
	kill(tid, SIGKILL);
	size_t n = strlen(rw->res->detail);
	snprintf(rw->res->detail + n, sizeof rw->res->detail - n, "; thread %d killed", tid);
}

void rewrite_clone(const struct rewrite_env *env, const struct rewrite_request *req,
		   struct rewrite_result *res)
{
	memset(res, 0, sizeof *res);
	struct rw rw = { .env = env, .req = req, .res = res };
	pid_t tid = req->tid;

	if (req->syscall_nr != SYS_clone && req->syscall_nr != SYS_clone3) {
		set_result(&rw, REWRITE_NOT_SEIZED, EINVAL, "syscall %d is not clone or clone3",
			   req->syscall_nr);
		return;
	}
	if (req->syscall_nr == SYS_clone3 && req->clone_args_addr == 0) {
		set_result(&rw, REWRITE_NOT_SEIZED, EINVAL, "clone3 without clone_args_addr");
		return;
	}

	sigset_t chld, old;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &chld, &old) < 0) {
		int e = errno;
		set_result(&rw, REWRITE_NOT_SEIZED, e, "sigprocmask(SIG_BLOCK, SIGCHLD): %s", strerror(e));
		return;
	}
	tracee_deadline(&rw.deadline, env->timeout_ms);

	/* Step 1 (a permanent tracee is ours already). */
	if (!req->keep_traced && ptrace(PTRACE_SEIZE, tid, NULL, (void *)(long)TRACE_OPTIONS) < 0) {
		int e = errno;
		set_result(&rw, REWRITE_NOT_SEIZED, e, "PTRACE_SEIZE(%d): %s", tid, strerror(e));
		goto out;
	}
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0) {
		int e = errno;
		set_result(&rw, REWRITE_CALL_FAILED, e, "PTRACE_INTERRUPT(%d): %s", tid, strerror(e));
		abandon(&rw);
		goto out;
	}
	struct seccomp_notif_resp resp = {
		.id = req->notification_id, .val = 0, .error = -ERESTARTNOINTR, .flags = 0,
	};
	if (ioctl(env->listener_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT) {
		/* The thread may still be waiting for an answer the sentry will
		 * not give: report and let go of it. */
		int e = errno;
		set_result(&rw, REWRITE_CALL_FAILED, e, "SECCOMP_IOCTL_NOTIF_SEND(id %llu): %s",
			   (unsigned long long)req->notification_id, strerror(e));
		abandon(&rw);
		goto out;
	}

	int status;
	int w = tracee_wait(tid, &status, &rw.deadline);
	if (w <= 0) {
		int e = w == 0 ? ETIMEDOUT : -w;
		set_result(&rw, REWRITE_CALL_FAILED, e, "waiting for %d to stop: %s", tid, strerror(e));
		abandon(&rw);
		goto out;
	}
	if (!WIFSTOPPED(status)) {
		report_exit(&rw, tid, status);
		set_result(&rw, REWRITE_CALL_FAILED, ESRCH, "thread %d exited before the restart", tid);
		goto out;
	}
	/* Steps 2-4. */
	if (first_stop(&rw, status) && follow(&rw))
		abandon(&rw);
out:
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int rewrite_release(pid_t tid, pid_t child_tid, char *err, size_t err_len)
{
	int rc = 0;
	if (child_tid > 0 && ptrace(PTRACE_DETACH, child_tid, NULL, NULL) < 0 && errno != ESRCH) {
		snprintf(err, err_len, "PTRACE_DETACH(child %d): %s", child_tid, strerror(errno));
		rc = -1;
	}
	if (ptrace(PTRACE_DETACH, tid, NULL, NULL) < 0 && errno != ESRCH) {
		if (rc == 0)
			snprintf(err, err_len, "PTRACE_DETACH(%d): %s", tid, strerror(errno));
		rc = -1;
	}
	return rc;
}
