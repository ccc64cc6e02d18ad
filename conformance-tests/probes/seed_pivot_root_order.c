/* seed_pivot_root_order — pivot_root(2) (fs/namespace.c, spec §9): CAP_SYS_ADMIN in the
 * mount namespace's owner → EPERM before any lookup; then lookup errors, EBUSY/EINVAL;
 * and `unshare --mount` keeping the root. Root never pivots outside a private new mount ns. */
#include "probe.h"

static void outside(void *a) {
  (void)a;
  if (g_root) {
    /* never touch the host's mount namespace as root */
    CHECK("outside.capset-0", p_capset(0, 0, 0));
  }
  CHECK("outside.enoent", p_pivot_root("/nonexistent-a", "/nonexistent-b"));
  CHECK("outside.null", p_pivot_root(NULL, NULL));
  CHECK("outside.enotdir", p_pivot_root("/etc/passwd", "/etc/passwd"));
  CHECK("outside.dot", p_pivot_root(".", "."));
}

static void keeps_root(void *a) {
  (void)a;
  struct stat before, after;
  stat("/", &before);
  char cwd0[256], cwd[256];
  if (chdir("/usr") != 0 || !getcwd(cwd0, sizeof cwd0)) return;
  if (g_root) CHECK("keep.unshare", unshare(CLONE_NEWNS));
  else CHECK("keep.unshare", unshare(CLONE_NEWUSER | CLONE_NEWNS));
  stat("/", &after);
  line("keep.root-same", "stat(/) same dev/ino = %s", yesno(before.st_dev == after.st_dev && before.st_ino == after.st_ino));
  line("keep.cwd", "getcwd = %s", getcwd(cwd, sizeof cwd) ? cwd : fmtres(-1, errno, 0));
  char link[256] = {0};
  ssize_t n = readlink("/proc/self/root", link, sizeof link - 1);
  line("keep.proc-root", "readlink(/proc/self/root) = %s", n >= 0 ? link : fmtres(-1, errno, 0));
  show_ns("keep", "mnt");
  CHECK("keep.unshare-again", unshare(CLONE_NEWNS));
  line("keep.root-same-again", "stat(/) same = %s", yesno(stat("/", &after) == 0 && before.st_ino == after.st_ino));
}

static void inside(void *a) {
  const char *tmpl = a;
  char sub[160], old[200];
  snprintf(sub, sizeof sub, "%s/new", tmpl);
  if (g_root) CHECK("inside.unshare", unshare(CLONE_NEWNS));
  else CHECK("inside.unshare", enter_userns_mapped() || unshare(CLONE_NEWNS));
  CHECK("inside.make-private", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
  CHECK("inside.enoent", p_pivot_root("/nonexistent-a", "/nonexistent-b"));
  CHECK("inside.enotdir", p_pivot_root("/etc/passwd", "/tmp"));
  CHECK("inside.put-old-enoent", p_pivot_root("/usr", "/nonexistent-b"));
  CHECK("inside.not-mountpoint", p_pivot_root("/usr", "/usr"));
  CHECK("inside.slash-slash", p_pivot_root("/", "/"));
  CHECK("inside.mount-tmpfs", mount("none", sub, "tmpfs", 0, NULL));
  snprintf(old, sizeof old, "%s/old", sub);
  CHECKAS("inside.mkdir-old", "mkdir(new/old)", mkdir(old, 0755));
  CHECKAS("inside.put-old-outside", "pivot_root(new, /tmp)", p_pivot_root(sub, "/tmp"));
  CHECKAS("inside.pivot", "pivot_root(new, new/old)", p_pivot_root(sub, old));
  char cwd[256];
  line("inside.cwd", "getcwd = %s", getcwd(cwd, sizeof cwd) ? cwd : fmtres(-1, errno, 0));
  CHECK("inside.old-has-usr", access("/old/usr/bin/env", X_OK));
  CHECK("inside.chdir", chdir("/"));
  CHECK("inside.dot-dot", p_pivot_root(".", "."));
  CHECK("inside.umount-old", umount2(".", MNT_DETACH));
  if (!g_root) {
    /* no CAP_SYS_ADMIN over the mount ns: EPERM before the lookup */
    CHECK("inside.capset-0", p_capset(0, 0, 0));
    CHECK("inside.nocap-enoent", p_pivot_root("/nonexistent-a", "/nonexistent-b"));
  } else skip("inside.nocap-enoent", "covered by outside.enoent");
  /* the temp dir is left in the host's /tmp only if cleanup below fails */
}


int main(void) {
  probe_init();
  in_child("outside", outside, NULL);
  in_child("keep", keeps_root, NULL);
  char tmpl[] = "/tmp/nsentry-pivot-XXXXXX";
  if (!mkdtemp(tmpl)) { line("inside.mkdtemp", "failed"); return probe_done(); }
  chmod(tmpl, 0755);
  char sub[160];
  snprintf(sub, sizeof sub, "%s/new", tmpl);
  mkdir(sub, 0755);
  in_child("inside", inside, tmpl);
  rmdir(sub);
  rmdir(tmpl);
  return probe_done();
}
