/* Owner translation for the stat calls of tasks in nested user namespaces;
 * see owners.h. The translation mirrors fs/stat.c cp_new_stat / cp_statx:
 * st_uid = from_kuid_munged(current_user_ns(), stat->uid). */
#include "owners.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "filter.h"
#include "rewrite.h"

#define OVERFLOW_ID 65534u
#define AT_SYMLINK_NOFOLLOW_FLAG 0x100ULL
#define AT_EMPTY_PATH_FLAG 0x1000ULL
/* Offsets of the owner fields: struct stat (x86_64) st_uid/st_gid, struct statx stx_uid/stx_gid. */
#define STAT_UID_OFFSET 28
#define STATX_UID_OFFSET 20
/* How many times the shim polls for a filtered stat's exit stop before it
 * goes back to its main loop. */
#define EXIT_SPIN 200

void owners_init(struct owners *o, void (*on_exit)(void *opaque, pid_t pid, int status),
		 void *opaque)
{
	memset(o, 0, sizeof *o);
	o->on_exit = on_exit;
	o->opaque = opaque;
}

void owners_free(struct owners *o)
{
	free(o->prog.filter);
	for (size_t i = 0; i < o->n_views; i++) {
		free(o->views[i].uid);
		free(o->views[i].gid);
	}
	free(o->views);
	free(o->slots);
	memset(o, 0, sizeof *o);
}

/* ------------------------------------------------------------------ the filter */

static int add_trace_rule(scmp_filter_ctx ctx, int nr, const char *name, unsigned ncmp,
			  const struct scmp_arg_cmp *cmp, char *err, size_t err_len)
{
	int rc = seccomp_rule_add_array(ctx, SCMP_ACT_TRACE(0), nr, ncmp, cmp);
	if (rc < 0) {
		snprintf(err, err_len, "seccomp_rule_add(%s, TRACE): %s", name, strerror(-rc));
		return -1;
	}
	return 0;
}

int owners_build_filter(struct owners *o, char *err, size_t err_len)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (ctx == NULL) {
		snprintf(err, err_len, "seccomp_init: failed");
		return -1;
	}
	int rc = -1;
	/* The base filter already kills other ABIs; no_new_privs is set. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0) {
		snprintf(err, err_len, "seccomp_attr_set: failed");
		goto out;
	}
	/* The complement of the base filter's stat rules: what it lets through. */
	struct scmp_arg_cmp nofollow3 = SCMP_CMP(3, SCMP_CMP_MASKED_EQ, AT_SYMLINK_NOFOLLOW_FLAG,
						 AT_SYMLINK_NOFOLLOW_FLAG);
	struct scmp_arg_cmp empty3 = SCMP_CMP(3, SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH_FLAG,
					      AT_EMPTY_PATH_FLAG);
	struct scmp_arg_cmp nofollow2 = SCMP_CMP(2, SCMP_CMP_MASKED_EQ, AT_SYMLINK_NOFOLLOW_FLAG,
						 AT_SYMLINK_NOFOLLOW_FLAG);
	struct scmp_arg_cmp empty2 = SCMP_CMP(2, SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH_FLAG,
					      AT_EMPTY_PATH_FLAG);
	if (add_trace_rule(ctx, SCMP_SYS(lstat), "lstat", 0, NULL, err, err_len) < 0 ||
	    add_trace_rule(ctx, SCMP_SYS(fstat), "fstat", 0, NULL, err, err_len) < 0 ||
	    add_trace_rule(ctx, SCMP_SYS(newfstatat), "newfstatat", 1, &nofollow3, err, err_len) < 0 ||
	    add_trace_rule(ctx, SCMP_SYS(newfstatat), "newfstatat", 1, &empty3, err, err_len) < 0 ||
	    add_trace_rule(ctx, SCMP_SYS(statx), "statx", 1, &nofollow2, err, err_len) < 0 ||
	    add_trace_rule(ctx, SCMP_SYS(statx), "statx", 1, &empty2, err, err_len) < 0)
		goto out;
	rc = filter_export(ctx, &o->prog, err, err_len);
out:
	seccomp_release(ctx);
	return rc;
}

int owners_install_self(const struct owners *o, char *err, size_t err_len)
{
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &o->prog) < 0) {
		snprintf(err, err_len, "seccomp(SET_MODE_FILTER, owner filter): %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ views */

static const struct owner_view *find_view(const struct owners *o, uint64_t id)
{
	for (size_t i = 0; i < o->n_views; i++)
		if (o->views[i].id == id)
			return &o->views[i];
	return NULL;
}

int owners_put_view(struct owners *o, const struct owner_view *v)
{
	struct id_extent *uid = NULL, *gid = NULL;
	if (v->n_uid > 0 && (uid = malloc(v->n_uid * sizeof *uid)) == NULL)
		return -ENOMEM;
	if (v->n_gid > 0 && (gid = malloc(v->n_gid * sizeof *gid)) == NULL) {
		free(uid);
		return -ENOMEM;
	}
	if (v->n_uid > 0)
		memcpy(uid, v->uid, v->n_uid * sizeof *uid);
	if (v->n_gid > 0)
		memcpy(gid, v->gid, v->n_gid * sizeof *gid);
	struct owner_view *slot = (struct owner_view *)find_view(o, v->id);
	if (slot == NULL) {
		if (o->n_views == o->cap_views) {
			size_t cap = o->cap_views ? o->cap_views * 2 : 8;
			struct owner_view *nv = realloc(o->views, cap * sizeof *nv);
			if (nv == NULL) {
				free(uid);
				free(gid);
				return -ENOMEM;
			}
			o->views = nv;
			o->cap_views = cap;
		}
		slot = &o->views[o->n_views++];
	} else {
		free(slot->uid);
		free(slot->gid);
	}
	*slot = (struct owner_view){ .id = v->id, .uid = uid, .gid = gid, .n_uid = v->n_uid,
				     .n_gid = v->n_gid };
	return 0;
}

uint32_t owners_map_id(const struct id_extent *e, size_t n, uint32_t kid)
{
	for (size_t i = 0; i < n; i++)
		if (kid >= e[i].lower_first && kid - e[i].lower_first < e[i].count)
			return e[i].first + (kid - e[i].lower_first);
	return OVERFLOW_ID;
}

/* ------------------------------------------------------------------ tracees */

static size_t slot_of(const struct owners *o, pid_t tid)
{
	return ((uint32_t)tid * 2654435761u) & (o->cap_slots - 1);
}

struct tracee *owners_find(struct owners *o, pid_t tid)
{
	if (o->cap_slots == 0)
		return NULL;
	for (size_t i = slot_of(o, tid);; i = (i + 1) & (o->cap_slots - 1)) {
		if (o->slots[i].tid == tid)
			return &o->slots[i];
		if (o->slots[i].tid == 0)
			return NULL;
	}
}

static int grow(struct owners *o)
{
	size_t cap = o->cap_slots ? o->cap_slots * 2 : 64;
	struct tracee *old = o->slots;
	size_t old_cap = o->cap_slots;
	struct tracee *ns = calloc(cap, sizeof *ns);
	if (ns == NULL)
		return -ENOMEM;
	o->slots = ns;
	o->cap_slots = cap;
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i].tid == 0)
			continue;
		size_t j = slot_of(o, old[i].tid);
		while (ns[j].tid != 0)
			j = (j + 1) & (cap - 1);
		ns[j] = old[i];
	}
	free(old);
	return 0;
}

int owners_track(struct owners *o, pid_t tid, uint64_t view_id, enum tracee_state state)
{
	struct tracee *t = owners_find(o, tid);
	if (t == NULL) {
		if ((o->n_tracees + 1) * 2 > o->cap_slots && grow(o) < 0)
			return -ENOMEM;
		size_t i = slot_of(o, tid);
		while (o->slots[i].tid != 0)
			i = (i + 1) & (o->cap_slots - 1);
		t = &o->slots[i];
		o->n_tracees++;
	}
	*t = (struct tracee){ .tid = tid, .view_id = view_id, .state = state };
	return 0;
}

void owners_forget(struct owners *o, pid_t tid)
{
	struct tracee *t = owners_find(o, tid);
	if (t == NULL)
		return;
	/* Backward-shift deletion keeps every probe chain unbroken. */
	size_t i = (size_t)(t - o->slots);
	size_t mask = o->cap_slots - 1;
	o->slots[i].tid = 0;
	o->n_tracees--;
	for (size_t j = (i + 1) & mask; o->slots[j].tid != 0; j = (j + 1) & mask) {
		size_t home = slot_of(o, o->slots[j].tid);
		/* Move j into the hole at i unless its home lies cyclically in (i, j]. */
		bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
		if (stays)
			continue;
		o->slots[i] = o->slots[j];
		o->slots[j].tid = 0;
		i = j;
	}
}

/* ------------------------------------------------------------------ injection */

/* Make the stopped tracee tid call seccomp(SET_MODE_FILTER, 0, owner filter)
 * from the syscall instruction it last executed, then put its registers
 * back. Signals that arrive meanwhile are suppressed and returned in
 * *deferred (the last one) for the caller to re-queue. */
static int inject_filter(struct owners *o, pid_t tid, const struct timespec *deadline,
			 int *deferred, char *err, size_t err_len)
{
	struct user_regs_struct saved, regs;
	if (ptrace(PTRACE_GETREGS, tid, NULL, &saved) < 0) {
		snprintf(err, err_len, "PTRACE_GETREGS(%d): %s", tid, strerror(errno));
		return -1;
	}
	errno = 0;
	long text = ptrace(PTRACE_PEEKTEXT, tid, (void *)(saved.rip - 2), NULL);
	if (errno != 0 || (text & 0xffff) != 0x050f) {
		snprintf(err, err_len, "thread %d is not stopped after a syscall instruction (rip 0x%llx)",
			 tid, (unsigned long long)saved.rip);
		return -1;
	}
	/* struct sock_fprog and the program, below the red zone of its stack. */
	size_t insn_bytes = o->prog.len * sizeof(struct sock_filter);
	uint64_t at = (saved.rsp - 128 - 16 - insn_bytes) & ~15ULL;
	struct {
		uint16_t len;
		uint16_t pad[3];
		uint64_t filter;
	} fprog = { .len = o->prog.len, .filter = at + 16 };
	struct iovec local[2] = { { &fprog, 16 }, { o->prog.filter, insn_bytes } };
	struct iovec remote = { (void *)at, 16 + insn_bytes };
	ssize_t w = process_vm_writev(tid, local, 2, &remote, 1, 0);
	if (w != (ssize_t)(16 + insn_bytes)) {
		snprintf(err, err_len, "writing the owner filter to thread %d's stack at 0x%llx: %s", tid,
			 (unsigned long long)at, w < 0 ? strerror(errno) : "short write");
		return -1;
	}
	regs = saved;
	regs.rip = saved.rip - 2;
	regs.rax = SYS_seccomp;
	regs.orig_rax = (unsigned long long)-1;
	regs.rdi = SECCOMP_SET_MODE_FILTER;
	regs.rsi = 0;
	regs.rdx = at;
	if (ptrace(PTRACE_SETREGS, tid, NULL, &regs) < 0 || ptrace(PTRACE_SYSCALL, tid, NULL, NULL) < 0) {
		snprintf(err, err_len, "starting seccomp(2) in thread %d: %s", tid, strerror(errno));
		ptrace(PTRACE_SETREGS, tid, NULL, &saved);
		return -1;
	}
	bool entered = false;
	long long result = 0;
	for (;;) {
		int status;
		int r = tracee_wait(tid, &status, deadline);
		if (r <= 0) {
			snprintf(err, err_len, "waiting for thread %d in seccomp(2): %s", tid,
				 r == 0 ? "timed out" : strerror(-r));
			return -1;
		}
		if (!WIFSTOPPED(status)) {
			if (o->on_exit != NULL)
				o->on_exit(o->opaque, tid, status);
			snprintf(err, err_len, "thread %d exited while installing the owner filter", tid);
			return -1;
		}
		int event = status >> 16;
		int sig = WSTOPSIG(status);
		if (event == 0 && sig == (SIGTRAP | 0x80)) {
			if (!entered) {
				entered = true;
			} else {
				if (ptrace(PTRACE_GETREGS, tid, NULL, &regs) < 0) {
					snprintf(err, err_len, "PTRACE_GETREGS(%d): %s", tid, strerror(errno));
					return -1;
				}
				result = (long long)regs.rax;
				break;
			}
		} else if (event == 0) {
			*deferred = sig;
		}
		if (ptrace(PTRACE_SYSCALL, tid, NULL, NULL) < 0) {
			snprintf(err, err_len, "PTRACE_SYSCALL(%d): %s", tid, strerror(errno));
			return -1;
		}
	}
	if (ptrace(PTRACE_SETREGS, tid, NULL, &saved) < 0) {
		snprintf(err, err_len, "restoring thread %d's registers: %s", tid, strerror(errno));
		return -1;
	}
	if (result != 0) {
		snprintf(err, err_len, "seccomp(2) in thread %d: %s", tid, strerror((int)-result));
		return -1;
	}
	return 0;
}

static void requeue(pid_t tid, int sig)
{
	if (sig != 0)
		syscall(SYS_tkill, tid, sig);
}

int owners_inject(struct owners *o, pid_t tid, int timeout_ms, char *err, size_t err_len)
{
	struct timespec deadline;
	tracee_deadline(&deadline, timeout_ms);
	int deferred = 0;
	int rc = inject_filter(o, tid, &deadline, &deferred, err, err_len);
	requeue(tid, deferred);
	return rc;
}

int owners_answer(int listener_fd, uint64_t id, int64_t val)
{
	struct seccomp_notif_resp resp = { .id = id, .val = val };
	if (ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int owners_attach(struct owners *o, int listener_fd, pid_t tid, uint64_t view_id,
		  uint64_t notification_id, int64_t reply_value, int timeout_ms, char *err,
		  size_t err_len)
{
	if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)(long)OWNERS_TRACE_OPTIONS) < 0) {
		int e = errno;
		if (notification_id != 0)
			owners_answer(listener_fd, notification_id, reply_value);
		if (e == EPERM)
			snprintf(err, err_len, "thread %d entered a nested user namespace while traced by "
				 "another process (strace, gdb): its lstat/fstat owners are not translated; "
				 "run nsentry with --debuggable to trace such tasks", tid);
		else
			snprintf(err, err_len, "PTRACE_SEIZE(%d): %s", tid, strerror(e));
		return e == EPERM || e == ESRCH ? -2 : -1;
	}
	/* The interrupt stop comes once the thread returns from its call. */
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0) {
		snprintf(err, err_len, "PTRACE_INTERRUPT(%d): %s", tid, strerror(errno));
		if (notification_id != 0)
			owners_answer(listener_fd, notification_id, reply_value);
		ptrace(PTRACE_DETACH, tid, NULL, NULL);
		return -1;
	}
	int rc = notification_id != 0 ? owners_answer(listener_fd, notification_id, reply_value) : 0;
	if (rc < 0) {
		snprintf(err, err_len, "SECCOMP_IOCTL_NOTIF_SEND(id %llu): %s",
			 (unsigned long long)notification_id, strerror(-rc));
		ptrace(PTRACE_DETACH, tid, NULL, NULL);
		return -1;
	}
	struct timespec deadline;
	tracee_deadline(&deadline, timeout_ms);
	int status;
	int r = tracee_wait(tid, &status, &deadline);
	if (r <= 0) {
		/* It cannot be let go in a known state. */
		kill(tid, SIGKILL);
		snprintf(err, err_len, "thread %d did not stop after its call (%s); killed", tid,
			 r == 0 ? "timed out" : strerror(-r));
		return -1;
	}
	if (!WIFSTOPPED(status)) {
		if (o->on_exit != NULL)
			o->on_exit(o->opaque, tid, status);
		return 0;
	}
	int deferred = (status >> 16) == 0 ? WSTOPSIG(status) : 0;
	if (inject_filter(o, tid, &deadline, &deferred, err, err_len) < 0) {
		/* Without the filter nothing needs a tracer: let it run untranslated. */
		ptrace(PTRACE_DETACH, tid, NULL, (void *)(long)deferred);
		return -1;
	}
	if (owners_track(o, tid, view_id, TRACEE_RUNNING) < 0) {
		kill(tid, SIGKILL);
		snprintf(err, err_len, "out of memory tracking thread %d; killed", tid);
		return -1;
	}
	requeue(tid, deferred);
	if (ptrace(PTRACE_CONT, tid, NULL, NULL) < 0 && errno != ESRCH) {
		snprintf(err, err_len, "PTRACE_CONT(%d): %s", tid, strerror(errno));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ stops */

static void translate(struct owners *o, const struct tracee *t)
{
	const struct owner_view *v = find_view(o, t->view_id);
	if (v == NULL)
		return; /* view 0: the identity */
	uint32_t ids[2];
	uint64_t at = t->stat_buf + (t->statx ? STATX_UID_OFFSET : STAT_UID_OFFSET);
	struct iovec local = { ids, sizeof ids };
	struct iovec remote = { (void *)at, sizeof ids };
	/* A buffer another thread unmapped meanwhile stays as the kernel wrote it. */
	if (process_vm_readv(t->tid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof ids)
		return;
	ids[0] = owners_map_id(v->uid, v->n_uid, ids[0]);
	ids[1] = owners_map_id(v->gid, v->n_gid, ids[1]);
	if (process_vm_writev(t->tid, &local, 1, &remote, 1, 0) == (ssize_t)sizeof ids)
		o->translated++;
}

static void resume(pid_t tid, int sig)
{
	ptrace(PTRACE_CONT, tid, NULL, (void *)(long)sig); /* ESRCH: killed meanwhile */
}

/* A filtered stat: let it run to its exit. */
static void on_seccomp_stop(struct owners *o, struct tracee *t)
{
	struct user_regs_struct regs;
	pid_t tid = t->tid;
	if (ptrace(PTRACE_GETREGS, tid, NULL, &regs) < 0) {
		resume(tid, 0);
		return;
	}
	switch ((long)regs.orig_rax) {
	case SYS_stat:
	case SYS_lstat:
	case SYS_fstat:
		t->stat_buf = regs.rsi;
		t->statx = false;
		break;
	case SYS_newfstatat:
		t->stat_buf = regs.rdx;
		t->statx = false;
		break;
	case SYS_statx:
		t->stat_buf = regs.r8;
		t->statx = true;
		break;
	default:
		resume(tid, 0);
		return;
	}
	t->state = TRACEE_IN_STAT;
	if (ptrace(PTRACE_SYSCALL, tid, NULL, NULL) < 0) {
		t->state = TRACEE_RUNNING;
		return;
	}
	/* The exit stop usually follows within microseconds: poll for it briefly
	 * (measured: much faster than sleeping until SIGCHLD or going back to
	 * the main loop) before leaving a slow stat to the main loop. */
	for (int i = 0; i < EXIT_SPIN; i++) {
		int status;
		pid_t r = waitpid(tid, &status, WNOHANG | __WALL);
		if (r == tid) {
			if (WIFSTOPPED(status)) {
				owners_on_stop(o, tid, status);
			} else {
				owners_forget(o, tid);
				if (o->on_exit != NULL)
					o->on_exit(o->opaque, tid, status);
			}
			return;
		}
		if (r < 0)
			return;
	}
}

static void on_syscall_stop(struct owners *o, struct tracee *t)
{
	if (t->state == TRACEE_IN_STAT) {
		struct user_regs_struct regs;
		if (ptrace(PTRACE_GETREGS, t->tid, NULL, &regs) == 0 && regs.rax == 0)
			translate(o, t);
		t->state = TRACEE_RUNNING;
	}
	resume(t->tid, 0);
}

/* A fork, vfork or clone event: the new task inherits the view. */
static void on_fork_event(struct owners *o, struct tracee *t)
{
	unsigned long msg = 0;
	pid_t tid = t->tid;
	uint64_t view = t->view_id;
	if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg) == 0 && msg > 0) {
		pid_t child = (pid_t)msg;
		struct tracee *c = owners_find(o, child);
		if (c != NULL && c->state == TRACEE_AWAITING_VIEW) {
			c->view_id = view;
			c->state = TRACEE_RUNNING;
			resume(child, 0);
		} else if (owners_track(o, child, view, TRACEE_BORN) < 0) {
			kill(child, SIGKILL); /* untrackable: its stats would fail */
		}
	}
	resume(tid, 0);
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

bool owners_on_stop(struct owners *o, pid_t tid, int status)
{
	struct tracee *t = owners_find(o, tid);
	if (t == NULL) {
		/* Only tracees stop for us: this is a new child whose parent's
		 * fork event has not been read yet. It waits for its view. */
		if (owners_track(o, tid, 0, TRACEE_AWAITING_VIEW) < 0)
			kill(tid, SIGKILL);
		return true;
	}
	o->stops++;
	int event = status >> 16;
	int sig = WSTOPSIG(status);
	if (t->state == TRACEE_AWAITING_VIEW)
		return true;
	switch (event) {
	case PTRACE_EVENT_SECCOMP:
		on_seccomp_stop(o, t);
		return true;
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE:
		on_fork_event(o, t);
		return true;
	case PTRACE_EVENT_STOP:
		if (t->state == TRACEE_BORN)
			t->state = TRACEE_RUNNING;
		if (is_stop_signal(sig))
			ptrace(PTRACE_LISTEN, tid, NULL, NULL); /* a group stop: stay stopped */
		else
			resume(tid, 0);
		return true;
	case 0:
		if (sig == (SIGTRAP | 0x80))
			on_syscall_stop(o, t);
		else
			resume(tid, sig); /* signal-delivery stop */
		return true;
	default:
		/* No exec event is asked for: a non-leader thread that execs takes
		 * the leader's tid, which is tracked with the same view already. */
		resume(tid, 0);
		return true;
	}
}
