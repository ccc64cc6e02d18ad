/* Hostile arguments for every intercepted syscall (issue 9, item 1).
 *
 * Calls each syscall nsentry intercepts with a generated corpus of bad arguments:
 * NULL, unmapped, kernel and non-canonical pointers, pointers to the last byte before
 * an unmapped page, read-only buffers, unterminated paths, paths of PATH_MAX-1,
 * PATH_MAX and PATH_MAX+1 bytes, huge and negative lengths, invalid flags, and fds
 * that are closed, reused, or not namespace files. Each case runs in a forked child
 * (so a call that succeeds cannot change what the next case sees) and prints one
 * normalized line: "family case: result", result being "= N" (or "= fd", "= pid") or
 * an errno name, plus what the call wrote where that is deterministic.
 *
 * Run natively and under `nsentry run`; HostileArgsIT compares the transcripts line
 * by line. Usage: hostile [FAMILY...] (default: all families).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/sched.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#endif
#define NS_GET_USERNS 0xb701UL
#define NS_GET_PARENT 0xb702UL
#define NS_GET_NSTYPE 0xb703UL
#define NS_GET_OWNER_UID 0xb704UL
#define NS_GET_MNTNS_ID 0x8008b705UL
#define NS_GET_ID 0x8008b70dUL

/* ------------------------------------------------------------------ output */

static char line[8192];
static size_t line_len;

static void out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line + line_len, sizeof line - line_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		line_len += (size_t)n < sizeof line - line_len ? (size_t)n : sizeof line - line_len - 1;
}

static void flush_line(void)
{
	out("\n");
	size_t off = 0;
	while (off < line_len) {
		ssize_t w = write(1, line + off, line_len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	line_len = 0;
}

static const char *errname(int e)
{
	switch (e) {
	case EPERM: return "EPERM"; case ENOENT: return "ENOENT"; case ESRCH: return "ESRCH";
	case EINTR: return "EINTR"; case EIO: return "EIO"; case ENXIO: return "ENXIO";
	case E2BIG: return "E2BIG"; case ENOEXEC: return "ENOEXEC"; case EBADF: return "EBADF";
	case ECHILD: return "ECHILD"; case EAGAIN: return "EAGAIN"; case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES"; case EFAULT: return "EFAULT"; case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST"; case EXDEV: return "EXDEV"; case ENODEV: return "ENODEV";
	case ENOTDIR: return "ENOTDIR"; case EISDIR: return "EISDIR"; case EINVAL: return "EINVAL";
	case ENFILE: return "ENFILE"; case EMFILE: return "EMFILE"; case ENOTTY: return "ENOTTY";
	case EFBIG: return "EFBIG"; case ENOSPC: return "ENOSPC"; case ESPIPE: return "ESPIPE";
	case EROFS: return "EROFS"; case EMLINK: return "EMLINK"; case EPIPE: return "EPIPE";
	case ERANGE: return "ERANGE"; case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOSYS: return "ENOSYS"; case ELOOP: return "ELOOP"; case EUSERS: return "EUSERS";
	case EOPNOTSUPP: return "EOPNOTSUPP"; case EOVERFLOW: return "EOVERFLOW";
	case ENOSPC + 1000: return "?";
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno%d", e);
	return buf;
}

/* "= N" or the errno name. */
static void res(long r)
{
	if (r < 0)
		out(" %s", errname(errno));
	else
		out(" = %ld", r);
}

/* fds and pids are not comparable between runs: only say that there is one. */
static void res_fd(long r)
{
	if (r < 0)
		out(" %s", errname(errno));
	else
		out(" = fd");
}

/* ------------------------------------------------------------------ memory */

static long page;
static char *last_page;   /* a mapped page followed by an unmapped one */
static char *unmapped;    /* the unmapped page */
static char *ro_page;     /* a read-only page (zeros) */
#define KERNEL_PTR ((void *)0xffffffff81000000UL)
#define NONCANON_PTR ((void *)0x0000800000000000UL)
#define MINUS1_PTR ((void *)-1L)
#define LAST_BYTE (unmapped - 1)

static void setup_memory(void)
{
	page = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	last_page = m;
	unmapped = m + page;
	munmap(unmapped, page);
	ro_page = m + 2 * page;
	mprotect(ro_page, page, PROT_READ);
}

/* A copy of s whose NUL is the last byte before the unmapped page. */
static char *at_end(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = unmapped - n;
	memcpy(p, s, n);
	return p;
}

/* A path with no NUL before the unmapped page. */
static char *unterminated(const char *s)
{
	memset(last_page, '/', page);
	size_t n = strlen(s);
	memcpy(unmapped - n, s, n);
	return last_page;
}

/* "/////...TARGET" of exactly len bytes before its NUL (len >= strlen(target)). */
static char *padded(const char *target, size_t len)
{
	static char *buf;
	free(buf);
	buf = malloc(len + 2);
	size_t t = strlen(target);
	memset(buf, '/', len - t);
	memcpy(buf + len - t, target, t + 1);
	return buf;
}

/* The named pointer kinds used for path arguments. */
struct ptr_case {
	const char *name;
	const char *(*make)(const char *target);
};

static const char *p_null(const char *t) { (void)t; return NULL; }
static const char *p_unmapped(const char *t) { (void)t; return unmapped; }
static const char *p_kernel(const char *t) { (void)t; return KERNEL_PTR; }
static const char *p_noncanon(const char *t) { (void)t; return NONCANON_PTR; }
static const char *p_minus1(const char *t) { (void)t; return MINUS1_PTR; }
static const char *p_good(const char *t) { return t; }
static const char *p_at_end(const char *t) { return at_end(t); }
static const char *p_unterminated(const char *t) { return unterminated(t); }
static const char *p_max_minus1(const char *t) { return padded(t, PATH_MAX - 1); }
static const char *p_max(const char *t) { return padded(t, PATH_MAX); }
static const char *p_max_plus1(const char *t) { return padded(t, PATH_MAX + 1); }
static const char *p_dots(const char *t)
{
	static char buf[PATH_MAX];
	/* "/proc/self/ns/user" -> "/proc/./self/../self//ns/./user" */
	const char *rest = strncmp(t, "/proc/self/", 11) == 0 ? t + 11 : NULL;
	if (rest == NULL)
		return t;
	snprintf(buf, sizeof buf, "/proc/./self/../self//%s", rest);
	return buf;
}
static const char *p_trailing_slash(const char *t)
{
	static char buf[PATH_MAX];
	snprintf(buf, sizeof buf, "%s/", t);
	return buf;
}

static const struct ptr_case path_ptrs[] = {
	{ "good", p_good }, { "null", p_null }, { "unmapped", p_unmapped },
	{ "kernel", p_kernel }, { "noncanonical", p_noncanon }, { "minus1", p_minus1 },
	{ "nul-at-page-end", p_at_end }, { "unterminated", p_unterminated },
	{ "len=PATH_MAX-1", p_max_minus1 }, { "len=PATH_MAX", p_max },
	{ "len=PATH_MAX+1", p_max_plus1 }, { "dots", p_dots }, { "trailing-slash", p_trailing_slash },
};
#define NPATH_PTRS (sizeof path_ptrs / sizeof path_ptrs[0])

/* Pointer kinds for output buffers. */
struct buf_case {
	const char *name;
	void *(*make)(size_t need);
};
static char good_buf[PATH_MAX * 2];
static void *b_good(size_t n) { (void)n; memset(good_buf, 0x5a, sizeof good_buf); return good_buf; }
static void *b_null(size_t n) { (void)n; return NULL; }
static void *b_unmapped(size_t n) { (void)n; return unmapped; }
static void *b_kernel(size_t n) { (void)n; return KERNEL_PTR; }
static void *b_ro(size_t n) { (void)n; return ro_page; }
static void *b_last_byte(size_t n) { (void)n; return LAST_BYTE; }
static void *b_fits_end(size_t n) { memset(unmapped - n, 0x5a, n); return unmapped - n; }

static const struct buf_case buf_ptrs[] = {
	{ "good", b_good }, { "null", b_null }, { "unmapped", b_unmapped }, { "kernel", b_kernel },
	{ "readonly", b_ro }, { "last-byte", b_last_byte }, { "fits-at-page-end", b_fits_end },
};
#define NBUF_PTRS (sizeof buf_ptrs / sizeof buf_ptrs[0])

/* ------------------------------------------------------------------ cases */

/* Runs fn in a forked child; the child prints its own line. */
static void run_case(void (*fn)(void *), void *arg)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		fn(arg);
		flush_line();
		_exit(0);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(st)) {
		line_len = 0;
		out("  (case child killed by signal %d)", WTERMSIG(st));
		flush_line();
	}
}

/* fd kinds for setns and the ioctls. Each returns an fd number (maybe invalid). */
static int fd_kind(const char *kind)
{
	if (strcmp(kind, "minus1") == 0)
		return -1;
	if (strcmp(kind, "closed") == 0)
		return 900;
	if (strcmp(kind, "int-max") == 0)
		return INT_MAX;
	if (strcmp(kind, "regular-file") == 0)
		return open("/etc/passwd", O_RDONLY);
	if (strcmp(kind, "directory") == 0)
		return open("/proc/self/ns", O_RDONLY | O_DIRECTORY);
	if (strcmp(kind, "pipe") == 0) {
		int p[2];
		if (pipe(p) < 0)
			return -1;
		return p[0];
	}
	if (strcmp(kind, "pidfd-self") == 0)
		return (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (strcmp(kind, "uid_map") == 0)
		return open("/proc/self/uid_map", O_RDONLY);
	if (strcmp(kind, "reused-user-as-file") == 0) {
		int fd = open("/proc/self/ns/user", O_RDONLY);
		close(fd);
		return open("/etc/passwd", O_RDONLY); /* same number, now a plain file */
	}
	if (strcmp(kind, "reused-uts-as-user") == 0) {
		int fd = open("/proc/self/ns/uts", O_RDONLY);
		close(fd);
		return open("/proc/self/ns/user", O_RDONLY); /* same number, another ns */
	}
	if (strcmp(kind, "closed-user") == 0) {
		int fd = open("/proc/self/ns/user", O_RDONLY);
		close(fd);
		return fd;
	}
	if (strncmp(kind, "opath-", 6) == 0) {
		char path[64];
		snprintf(path, sizeof path, "/proc/self/ns/%s", kind + 6);
		return open(path, O_PATH);
	}
	if (strncmp(kind, "ns-", 3) == 0) {
		char path[64];
		snprintf(path, sizeof path, "/proc/self/ns/%s", kind + 3);
		return open(path, O_RDONLY);
	}
	return -1;
}

static const char *fd_kinds[] = {
	"minus1", "closed", "int-max", "regular-file", "directory", "pipe", "pidfd-self",
	"uid_map", "reused-user-as-file", "reused-uts-as-user", "closed-user", "opath-user",
	"opath-uts", "ns-user", "ns-mnt", "ns-uts", "ns-ipc", "ns-net", "ns-pid", "ns-cgroup",
	"ns-time",
};
#define NFD_KINDS (sizeof fd_kinds / sizeof fd_kinds[0])

/* ---- setns */

static const long setns_types[] = {
	0, CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWPID,
	CLONE_NEWCGROUP, CLONE_NEWTIME, -1, 1, CLONE_NEWUSER | CLONE_NEWNS,
	CLONE_NEWUTS | CLONE_NEWIPC, (long)0x100000000L | CLONE_NEWUTS, CLONE_VM, 0x7fffffff,
};

struct setns_arg { const char *fd; long type; };

static void do_setns(void *a)
{
	struct setns_arg *s = a;
	int fd = fd_kind(s->fd);
	out("setns fd=%s nstype=%#lx:", s->fd, s->type);
	res(syscall(SYS_setns, fd, s->type));
}

static void fam_setns(void)
{
	for (size_t i = 0; i < NFD_KINDS; i++)
		for (size_t j = 0; j < sizeof setns_types / sizeof setns_types[0]; j++) {
			struct setns_arg a = { fd_kinds[i], setns_types[j] };
			run_case(do_setns, &a);
		}
}

/* ---- unshare */

static void do_unshare(void *a)
{
	unsigned long flags = *(unsigned long *)a;
	out("unshare flags=%#lx:", flags);
	res(syscall(SYS_unshare, flags));
}

static void fam_unshare(void)
{
	for (int bit = 0; bit < 64; bit++) {
		unsigned long f = 1UL << bit;
		if (f == CLONE_NEWNET)
			continue; /* slow to create natively; covered with NEWUSER below */
		run_case(do_unshare, &f);
		unsigned long g = f | CLONE_NEWUSER;
		if (bit < 32 || bit % 8 == 0)
			run_case(do_unshare, &g);
	}
	unsigned long extra[] = { 0, ~0UL, 0xffffffffUL, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS |
				  CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWCGROUP | CLONE_NEWTIME,
				  CLONE_NEWUSER | CLONE_THREAD, CLONE_NEWUSER | CLONE_SIGHAND,
				  CLONE_NEWUSER | CLONE_VM, CLONE_NEWUSER | CLONE_FS, CLONE_NEWNS | CLONE_FS,
				  (1UL << 32) | CLONE_NEWUSER, (1UL << 63) | CLONE_NEWUTS };
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
		run_case(do_unshare, &extra[i]);
}

/* ---- clone (legacy) with namespace flags */

struct clone_arg { unsigned long flags; const char *ptid; };

static void do_clone(void *a)
{
	struct clone_arg *c = a;
	void *ptid = NULL;
	if (strcmp(c->ptid, "unmapped") == 0)
		ptid = unmapped;
	else if (strcmp(c->ptid, "readonly") == 0)
		ptid = ro_page;
	else if (strcmp(c->ptid, "last-byte") == 0)
		ptid = LAST_BYTE;
	else if (strcmp(c->ptid, "good") == 0)
		ptid = good_buf;
	out("clone flags=%#lx ptid=%s:", c->flags, c->ptid);
	/* x86_64: clone(flags, stack, parent_tid, child_tid, tls) */
	long r = syscall(SYS_clone, c->flags, NULL, ptid, NULL, 0);
	if (r == 0)
		_exit(42);
	if (r > 0) {
		int st = 0;
		waitpid((pid_t)r, &st, __WALL);
		out(" = pid, child %s %d", WIFEXITED(st) ? "exit" : "signal",
		    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		if (c->flags & CLONE_PARENT_SETTID && ptid == good_buf)
			out(", ptid %s", *(int *)good_buf == (int)r ? "set" : "not set");
	} else {
		res(r);
	}
}

static void fam_clone(void)
{
	const unsigned long flags[] = {
		CLONE_NEWUSER | SIGCHLD, CLONE_NEWUTS | SIGCHLD, CLONE_NEWUSER | CLONE_NEWUTS | SIGCHLD,
		CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWCGROUP | SIGCHLD,
		CLONE_NEWUSER | CLONE_FS | SIGCHLD, CLONE_NEWNS | CLONE_FS | SIGCHLD,
		CLONE_NEWUSER | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM,
		CLONE_NEWPID | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM,
		CLONE_NEWUSER | CLONE_PARENT | SIGCHLD, CLONE_NEWUSER | CLONE_NEWTIME,
		CLONE_NEWUSER | CLONE_SIGHAND | SIGCHLD, CLONE_NEWUSER | 0x7f,
		CLONE_NEWUSER | CLONE_PIDFD | SIGCHLD, CLONE_NEWUSER | CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD,
		CLONE_NEWUSER | CLONE_PARENT_SETTID | SIGCHLD, CLONE_NEWUSER | CLONE_CHILD_CLEARTID | SIGCHLD,
		CLONE_NEWUSER | CLONE_DETACHED | SIGCHLD, CLONE_NEWUSER | (1UL << 32) | SIGCHLD,
		CLONE_NEWUSER | CLONE_NEWUSER << 0 | CLONE_UNTRACED | SIGCHLD,
		CLONE_NEWUSER | CLONE_SETTLS | SIGCHLD,
	};
	const char *ptids[] = { "null", "good", "unmapped", "readonly", "last-byte" };
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		size_t np = (flags[i] & (CLONE_PARENT_SETTID | CLONE_PIDFD)) ? 5 : 1;
		for (size_t j = 0; j < np; j++) {
			struct clone_arg a = { flags[i], ptids[j] };
			run_case(do_clone, &a);
		}
	}
}

/* ---- clone3 */

struct clone3_arg { const char *ptr; long size; unsigned long flags; unsigned long sig; int extra; };

static void do_clone3(void *a)
{
	struct clone3_arg *c = a;
	char *base;
	size_t need = c->size > 0 && c->size < 2 * page ? (size_t)c->size : sizeof(struct clone_args);
	if (need < sizeof(struct clone_args))
		need = sizeof(struct clone_args);
	if (need > (size_t)page)
		need = (size_t)page;
	if (strcmp(c->ptr, "fits-at-page-end") == 0)
		base = unmapped - need;
	else if (strcmp(c->ptr, "straddles") == 0)
		base = unmapped - 8, need = 8; /* only the flags word is mapped */
	else
		base = good_buf;
	memset(good_buf, 0, sizeof good_buf);
	memset(base, 0, need);
	struct clone_args ca = { .flags = c->flags, .exit_signal = c->sig };
	memcpy(base, &ca, sizeof ca < need ? sizeof ca : need);
	if (c->extra && (size_t)c->size > sizeof ca && base + c->size <= unmapped)
		base[c->size - 1] = 1; /* a non-zero byte past the known struct: E2BIG */
	void *p = base;
	if (strcmp(c->ptr, "null") == 0)
		p = NULL;
	else if (strcmp(c->ptr, "unmapped") == 0)
		p = unmapped;
	else if (strcmp(c->ptr, "kernel") == 0)
		p = KERNEL_PTR;
	else if (strcmp(c->ptr, "straddles") == 0)
		p = unmapped - 8;
	out("clone3 ptr=%s size=%ld flags=%#lx sig=%lu extra=%d:", c->ptr, c->size, c->flags, c->sig, c->extra);
	long r = syscall(SYS_clone3, p, c->size);
	if (r == 0)
		_exit(42);
	if (r > 0) {
		int st = 0;
		waitpid((pid_t)r, &st, __WALL);
		out(" = pid, child %s %d", WIFEXITED(st) ? "exit" : "signal",
		    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	} else {
		res(r);
	}
}

static void fam_clone3(void)
{
	const char *ptrs[] = { "good", "null", "unmapped", "kernel", "straddles", "fits-at-page-end" };
	const long sizes[] = { 0, 1, 63, 64, 80, 88, 96, 4096, 4097, -1, 1L << 40 };
	const unsigned long flags[] = { 0, CLONE_NEWUSER, CLONE_NEWUSER | CLONE_NEWUTS, CLONE_NEWUSER | CLONE_FS,
					CLONE_NEWUSER | CLONE_THREAD, 1UL << 40, CLONE_NEWUSER | (1UL << 33) };
	const unsigned long sigs[] = { SIGCHLD, 0, 65, 1UL << 33 };
	for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++)
		for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++) {
			struct clone3_arg a = { ptrs[i], sizes[j], CLONE_NEWUSER, SIGCHLD, 0 };
			run_case(do_clone3, &a);
		}
	for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++)
		for (size_t s = 0; s < sizeof sigs / sizeof sigs[0]; s++) {
			struct clone3_arg a = { "good", 88, flags[k], sigs[s], 0 };
			run_case(do_clone3, &a);
		}
	const long extra_sizes[] = { 96, 128, 4096 };
	for (size_t j = 0; j < 3; j++) {
		struct clone3_arg a = { "good", extra_sizes[j], CLONE_NEWUSER, SIGCHLD, 1 };
		run_case(do_clone3, &a);
	}
}

/* ---- path calls on /proc/self/ns/ and uid_map */

static const char *proc_targets[] = {
	"/proc/self/ns/user", "/proc/self/ns/uts", "/proc/self/ns/pid_for_children",
	"/proc/self/uid_map", "/proc/self/setgroups", "/proc/thread-self/ns/mnt", "/proc/self/ns/nonexistent",
};
#define NTARGETS (sizeof proc_targets / sizeof proc_targets[0])

struct path_arg { size_t target; size_t ptr; long flags; int extra; };

static void do_openat(void *a)
{
	struct path_arg *p = a;
	const char *path = path_ptrs[p->ptr].make(proc_targets[p->target]);
	out("openat %s path=%s flags=%#lx:", proc_targets[p->target], path_ptrs[p->ptr].name, p->flags);
	res_fd(syscall(SYS_openat, AT_FDCWD, path, p->flags, 0666));
}

static void do_open(void *a)
{
	struct path_arg *p = a;
	const char *path = path_ptrs[p->ptr].make(proc_targets[p->target]);
	out("open %s path=%s:", proc_targets[p->target], path_ptrs[p->ptr].name);
	res_fd(syscall(SYS_open, path, O_RDONLY));
}

static void do_creat(void *a)
{
	struct path_arg *p = a;
	const char *path = path_ptrs[p->ptr].make(proc_targets[p->target]);
	out("creat %s path=%s:", proc_targets[p->target], path_ptrs[p->ptr].name);
	res_fd(syscall(SYS_creat, path, 0644));
}

static void fam_open(void)
{
	const long flags[] = { O_RDONLY, O_WRONLY, O_RDWR, O_PATH, O_NOFOLLOW, O_NOFOLLOW | O_PATH,
			       O_CREAT | O_EXCL | O_WRONLY, O_TRUNC | O_WRONLY, O_APPEND | O_WRONLY,
			       O_CREAT | O_RDONLY, 3 /* O_ACCMODE */, 0x7fffbfffL & ~O_DIRECTORY };
	for (size_t t = 0; t < NTARGETS; t++) {
		for (size_t p = 0; p < NPATH_PTRS; p++) {
			struct path_arg a = { t, p, O_RDONLY, 0 };
			run_case(do_openat, &a);
			if (t == 0)
				run_case(do_open, &a);
			if (t == 0 || t == 3)
				run_case(do_creat, &a);
		}
		for (size_t f = 1; f < sizeof flags / sizeof flags[0]; f++) {
			struct path_arg a = { t, 0, flags[f], 0 };
			run_case(do_openat, &a);
		}
	}
}

static const long bufsizes[] = { 0, -1, 1, 5, 17, 4096, INT_MAX, 1L << 32, (1L << 32) + 16, LONG_MIN };

static void print_bytes(const char *b, long n)
{
	out(" \"");
	for (long i = 0; i < n && i < 200; i++)
		out(b[i] >= 32 && b[i] < 127 ? "%c" : "\\x%02x", (unsigned char)b[i]);
	out("\"");
}

struct rl_arg { size_t target; size_t ptr; size_t buf; long size; int legacy; };

static void do_readlink(void *a)
{
	struct rl_arg *r = a;
	const char *path = path_ptrs[r->ptr].make(proc_targets[r->target]);
	size_t need = r->size > 0 && r->size < 4096 ? (size_t)r->size : 64;
	char *buf = buf_ptrs[r->buf].make(need);
	out("%s %s path=%s buf=%s size=%ld:", r->legacy ? "readlink" : "readlinkat",
	    proc_targets[r->target], path_ptrs[r->ptr].name, buf_ptrs[r->buf].name, r->size);
	long n = r->legacy ? syscall(SYS_readlink, path, buf, r->size)
			   : syscall(SYS_readlinkat, AT_FDCWD, path, buf, r->size);
	res(n);
	if (n > 0 && (buf == good_buf || buf_ptrs[r->buf].make == b_fits_end))
		print_bytes(buf, n);
}

static void fam_readlink(void)
{
	for (size_t t = 0; t < NTARGETS; t++) {
		for (size_t p = 0; p < NPATH_PTRS; p++) {
			struct rl_arg a = { t, p, 0, 64, 0 };
			run_case(do_readlink, &a);
			if (t == 0) {
				a.legacy = 1;
				run_case(do_readlink, &a);
			}
		}
		for (size_t b = 1; b < NBUF_PTRS; b++)
			for (size_t s = 0; s < sizeof bufsizes / sizeof bufsizes[0]; s++) {
				if (t > 1 && t != 3)
					break;
				struct rl_arg a = { t, 0, b, bufsizes[s], 0 };
				run_case(do_readlink, &a);
			}
		for (size_t s = 0; s < sizeof bufsizes / sizeof bufsizes[0]; s++) {
			struct rl_arg a = { t, 0, 0, bufsizes[s], 0 };
			run_case(do_readlink, &a);
		}
	}
}

struct stat_arg { size_t target; size_t ptr; size_t buf; long flags; int kind; unsigned mask; };

static void print_stat(const struct stat *st)
{
	out(" type=%o mode=%o uid=%u gid=%u nlink=%lu", st->st_mode & S_IFMT, st->st_mode & 07777,
	    st->st_uid, st->st_gid, (unsigned long)st->st_nlink);
}

static void do_stat(void *a)
{
	struct stat_arg *s = a;
	const char *kinds[] = { "newfstatat", "statx", "stat", "lstat" };
	const char *path = path_ptrs[s->ptr].make(proc_targets[s->target]);
	void *buf = buf_ptrs[s->buf].make(s->kind == 1 ? sizeof(struct statx) : sizeof(struct stat));
	out("%s %s path=%s buf=%s flags=%#lx mask=%#x:", kinds[s->kind], proc_targets[s->target],
	    path_ptrs[s->ptr].name, buf_ptrs[s->buf].name, s->flags, s->mask);
	long r;
	switch (s->kind) {
	case 0: r = syscall(SYS_newfstatat, AT_FDCWD, path, buf, s->flags); break;
	case 1: r = syscall(SYS_statx, AT_FDCWD, path, s->flags, s->mask, buf); break;
	case 2: r = syscall(SYS_stat, path, buf); break;
	default: r = syscall(SYS_lstat, path, buf); break;
	}
	res(r);
	if (r == 0 && (buf == good_buf || buf_ptrs[s->buf].make == b_fits_end)) {
		if (s->kind == 1) {
			struct statx *x = buf;
			out(" mask=%#x type=%o mode=%o uid=%u gid=%u", x->stx_mask & (STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID),
			    x->stx_mode & S_IFMT, x->stx_mode & 07777, x->stx_uid, x->stx_gid);
		} else {
			print_stat(buf);
		}
	}
}

static void fam_stat(void)
{
	const long at_flags[] = { 0, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, 0x1, 0x7fffffff, -1, AT_NO_AUTOMOUNT };
	const long statx_flags[] = { 0, AT_SYMLINK_NOFOLLOW, AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, 0x80000, -1 };
	const unsigned masks[] = { STATX_BASIC_STATS, 0, STATX__RESERVED, 0xffffffffu };
	for (size_t t = 0; t < NTARGETS; t++) {
		for (int k = 0; k < 4; k++) {
			for (size_t p = 0; p < NPATH_PTRS; p++) {
				if (k >= 2 && t != 0)
					break;
				struct stat_arg a = { t, p, 0, 0, k, STATX_BASIC_STATS };
				run_case(do_stat, &a);
			}
			for (size_t b = 1; b < NBUF_PTRS; b++) {
				if (t > 1 && t != 3)
					break;
				struct stat_arg a = { t, 0, b, 0, k, STATX_BASIC_STATS };
				run_case(do_stat, &a);
			}
		}
		for (size_t f = 1; f < sizeof at_flags / sizeof at_flags[0]; f++) {
			struct stat_arg a = { t, 0, 0, at_flags[f], 0, 0 };
			run_case(do_stat, &a);
		}
		for (size_t f = 0; f < sizeof statx_flags / sizeof statx_flags[0]; f++)
			for (size_t m = 0; m < sizeof masks / sizeof masks[0]; m++) {
				struct stat_arg a = { t, 0, 0, statx_flags[f], 1, masks[m] };
				run_case(do_stat, &a);
			}
	}
}

/* ---- uid_map writes with bad buffers, in a new user namespace */

struct map_arg { const char *file; size_t buf; long len; long off; int how; };

static void do_map_write(void *a)
{
	struct map_arg *m = a;
	char map[64];
	const char *what = strcmp(m->file, "setgroups") == 0 ? "deny" : NULL;
	unsigned id = strcmp(m->file, "gid_map") == 0 ? getgid() : getuid();
	const char *hows[] = { "write", "pwrite", "writev" };
	out("%s %s buf=%s len=%ld off=%ld:", hows[m->how], m->file, buf_ptrs[m->buf].name, m->len, m->off);
	if (syscall(SYS_unshare, CLONE_NEWUSER) < 0) {
		out(" unshare %s", errname(errno));
		return;
	}
	if (what == NULL) {
		snprintf(map, sizeof map, "0 %u 1\n", id);
		what = map;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/self/%s", m->file);
	int fd = open(path, O_WRONLY);
	if (fd < 0) {
		out(" open %s", errname(errno));
		return;
	}
	size_t n = strlen(what);
	char *buf = buf_ptrs[m->buf].make(n);
	if (buf == good_buf || buf_ptrs[m->buf].make == b_fits_end)
		memcpy(buf, what, n);
	long len = m->len == -2 ? (long)n : m->len;
	long r;
	if (m->how == 0) {
		r = write(fd, buf, len);
	} else if (m->how == 1) {
		r = pwrite(fd, buf, len, m->off);
	} else {
		struct iovec iov[2] = { { buf, (size_t)len }, { NULL, 0 } };
		r = writev(fd, m->buf == 2 ? (struct iovec *)unmapped : iov, m->off > 0 ? (int)m->off : 1);
	}
	res(r);
	if (r >= 0) {
		/* read back what the kernel (or the sentry) kept */
		int rfd = open(path, O_RDONLY);
		char back[128] = { 0 };
		long got = rfd >= 0 ? read(rfd, back, sizeof back - 1) : -1;
		out(" then");
		res(got);
		if (got > 0)
			print_bytes(back, got);
	}
}

static const char *map_files[] = { "uid_map", "gid_map", "setgroups" };

/* write(2) with bad buffers and lengths the kernel's access_ok() accepts */
static void fam_map_write(void)
{
	const long lens[] = { -2, 0, 1, 4095, 4096, 1L << 20 };
	for (size_t f = 0; f < 3; f++)
		for (size_t b = 0; b < NBUF_PTRS; b++)
			for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
				if (b == 0 && (lens[l] == 4095 || lens[l] == 1L << 20))
					continue; /* good_buf is 8 KiB of '\x5a': covered below */
				if (b == 3 && lens[l] != -2)
					continue; /* kernel pointers: fam_map_access_ok */
				struct map_arg a = { map_files[f], b, lens[l], 0, 0 };
				run_case(do_map_write, &a);
			}
	/* a long line of garbage at PAGE_SIZE-1 */
	for (size_t f = 0; f < 2; f++) {
		struct map_arg a = { map_files[f], 0, 4095, 0, 0 };
		run_case(do_map_write, &a);
	}
}

/* write(2) lengths and pointers that vfs_write()'s access_ok() refuses (EFAULT before the
 * file's own size checks) */
static void fam_map_access_ok(void)
{
	const long lens[] = { 0, 1, 4096, 1L << 20, -1, LONG_MAX };
	for (size_t f = 0; f < 3; f++)
		for (size_t b = 0; b < NBUF_PTRS; b++)
			for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
				if (b != 3 && lens[l] >= 0)
					continue;
				struct map_arg a = { map_files[f], b, lens[l], 0, 0 };
				run_case(do_map_write, &a);
			}
}

/* pwrite(2) and writev(2) on the map files */
static void fam_map_pwrite_writev(void)
{
	for (size_t f = 0; f < 3; f++) {
		const long offs[] = { 0, 1, -1, 4096 };
		for (size_t o = 0; o < 4; o++) {
			struct map_arg a = { map_files[f], 0, -2, offs[o], 1 };
			run_case(do_map_write, &a);
		}
		for (size_t b = 0; b < 3; b++) {
			struct map_arg a = { map_files[f], b, -2, 1, 2 };
			run_case(do_map_write, &a);
			struct map_arg big = { map_files[f], 0, -2, 1025, 2 };
			run_case(do_map_write, &big);
		}
	}
}

/* ---- credentials with bad pointers */

struct ptr3_arg { size_t a, b, c; };

static void *ptr_of(size_t i)
{
	static int slots[3][2];
	switch (i) {
	case 0: return &slots[0][0];
	case 1: return NULL;
	case 2: return unmapped;
	case 3: return ro_page;
	case 4: return unmapped - 2; /* a 4-byte write straddles the unmapped page */
	case 5: return KERNEL_PTR;
	}
	return NULL;
}
static const char *ptr_names[] = { "good", "null", "unmapped", "readonly", "straddles", "kernel" };

static void do_getres(void *a)
{
	struct ptr3_arg *p = a;
	unsigned int *r = ptr_of(p->a), *e = ptr_of(p->b), *s = ptr_of(p->c);
	static unsigned int r0 = 7777, e0 = 7777, s0 = 7777;
	if (p->a == 0) r = &r0;
	if (p->b == 0) e = &e0;
	if (p->c == 0) s = &s0;
	out("getresuid %s,%s,%s:", ptr_names[p->a], ptr_names[p->b], ptr_names[p->c]);
	res(syscall(SYS_getresuid, r, e, s));
	/* partial writes: what landed before the fault */
	out(" wrote %s/%s/%s", r0 != 7777 ? "r" : "-", e0 != 7777 ? "e" : "-", s0 != 7777 ? "s" : "-");
	r0 = e0 = s0 = 7777;
	out(";");
	r = ptr_of(p->a), e = ptr_of(p->b), s = ptr_of(p->c);
	if (p->a == 0) r = &r0;
	if (p->b == 0) e = &e0;
	if (p->c == 0) s = &s0;
	out(" getresgid");
	res(syscall(SYS_getresgid, r, e, s));
	out(" wrote %s/%s/%s", r0 != 7777 ? "r" : "-", e0 != 7777 ? "e" : "-", s0 != 7777 ? "s" : "-");
}

struct groups_arg { long size; size_t ptr; int set; };

static void do_groups(void *a)
{
	struct groups_arg *g = a;
	void *p = g->ptr == 0 ? (void *)good_buf : ptr_of(g->ptr);
	if (g->ptr == 0)
		memset(good_buf, 0, 64);
	if (g->ptr == 6) {
		/* gids 0 and -1 (invalid), then the unmapped page: the kernel reads one by one */
		unsigned *q = (unsigned *)(unmapped - 8);
		q[0] = 0;
		q[1] = 0xffffffffu;
		p = q;
	}
	out("%s size=%ld list=%s:", g->set ? "setgroups" : "getgroups", g->size,
	    g->ptr == 0 ? "good" : g->ptr == 6 ? "valid,invalid,unmapped" : ptr_names[g->ptr]);
	long r = syscall(g->set ? SYS_setgroups : SYS_getgroups, g->size, p);
	res(r);
	if (g->set && r == 0) {
		gid_t now[64];
		int n = getgroups(64, now);
		out(" now %d", n);
	}
}

struct cap_arg { size_t hdr; size_t data; unsigned version; int pid; int set; int raise; };

static void do_cap(void *a)
{
	struct cap_arg *c = a;
	static struct __user_cap_header_struct hdr;
	static struct __user_cap_data_struct data[2];
	struct __user_cap_data_struct cur[2];
	struct __user_cap_header_struct h3 = { _LINUX_CAPABILITY_VERSION_3, 0 };
	syscall(SYS_capget, &h3, cur);
	hdr.version = c->version;
	hdr.pid = c->pid == -2 ? getppid() : c->pid;
	memcpy(data, cur, sizeof data);
	if (c->raise)
		data[1].effective = data[1].permitted = data[1].inheritable = 0xffffffffu;
	void *hp = c->hdr == 0 ? (void *)&hdr : ptr_of(c->hdr);
	void *dp = c->data == 0 ? (void *)data : ptr_of(c->data);
	if (c->data == 4)
		dp = unmapped - sizeof(struct __user_cap_data_struct); /* one of two fits */
	out("%s hdr=%s data=%s version=%#x pid=%s%s:", c->set ? "capset" : "capget", ptr_names[c->hdr],
	    ptr_names[c->data], c->version, c->pid == -2 ? "parent" : c->pid == 0 ? "0" : c->pid == -1 ? "-1" : "other",
	    c->raise ? " raise" : "");
	if (!c->set)
		memset(data, 0x5a, sizeof data);
	long r = syscall(c->set ? SYS_capset : SYS_capget, hp, dp);
	res(r);
	if (c->hdr == 0)
		out(" version-after=%#x", hdr.version);
	if (!c->set && r == 0 && c->data == 0)
		out(" eff0=%s", data[0].effective == cur[0].effective ? "same" : "different");
}

static void do_prctl(void *a)
{
	long *p = a;
	out("prctl %ld %#lx %#lx:", p[0], p[1], p[2]);
	res(syscall(SYS_prctl, p[0], p[1], p[2], 0, 0));
}

static void do_setid(void *a)
{
	long *p = a;
	const char *names[] = { "setuid", "setgid", "setreuid", "setresuid", "setfsuid" };
	out("%s %ld %ld %ld:", names[p[0]], p[1], p[2], p[3]);
	long nr[] = { SYS_setuid, SYS_setgid, SYS_setreuid, SYS_setresuid, SYS_setfsuid };
	res(syscall(nr[p[0]], p[1], p[2], p[3]));
	out(" uid=%d euid=%d", (int)getuid(), (int)geteuid());
}

static void fam_getres(void)
{
	for (size_t i = 0; i < 6; i++)
		for (size_t j = 0; j < 6; j++)
			for (size_t k = 0; k < 6; k++) {
				if (i && j && k && !(i == j && j == k))
					continue;
				struct ptr3_arg a = { i, j, k };
				run_case(do_getres, &a);
			}
}

static void fam_groups(void)
{
	const long sizes[] = { 0, 1, 64, -1, 65536, 65537, INT_MAX, 1L << 32 };
	for (int set = 0; set < 2; set++) {
		for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
			for (size_t p = 0; p < 6; p++) {
				/* more than 64 gids from a mapped buffer would read whatever follows it */
				if (sizes[s] > 64 && sizes[s] <= 65536 && (p == 0 || p == 3))
					continue;
				struct groups_arg a = { sizes[s], p, set };
				run_case(do_groups, &a);
			}
		struct groups_arg bad = { 3, 6, set };
		run_case(do_groups, &bad);
	}
}

static void fam_caps(void)
{
	const unsigned versions[] = { _LINUX_CAPABILITY_VERSION_3, _LINUX_CAPABILITY_VERSION_1,
				      _LINUX_CAPABILITY_VERSION_2, 0, 0xdeadbeef };
	const int pids[] = { 0, -1, -2, 999999999 };
	for (int set = 0; set < 2; set++)
		for (size_t h = 0; h < 6; h++)
			for (size_t d = 0; d < 6; d++)
				for (size_t v = 0; v < 5; v++) {
					if (h != 0 && v != 0)
						continue;
					for (size_t p = 0; p < 4; p++) {
						if (p != 0 && (h != 0 || d > 1))
							continue;
						struct cap_arg a = { h, d, versions[v], pids[p], set, 0 };
						run_case(do_cap, &a);
					}
				}
	struct cap_arg raise = { 0, 0, _LINUX_CAPABILITY_VERSION_3, 0, 1, 1 };
	run_case(do_cap, &raise);
}

static void fam_prctl_setid(void)
{
	long prctls[][3] = {
		{ PR_CAPBSET_READ, 0, 0 }, { PR_CAPBSET_READ, 63, 0 }, { PR_CAPBSET_READ, 64, 0 },
		{ PR_CAPBSET_READ, -1, 0 }, { PR_CAPBSET_READ, 1L << 32, 0 }, { PR_CAPBSET_DROP, 64, 0 },
		{ PR_CAPBSET_DROP, -1, 0 }, { PR_SET_KEEPCAPS, 2, 0 }, { PR_SET_KEEPCAPS, -1, 0 },
		{ PR_GET_KEEPCAPS, 1, 0 }, { PR_SET_SECUREBITS, -1, 0 }, { PR_SET_SECUREBITS, 1L << 40, 0 },
		{ PR_CAP_AMBIENT, 0, 0 }, { PR_CAP_AMBIENT, 99, 0 }, { PR_CAP_AMBIENT, 1, 64 },
		{ PR_CAP_AMBIENT, 1, -1 }, { PR_CAP_AMBIENT, 2, 1L << 40 }, { PR_CAP_AMBIENT, 4, 1 },
		{ PR_CAP_AMBIENT, 3, 0 }, { (1L << 32) | PR_CAPBSET_READ, 0, 0 },
	};
	for (size_t i = 0; i < sizeof prctls / sizeof prctls[0]; i++)
		run_case(do_prctl, prctls[i]);
	long setids[][4] = {
		{ 0, -1, 0, 0 }, { 0, -2, 0, 0 }, { 0, 1L << 32, 0, 0 }, { 1, -1, 0, 0 },
		{ 2, -1, -1, 0 }, { 2, -2, -2, 0 }, { 3, -1, -1, -1 }, { 3, -2, -1, -1 },
		{ 3, 1L << 33, -1, -1 }, { 4, -1, 0, 0 }, { 4, 1L << 32, 0, 0 },
	};
	for (size_t i = 0; i < sizeof setids / sizeof setids[0]; i++)
		run_case(do_setid, setids[i]);
}

/* ---- ioctl NS_GET_* */

struct ioctl_arg { const char *fd; unsigned long req; size_t arg; };

static void do_ioctl(void *a)
{
	struct ioctl_arg *i = a;
	int fd = fd_kind(i->fd);
	void *arg = i->arg == 0 ? (void *)good_buf : ptr_of(i->arg);
	memset(good_buf, 0, 16);
	out("ioctl fd=%s req=%#lx arg=%s:", i->fd, i->req, i->arg == 0 ? "good" : ptr_names[i->arg]);
	long r = syscall(SYS_ioctl, fd, i->req, arg);
	if ((unsigned)i->req == NS_GET_USERNS || (unsigned)i->req == NS_GET_PARENT)
		res_fd(r);
	else
		res(r);
	if (r == 0 && (unsigned)i->req == NS_GET_OWNER_UID && i->arg == 0)
		out(" uid=%u", *(unsigned *)good_buf);
}

static void fam_ioctl(void)
{
	const unsigned long reqs[] = { NS_GET_USERNS, NS_GET_PARENT, NS_GET_NSTYPE, NS_GET_OWNER_UID,
				       0xb700, 0xb7ff, 0xffffffffffffb701UL, 0x100000000b701UL };
	for (size_t f = 0; f < NFD_KINDS; f++)
		for (size_t r = 0; r < sizeof reqs / sizeof reqs[0]; r++)
			for (size_t p = 0; p < 6; p++) {
				if (p > 0 && reqs[r] != NS_GET_OWNER_UID)
					break;
				struct ioctl_arg a = { fd_kinds[f], reqs[r], p };
				run_case(do_ioctl, &a);
			}
}

/* ---- UTS */

struct uts_arg { const char *ptr; long len; int dom; int own_ns; };

static void do_sethostname(void *a)
{
	struct uts_arg *u = a;
	out("%s ptr=%s len=%ld%s:", u->dom ? "setdomainname" : "sethostname", u->ptr, u->len,
	    u->own_ns ? " in-new-userns+utsns" : "");
	if (u->own_ns && syscall(SYS_unshare, CLONE_NEWUSER | CLONE_NEWUTS) < 0) {
		out(" unshare %s", errname(errno));
		return;
	}
	char *p;
	if (strcmp(u->ptr, "null") == 0)
		p = NULL;
	else if (strcmp(u->ptr, "unmapped") == 0)
		p = unmapped;
	else if (strcmp(u->ptr, "kernel") == 0)
		p = KERNEL_PTR;
	else if (strcmp(u->ptr, "straddles") == 0)
		p = unmapped - 3;
	else {
		p = good_buf;
		memset(good_buf, 'h', 128);
	}
	if (strcmp(u->ptr, "straddles") == 0)
		memset(p, 'h', 3);
	long r = syscall(u->dom ? SYS_setdomainname : SYS_sethostname, p, u->len);
	res(r);
	if (r == 0) {
		struct utsname un;
		uname(&un);
		out(" now %zu", strlen(u->dom ? un.domainname : un.nodename));
	}
}

static void do_uname(void *a)
{
	const char *which = a;
	void *p = NULL;
	if (strcmp(which, "unmapped") == 0)
		p = unmapped;
	else if (strcmp(which, "readonly") == 0)
		p = ro_page;
	else if (strcmp(which, "straddles") == 0)
		p = unmapped - 100;
	else if (strcmp(which, "kernel") == 0)
		p = KERNEL_PTR;
	else if (strcmp(which, "fits-at-page-end") == 0)
		p = unmapped - sizeof(struct utsname);
	else if (strcmp(which, "good") == 0)
		p = good_buf;
	out("uname %s:", which);
	long r = syscall(SYS_uname, p);
	res(r);
	if (r == 0)
		out(" sysname=%s", ((struct utsname *)p)->sysname);
}

static void fam_uts(void)
{
	const char *ptrs[] = { "good", "null", "unmapped", "kernel", "straddles" };
	const long lens[] = { 0, 1, 3, 4, 64, 65, -1, INT_MAX, 1L << 32, (1L << 32) + 3 };
	for (int dom = 0; dom < 2; dom++)
		for (size_t p = 0; p < 5; p++)
			for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
				struct uts_arg a = { ptrs[p], lens[l], dom, 1 };
				run_case(do_sethostname, &a);
				/* in the host's UTS namespace only calls that cannot succeed */
				if (p != 0 || lens[l] < 0 || lens[l] > 64) {
					struct uts_arg host = { ptrs[p], lens[l], dom, 0 };
					if (p == 0 && lens[l] == (1L << 32) + 3)
						continue; /* truncated to 3 by the kernel: would succeed */
					run_case(do_sethostname, &host);
				}
			}
	const char *un[] = { "null", "unmapped", "readonly", "straddles", "kernel", "fits-at-page-end", "good" };
	for (size_t i = 0; i < 7; i++)
		run_case(do_uname, (void *)un[i]);
}

/* ---- execve, chroot, mount family with bad pointers (only calls that fail) */

static void do_misc(void *a)
{
	int which = *(int *)a;
	char *argv_unmapped = unmapped;
	char *good_argv[] = { "/bin/true", NULL };
	char **argv_at_end = (char **)(unmapped - sizeof(char *));
	*argv_at_end = "/bin/true"; /* no NULL terminator before the unmapped page */
	switch (which) {
	case 0: out("execve path=null:"); res(syscall(SYS_execve, NULL, good_argv, NULL)); break;
	case 1: out("execve path=unmapped:"); res(syscall(SYS_execve, unmapped, good_argv, NULL)); break;
	case 2: out("execve argv=unmapped:"); res(syscall(SYS_execve, "/bin/true", argv_unmapped, NULL)); break;
	case 3: out("execve envp=unmapped:"); res(syscall(SYS_execve, "/bin/true", good_argv, unmapped)); break;
	case 4: out("execve argv=unterminated:"); res(syscall(SYS_execve, "/bin/true", argv_at_end, NULL)); break;
	case 5: out("execve path=unterminated:"); res(syscall(SYS_execve, unterminated("/bin/true"), good_argv, NULL)); break;
	case 6: out("execve path=PATH_MAX:"); res(syscall(SYS_execve, padded("/bin/true", PATH_MAX), good_argv, NULL)); break;
	case 7: out("execve path=nonexistent:"); res(syscall(SYS_execve, "/nonexistent", good_argv, NULL)); break;
	case 8: out("execveat fd=closed:"); res(syscall(SYS_execveat, 900, "true", good_argv, NULL, 0)); break;
	case 9: out("execveat flags=invalid:"); res(syscall(SYS_execveat, AT_FDCWD, "/bin/true", good_argv, NULL, 0x7)); break;
	case 10: out("execveat path=null:"); res(syscall(SYS_execveat, AT_FDCWD, NULL, good_argv, NULL, 0)); break;
	case 11: out("chroot null:"); res(syscall(SYS_chroot, NULL)); break;
	case 12: out("chroot unmapped:"); res(syscall(SYS_chroot, unmapped)); break;
	case 13: out("chroot PATH_MAX:"); res(syscall(SYS_chroot, padded("/", PATH_MAX))); break;
	case 14: out("chroot nonexistent:"); res(syscall(SYS_chroot, "/nonexistent")); break;
	case 15: out("pivot_root null null:"); res(syscall(SYS_pivot_root, NULL, NULL)); break;
	case 16: out("umount2 flags=-1:"); res(syscall(SYS_umount2, "/nonexistent", -1)); break;
	case 17: out("umount2 null:"); res(syscall(SYS_umount2, NULL, 0)); break;
	case 18: out("mount all-null:"); res(syscall(SYS_mount, NULL, NULL, NULL, 0, NULL)); break;
	case 19: out("mount target=unmapped:"); res(syscall(SYS_mount, "none", unmapped, "tmpfs", 0, NULL)); break;
	case 20: out("mount fstype=unmapped:"); res(syscall(SYS_mount, "none", "/nonexistent", unmapped, 0, NULL)); break;
	case 21: out("statfs /proc/self/ns/user buf=unmapped:"); res(syscall(SYS_statfs, "/proc/self/ns/user", unmapped)); break;
	case 22: out("statfs null:"); res(syscall(SYS_statfs, NULL, good_buf)); break;
	case 23: out("openat2 how=null:"); res_fd(syscall(SYS_openat2, AT_FDCWD, "/proc/self/ns/user", NULL, 24)); break;
	case 24: out("openat2 size=0:"); res_fd(syscall(SYS_openat2, AT_FDCWD, "/proc/self/ns/user", good_buf, 0)); break;
	case 25: {
		memset(good_buf, 0, 64);
		out("openat2 size=24 zero:");
		res_fd(syscall(SYS_openat2, AT_FDCWD, "/proc/self/ns/user", good_buf, 24));
		break;
	}
	case 26: {
		memset(good_buf, 0, 64);
		good_buf[40] = 1;
		out("openat2 size=64 nonzero-tail:");
		res_fd(syscall(SYS_openat2, AT_FDCWD, "/proc/self/ns/user", good_buf, 64));
		break;
	}
	case 27: out("openat2 path=null:"); memset(good_buf, 0, 64); res_fd(syscall(SYS_openat2, AT_FDCWD, NULL, good_buf, 24)); break;
	case 28: out("openat2 how=unmapped:"); res_fd(syscall(SYS_openat2, AT_FDCWD, "/proc/self/ns/user", unmapped, 24)); break;
	case 29: out("openat2 size=huge:"); memset(good_buf, 0, 64); res_fd(syscall(SYS_openat2, AT_FDCWD, "/proc/self/ns/user", good_buf, 1L << 40)); break;
	case 30: {
		/* an executable FIFO with no writer: the sentry looks at the program file before
		 * the kernel refuses it, and must not block opening it */
		char fifo[64];
		snprintf(fifo, sizeof fifo, "/tmp/nsentry-hostile-fifo.%d", (int)getpid());
		if (mkfifo(fifo, 0755) < 0 || chmod(fifo, 0755) < 0) {
			out("execve fifo: setup failed");
			break;
		}
		out("execve fifo:");
		res(syscall(SYS_execve, fifo, good_argv, NULL));
		unlink(fifo);
		break;
	}
	case 31: out("execve directory:"); res(syscall(SYS_execve, "/tmp", good_argv, NULL)); break;
	case 32: out("execve chardev:"); res(syscall(SYS_execve, "/dev/null", good_argv, NULL)); break;
	}
}

static void fam_misc(void)
{
	for (int i = 0; i < 33; i++)
		run_case(do_misc, &i);
}

/* ------------------------------------------------------------------ main */

static const struct { const char *name; void (*fn)(void); } families[] = {
	{ "setns", fam_setns }, { "unshare", fam_unshare }, { "clone", fam_clone },
	{ "clone3", fam_clone3 }, { "open", fam_open }, { "readlink", fam_readlink },
	{ "stat", fam_stat }, { "map_write", fam_map_write }, { "map_access_ok", fam_map_access_ok },
	{ "map_pwrite_writev", fam_map_pwrite_writev }, { "getres", fam_getres }, { "groups", fam_groups },
	{ "caps", fam_caps }, { "prctl_setid", fam_prctl_setid },
	{ "ioctl", fam_ioctl }, { "uts", fam_uts }, { "misc", fam_misc },
};

int main(int argc, char **argv)
{
	setup_memory();
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
		int want = argc < 2;
		for (int a = 1; a < argc; a++)
			want |= strcmp(argv[a], families[i].name) == 0;
		if (!want)
			continue;
		line_len = 0;
		out("## %s", families[i].name);
		flush_line();
		families[i].fn();
	}
	return 0;
}
