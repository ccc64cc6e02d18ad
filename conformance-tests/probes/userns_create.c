/* userns_create — create_user_ns rules (spec §1): nesting limit, per-namespace
 * max_user_namespaces, chroot and unmapped-id EPERM, state of a fresh namespace. */
#include "probe.h"

static const char *sysctl_val(const char *path) {
  static char b[64];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fmtres(-1, errno, 0);
  char raw[64] = {0};
  ssize_t n = read(fd, raw, sizeof raw - 1);
  close(fd);
  if (n < 0) return "read-error";
  long v = strtol(raw, NULL, 10);
  if (v == INT_MAX) return "INT_MAX";
  if (v < 1000) { snprintf(b, sizeof b, "%ld", v); return b; }
  return "host-value";
}

static void fresh_ns(void *a) {
  (void)a;
  CHECK("fresh.unshare", unshare(CLONE_NEWUSER));
  show_ids("fresh.ids");
  show_groups("fresh.groups");
  show_caps("fresh.caps");
  show_ns("fresh", "user");
  show_ns("fresh", "mnt");
  show_ns("fresh", "net");
  struct stat st;
  if (stat("/", &st) == 0) line("fresh.stat-root", "owner = %u:%u", st.st_uid, st.st_gid);
  else line("fresh.stat-root", "stat = %s", fmtres(-1, errno, 0));
  line("fresh.uid_map", "read = %s", read_file_norm("/proc/self/uid_map"));
  line("fresh.gid_map", "read = %s", read_file_norm("/proc/self/gid_map"));
  line("fresh.setgroups", "read = %s", read_file_norm("/proc/self/setgroups"));
  line("fresh.max_user", "read = %s", sysctl_val("/proc/sys/user/max_user_namespaces"));
  line("fresh.max_net", "read = %s", sysctl_val("/proc/sys/user/max_net_namespaces"));
  line("fresh.max_mnt", "read = %s", sysctl_val("/proc/sys/user/max_mnt_namespaces"));
  /* unmapped euid/egid: creating a nested namespace fails (rule 4) */
  CHECK("fresh.nested-unmapped", unshare(CLONE_NEWUSER));
  /* after mapping, nesting works */
  CHECK("fresh.map", map_self_root(g_uid, g_gid));
  show_ids("fresh.mapped-ids");
  CHECK("fresh.nested-mapped", unshare(CLONE_NEWUSER));
  line("fresh.nested-setgroups", "read = %s (inherited)", read_file_norm("/proc/self/setgroups"));
  show_ids("fresh.nested-ids");
  show_caps("fresh.nested-caps");
}

static void uid_only_mapped(void *a) {
  (void)a;
  char b[64];
  CHECK("uid-only.unshare", unshare(CLONE_NEWUSER));
  snprintf(b, sizeof b, "0 %u 1", g_uid);
  CHECKAS("uid-only.uid_map", "write(uid_map, \"0 <euid> 1\")", write_file("/proc/self/uid_map", b, strlen(b)));
  CHECK("uid-only.nested", unshare(CLONE_NEWUSER));
}

static void gid_only_mapped(void *a) {
  (void)a;
  char b[64];
  CHECK("gid-only.unshare", unshare(CLONE_NEWUSER));
  CHECK("gid-only.setgroups", write_file("/proc/self/setgroups", "deny", 4));
  snprintf(b, sizeof b, "0 %u 1", g_gid);
  CHECKAS("gid-only.gid_map", "write(gid_map, \"0 <egid> 1\")", write_file("/proc/self/gid_map", b, strlen(b)));
  CHECK("gid-only.nested", unshare(CLONE_NEWUSER));
}

static void nesting(void *a) {
  (void)a;
  char n[64];
  uid_t u = geteuid();
  gid_t g = getegid();
  for (int lvl = 1; lvl <= 33; lvl++) {
    snprintf(n, sizeof n, "nest.level-%02d.unshare", lvl);
    if (CHECK(n, unshare(CLONE_NEWUSER)) != 0) return;
    if (lvl == 33) break;
    snprintf(n, sizeof n, "nest.level-%02d.map", lvl);
    if (CHECK(n, map_self_root(u, g)) != 0) return;
    u = 0;
    g = 0;
  }
  /* level 33 is unmapped: the level check (ENOSPC) comes before the mapping check */
  CHECK("nest.level-34.unmapped", unshare(CLONE_NEWUSER));
  CHECK("nest.level-33.map", map_self_root(0, 0));
  CHECK("nest.level-34.mapped", unshare(CLONE_NEWUSER));
  show_ns("nest.level-33", "user");
  show_ids("nest.level-33.ids");
  /* clone(CLONE_NEWUSER) obeys the same limit */
  fflush(stdout);
  long rc = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (rc == 0) _exit(0);
  emit("nest.level-34.clone", "clone(CLONE_NEWUSER|SIGCHLD)", rc, errno, 1);
  if (rc > 0) wait_child(rc);
}

static void max_limit(void *a) {
  (void)a;
  const char *p = "/proc/sys/user/max_user_namespaces";
  CHECK("max.enter", enter_userns_mapped());
  line("max.initial", "read = %s", sysctl_val(p));
  CHECK("max.set-1", write_file(p, "1\n", 2));
  line("max.after-set", "read = %s", sysctl_val(p));
  CHECK("max.level2", unshare(CLONE_NEWUSER));
  line("max.level2-own", "read = %s", sysctl_val(p));
  CHECK("max.level2.map", map_self_root(0, 0));
  /* counted at every ancestor: the limit of 1 at level 1 is reached */
  CHECK("max.level3", unshare(CLONE_NEWUSER));
  CHECK("max.level3-clone-pid", unshare(CLONE_NEWUSER | CLONE_NEWPID));
}

static void max_zero(void *a) {
  (void)a;
  const char *p = "/proc/sys/user/max_user_namespaces";
  CHECK("max0.unshare", unshare(CLONE_NEWUSER));
  /* limit before mapping: unmapped euid with max 0 gives ENOSPC */
  CHECK("max0.set-0", write_file(p, "0", 1));
  CHECK("max0.unmapped", unshare(CLONE_NEWUSER));
  CHECK("max0.map", map_self_root(g_uid, g_gid));
  CHECK("max0.mapped", unshare(CLONE_NEWUSER));
  CHECK("max0.set-5", write_file(p, "5", 1));
  CHECK("max0.after-raise", unshare(CLONE_NEWUSER));
  line("max0.nested-read", "read = %s", sysctl_val(p));
  CHECK("max0.bad-value", write_file(p, "-1", 2));
  CHECK("max0.nested-write", write_file(p, "7", 1));
  line("max0.nested-after-write", "read = %s", sysctl_val(p));
}

static void max_nocap(void *a) {
  (void)a;
  const char *p = "/proc/sys/user/max_user_namespaces";
  CHECK("max-nocap.enter", enter_userns_mapped());
  CHECK("max-nocap.capset-0", p_capset(0, 0, 0));
  CHECKFD("max-nocap.open-wr", open(p, O_WRONLY | O_CLOEXEC));
  CHECKFD("max-nocap.open-rd", open(p, O_RDONLY | O_CLOEXEC));
}

static void init_ns_sysctl(void *a) {
  (void)a;
  const char *p = "/proc/sys/user/max_user_namespaces";
  line("init.max_user", "read = %s", sysctl_val(p));
  /* opened, never written: the host value is not touched */
  int fd = CHECKFD("init.open-wr", open(p, O_WRONLY | O_CLOEXEC));
  if (fd >= 0) close(fd);
}

static void chrooted(void *a) {
  (void)a;
  if (!g_root) CHECK("chroot.enter", enter_userns_mapped());
  else line("chroot.enter", "enter = skip (root)");
  CHECK("chroot.chroot-slash", chroot("/"));
  CHECK("chroot.after-slash", unshare(CLONE_NEWUSER));
  CHECK("chroot.chroot-usr", chroot("/usr"));
  CHECK("chroot.after-usr", unshare(CLONE_NEWUSER));
  CHECK("chroot.after-usr-net", unshare(CLONE_NEWUSER | CLONE_NEWNET));
}

static void chrooted_limit(void *a) {
  (void)a;
  /* rule 2 (limit) comes before rule 3 (chroot) */
  CHECK("chroot-limit.enter", enter_userns_mapped());
  CHECK("chroot-limit.set-0", write_file("/proc/sys/user/max_user_namespaces", "0", 1));
  CHECK("chroot-limit.chroot", chroot("/usr"));
  CHECK("chroot-limit.unshare", unshare(CLONE_NEWUSER));
}

int main(void) {
  probe_init();
  in_child("fresh", fresh_ns, NULL);
  in_child("uid-only", uid_only_mapped, NULL);
  in_child("gid-only", gid_only_mapped, NULL);
  in_child("nest", nesting, NULL);
  in_child("max", max_limit, NULL);
  in_child("max0", max_zero, NULL);
  in_child("max-nocap", max_nocap, NULL);
  in_child("init", init_ns_sysctl, NULL);
  in_child("chroot", chrooted, NULL);
  in_child("chroot-limit", chrooted_limit, NULL);
  return probe_done();
}
