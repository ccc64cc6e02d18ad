/* ids_caps — get/set*id, capget/capset, prctl capbset/ambient/keepcaps/securebits, before
 * and after maps and across execve (spec §6; security/commoncap.c). The exec cases re-exec
 * this binary in a helper mode that only prints what it sees. */
#include "probe.h"

static void exec_helper(const char *name) {
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    execl("/proc/self/exe", "ids_caps", "--exec-helper", name, (char *)NULL);
    _exit(127);
  }
  int st = wait_child(c);
  if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) line(name, "exec-helper = %s", status_desc(st));
}

static void init_ns(void *a) {
  (void)a;
  show_ids("init.ids");
  show_caps("init.caps");
  struct p_cap_header h = {0x12345678, 0};
  struct p_cap_data d[2];
  long r = syscall(SYS_capget, &h, d);
  line("init.capget-bad-version", "capget = %s, version written back %#x", fmtres(r, errno, 0), h.version);
  h.version = 0x20080522; h.pid = 1;
  CHECK("init.capget-pid1", syscall(SYS_capget, &h, d));
  h.pid = -5;
  CHECK("init.capget-bad-pid", syscall(SYS_capget, &h, d));
  CHECK("init.capset-raise", p_capset(full_caps(), full_caps(), 0));
  CHECK("init.capbset-read", prctl(PR_CAPBSET_READ, 21, 0, 0, 0));
  CHECK("init.capbset-read-bad", prctl(PR_CAPBSET_READ, 200, 0, 0, 0));
  CHECK("init.keepcaps-get", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
  CHECK("init.ambient-raise-no-inh", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, 13, 0, 0));
  CHECK("init.setuid-other", setuid(4242));
  CHECK("init.setgid-other", setgid(4242));
  CHECK("init.setuid-self", setuid(getuid()));
  CHECK("init.setresuid-keep", setresuid(-1, -1, -1));
}

static void root_drop(void *a) {
  (void)a;
  if (!g_root) { skip("drop", "root only"); return; }
  CHECK("drop.capbset-drop", prctl(PR_CAPBSET_DROP, 21, 0, 0, 0));
  CHECK("drop.capbset-read", prctl(PR_CAPBSET_READ, 21, 0, 0, 0));
  CHECK("drop.keepcaps", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
  CHECK("drop.setresuid", setresuid(4242, 4242, 4242));
  show_caps("drop.caps-keepcaps");
  exec_helper("drop.after-exec");
  CHECK("drop.setuid-0", setuid(0));
  CHECK("drop.securebits", prctl(PR_SET_SECUREBITS, 1, 0, 0, 0));
}

static void root_ambient(void *a) {
  (void)a;
  if (!g_root) { skip("ambient", "root only"); return; }
  uint64_t e, p, i;
  p_capget(&e, &p, &i);
  CHECK("ambient.set-inh", p_capset(e, p, 1ULL << 13));
  CHECK("ambient.raise", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, 13, 0, 0));
  CHECK("ambient.is-set", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 13, 0, 0));
  CHECK("ambient.keepcaps", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
  CHECK("ambient.setresuid", setresuid(4242, 4242, 4242));
  show_caps("ambient.caps");
  exec_helper("ambient.after-exec");
}

static void before_maps(void *a) {
  (void)a;
  CHECK("before.unshare", unshare(CLONE_NEWUSER));
  show_ids("before.ids");
  show_caps("before.caps");
  CHECK("before.setuid-0", setuid(0));
  CHECK("before.setresuid-0", setresuid(0, 0, 0));
  CHECK("before.setgid-0", setgid(0));
  CHECK("before.setuid-65534", setuid(65534));
  CHECK("before.setreuid-keep", setreuid(-1, -1));
  gid_t g = 0;
  CHECK("before.setgroups", setgroups(1, &g));
  exec_helper("before.after-exec");
}

static void after_maps(void *a) {
  (void)a;
  CHECK("after.enter", enter_userns_mapped());
  show_ids("after.ids");
  show_caps("after.caps");
  CHECK("after.setuid-0", setuid(0));
  CHECK("after.setuid-1", setuid(1));
  CHECK("after.setresgid-0", setresgid(0, 0, 0));
  gid_t g = 0;
  CHECK("after.setgroups-denied", setgroups(1, &g));
  struct stat st;
  stat("/", &st);
  line("after.stat-root", "owner = %u:%u", st.st_uid, st.st_gid);
  stat("/proc/self/exe", &st);
  line("after.stat-exe", "owner = %u:%u", st.st_uid, st.st_gid);
  CHECK("after.capbset-drop", prctl(PR_CAPBSET_DROP, 21, 0, 0, 0));
  CHECK("after.securebits", prctl(PR_SET_SECUREBITS, 1 << 2, 0, 0, 0));
  CHECK("after.securebits-get", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
  exec_helper("after.after-exec");
  CHECK("after.capset-drop-eff", p_capset(0, full_caps(), 0));
  exec_helper("after.after-exec-eff-0");
  show_caps("after.caps-eff-0");
  CHECK("after.capset-raise-back", p_capset(full_caps(), full_caps(), 0));
  CHECK("after.capset-drop-all", p_capset(0, 0, 0));
  CHECK("after.capset-raise-again", p_capset(full_caps(), full_caps(), 0));
  exec_helper("after.after-exec-no-caps");
}

static void wide_map(void *a) {
  (void)a;
  if (!g_root) { skip("wide", "needs a multi-id map"); return; }
  target t;
  if (target_start(&t, CLONE_NEWUSER, 0) != 0) return;
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/uid_map", (int)t.pid);
  write_file(p, "0 0 100", 7);
  snprintf(p, sizeof p, "/proc/%d/gid_map", (int)t.pid);
  write_file(p, "0 0 100", 7);
  CHECK("wide.join", setns(p_pidfd_open(t.pid, 0), CLONE_NEWUSER));
  show_ids("wide.ids-after-join");
  show_caps("wide.caps-after-join");
  CHECK("wide.setresgid-5", setresgid(5, 5, 5));
  CHECK("wide.setresuid-5", setresuid(5, 5, 5));
  show_caps("wide.caps-as-5");
  CHECK("wide.setuid-0", setuid(0));
  CHECK("wide.setuid-200", setuid(200));
  exec_helper("wide.after-exec-as-5");
  target_stop(&t);
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "--exec-helper")) {
    char n[96];
    snprintf(n, sizeof n, "%s.ids", argv[2]);
    show_ids(n);
    snprintf(n, sizeof n, "%s.caps", argv[2]);
    show_caps(n);
    return 0;
  }
  probe_init();
  in_child("init", init_ns, NULL);
  in_child("drop", root_drop, NULL);
  in_child("ambient", root_ambient, NULL);
  in_child("before", before_maps, NULL);
  in_child("after", after_maps, NULL);
  in_child("wide", wide_map, NULL);
  return probe_done();
}
