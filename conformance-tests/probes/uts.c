/* uts — sethostname/setdomainname (kernel/sys.c) and /proc/sys/kernel/{hostname,domainname}
 * per UTS namespace (spec §9): EPERM before EINVAL, EFAULT, the parent unchanged. */
#include "probe.h"

static struct utsname start;

static void init_ns(void *a) {
  (void)a;
  /* in an own user namespace but the start uts namespace: no CAP_SYS_ADMIN over it */
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    CHECK("userns-only.enter", enter_userns_mapped());
    CHECK("userns-only.sethostname", sethostname("x", 1));
    CHECK("userns-only.sethostname-65", syscall(SYS_sethostname, "x", 65));
    CHECK("userns-only.setdomainname", setdomainname("x", 1));
    CHECKFD("userns-only.open-proc-hostname-wr", open("/proc/sys/kernel/hostname", O_WRONLY | O_CLOEXEC));
    _exit(0);
  }
  wait_child(c);
  if (!g_root) {
    CHECK("init.sethostname", sethostname("x", 1));
    CHECK("init.sethostname-65", syscall(SYS_sethostname, "x", 65));
    CHECK("init.sethostname-neg", syscall(SYS_sethostname, "x", -1));
    CHECK("init.setdomainname", setdomainname("x", 1));
    CHECK("init.sethostname-efault", syscall(SYS_sethostname, badptr, 5));
    CHECKFD("init.open-proc-hostname-wr", open("/proc/sys/kernel/hostname", O_WRONLY | O_CLOEXEC));
  } else {
    /* root never changes the host's name: only calls that fail before the change */
    CHECK("init.sethostname-65", syscall(SYS_sethostname, "x", 65));
    CHECK("init.sethostname-neg", syscall(SYS_sethostname, "x", -1));
    CHECK("init.setdomainname-65", syscall(SYS_setdomainname, "x", 65));
    CHECK("init.sethostname-efault", syscall(SYS_sethostname, badptr, 5));
    CHECK("init.capset-0", p_capset(0, 0, 0));
    CHECK("init.nocap-sethostname", sethostname("x", 1));
    CHECK("init.nocap-sethostname-65", syscall(SYS_sethostname, "x", 65));
  }
}

static void new_uts(void *a) {
  (void)a;
  if (g_root) CHECK("new.unshare", unshare(CLONE_NEWUTS));
  else CHECK("new.unshare", enter_userns_mapped() || unshare(CLONE_NEWUTS));
  struct utsname u;
  uname(&u);
  line("new.inherits", "nodename same as start = %s, domainname same = %s",
       yesno(!strcmp(u.nodename, start.nodename)), yesno(!strcmp(u.domainname, start.domainname)));
  CHECK("new.sethostname", sethostname("probe-host", 10));
  CHECK("new.setdomainname", setdomainname("probe-domain", 12));
  uname(&u);
  line("new.uname", "nodename = %s domainname = %s", u.nodename, u.domainname);
  line("new.proc-hostname", "read = %s", read_file_norm("/proc/sys/kernel/hostname"));
  line("new.proc-domainname", "read = %s", read_file_norm("/proc/sys/kernel/domainname"));
  char h[80];
  CHECK("new.gethostname", gethostname(h, sizeof h));
  line("new.gethostname-value", "gethostname = %s", h);
  char n64[65];
  memset(n64, 'h', 64);
  n64[64] = 0;
  CHECK("new.sethostname-64", sethostname(n64, 64));
  uname(&u);
  line("new.nodename-64", "strlen(nodename) = %zu", strlen(u.nodename));
  CHECK("new.sethostname-65", syscall(SYS_sethostname, n64, 65));
  CHECK("new.sethostname-neg", syscall(SYS_sethostname, n64, -1));
  CHECK("new.sethostname-0", sethostname("", 0));
  uname(&u);
  line("new.nodename-empty", "nodename = \"%s\"", u.nodename);
  CHECK("new.sethostname-efault", syscall(SYS_sethostname, badptr, 5));
  CHECK("new.setdomainname-65", syscall(SYS_setdomainname, n64, 65));
  CHECK("new.setdomainname-efault", syscall(SYS_setdomainname, badptr, 5));
  CHECK("new.proc-write", write_file("/proc/sys/kernel/hostname", "via-proc\n", 9));
  uname(&u);
  line("new.after-proc-write", "nodename = %s", u.nodename);
  CHECK("new.sethostname-embedded-nul", sethostname("ab\0cd", 5));
  uname(&u);
  line("new.nodename-nul", "nodename = %s", u.nodename);
  /* a child sees the new namespace */
  sethostname("probe-host", 10);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    struct utsname cu;
    uname(&cu);
    line("new.child-sees", "nodename = %s", cu.nodename);
    _exit(0);
  }
  wait_child(c);
  CHECK("new.capset-0", p_capset(0, 0, 0));
  CHECK("new.nocap-sethostname", sethostname("x", 1));
  CHECK("new.nocap-sethostname-65", syscall(SYS_sethostname, n64, 65));
}

static void joined(void *a) {
  (void)a;
  target t;
  if (target_start(&t, CLONE_NEWUSER | CLONE_NEWUTS, 1) != 0) { line("join.setup", "failed"); return; }
  /* the target's hostname is set through its /proc file by a joined helper */
  CHECK("join.setns", setns(p_pidfd_open(t.pid, 0), CLONE_NEWUSER | CLONE_NEWUTS));
  CHECK("join.sethostname", sethostname("joined", 6));
  struct utsname u;
  uname(&u);
  line("join.uname", "nodename = %s", u.nodename);
  target_stop(&t);
}

int main(void) {
  probe_init();
  uname(&start);
  in_child("init", init_ns, NULL);
  in_child("new", new_uts, NULL);
  in_child("join", joined, NULL);
  struct utsname u;
  uname(&u);
  line("parent.unchanged", "nodename same as start = %s, domainname same = %s",
       yesno(!strcmp(u.nodename, start.nodename)), yesno(!strcmp(u.domainname, start.domainname)));
  return probe_done();
}
