/* seed_podman_reentry — rootless podman's second command re-entering the pause
 * process: A has a user+mnt namespace whose maps were written from outside and sleeps;
 * B opens /proc/A/ns/user and ns/mnt (O_RDONLY|O_CLOEXEC), setns user then mnt with
 * nstype 0, setresgid/setresuid 0, and sees A's maps. */
#include "probe.h"

static pid_t A;

static void reenter(void *a) {
  (void)a;
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/ns/user", (int)A);
  int u = CHECKFD("b.open-user", open(p, O_RDONLY | O_CLOEXEC));
  snprintf(p, sizeof p, "/proc/%d/ns/mnt", (int)A);
  int m = CHECKFD("b.open-mnt", open(p, O_RDONLY | O_CLOEXEC));
  if (chdir("/usr") != 0) return;
  CHECK("b.setns-user", setns(u, 0));
  CHECK("b.setns-mnt", setns(m, 0));
  CHECK("b.setresgid", setresgid(0, 0, 0));
  CHECK("b.setresuid", setresuid(0, 0, 0));
  show_ids("b.ids");
  show_groups("b.groups");
  show_caps("b.caps");
  same_ns("b.user", "B user, A user", nsk_self("user"), nsk_pid(A, "user"));
  same_ns("b.mnt", "B mnt, A mnt", nsk_self("mnt"), nsk_pid(A, "mnt"));
  show_ns("b", "net");
  char cwd[256];
  line("b.cwd", "getcwd = %s", getcwd(cwd, sizeof cwd) ? cwd : fmtres(-1, errno, 0));
  line("b.uid_map", "read = %s", read_file_norm("/proc/self/uid_map"));
  line("b.gid_map", "read = %s", read_file_norm("/proc/self/gid_map"));
  line("b.setgroups", "read = %s", read_file_norm("/proc/self/setgroups"));
  snprintf(p, sizeof p, "/proc/%d/uid_map", (int)A);
  line("b.a-uid_map", "read = %s", read_file_norm(p));
  struct stat st;
  if (stat("/proc/self/exe", &st) == 0) line("b.stat-exe", "owner = %u:%u", st.st_uid, st.st_gid);
  CHECK("b.setns-user-again", setns(u, 0));
  CHECK("b.unshare-newns", unshare(CLONE_NEWNS));
}

static void reenter_pidfd(void *a) {
  (void)a;
  int pfd = CHECKFD("c.pidfd", p_pidfd_open(A, 0));
  CHECK("c.setns-user-mnt", setns(pfd, CLONE_NEWUSER | CLONE_NEWNS));
  CHECK("c.setresuid", setresuid(0, 0, 0));
  show_ids("c.ids");
  same_ns("c.mnt", "C mnt, A mnt", nsk_self("mnt"), nsk_pid(A, "mnt"));
}

static void wrong_order(void *a) {
  (void)a;
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/ns/mnt", (int)A);
  int m = open(p, O_RDONLY | O_CLOEXEC);
  /* mnt before user: no CAP_SYS_ADMIN over A's mount namespace yet */
  CHECK("d.setns-mnt-first", setns(m, 0));
  CHECK("d.setresuid-0-outside", setresuid(0, 0, 0));
}

int main(void) {
  probe_init();
  int ready[2], go[2];
  if (pipe(ready) || pipe(go)) return 1;
  uid_t uid = getuid();
  gid_t gid = getgid();
  fflush(stdout);
  A = fork();
  if (A == 0) {
    char ok = unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0;
    if (write(ready[1], &ok, 1) != 1) _exit(2);
    sig_wait(go[0]); /* maps written */
    show_ids("a.ids-after-maps");
    sig_send(ready[1]);
    sig_wait(go[0]); /* B and C are done */
    _exit(0);
  }
  char ok = 0;
  if (read(ready[0], &ok, 1) != 1 || !ok) { line("a.unshare", "setup = failed"); return probe_done(); }
  char p[64], m[64];
  snprintf(p, sizeof p, "/proc/%d/setgroups", (int)A);
  CHECK("outside.setgroups-deny", write_file(p, "deny", 4));
  snprintf(p, sizeof p, "/proc/%d/uid_map", (int)A);
  snprintf(m, sizeof m, "0 %u 1\n", uid);
  CHECKAS("outside.uid_map", "write(/proc/A/uid_map, \"0 <uid> 1\\n\")", write_file(p, m, strlen(m)));
  snprintf(p, sizeof p, "/proc/%d/gid_map", (int)A);
  snprintf(m, sizeof m, "0 %u 1\n", gid);
  CHECKAS("outside.gid_map", "write(/proc/A/gid_map, \"0 <gid> 1\\n\")", write_file(p, m, strlen(m)));
  snprintf(p, sizeof p, "/proc/%d/uid_map", (int)A);
  line("outside.read-uid_map", "read = %s", read_file_norm(p));
  sig_send(go[1]);
  sig_wait(ready[0]);
  in_child("b", reenter, NULL);
  in_child("c", reenter_pidfd, NULL);
  in_child("d", wrong_order, NULL);
  sig_send(go[1]);
  wait_child(A);
  return probe_done();
}
