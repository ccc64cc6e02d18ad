/* proc_ns_access — /proc/[pid]/ns (fs/proc/namespaces.c, spec §8): entries and order,
 * self/thread-self/task/TID, dirfd-relative access, the ptrace-mode access rule (EACCES),
 * zombie ENOENT and reaped processes, pid_for_children before the first child. */
#include "probe.h"
#include <dirent.h>

static pid_t tid_of_thread;
static void *tid_main(void *a) {
  helper_thread *h = a;
  tid_of_thread = gettid();
  char c;
  while (read(h->fds[0], &c, 1) < 0 && errno == EINTR) {}
  return NULL;
}

static void listing(void) {
  DIR *d = opendir("/proc/self/ns");
  char names[512] = "";
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    strcat(names, e->d_name);
    strcat(names, " ");
  }
  if (d) closedir(d);
  line("list.self", "readdir(/proc/self/ns) = %s", names);
}

static void paths(void *a) {
  (void)a;
  helper_thread h;
  if (pipe2(h.fds, O_CLOEXEC)) return;
  pthread_create(&h.t, NULL, tid_main, &h);
  while (!__atomic_load_n(&tid_of_thread, __ATOMIC_SEQ_CST)) usleep(1000);
  char p[96];
  snprintf(p, sizeof p, "/proc/self/task/%d/ns/net", (int)tid_of_thread);
  same_ns("path.task-tid", "task/TID/ns/net, self", nsk_path(p), nsk_self("net"));
  same_ns("path.thread-self", "thread-self/ns/user, self", nsk_path("/proc/thread-self/ns/user"), nsk_self("user"));
  snprintf(p, sizeof p, "/proc/%d/ns/net", (int)tid_of_thread);
  same_ns("path.tid-as-pid", "/proc/TID/ns/net, self", nsk_path(p), nsk_self("net"));
  int dfd = open("/proc/self/ns", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int f = CHECKFD("path.openat", openat(dfd, "uts", O_RDONLY | O_CLOEXEC));
  same_ns("path.openat-same", "openat(nsdir, uts), self uts", nsk_fd(f), nsk_self("uts"));
  char l[64] = {0};
  long r = readlinkat(dfd, "ipc", l, sizeof l - 1);
  line("path.readlinkat", "readlinkat(nsdir, ipc) = %s prefix %s", r > 0 ? "ok" : fmtres(-1, errno, 0), yesno(!strncmp(l, "ipc:[", 5)));
  struct stat st;
  CHECK("path.fstatat-nofollow", fstatat(dfd, "net", &st, AT_SYMLINK_NOFOLLOW));
  line("path.fstatat-mode", "mode = %o", st.st_mode);
  CHECKFD("path.openat-missing", openat(dfd, "nosuch", O_RDONLY | O_CLOEXEC));
  CHECK("path.mkdirat", mkdirat(dfd, "x", 0755));
  CHECK("path.symlink", symlinkat("net:[1]", dfd, "y"));
  CHECKFD("path.open-dir-wr", open("/proc/self/ns", O_WRONLY | O_CLOEXEC));
  sig_send(h.fds[1]);
  pthread_join(h.t, NULL);
}

static void ptrace_rule(void *a) {
  (void)a;
  /* pid 1 belongs to root */
  char l[64];
  if (g_root) CHECK("ptrace.setresuid", setresuid(4242, 4242, 4242));
  CHECK("ptrace.readlink-pid1", readlink("/proc/1/ns/net", l, sizeof l));
  CHECKFD("ptrace.open-pid1", open("/proc/1/ns/net", O_RDONLY | O_CLOEXEC));
  struct stat st;
  CHECK("ptrace.stat-pid1", stat("/proc/1/ns/net", &st));
  CHECK("ptrace.lstat-pid1", lstat("/proc/1/ns/net", &st));
  CHECKFD("ptrace.opendir-pid1", open("/proc/1/ns", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/ns/net", (int)getppid());
  if (g_root) CHECK("ptrace.readlink-root-parent", readlink(p, l, sizeof l) > 0);
  else CHECK("ptrace.readlink-parent", readlink(p, l, sizeof l) > 0);
}

static void dumpable(void *a) {
  (void)a;
  /* a non-dumpable target of the same uid needs CAP_SYS_PTRACE */
  int ready[2], go[2];
  if (pipe(ready) || pipe(go)) return;
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    sig_send(ready[1]);
    sig_wait(go[0]);
    _exit(0);
  }
  sig_wait(ready[0]);
  char p[64], l[64];
  snprintf(p, sizeof p, "/proc/%d/ns/user", (int)c);
  CHECK("dumpable.readlink", readlink(p, l, sizeof l) > 0);
  CHECKFD("dumpable.open", open(p, O_RDONLY | O_CLOEXEC));
  sig_send(go[1]);
  wait_child(c);
}

static void other_ns(void *a) {
  (void)a;
  target t;
  if (target_start(&t, CLONE_NEWUSER | CLONE_NEWNET, 1) != 0) return;
  char p[64], l[64];
  snprintf(p, sizeof p, "/proc/%d/ns/net", (int)t.pid);
  line("other.target-net", "ns = %s", nseq(nsk_path(p), g_start[0]) ? "start" : "other");
  CHECK("other.readlink", readlink(p, l, sizeof l) > 0);
  target_stop(&t);
}

static void dead(void *a) {
  (void)a;
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) _exit(0);
  char p[64], dp[64], l[64];
  snprintf(p, sizeof p, "/proc/%d/ns/net", (int)c);
  snprintf(dp, sizeof dp, "/proc/%d/ns", (int)c);
  siginfo_t si;
  waitid(P_PID, c, &si, WEXITED | WNOWAIT);
  CHECK("zombie.readlink", readlink(p, l, sizeof l));
  CHECKFD("zombie.open", open(p, O_RDONLY | O_CLOEXEC));
  struct stat st;
  CHECK("zombie.lstat", lstat(p, &st));
  int dfd = CHECKFD("zombie.open-nsdir", open(dp, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  wait_child(c);
  CHECK("reaped.readlink", readlink(p, l, sizeof l));
  CHECKFD("reaped.open", open(p, O_RDONLY | O_CLOEXEC));
  CHECKFD("reaped.openat", openat(dfd, "net", O_RDONLY | O_CLOEXEC));
  /* live process whose ns dir was opened, then reaped */
  fflush(stdout);
  int go[2];
  if (pipe(go)) return;
  c = fork();
  if (c == 0) { sig_wait(go[0]); _exit(0); }
  snprintf(dp, sizeof dp, "/proc/%d/ns", (int)c);
  dfd = open(dp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECKFD("live.openat", openat(dfd, "net", O_RDONLY | O_CLOEXEC));
  sig_send(go[1]);
  wait_child(c);
  CHECKFD("gone.openat", openat(dfd, "net", O_RDONLY | O_CLOEXEC));
  CHECK("gone.readlinkat", readlinkat(dfd, "net", l, sizeof l));
}

static void pid_for_children(void *a) {
  (void)a;
  if (!g_root && enter_userns_mapped() != 0) return;
  CHECK("pfc.unshare", unshare(CLONE_NEWPID));
  char l[64];
  CHECK("pfc.readlink-before-child", readlink("/proc/self/ns/pid_for_children", l, sizeof l));
  CHECKFD("pfc.open-before-child", open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC));
  struct stat st;
  CHECK("pfc.lstat-before-child", lstat("/proc/self/ns/pid_for_children", &st));
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) _exit(0);
  wait_child(c);
  CHECK("pfc.readlink-after-child", readlink("/proc/self/ns/pid_for_children", l, sizeof l) > 0);
  line("pfc.differs-from-pid", "pid_for_children vs pid same = %s",
       yesno(nseq(nsk_self("pid_for_children"), nsk_self("pid"))));
}

int main(void) {
  probe_init();
  listing();
  in_child("path", paths, NULL);
  in_child("ptrace", ptrace_rule, NULL);
  in_child("dumpable", dumpable, NULL);
  in_child("other", other_ns, NULL);
  in_child("dead", dead, NULL);
  in_child("pfc", pid_for_children, NULL);
  return probe_done();
}
