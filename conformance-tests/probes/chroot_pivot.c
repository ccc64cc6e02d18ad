/* chroot_pivot — chroot(2) and pivot_root(2) check order (spec §9) in a new user and
 * mount namespace: lookup errors, MAY_EXEC, capability; root only (cwd unchanged);
 * pivot_root's EPERM before lookup from a namespace without CAP_SYS_ADMIN. */
#include "probe.h"

static void chroot_cases(void *a) {
  (void)a;
  char tmpl[] = "/tmp/nsentry-chroot-XXXXXX";
  if (!mkdtemp(tmpl)) return;
  char noexec[96];
  snprintf(noexec, sizeof noexec, "%s/noexec", tmpl);
  mkdir(noexec, 0755);
  chmod(tmpl, 0755);
  CHECK("chroot.enter", enter_userns_mapped());
  CHECKAS("chroot.dir-0600-chmod", "chmod(noexec, 0600)", chmod(noexec, 0600));
  CHECKAS("chroot.dir-0600", "chroot(noexec)", chroot(noexec));
  CHECKAS("chroot.file", "chroot(noexec/x)", chroot("/etc/hostname/x"));
  CHECK("chroot.relative", chroot("usr"));
  CHECK("chroot.chdir-usr", chdir("/usr"));
  CHECK("chroot.dot", chroot("."));
  char cwd[256];
  line("chroot.cwd-after-dot", "getcwd = %s", getcwd(cwd, sizeof cwd) ? cwd : fmtres(-1, errno, 0));
  CHECK("chroot.dotdot-stays", chdir("/.."));
  CHECK("chroot.sees-bin", access("/bin/env", X_OK));
  CHECK("chroot.unshare-user-after", unshare(CLONE_NEWUSER));
  rmdir(noexec);
}

static void pivot_nocap(void *a) {
  (void)a;
  CHECK("pivot.enter", enter_userns_mapped());
  /* the start mount namespace is owned by the start user namespace: EPERM first */
  CHECK("pivot.start-mntns-enoent", p_pivot_root("/nonexistent-a", "/nonexistent-b"));
  CHECK("pivot.start-mntns-efault", p_pivot_root(badptr, badptr));
  CHECK("pivot.unshare-mnt", unshare(CLONE_NEWNS));
  CHECK("pivot.own-mntns-enoent", p_pivot_root("/nonexistent-a", "/nonexistent-b"));
  CHECK("pivot.own-mntns-efault", p_pivot_root(badptr, badptr));
  CHECK("pivot.own-mntns-shared-root", p_pivot_root("/usr", "/usr"));
}

int main(void) {
  probe_init();
  in_child("chroot", chroot_cases, NULL);
  in_child("pivot", pivot_nocap, NULL);
  system("rmdir /tmp/nsentry-chroot-* 2>/dev/null");
  return probe_done();
}
