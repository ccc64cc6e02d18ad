/* stat_owners — file owners in stat results are the caller's view (fs/stat.c cp_new_stat,
 * cp_statx: from_kuid_munged / from_kgid_munged, 65534 where unmapped; spec §5), by every
 * form of stat, in the initial user namespace, after unshare before and after the maps are
 * written, in a child, a thread and an exec'd program, in a clone(CLONE_NEWUSER) child whose
 * maps its parent writes, after setns into another user namespace, and two levels deep. */
#include "probe.h"

static char own_file[64];      /* owned by the prober's euid/egid */

static void show(const char *phase, const char *form, int rc, int e, uid_t u, gid_t g) {
  char n[96];
  snprintf(n, sizeof n, "%s.%s", phase, form);
  if (rc != 0) line(n, "%s = %s", form, fmtres(-1, e, 0));
  else line(n, "%s = %u:%u", form, (unsigned)u, (unsigned)g);
}

/* Every form of stat on one path, owners printed. */
static void stat_forms(const char *phase, const char *what, const char *path) {
  char p[80];
  struct stat st;
  struct statx sx;
  int rc, e;
#define ST(form, call) do { errno = 0; rc = (call); e = errno; \
    snprintf(p, sizeof p, "%s.%s", what, form); show(phase, p, rc, e, st.st_uid, st.st_gid); } while (0)
#define SX(form, call) do { errno = 0; rc = (call); e = errno; \
    snprintf(p, sizeof p, "%s.%s", what, form); show(phase, p, rc, e, sx.stx_uid, sx.stx_gid); } while (0)
  ST("stat", stat(path, &st));
  ST("lstat", lstat(path, &st));
  ST("fstatat", fstatat(AT_FDCWD, path, &st, 0));
  ST("fstatat-nofollow", fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW));
  SX("statx", statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &sx));
  SX("statx-nofollow", statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx));
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  ST("fstat", fstat(fd, &st));
  ST("fstatat-empty", fstatat(fd, "", &st, AT_EMPTY_PATH));
  SX("statx-empty", statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx));
  if (fd >= 0) close(fd);
  int opath = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  ST("opath-fstat", fstat(opath, &st));
  if (opath >= 0) close(opath);
#undef ST
#undef SX
}

static void all_paths(const char *phase) {
  stat_forms(phase, "root", "/");
  stat_forms(phase, "own", own_file);
  stat_forms(phase, "proc-self", "/proc/self"); /* a magic symlink; the task's euid */
}

static void *thread_stats(void *a) {
  all_paths((const char *)a);
  return NULL;
}

static void in_thread(const char *phase) {
  pthread_t t;
  fflush(stdout);
  if (pthread_create(&t, NULL, thread_stats, (void *)phase) == 0) pthread_join(t, NULL);
  else line(phase, "pthread_create failed");
}

static void in_forked(const char *phase) {
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    all_paths(phase);
    fflush(stdout);
    _exit(0);
  }
  wait_child(c);
}

static void in_exec(const char *phase) {
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    execl("/proc/self/exe", "stat_owners", "--exec-phase", phase, own_file, (char *)NULL);
    _exit(127);
  }
  wait_child(c);
}

static void unshared(void *a) {
  (void)a;
  uid_t u = geteuid();
  gid_t g = getegid();
  CHECK("unshared.unshare", unshare(CLONE_NEWUSER));
  all_paths("unmapped");
  CHECK("unshared.map", map_self_root(u, g));
  all_paths("mapped");
  in_forked("mapped-child");
  in_thread("mapped-thread");
  in_exec("mapped-exec");
  /* two levels deep: 0 maps to 0 (the outer namespace's root), unmapped first */
  CHECK("unshared.nested-unshare", unshare(CLONE_NEWUSER));
  all_paths("nested-unmapped");
  CHECK("unshared.nested-map", map_self_root(0, 0));
  all_paths("nested-mapped");
}

/* clone(CLONE_NEWUSER) child: stats unmapped, then again after its parent wrote its maps. */
static void cloned(void *a) {
  (void)a;
  int go[2], ready[2];
  if (pipe(go) || pipe(ready)) return;
  fflush(stdout);
  pid_t c = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (c == 0) {
    all_paths("clone-unmapped");
    fflush(stdout);
    sig_send(ready[1]);
    sig_wait(go[0]);
    all_paths("clone-mapped");
    fflush(stdout);
    _exit(0);
  }
  if (c < 0) {
    line("clone", "clone(CLONE_NEWUSER) = %s", fmtres(-1, errno, 0));
    return;
  }
  sig_wait(ready[0]);
  char path[64], b[64];
  snprintf(path, sizeof path, "/proc/%d/setgroups", c);
  write_file(path, "deny", 4);
  snprintf(b, sizeof b, "0 %u 1", (unsigned)geteuid());
  snprintf(path, sizeof path, "/proc/%d/uid_map", c);
  CHECKAS("clone.uid_map", "write(uid_map)", write_file(path, b, strlen(b)) < 0 ? -1 : 0);
  snprintf(b, sizeof b, "0 %u 1", (unsigned)getegid());
  snprintf(path, sizeof path, "/proc/%d/gid_map", c);
  CHECKAS("clone.gid_map", "write(gid_map)", write_file(path, b, strlen(b)) < 0 ? -1 : 0);
  sig_send(go[1]);
  wait_child(c);
}

/* setns into a user namespace that another process created and mapped. */
static void joined(void *a) {
  (void)a;
  target t;
  if (target_start(&t, CLONE_NEWUSER, 1) != 0) {
    line("setns.target", "target failed");
    return;
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/user", t.pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  CHECK("setns.setns", setns(fd, CLONE_NEWUSER));
  all_paths("setns");
  in_forked("setns-child");
  target_stop(&t);
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "--exec-phase") == 0) {
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    snprintf(own_file, sizeof own_file, "%s", argv[3]);
    all_paths(argv[2]);
    fflush(stdout);
    return 0;
  }
  probe_init();
  snprintf(own_file, sizeof own_file, "/tmp/stat_owners.XXXXXX");
  int fd = mkstemp(own_file);
  if (fd < 0) {
    perror("mkstemp");
    return 1;
  }
  close(fd);
  all_paths("init");
  in_child("unshared", unshared, NULL);
  in_child("cloned", cloned, NULL);
  in_child("joined", joined, NULL);
  unlink(own_file);
  return probe_done();
}
