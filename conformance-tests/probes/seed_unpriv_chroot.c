/* seed_unpriv_chroot — chroot(2) (fs/open.c, spec §9): path errors first, then MAY_EXEC,
 * then CAP_SYS_CHROOT → EPERM outside a user namespace; success inside one. */
#include "probe.h"

static char longname[PATH_MAX + 16];

static void cases(const char *pfx) {
  char n[96];
#define C(sfx, expr) (snprintf(n, sizeof n, "%s.%s", pfx, sfx), CHECK(n, expr))
  C("null", syscall(SYS_chroot, NULL));
  C("bad-pointer", chroot((const char *)8));
  C("empty", chroot(""));
  C("enoent", chroot("/nonexistent-nsentry-dir"));
  C("enotdir", chroot("/etc/passwd"));
  C("enotdir-mid", chroot("/etc/passwd/x"));
  C("enametoolong", chroot(longname));
  C("eloop", chroot("/proc/self/cwd/../../proc/self/root/../../../../../proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root/proc/self/root"));
  C("no-search-perm", chroot("/root/.nsentry-nonexistent"));
#undef C
}

static void outside(void *a) {
  (void)a;
  cases("outside");
  CHECK("outside.usr", chroot("/usr"));
  CHECK("outside.slash", chroot("/"));
  CHECK("outside.no-exec-dir", chroot("/root"));
}

static void inside(void *a) {
  (void)a;
  CHECK("inside.enter", enter_userns_mapped());
  cases("inside");
  char cwd[256];
  if (chdir("/") != 0) return;
  CHECK("inside.usr", chroot("/usr"));
  line("inside.cwd-unchanged", "getcwd = %s", getcwd(cwd, sizeof cwd) ? cwd : fmtres(-1, errno, 0));
  CHECK("inside.sees-new-root", access("/bin/env", X_OK));
  CHECK("inside.old-root-gone", access("/usr/bin/env", X_OK));
  CHECK("inside.chdir-root", chdir("/"));
  line("inside.cwd-after-chdir", "getcwd = %s", getcwd(cwd, sizeof cwd) ? cwd : fmtres(-1, errno, 0));
  CHECK("inside.nested-chroot", chroot("/lib"));
  CHECK("inside.no-exec-dir", chroot("/root"));
  CHECK("inside.capset-0", p_capset(0, 0, 0));
  CHECK("inside.nocap-chroot", chroot("/"));
  CHECK("inside.nocap-enoent-first", chroot("/nonexistent-nsentry-dir"));
}

static void nocap_outside(void *a) {
  (void)a;
  if (!g_root) { skip("dropped", "root only"); return; }
  CHECK("dropped.capset-0", p_capset(0, 0, 0));
  CHECK("dropped.usr", chroot("/usr"));
  CHECK("dropped.enoent-first", chroot("/nonexistent-nsentry-dir"));
}

int main(void) {
  probe_init();
  memset(longname, 'a', sizeof longname - 1);
  longname[0] = '/';
  in_child("outside", outside, NULL);
  in_child("inside", inside, NULL);
  in_child("dropped", nocap_outside, NULL);
  return probe_done();
}
