/* clone_flags — copy_process / copy_namespaces (spec §3) for clone and clone3:
 * EINVAL combinations, capability checks, what the child and the parent see. */
#include "probe.h"

struct p_clone_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
      set_tid_size, cgroup;
};

static char stack_mem[8][65536] __attribute__((aligned(16)));
static int stack_idx;

static int child_report(void *a) {
  const char *name = a;
  char n[128];
  snprintf(n, sizeof n, "%s.child", name);
  show_ns(n, "user");
  show_ns(n, "mnt");
  show_ns(n, "net");
  show_ns(n, "pid");
  show_ns(n, "uts");
  snprintf(n, sizeof n, "%s.child-pid", name);
  line(n, "getpid() == 1 = %s", yesno(getpid() == 1));
  snprintf(n, sizeof n, "%s.child-ids", name);
  show_ids(n);
  snprintf(n, sizeof n, "%s.child-caps", name);
  show_caps(n);
  fflush(stdout);
  return 0;
}

static int child_quiet(void *a) { (void)a; return 0; }
static int thread_exit(void *a) { (void)a; syscall(SYS_exit, 0); return 0; }

/* glibc clone() with a real stack; a created child reports (or exits quietly). */
static void do_clone(const char *name, const char *text, int flags, int report) {
  char *stk = stack_mem[stack_idx++ & 7] + sizeof stack_mem[0];
  int pidfd = -1;
  fflush(stdout);
  int (*fn)(void *) = (flags & CLONE_THREAD) ? thread_exit : report ? child_report : child_quiet;
  errno = 0;
  int rc = clone(fn, stk, flags, (void *)name, &pidfd, NULL, NULL);
  int e = errno;
  if (rc > 0) {
    /* wait first, so the child's own lines always come before this one */
    if (!(flags & CLONE_THREAD)) wait_child(rc);
    else usleep(20000);
    line(name, "%s = child", text);
  } else {
    line(name, "%s = %s", text, fmtres(rc, e, 0));
  }
  if (pidfd >= 0) close(pidfd);
}
#define CLONE(name, flags, report) do_clone((name), "clone(" #flags ")", (flags), (report))

static long p_clone3(struct p_clone_args *a, size_t size) { return syscall(SYS_clone3, a, size); }

/* raw clone3 without CLONE_VM: the child is a fork-like copy, it exits at once */
static void do_clone3(const char *name, const char *text, void *args, size_t size) {
  fflush(stdout);
  errno = 0;
  long rc = p_clone3(args, size);
  if (rc == 0) _exit(0);
  int e = errno;
  if (rc > 0) { line(name, "%s = child", text); wait_child(rc); }
  else line(name, "%s = %s", text, fmtres(rc, e, 0));
}

static void clone_errors(void *a) {
  (void)a;
  CLONE("clone.newns-fs", CLONE_NEWNS | CLONE_FS | SIGCHLD, 0);
  CLONE("clone.newuser-fs", CLONE_NEWUSER | CLONE_FS | SIGCHLD, 0);
  CLONE("clone.thread-no-sighand", CLONE_THREAD | CLONE_VM, 0);
  CLONE("clone.sighand-no-vm", CLONE_SIGHAND | SIGCHLD, 0);
  CLONE("clone.thread-newuser", CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_NEWUSER, 0);
  CLONE("clone.thread-newpid", CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_NEWPID, 0);
  CLONE("clone.newipc-sysvsem", CLONE_NEWIPC | CLONE_SYSVSEM | SIGCHLD, 0);
  CLONE("clone.pidfd-thread", CLONE_PIDFD | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, 0);
  CLONE("clone.pidfd-detached", CLONE_PIDFD | 0x00400000 | SIGCHLD, 0);
  CLONE("clone.newuser-newns-fs", CLONE_NEWUSER | CLONE_NEWNS | CLONE_FS | SIGCHLD, 0);
  CLONE("clone.thread-ok", CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, 0);
  CLONE("clone.newns", CLONE_NEWNS | SIGCHLD, 0);
  CLONE("clone.newnet", CLONE_NEWNET | SIGCHLD, 0);
  CLONE("clone.newuts", CLONE_NEWUTS | SIGCHLD, 0);
  CLONE("clone.newipc", CLONE_NEWIPC | SIGCHLD, 0);
  CLONE("clone.newpid", CLONE_NEWPID | SIGCHLD, 0);
  CLONE("clone.newcgroup", CLONE_NEWCGROUP | SIGCHLD, 0);
  CLONE("clone.newuser", CLONE_NEWUSER | SIGCHLD, 1);
  CLONE("clone.newuser-all", CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNET |
                                 CLONE_NEWIPC | CLONE_NEWCGROUP | SIGCHLD, 1);
  show_ns("clone.parent-after", "user");
  show_caps("clone.parent-after-caps");
  show_ids("clone.parent-after-ids");
}

static void clone_in_pidns(void *a) {
  (void)a;
  if (!g_root && enter_userns_mapped() != 0) { line("pidns.setup", "failed"); return; }
  CHECK("pidns.unshare", unshare(CLONE_NEWPID));
  /* THREAD while the active pid ns differs from pid_for_children */
  CLONE("pidns.thread-after-unshare-newpid", CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, 0);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    /* the init of a pid namespace may not use CLONE_PARENT */
    CLONE("pidns.init-clone-parent", CLONE_PARENT | SIGCHLD, 0);
    CLONE("pidns.init-clone-plain", SIGCHLD, 0);
    _exit(0);
  }
  wait_child(c);
}

static void clone_multithreaded(void *a) {
  (void)a;
  helper_thread t;
  thread_start(&t);
  CLONE("mt.newuser-newns", CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD, 1);
  CLONE("mt.newuser", CLONE_NEWUSER | SIGCHLD, 0);
  thread_stop(&t);
}

static void clone_nocap(void *a) {
  (void)a;
  if (enter_userns_mapped() != 0 || p_capset(0, 0, 0) != 0) { line("nocap.setup", "failed"); return; }
  CLONE("nocap.newns", CLONE_NEWNS | SIGCHLD, 0);
  CLONE("nocap.newnet", CLONE_NEWNET | SIGCHLD, 0);
  CLONE("nocap.newuser-newnet", CLONE_NEWUSER | CLONE_NEWNET | SIGCHLD, 1);
  CLONE("nocap.newuser-unmapped-parent", CLONE_NEWUSER | SIGCHLD, 0);
}

static void clone_unmapped(void *a) {
  (void)a;
  CHECK("unmapped.unshare", unshare(CLONE_NEWUSER));
  CLONE("unmapped.newuser", CLONE_NEWUSER | SIGCHLD, 0);
  CLONE("unmapped.newnet", CLONE_NEWNET | SIGCHLD, 0);
  CHECK("unmapped.chroot", chroot("/usr"));
  CLONE("unmapped.chrooted-newuser", CLONE_NEWUSER | SIGCHLD, 0);
}

static void clone_chroot(void *a) {
  (void)a;
  if (!g_root && enter_userns_mapped() != 0) { line("chroot.setup", "failed"); return; }
  CHECK("chroot.chroot", chroot("/usr"));
  CLONE("chroot.newuser", CLONE_NEWUSER | SIGCHLD, 0);
  CLONE("chroot.newuser-fs", CLONE_NEWUSER | CLONE_FS | SIGCHLD, 0);
  CLONE("chroot.newnet", CLONE_NEWNET | SIGCHLD, 0);
}

static void clone3_cases(void *a) {
  (void)a;
  struct p_clone_args args;
  static unsigned char big[8192];
  memset(&args, 0, sizeof args);
  args.exit_signal = SIGCHLD;
  do_clone3("clone3.size-64", "clone3(SIGCHLD, size 64)", &args, 64);
  do_clone3("clone3.size-80", "clone3(SIGCHLD, size 80)", &args, 80);
  do_clone3("clone3.size-88", "clone3(SIGCHLD, size 88)", &args, 88);
  do_clone3("clone3.size-56", "clone3(SIGCHLD, size 56)", &args, 56);
  do_clone3("clone3.size-0", "clone3(SIGCHLD, size 0)", &args, 0);
  memset(big, 0, sizeof big);
  memcpy(big, &args, sizeof args);
  do_clone3("clone3.size-page-zero-tail", "clone3(SIGCHLD, size 4096, zero tail)", big, 4096);
  do_clone3("clone3.size-page-plus-1", "clone3(SIGCHLD, size 4097)", big, 4097);
  big[200] = 1;
  do_clone3("clone3.nonzero-tail", "clone3(SIGCHLD, size 4096, tail byte 200 set)", big, 4096);
  big[200] = 0;
  big[4000] = 1;
  do_clone3("clone3.size-page-plus-1-nonzero", "clone3(SIGCHLD, size 4097, tail set)", big, 4097);
  do_clone3("clone3.bad-pointer", "clone3(NULL, size 88)", NULL, 88);

  struct p_clone_args c = args;
  c.flags = 1ULL << 40;
  do_clone3("clone3.unknown-flag", "clone3(1<<40)", &c, sizeof c);
  c = args; c.flags = SIGCHLD;
  do_clone3("clone3.csignal-in-flags", "clone3(flags=SIGCHLD)", &c, sizeof c);
  c = args; c.exit_signal = 65;
  do_clone3("clone3.bad-exit-signal", "clone3(exit_signal=65)", &c, sizeof c);
  c = args; c.exit_signal = 1ULL << 32;
  do_clone3("clone3.huge-exit-signal", "clone3(exit_signal=1<<32)", &c, sizeof c);
  c = args; c.flags = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
  do_clone3("clone3.thread-exit-signal", "clone3(THREAD|SIGHAND|VM, exit_signal=SIGCHLD)", &c, sizeof c);
  c = args; c.flags = CLONE_PARENT | SIGCHLD * 0;
  do_clone3("clone3.parent-exit-signal", "clone3(PARENT, exit_signal=SIGCHLD)", &c, sizeof c);
  c = args; c.set_tid_size = 33;
  do_clone3("clone3.set-tid-size-33", "clone3(set_tid_size=33)", &c, sizeof c);
  c = args; c.stack = 4096;
  do_clone3("clone3.stack-no-size", "clone3(stack, stack_size 0)", &c, sizeof c);
  c = args; c.flags = CLONE_NEWNS | CLONE_FS;
  do_clone3("clone3.newns-fs", "clone3(NEWNS|FS)", &c, sizeof c);
  c = args; c.flags = CLONE_NEWUSER | CLONE_FS;
  do_clone3("clone3.newuser-fs", "clone3(NEWUSER|FS)", &c, sizeof c);
  c = args; c.flags = CLONE_NEWIPC | CLONE_SYSVSEM;
  do_clone3("clone3.newipc-sysvsem", "clone3(NEWIPC|SYSVSEM)", &c, sizeof c);
  c = args; c.flags = CLONE_NEWTIME;
  do_clone3("clone3.newtime", "clone3(NEWTIME)", &c, sizeof c);
  c = args; c.flags = CLONE_NEWNS;
  do_clone3("clone3.newns", "clone3(NEWNS)", &c, sizeof c);
  c = args; c.flags = CLONE_NEWUSER | CLONE_NEWTIME;
  do_clone3("clone3.newuser-newtime", "clone3(NEWUSER|NEWTIME)", &c, sizeof c);
  c = args; c.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET;
  do_clone3("clone3.newuser-newns-newpid-newnet", "clone3(NEWUSER|NEWNS|NEWPID|NEWNET)", &c, sizeof c);
  c = args; c.flags = CLONE_NEWUSER | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM; c.exit_signal = 0;
  do_clone3("clone3.newuser-thread", "clone3(NEWUSER|THREAD|SIGHAND|VM)", &c, sizeof c);
  int pidfd = -1;
  c = args; c.flags = CLONE_PIDFD; c.pidfd = (uint64_t)(uintptr_t)&pidfd;
  do_clone3("clone3.pidfd", "clone3(PIDFD)", &c, sizeof c);
  line("clone3.pidfd-set", "pidfd >= 0 = %s", yesno(pidfd >= 0));
  if (pidfd >= 0) close(pidfd);
  /* legacy clone: 0x80 (CLONE_NEWTIME) is part of CSIGNAL there */
  CLONE("clone.csignal-0x80", 0x80, 0);
}

int main(void) {
  probe_init();
  in_child("clone", clone_errors, NULL);
  in_child("pidns", clone_in_pidns, NULL);
  in_child("mt", clone_multithreaded, NULL);
  in_child("nocap", clone_nocap, NULL);
  in_child("unmapped", clone_unmapped, NULL);
  in_child("chroot", clone_chroot, NULL);
  in_child("clone3", clone3_cases, NULL);
  return probe_done();
}
