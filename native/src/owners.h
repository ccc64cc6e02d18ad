/* Owner translation for the stat calls the sentry does not see (x86_64).
 *
 * The base filter sends only the stats that may reach an emulated namespace
 * file to the sentry. The others (lstat, fstat, the AT_SYMLINK_NOFOLLOW and
 * AT_EMPTY_PATH forms of newfstatat and statx) run natively, which is right
 * for tasks in the sandbox's initial user namespace. A task that enters a
 * nested user namespace gets a second filter, the "owner filter", which
 * returns SECCOMP_RET_TRACE for those calls, and the shim becomes its
 * permanent ptrace tracer: it lets the call run, then rewrites st_uid/st_gid
 * in the caller's buffer through the task's view (from_kuid_munged of its
 * user namespace, 65534 where unmapped).
 *
 * A seccomp filter can only be installed by the task itself, so the shim
 * makes the task call seccomp(2) while it is stopped under ptrace (at the
 * stop that follows an emulated unshare/setns, or a rewritten clone's child
 * at its first stop). Children and threads of a traced task are traced from
 * birth (PTRACE_O_TRACEFORK/VFORK/CLONE) and inherit its view; a traced task
 * must never be detached, since without a tracer its filtered calls fail
 * with ENOSYS. Every ptrace call is made from the shim's one thread. */
#ifndef NSENTRY_OWNERS_H
#define NSENTRY_OWNERS_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Options of a permanent tracee. No PTRACE_O_TRACEEXEC: a seized tracee gets no
 * legacy SIGTRAP on exec, and each stop costs a round trip through the shim. */
#define OWNERS_TRACE_OPTIONS                                                             \
	(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |              \
	 PTRACE_O_TRACECLONE | PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL)

/* One line of an installed id map: namespace ids first.. are kernel ids lower_first.. */
struct id_extent {
	uint32_t first;
	uint32_t lower_first;
	uint32_t count;
};

struct owner_view {
	uint64_t id;                /* the user namespace's inode number; 0 is the identity */
	struct id_extent *uid, *gid;
	size_t n_uid, n_gid;
};

enum tracee_state {
	TRACEE_RUNNING,         /* resumed; its next stop is handled by owners_on_stop */
	TRACEE_IN_STAT,         /* resumed to the exit of a filtered stat */
	TRACEE_AWAITING_VIEW,   /* a new child stopped before its parent's fork event */
	TRACEE_BORN,            /* named by a fork event; its first stop is still to come */
};

struct tracee {
	pid_t tid;              /* 0: free slot */
	uint64_t view_id;
	enum tracee_state state;
	uint64_t stat_buf;      /* TRACEE_IN_STAT: the caller's struct stat / statx */
	bool statx;
};

struct owners {
	struct sock_fprog prog;         /* the owner filter; len 0 until built */
	struct owner_view *views;
	size_t n_views, cap_views;
	struct tracee *slots;           /* open addressing on tid, linear probing */
	size_t n_tracees, cap_slots;    /* cap_slots is 0 or a power of two */
	/* Counters, for tests and the benchmarks. */
	uint64_t translated, stops;
	/* Told about exit statuses consumed while waiting for a tracee. */
	void (*on_exit)(void *opaque, pid_t pid, int status);
	void *opaque;
};

void owners_init(struct owners *o, void (*on_exit)(void *opaque, pid_t pid, int status),
		 void *opaque);
void owners_free(struct owners *o);

/* Build the owner filter. Returns 0, or -1 with a reason in err. */
int owners_build_filter(struct owners *o, char *err, size_t err_len);

/* Install the owner filter in the calling task (the workload child under
 * --root, before exec). Returns 0, or -1 with a reason in err. */
int owners_install_self(const struct owners *o, char *err, size_t err_len);

/* Add or replace a view. Returns 0 or -ENOMEM. */
int owners_put_view(struct owners *o, const struct owner_view *v);

struct tracee *owners_find(struct owners *o, pid_t tid);

/* Record tid as a permanent tracee (already attached, filter installed). */
int owners_track(struct owners *o, pid_t tid, uint64_t view_id, enum tracee_state state);

/* Attach tid (running, or blocked in a notification), give it the owner
 * filter and bind it to view_id. The notification, if not 0, is answered
 * with reply_value through listener_fd once the thread is held, so the task
 * returns from its call with the filter in place. Returns 0, or -1 with a
 * reason in err, or -2 if the task could not be attached but runs on safely
 * (traced by someone else, or gone): its owners are not translated. The
 * notification is answered either way. */
int owners_attach(struct owners *o, int listener_fd, pid_t tid, uint64_t view_id,
		  uint64_t notification_id, int64_t reply_value, int timeout_ms, char *err,
		  size_t err_len);

/* Answer notification id with val (a success). Returns 0, or -errno; a
 * notification whose thread is gone (ENOENT) counts as answered. */
int owners_answer(int listener_fd, uint64_t id, int64_t val);

/* Give the owner filter to tid, a stopped tracee of the calling thread (e.g.
 * a rewritten clone's child at its first stop); it stays stopped. Returns 0,
 * or -1 with a reason in err. */
int owners_inject(struct owners *o, pid_t tid, int timeout_ms, char *err, size_t err_len);

/* A wait status for a stopped tracee. Returns true if tid is a permanent
 * tracee (or a child about to become one) and the stop was handled. */
bool owners_on_stop(struct owners *o, pid_t tid, int status);

/* A tracee exited. */
void owners_forget(struct owners *o, pid_t tid);

/* The view that maps ids through id_extent lines: from_kid_munged. */
uint32_t owners_map_id(const struct id_extent *e, size_t n, uint32_t kid);

#endif
