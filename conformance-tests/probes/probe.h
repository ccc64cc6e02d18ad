/*
 * probe.h — shared helpers for the nsentry conformance probes.
 *
 * Every probe prints a normalized transcript on stdout: one line per check,
 *     check-name: call = result
 * where result is a return value or an errno name ("-EPERM"), or a structural
 * fact ("yes"/"no", "start"/"other", ids as seen). Raw inode numbers, pids, fd
 * numbers and addresses are never printed, so two runs (natively, or under any
 * emulation layer) can be compared line by line.
 *
 * Processes are sequenced explicitly (waitpid, pipes): only one process prints
 * at a time, and stdout is flushed after every line and before every fork.
 * Diagnostics that are not part of the transcript go to stderr.
 */
#ifndef NSENTRY_PROBE_H
#define NSENTRY_PROBE_H
#define _GNU_SOURCE
#pragma GCC diagnostic ignored "-Wunused-function"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef NSIO
#define NSIO 0xb7
#endif
#define P_NS_GET_USERNS _IO(NSIO, 0x1)
#define P_NS_GET_PARENT _IO(NSIO, 0x2)
#define P_NS_GET_NSTYPE _IO(NSIO, 0x3)
#define P_NS_GET_OWNER_UID _IO(NSIO, 0x4)
#define P_NSFS_MAGIC 0x6e736673

#define CLONE_NS_ALL (CLONE_NEWCGROUP | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWNS | \
                      CLONE_NEWPID | CLONE_NEWUSER | CLONE_NEWUTS | CLONE_NEWTIME)

static int g_root;        /* euid 0 at start (natively: real root) */
static uid_t g_uid;       /* ids at start */
static gid_t g_gid;
static int g_lines;
static const char *volatile badptr = (const char *)8; /* an unmapped user address */

/* ---------- output ---------- */

static void line(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void line(const char *name, const char *fmt, ...) {
  va_list ap;
  char b[2048];
  va_start(ap, fmt);
  vsnprintf(b, sizeof b, fmt, ap);
  va_end(ap);
  printf("%s: ", name);
  /* one line per check: control characters are escaped */
  for (const char *c = b; *c; c++) {
    if (*c == '\n') fputs("\\n", stdout);
    else if (*c == '\t') fputs("\\t", stdout);
    else if ((unsigned char)*c < 0x20) printf("\\x%02x", (unsigned char)*c);
    else putchar(*c);
  }
  putchar('\n');
  fflush(stdout);
  g_lines++;
}

static void skip(const char *name, const char *why) { line(name, "skip (%s)", why); }

static const char *errname(int e) {
  const char *n = strerrorname_np(e);
  static char buf[32];
  if (n) return n;
  snprintf(buf, sizeof buf, "E%d", e);
  return buf;
}

/* Formats a syscall-style result: value, or -ERRNO when rc == -1. */
static const char *fmtres(long rc, int e, int fdmode) {
  static char ring[8][64];
  static int idx;
  char *b = ring[idx++ & 7];
  if (rc == -1) snprintf(b, 64, "-%s", errname(e));
  else if (fdmode && rc >= 0) snprintf(b, 64, "fd");
  else snprintf(b, 64, "%ld", rc);
  return b;
}

static long emit(const char *name, const char *call, long rc, int e, int fdmode) {
  line(name, "%s = %s", call, fmtres(rc, e, fdmode));
  errno = e;
  return rc;
}

/* CHECK prints "name: <expr> = <rc or -ERRNO>" and yields rc (errno preserved). */
#define CHECK(name, expr) ({ errno = 0; long _r = (long)(expr); int _e = errno; \
                             emit((name), #expr, _r, _e, 0); })
/* CHECKFD is CHECK for calls returning a new fd: prints "fd" instead of the number. */
#define CHECKFD(name, expr) ({ errno = 0; long _r = (long)(expr); int _e = errno; \
                               (int)emit((name), #expr, _r, _e, 1); })
/* CALLS is CHECK with an explicit call text (for calls whose source text is noisy). */
#define CHECKAS(name, text, expr) ({ errno = 0; long _r = (long)(expr); int _e = errno; \
                                     emit((name), (text), _r, _e, 0); })

static const char *yesno(int b) { return b ? "yes" : "no"; }

/* ---------- namespaces ---------- */

typedef struct { dev_t dev; ino_t ino; int ok; } nskey;

static const char *ns_types[] = {"net", "uts", "ipc", "pid", "pid_for_children", "user",
                                 "mnt", "cgroup", "time", "time_for_children"};
#define NS_NTYPES 10
static nskey g_start[NS_NTYPES];

static nskey nsk_path(const char *p) {
  struct stat st;
  nskey k = {0, 0, 0};
  if (stat(p, &st) == 0) { k.dev = st.st_dev; k.ino = st.st_ino; k.ok = 1; }
  return k;
}
static nskey nsk_fd(int fd) {
  struct stat st;
  nskey k = {0, 0, 0};
  if (fstat(fd, &st) == 0) { k.dev = st.st_dev; k.ino = st.st_ino; k.ok = 1; }
  return k;
}
static nskey nsk_self(const char *type) {
  char p[64];
  snprintf(p, sizeof p, "/proc/self/ns/%s", type);
  return nsk_path(p);
}
static nskey nsk_pid(pid_t pid, const char *type) {
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/ns/%s", (int)pid, type);
  return nsk_path(p);
}
static int nseq(nskey a, nskey b) { return a.ok && b.ok && a.dev == b.dev && a.ino == b.ino; }
static int ns_index(const char *type) {
  for (int i = 0; i < NS_NTYPES; i++) if (!strcmp(ns_types[i], type)) return i;
  return -1;
}
/* "start" if this task's namespace of that type is the one the probe started in. */
static const char *ns_where(const char *type) {
  nskey k = nsk_self(type);
  if (!k.ok) return fmtres(-1, errno, 0);
  return nseq(k, g_start[ns_index(type)]) ? "start" : "other";
}
static void show_ns(const char *name, const char *type) {
  char n[160];
  snprintf(n, sizeof n, "%s.ns-%s", name, type);
  line(n, "ns(%s) = %s", type, ns_where(type));
}
static void same_ns(const char *name, const char *what, nskey a, nskey b) {
  if (!a.ok || !b.ok) line(name, "same-ns(%s) = unknown", what);
  else line(name, "same-ns(%s) = %s", what, yesno(nseq(a, b)));
}

/* ---------- ids ---------- */

static void show_ids(const char *name) {
  uid_t r, e, s; gid_t rg, eg, sg;
  getresuid(&r, &e, &s);
  getresgid(&rg, &eg, &sg);
  line(name, "ids = uid %u/%u/%u gid %u/%u/%u fsuid %d", r, e, s, rg, eg, sg, setfsuid(-1));
}
static void show_groups(const char *name) {
  gid_t g[64];
  int n = getgroups(64, g);
  char buf[512]; int o = 0;
  o += snprintf(buf + o, sizeof buf - o, "n=%d", n);
  for (int i = 0; i < n && o < 480; i++) o += snprintf(buf + o, sizeof buf - o, " %u", g[i]);
  line(name, "getgroups = %s", buf);
}

/* capability sets via raw capget (v3) */
struct p_cap_header { uint32_t version; int pid; };
struct p_cap_data { uint32_t effective, permitted, inheritable; };
static int p_capget(uint64_t *eff, uint64_t *prm, uint64_t *inh) {
  struct p_cap_header h = {0x20080522, 0};
  struct p_cap_data d[2];
  memset(d, 0, sizeof d);
  int rc = syscall(SYS_capget, &h, d);
  if (rc == 0) {
    *eff = d[0].effective | ((uint64_t)d[1].effective << 32);
    *prm = d[0].permitted | ((uint64_t)d[1].permitted << 32);
    *inh = d[0].inheritable | ((uint64_t)d[1].inheritable << 32);
  }
  return rc;
}
static int p_capset(uint64_t eff, uint64_t prm, uint64_t inh) {
  struct p_cap_header h = {0x20080522, 0};
  struct p_cap_data d[2];
  d[0].effective = (uint32_t)eff; d[1].effective = (uint32_t)(eff >> 32);
  d[0].permitted = (uint32_t)prm; d[1].permitted = (uint32_t)(prm >> 32);
  d[0].inheritable = (uint32_t)inh; d[1].inheritable = (uint32_t)(inh >> 32);
  return syscall(SYS_capset, &h, d);
}
static int last_cap(void) {
  static int lc = -1;
  if (lc < 0) {
    FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
    if (!f || fscanf(f, "%d", &lc) != 1) lc = 40;
    if (f) fclose(f);
  }
  return lc;
}
static uint64_t full_caps(void) { return last_cap() >= 63 ? ~0ULL : ((1ULL << (last_cap() + 1)) - 1); }
static const char *capdesc(uint64_t v) {
  static char ring[4][32];
  static int idx;
  char *b = ring[idx++ & 3];
  if (v == 0) return "0";
  if (v == full_caps()) return "full";
  snprintf(b, 32, "%#llx", (unsigned long long)v);
  return b;
}
static void show_caps(const char *name) {
  uint64_t e = 0, p = 0, i = 0;
  if (p_capget(&e, &p, &i) != 0) { line(name, "capget = %s", fmtres(-1, errno, 0)); return; }
  uint64_t b = 0, a = 0;
  for (int c = 0; c <= last_cap(); c++) {
    if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) b |= 1ULL << c;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) == 1) a |= 1ULL << c;
  }
  line(name, "caps = eff %s prm %s inh %s bnd %s amb %s secbits %d", capdesc(e), capdesc(p),
       capdesc(i), capdesc(b), capdesc(a), prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
}

/* ---------- files ---------- */

/* Reads a small file; returns its content with '\n' shown as '|' and runs of spaces squeezed. */
static const char *read_file_norm(const char *path) {
  static char ring[4][1024];
  static int idx;
  char *b = ring[idx++ & 3];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { snprintf(b, 1024, "%s", fmtres(-1, errno, 0)); return b; }
  char raw[900];
  ssize_t n = read(fd, raw, sizeof raw - 1);
  int e = errno;
  close(fd);
  if (n < 0) { snprintf(b, 1024, "read %s", fmtres(-1, e, 0)); return b; }
  raw[n] = 0;
  int o = 0, sp = 0;
  b[o++] = '"';
  for (ssize_t i = 0; i < n && o < 1000; i++) {
    char c = raw[i];
    if (c == ' ') { if (!sp && o > 1 && b[o - 1] != '|') b[o++] = ' '; sp = 1; continue; }
    sp = 0;
    b[o++] = c == '\n' ? '|' : c;
  }
  b[o++] = '"';
  b[o] = 0;
  return b;
}

/* Writes a string with one write(2) on a fresh fd; returns the write result (or open failure). */
static long write_file(const char *path, const char *data, size_t len) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  long rc = write(fd, data, len);
  int e = errno;
  close(fd);
  errno = e;
  return rc;
}
#define WRITES(name, path, str) \
  CHECKAS((name), "write(" path ", \"" #str "\")", write_file((path), (str), strlen(str)))

/* ---------- processes ---------- */

static const char *status_desc(int st) {
  static char b[64];
  if (WIFEXITED(st)) snprintf(b, sizeof b, "exit %d", WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) snprintf(b, sizeof b, "signal %s", sigabbrev_np(WTERMSIG(st)) ?: "?");
  else snprintf(b, sizeof b, "status %#x", st);
  return b;
}

static int wait_child(pid_t p) {
  int st = 0;
  while (waitpid(p, &st, __WALL) < 0) {
    if (errno != EINTR) return -1;
  }
  return st;
}

/* Runs fn(arg) in a forked child and waits for it. A child that does not exit 0
 * adds a line, so a crash shows up as a difference. */
static int in_child(const char *name, void (*fn)(void *), void *arg) {
  fflush(stdout);
  fflush(stderr);
  pid_t p = fork();
  if (p < 0) { line(name, "fork = %s", fmtres(-1, errno, 0)); return -1; }
  if (p == 0) {
    fn(arg);
    fflush(stdout);
    _exit(0);
  }
  int st = wait_child(p);
  if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
    char n[160];
    snprintf(n, sizeof n, "%s.child", name);
    line(n, "child = %s", status_desc(st));
  }
  return st;
}

/* A helper thread that blocks until released: makes the caller multithreaded. */
typedef struct { pthread_t t; int fds[2]; int live; } helper_thread;
static void *helper_main(void *a) {
  helper_thread *h = a;
  char c;
  while (read(h->fds[0], &c, 1) < 0 && errno == EINTR) {}
  return NULL;
}
static int thread_start(helper_thread *h) {
  if (pipe2(h->fds, O_CLOEXEC) != 0) return -1;
  if (pthread_create(&h->t, NULL, helper_main, h) != 0) return -1;
  h->live = 1;
  return 0;
}
static void thread_stop(helper_thread *h) {
  if (!h->live) return;
  char c = 1;
  if (write(h->fds[1], &c, 1) < 0) {}
  pthread_join(h->t, NULL);
  close(h->fds[0]);
  close(h->fds[1]);
  h->live = 0;
}

/* pipe-based sequencing between processes */
static void sig_send(int fd) { char c = 1; if (write(fd, &c, 1) != 1) {} }
static int sig_wait(int fd) { char c; ssize_t n; while ((n = read(fd, &c, 1)) < 0 && errno == EINTR) {} return n == 1; }

static int p_pidfd_open(pid_t pid, unsigned flags) { return syscall(SYS_pidfd_open, pid, flags); }
static int p_pivot_root(const char *n, const char *o) { return syscall(SYS_pivot_root, n, o); }

/* Writes "0 <id> 1" style maps for the calling task's own new user namespace
 * (the unprivileged one-line path; works as root too). */
static int map_self_root(uid_t outer_uid, gid_t outer_gid) {
  char b[64];
  int ok = 1;
  if (write_file("/proc/self/setgroups", "deny", 4) < 0) ok = 0;
  snprintf(b, sizeof b, "0 %u 1", outer_uid);
  if (write_file("/proc/self/uid_map", b, strlen(b)) < 0) ok = 0;
  snprintf(b, sizeof b, "0 %u 1", outer_gid);
  if (write_file("/proc/self/gid_map", b, strlen(b)) < 0) ok = 0;
  return ok ? 0 : -1;
}

static void probe_init(void) {
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  g_uid = geteuid();
  g_gid = getegid();
  g_root = g_uid == 0;
  if (chdir("/") != 0) perror("chdir /"); /* transcripts never depend on the caller's cwd */
  for (int i = 0; i < NS_NTYPES; i++) g_start[i] = nsk_self(ns_types[i]);
  line("probe.user", "as = %s", g_root ? "root" : "unprivileged");
}

/* unshare(CLONE_NEWUSER) and map the caller's euid/egid to 0 (setgroups denied). */
static int enter_userns_mapped(void) {
  uid_t u = geteuid();
  gid_t g = getegid();
  if (unshare(CLONE_NEWUSER) != 0) return -1;
  return map_self_root(u, g);
}

/* A target process: forks, unshares `flags` (mapping its new user namespace to 0 when
 * `map`), reports readiness and waits until released. */
typedef struct { pid_t pid; int go[2]; int ready[2]; } target;
static int target_start(target *t, unsigned long flags, int map) {
  if (pipe(t->go) || pipe(t->ready)) return -1;
  fflush(stdout);
  t->pid = fork();
  if (t->pid < 0) return -1;
  if (t->pid == 0) {
    uid_t u = geteuid();
    gid_t g = getegid();
    char ok = 1;
    if (flags && unshare(flags) != 0) ok = 0;
    if (ok && map && (flags & CLONE_NEWUSER) && map_self_root(u, g) != 0) ok = 0;
    if (ok && map && (flags & CLONE_NEWUSER) && (setresgid(0, 0, 0) || setresuid(0, 0, 0))) ok = 0;
    if (write(t->ready[1], &ok, 1) != 1) _exit(2);
    sig_wait(t->go[0]);
    _exit(0);
  }
  char ok = 0;
  if (read(t->ready[0], &ok, 1) != 1 || !ok) return -1;
  return 0;
}
static void target_stop(target *t) {
  sig_send(t->go[1]);
  wait_child(t->pid);
  close(t->go[0]); close(t->go[1]); close(t->ready[0]); close(t->ready[1]);
}
static int target_nsfd(target *t, const char *type) {
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/ns/%s", (int)t->pid, type);
  return open(p, O_RDONLY | O_CLOEXEC);
}

static int probe_done(void) {
  line("probe.complete", "status = done");
  return 0;
}
#endif
