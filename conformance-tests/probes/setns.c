/* setns — kernel/nsproxy.c setns / validate_nsset and the per-type install functions
 * (spec §4): fds with nstype 0/matching/mismatched, pidfds with one or several flags,
 * all-or-nothing, pre-join credentials, mnt root/cwd reset, pid_for_children. */
#include "probe.h"

static void basic_errors(void *a) {
  (void)a;
  int net = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int user = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
  int uts = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
  int dir = open("/", O_RDONLY | O_CLOEXEC);
  int pfd[2];
  if (pipe(pfd)) return;
  CHECK("fd.bad-fd", setns(-1, 0));
  CHECK("fd.closed-fd", setns(1000, CLONE_NEWNET));
  CHECK("fd.directory", setns(dir, 0));
  CHECK("fd.directory-typed", setns(dir, CLONE_NEWNET));
  CHECK("fd.pipe", setns(pfd[0], 0));
  CHECK("fd.net-as-uts", setns(net, CLONE_NEWUTS));
  CHECK("fd.net-bogus-flag", setns(net, 0x1));
  CHECK("fd.net-two-flags", setns(net, CLONE_NEWNET | CLONE_NEWUTS));
  CHECK("fd.own-user-0", setns(user, 0));
  CHECK("fd.own-user-typed", setns(user, CLONE_NEWUSER));
  CHECK("fd.own-user-as-net", setns(user, CLONE_NEWNET));
  CHECK("fd.own-net-0", setns(net, 0));
  CHECK("fd.own-net-typed", setns(net, CLONE_NEWNET));
  CHECK("fd.own-uts-typed", setns(uts, CLONE_NEWUTS));
  show_ns("fd.after", "net");
  int self = p_pidfd_open(getpid(), 0);
  CHECK("pidfd.flags-0", setns(self, 0));
  CHECK("pidfd.non-ns-flag", setns(self, CLONE_VM));
  CHECK("pidfd.net-and-non-ns", setns(self, CLONE_NEWNET | CLONE_VM));
  CHECK("pidfd.own-user", setns(self, CLONE_NEWUSER));
  CHECK("pidfd.own-user-net", setns(self, CLONE_NEWUSER | CLONE_NEWNET));
  CHECK("pidfd.own-net", setns(self, CLONE_NEWNET));
  CHECK("pidfd.own-uts-ipc-net-cgroup", setns(self, CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP));
  CHECK("pidfd.own-time", setns(self, CLONE_NEWTIME));
  CHECK("pidfd.own-pid", setns(self, CLONE_NEWPID));
  CHECK("pidfd.own-mnt", setns(self, CLONE_NEWNS));
  CHECK("pidfd.all-but-user", setns(self, CLONE_NS_ALL & ~CLONE_NEWUSER));
  int one = p_pidfd_open(1, 0);
  CHECK("pidfd.pid1-net", setns(one, CLONE_NEWNET));
  CHECK("pidfd.pid1-user", setns(one, CLONE_NEWUSER));
  show_ns("pidfd.after", "net");
  show_ns("pidfd.after", "user");
}

static void dead_targets(void *a) {
  (void)a;
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) _exit(0);
  int pfd = p_pidfd_open(c, 0);
  siginfo_t si;
  waitid(P_PID, c, &si, WEXITED | WNOWAIT); /* now a zombie */
  CHECK("zombie.setns-net", setns(pfd, CLONE_NEWNET));
  CHECK("zombie.setns-user", setns(pfd, CLONE_NEWUSER));
  CHECK("zombie.setns-flags-0", setns(pfd, 0));
  CHECKFD("zombie.open-ns", open("/proc/self/ns/net", O_RDONLY)); /* control */
  wait_child(c);
  CHECK("reaped.setns-net", setns(pfd, CLONE_NEWNET));
  CHECK("reaped.setns-flags-0", setns(pfd, 0));
  close(pfd);
}

static target T;

static void join_pidfd_all(void *a) {
  (void)a;
  int pfd = p_pidfd_open(T.pid, 0);
  CHECK("pidfd-join.user-net-uts", setns(pfd, CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWUTS));
  same_ns("pidfd-join.user", "self user, target user", nsk_self("user"), nsk_pid(T.pid, "user"));
  same_ns("pidfd-join.net", "self net, target net", nsk_self("net"), nsk_pid(T.pid, "net"));
  same_ns("pidfd-join.uts", "self uts, target uts", nsk_self("uts"), nsk_pid(T.pid, "uts"));
  show_ns("pidfd-join", "ipc");
  show_ids("pidfd-join.ids");
  show_caps("pidfd-join.caps");
  CHECK("pidfd-join.again-user", setns(pfd, CLONE_NEWUSER));
  CHECK("pidfd-join.again-net", setns(pfd, CLONE_NEWNET));
}

static void join_fds_in_order(void *a) {
  (void)a;
  int u = target_nsfd(&T, "user"), n = target_nsfd(&T, "net"), s = target_nsfd(&T, "uts");
  CHECK("fd-join.user-0", setns(u, 0));
  show_caps("fd-join.caps-after-user");
  CHECK("fd-join.net-0", setns(n, 0));
  CHECK("fd-join.uts-typed", setns(s, CLONE_NEWUTS));
  same_ns("fd-join.net", "self net, target net", nsk_self("net"), nsk_pid(T.pid, "net"));
  CHECK("fd-join.user-again", setns(u, CLONE_NEWUSER));
}

static void join_net_before_user(void *a) {
  (void)a;
  int n = target_nsfd(&T, "net");
  CHECK("net-first.net", setns(n, CLONE_NEWNET));
  show_ns("net-first", "net");
  show_ns("net-first", "user");
}

static void all_or_nothing(void *a) {
  (void)a;
  int pfd = p_pidfd_open(T.pid, 0);
  helper_thread t;
  thread_start(&t);
  /* uts installs before time; time refuses a multithreaded caller */
  CHECK("aon.mt-uts-time", setns(pfd, CLONE_NEWUTS | CLONE_NEWTIME));
  show_ns("aon.mt-uts-time", "uts");
  CHECK("aon.mt-user-uts", setns(pfd, CLONE_NEWUSER | CLONE_NEWUTS));
  show_ns("aon.mt-user-uts", "user");
  CHECK("aon.mt-time-fd", setns(open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC), CLONE_NEWTIME));
  thread_stop(&t);
  /* net of the target is the start net (owned by the initial user ns) */
  CHECK("aon.user-uts-net-cgroup", setns(pfd, CLONE_NEWUSER | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWCGROUP));
  show_ns("aon.after", "user");
  show_ns("aon.after", "uts");
}

static target T2;

static void anchor(void *a) {
  (void)a;
  /* the target only unshared its user namespace: its net ns is the start one */
  int pfd = p_pidfd_open(T2.pid, 0);
  CHECK("anchor.user-net", setns(pfd, CLONE_NEWUSER | CLONE_NEWNET));
  show_ns("anchor", "user");
  show_ns("anchor", "net");
  CHECK("anchor.user-uts-ipc", setns(pfd, CLONE_NEWUSER | CLONE_NEWUTS | CLONE_NEWIPC));
}

static void anchor_fd_after(void *a) {
  (void)a;
  /* separate calls: after joining the user ns, the start net ns is out of reach */
  int u = target_nsfd(&T2, "user");
  int n = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  CHECK("anchor-split.user", setns(u, CLONE_NEWUSER));
  CHECK("anchor-split.net", setns(n, CLONE_NEWNET));
  int pfd = p_pidfd_open(getppid(), 0);
  CHECK("anchor-split.parent-user-net", setns(pfd, CLONE_NEWUSER | CLONE_NEWNET));
}

static target T3;

static void mnt_join(void *a) {
  (void)a;
  if (chdir("/usr") != 0) return;
  int pfd = p_pidfd_open(T3.pid, 0);
  if (!g_root) CHECK("mnt.user-first", setns(pfd, CLONE_NEWUSER));
  else line("mnt.user-first", "setns(pfd, CLONE_NEWUSER) = skip (root)");
  char cwd[256];
  CHECK("mnt.join", setns(target_nsfd(&T3, "mnt"), CLONE_NEWNS));
  line("mnt.cwd-after", "getcwd = %s", getcwd(cwd, sizeof cwd) ? cwd : fmtres(-1, errno, 0));
  same_ns("mnt.same", "self mnt, target mnt", nsk_self("mnt"), nsk_pid(T3.pid, "mnt"));
}

static void mnt_join_shared_fs(void *a) {
  (void)a;
  int go[2];
  if (pipe(go)) return;
  int pfd = p_pidfd_open(T3.pid, 0);
  int m = target_nsfd(&T3, "mnt");
  int u = target_nsfd(&T3, "user");
  fflush(stdout);
  pid_t c = syscall(SYS_clone, CLONE_FS | SIGCHLD, 0, 0, 0, 0);
  if (c == 0) { sig_wait(go[0]); _exit(0); }
  CHECK("mnt-shared.mnt-fd", setns(m, CLONE_NEWNS));
  CHECK("mnt-shared.user-fd", setns(u, CLONE_NEWUSER));
  CHECK("mnt-shared.pidfd-user-mnt", setns(pfd, CLONE_NEWUSER | CLONE_NEWNS));
  show_ns("mnt-shared", "mnt");
  sig_send(go[1]);
  wait_child(c);
}

static void mnt_nocap(void *a) {
  (void)a;
  /* in a fresh user namespace without caps, the start mnt ns is unreachable */
  int m = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  if (enter_userns_mapped() != 0) return;
  CHECK("mnt-nocap.with-caps", setns(m, CLONE_NEWNS));
  CHECK("mnt-nocap.own-new-mnt", unshare(CLONE_NEWNS));
  int own = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  CHECK("mnt-nocap.rejoin-own", setns(own, CLONE_NEWNS));
  CHECK("mnt-nocap.capset-0", p_capset(0, 0, 0));
  CHECK("mnt-nocap.rejoin-own-nocap", setns(own, CLONE_NEWNS));
}

static void pid_join(void *a) {
  (void)a;
  int startpid = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  if (!g_root && enter_userns_mapped() != 0) return;
  if (unshare(CLONE_NEWPID) != 0) { line("pid.setup", "failed"); return; }
  int go[2], ready[2];
  if (pipe(go) || pipe(ready)) return;
  fflush(stdout);
  pid_t init = fork();
  if (init == 0) {
    /* pid 1 of the new namespace; tries to reach its ancestor's pid ns */
    CHECK("pid.init-join-ancestor", setns(startpid, CLONE_NEWPID));
    sig_send(ready[1]);
    sig_wait(go[0]);
    _exit(0);
  }
  sig_wait(ready[0]);
  int self = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  int child = target_nsfd(&(target){.pid = init}, "pid");
  CHECK("pid.join-child-ns", setns(child, CLONE_NEWPID));
  same_ns("pid.pfc", "pid_for_children, child pid ns", nsk_self("pid_for_children"), nsk_fd(child));
  show_ns("pid.own", "pid");
  CHECK("pid.join-own-active", setns(self, CLONE_NEWPID));
  same_ns("pid.pfc-after-own", "pid_for_children, own pid", nsk_self("pid_for_children"), nsk_self("pid"));
  CHECK("pid.join-start", setns(startpid, CLONE_NEWPID));
  sig_send(go[1]);
  wait_child(init);
}

/* One fd number holding a namespace file, then another namespace's, then an O_PATH fd
 * of it, then a directory: each setns and NS_GET_NSTYPE sees what the number holds now
 * (nsentry remembers which stand-in a number last held and checks that guess). */
static void fd_reuse(void *a) {
  (void)a;
  if (unshare((g_root ? 0 : CLONE_NEWUSER) | CLONE_NEWUTS | CLONE_NEWIPC) != 0) {
    line("reuse.setup", "failed");
    return;
  }
  int n = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
  int ipc = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
  CHECK("reuse.uts", setns(n, CLONE_NEWUTS));
  CHECK("reuse.uts-again", setns(n, CLONE_NEWUTS));
  CHECK("reuse.uts-nstype", ioctl(n, P_NS_GET_NSTYPE));
  CHECK("reuse.dup2-ipc", dup2(ipc, n) < 0 ? -1 : 0);
  CHECK("reuse.ipc-as-uts", setns(n, CLONE_NEWUTS));
  CHECK("reuse.ipc-0", setns(n, 0));
  CHECK("reuse.ipc-nstype", ioctl(n, P_NS_GET_NSTYPE));
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", ipc);
  int opath = open(path, O_PATH | O_CLOEXEC);
  CHECK("reuse.dup2-opath", dup2(opath, n) < 0 ? -1 : 0);
  CHECK("reuse.opath-setns", setns(n, CLONE_NEWIPC));
  CHECK("reuse.opath-nstype", ioctl(n, P_NS_GET_NSTYPE));
  CHECK("reuse.dup2-ipc-back", dup2(ipc, n) < 0 ? -1 : 0);
  CHECK("reuse.ipc-back", setns(n, CLONE_NEWIPC));
  int dir = open("/", O_RDONLY | O_CLOEXEC);
  CHECK("reuse.dup2-dir", dup2(dir, n) < 0 ? -1 : 0);
  CHECK("reuse.dir-setns", setns(n, 0));
  CHECK("reuse.dir-nstype", ioctl(n, P_NS_GET_NSTYPE));
  close(n);
  CHECK("reuse.closed-setns", setns(n, 0));
  /* a new uts namespace whose file may get the same number */
  if (unshare(CLONE_NEWUTS) != 0) {
    line("reuse.setup-2", "failed");
    return;
  }
  int again = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
  CHECK("reuse.new-uts", setns(again, CLONE_NEWUTS));
  same_ns("reuse.new-uts-joined", "own uts, the new one", nsk_self("uts"), nsk_fd(again));
  close(opath);
  close(dir);
  close(ipc);
  close(again);
}

int main(void) {
  probe_init();
  in_child("basic", basic_errors, NULL);
  in_child("dead", dead_targets, NULL);

  if (target_start(&T, CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWUTS, 1) == 0) {
    in_child("pidfd-join", join_pidfd_all, NULL);
    in_child("fd-join", join_fds_in_order, NULL);
    in_child("net-first", join_net_before_user, NULL);
    in_child("aon", all_or_nothing, NULL);
    target_stop(&T);
  } else line("target.user-net-uts", "setup = failed");

  if (target_start(&T2, CLONE_NEWUSER, 1) == 0) {
    in_child("anchor", anchor, NULL);
    in_child("anchor-split", anchor_fd_after, NULL);
    target_stop(&T2);
  } else line("target.user", "setup = failed");

  if (target_start(&T3, g_root ? CLONE_NEWNS : CLONE_NEWUSER | CLONE_NEWNS, 1) == 0) {
    in_child("mnt", mnt_join, NULL);
    in_child("mnt-shared", mnt_join_shared_fs, NULL);
    target_stop(&T3);
  } else line("target.mnt", "setup = failed");
  in_child("mnt-nocap", mnt_nocap, NULL);
  in_child("pid", pid_join, NULL);
  in_child("fd-reuse", fd_reuse, NULL);
  return probe_done();
}
