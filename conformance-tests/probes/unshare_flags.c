/* unshare_flags — ksys_unshare / check_unshare_flags (spec §2): invalid flags, thread
 * rules, implied flags, capability checks, ownership of new namespaces, NEWPID/NEWTIME. */
#include "probe.h"

struct flagcase { const char *name; unsigned long flags; };

static const struct flagcase singles[] = {
    {"zero", 0},
    {"thread", CLONE_THREAD},
    {"fs", CLONE_FS},
    {"sighand", CLONE_SIGHAND},
    {"vm", CLONE_VM},
    {"files", CLONE_FILES},
    {"sysvsem", CLONE_SYSVSEM},
    {"newns", CLONE_NEWNS},
    {"newuts", CLONE_NEWUTS},
    {"newipc", CLONE_NEWIPC},
    {"newnet", CLONE_NEWNET},
    {"newpid", CLONE_NEWPID},
    {"newcgroup", CLONE_NEWCGROUP},
    {"newtime", CLONE_NEWTIME},
    {"newuser", CLONE_NEWUSER},
    {"parent", CLONE_PARENT},
    {"vfork", CLONE_VFORK},
    {"ptrace", CLONE_PTRACE},
    {"settls", CLONE_SETTLS},
    {"sigchld", SIGCHLD},
    {"io", CLONE_IO},
    {"newuser-parent", CLONE_NEWUSER | CLONE_PARENT},
    {"newns-vfork", CLONE_NEWNS | CLONE_VFORK},
    {"newuser-newnet", CLONE_NEWUSER | CLONE_NEWNET},
    {"newuser-all", CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
                        CLONE_NEWPID | CLONE_NEWCGROUP | CLONE_NEWTIME},
    {"newuser-thread-vm", CLONE_NEWUSER | CLONE_THREAD | CLONE_VM | CLONE_SIGHAND},
};

static const struct flagcase *cur;

static void one_flag(void *a) {
  (void)a;
  char n[96];
  snprintf(n, sizeof n, "single.%s", cur->name);
  CHECKAS(n, "unshare(flags)", unshare(cur->flags));
}

static void one_flag_mt(void *a) {
  (void)a;
  char n[96];
  helper_thread t;
  thread_start(&t);
  snprintf(n, sizeof n, "multithreaded.%s", cur->name);
  CHECKAS(n, "unshare(flags) with 2 threads", unshare(cur->flags));
  thread_stop(&t);
}

static void one_flag_in_userns_nocap(void *a) {
  (void)a;
  char n[96];
  snprintf(n, sizeof n, "nocap.%s", cur->name);
  if (enter_userns_mapped() != 0 || p_capset(0, 0, 0) != 0) { line(n, "setup = failed"); return; }
  CHECKAS(n, "unshare(flags) in own userns, caps dropped", unshare(cur->flags));
}

static void new_net_owner(void *a) {
  (void)a;
  CHECK("owner.unshare", unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWNS));
  show_ns("owner", "user");
  show_ns("owner", "net");
  show_ns("owner", "uts");
  show_ns("owner", "mnt");
  show_ns("owner", "pid");
  const char *types[] = {"net", "uts", "mnt"};
  for (int i = 0; i < 3; i++) {
    char p[64], n[64], w[64];
    snprintf(p, sizeof p, "/proc/self/ns/%s", types[i]);
    snprintf(n, sizeof n, "owner.%s-owner-is-new-user", types[i]);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    int u = ioctl(fd, P_NS_GET_USERNS);
    snprintf(w, sizeof w, "NS_GET_USERNS(%s), ns/user", types[i]);
    same_ns(n, w, nsk_fd(u), nsk_self("user"));
    close(u);
    close(fd);
  }
  show_caps("owner.caps");
}

static void implied_fs(void *a) {
  (void)a;
  /* a CLONE_FS sibling: unshare(NEWUSER) implies CLONE_FS and copies the shared fs_struct */
  int go[2], done[2];
  if (pipe(go) || pipe(done)) return;
  if (chdir("/") != 0) return;
  fflush(stdout);
  pid_t c = syscall(SYS_clone, CLONE_FS | SIGCHLD, 0, 0, 0, 0);
  if (c == 0) {
    sig_wait(go[0]);
    if (chdir("/usr") != 0) _exit(3);
    sig_send(done[1]);
    sig_wait(go[0]);
    if (chdir("/etc") != 0) _exit(3);
    sig_send(done[1]);
    _exit(0);
  }
  char cwd[256];
  sig_send(go[1]);
  sig_wait(done[0]);
  line("fs-shared.before", "cwd after sibling chdir(/usr) = %s", getcwd(cwd, sizeof cwd) ? cwd : "?");
  CHECK("fs-shared.unshare-newuser", unshare(CLONE_NEWUSER));
  sig_send(go[1]);
  sig_wait(done[0]);
  line("fs-shared.after", "cwd after sibling chdir(/etc) = %s", getcwd(cwd, sizeof cwd) ? cwd : "?");
  wait_child(c);
}

static void fs_shared_newns(void *a) {
  (void)a;
  if (!g_root && enter_userns_mapped() != 0) { line("fs-shared-newns.setup", "failed"); return; }
  int go[2];
  if (pipe(go)) return;
  fflush(stdout);
  pid_t c = syscall(SYS_clone, CLONE_FS | SIGCHLD, 0, 0, 0, 0);
  if (c == 0) { sig_wait(go[0]); _exit(0); }
  CHECK("fs-shared-newns.unshare", unshare(CLONE_NEWNS));
  show_ns("fs-shared-newns", "mnt");
  sig_send(go[1]);
  wait_child(c);
}

static void newpid_twice(void *a) {
  (void)a;
  if (!g_root && enter_userns_mapped() != 0) { line("newpid.setup", "failed"); return; }
  pid_t me = getpid();
  CHECK("newpid.first", unshare(CLONE_NEWPID));
  line("newpid.pid-unchanged", "getpid() == before = %s", yesno(getpid() == me));
  show_ns("newpid", "pid");
  show_ns("newpid", "pid_for_children");
  CHECK("newpid.second-before-fork", unshare(CLONE_NEWPID));
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    line("newpid.child", "getpid() = %d", getpid());
    line("newpid.child-getppid", "getppid() = %d", getppid());
    _exit(0);
  }
  wait_child(c);
  CHECK("newpid.after-fork", unshare(CLONE_NEWPID));
  CHECK("newpid.newuser-after-fork", unshare(CLONE_NEWUSER));
}

static void newtime(void *a) {
  (void)a;
  if (!g_root && enter_userns_mapped() != 0) { line("newtime.setup", "failed"); return; }
  CHECK("newtime.unshare", unshare(CLONE_NEWTIME));
  show_ns("newtime", "time");
  show_ns("newtime", "time_for_children");
  nskey tfc = nsk_self("time_for_children");
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    same_ns("newtime.child-time", "child time, parent time_for_children", nsk_self("time"), tfc);
    _exit(0);
  }
  wait_child(c);
}

static void limits(void *a) {
  (void)a;
  const char *files[] = {"net", "uts", "ipc", "mnt", "pid", "cgroup", "time"};
  unsigned long flags[] = {CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNS, CLONE_NEWPID,
                           CLONE_NEWCGROUP, CLONE_NEWTIME};
  CHECK("limits.enter", enter_userns_mapped());
  for (int i = 0; i < 7; i++) {
    char p[96], n[96];
    snprintf(p, sizeof p, "/proc/sys/user/max_%s_namespaces", files[i]);
    snprintf(n, sizeof n, "limits.%s.set-0", files[i]);
    CHECKAS(n, "write(max_<type>_namespaces, \"0\")", write_file(p, "0", 1));
    snprintf(n, sizeof n, "limits.%s.unshare", files[i]);
    CHECKAS(n, "unshare(CLONE_NEW<type>)", unshare(flags[i]));
    snprintf(n, sizeof n, "limits.%s.unshare-with-newuser", files[i]);
    /* counted at every ancestor: the new user namespace's INT_MAX does not help */
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
      CHECKAS(n, "unshare(CLONE_NEWUSER|CLONE_NEW<type>)", unshare(CLONE_NEWUSER | flags[i]));
      _exit(0);
    }
    wait_child(c);
  }
  /* EINVAL (thread rule) before ENOSPC */
  helper_thread t;
  thread_start(&t);
  CHECK("limits.mt-newuser-newnet", unshare(CLONE_NEWUSER | CLONE_NEWNET));
  thread_stop(&t);
}

static void chroot_order(void *a) {
  (void)a;
  if (!g_root && enter_userns_mapped() != 0) { line("chroot-order.setup", "failed"); return; }
  CHECK("chroot-order.chroot", chroot("/usr"));
  CHECK("chroot-order.invalid-flag-first", unshare(CLONE_NEWUSER | CLONE_PARENT));
  CHECK("chroot-order.newuser", unshare(CLONE_NEWUSER));
  CHECK("chroot-order.newuser-newnet", unshare(CLONE_NEWUSER | CLONE_NEWNET));
  CHECK("chroot-order.newnet", unshare(CLONE_NEWNET));
  helper_thread t;
  thread_start(&t);
  CHECK("chroot-order.mt-newuser", unshare(CLONE_NEWUSER));
  thread_stop(&t);
}

int main(void) {
  probe_init();
  size_t n = sizeof singles / sizeof singles[0];
  for (size_t i = 0; i < n; i++) { cur = &singles[i]; in_child("single", one_flag, NULL); }
  for (size_t i = 0; i < n; i++) { cur = &singles[i]; in_child("multithreaded", one_flag_mt, NULL); }
  for (size_t i = 0; i < n; i++) { cur = &singles[i]; in_child("nocap", one_flag_in_userns_nocap, NULL); }
  in_child("owner", new_net_owner, NULL);
  in_child("fs-shared", implied_fs, NULL);
  in_child("fs-shared-newns", fs_shared_newns, NULL);
  in_child("newpid", newpid_twice, NULL);
  in_child("newtime", newtime, NULL);
  in_child("limits", limits, NULL);
  in_child("chroot-order", chroot_order, NULL);
  return probe_done();
}
