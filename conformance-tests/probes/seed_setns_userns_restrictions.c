/* seed_setns_userns_restrictions — the four setns(CLONE_NEWUSER) restrictions of
 * userns_install (spec §4), each via an nsfs fd and via a pidfd, and their order:
 * own namespace EINVAL, multithreaded EINVAL, shared fs_struct EINVAL, no CAP_SYS_ADMIN EPERM. */
#include "probe.h"

static target T, S;

static void own(void *a) {
  (void)a;
  CHECK("own.fd", setns(open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC), CLONE_NEWUSER));
  CHECK("own.fd-nstype-0", setns(open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC), 0));
  CHECK("own.pidfd", setns(p_pidfd_open(getpid(), 0), CLONE_NEWUSER));
  CHECK("own.in-child-ns.enter", enter_userns_mapped());
  CHECK("own.in-child-ns.fd", setns(open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC), CLONE_NEWUSER));
  CHECK("own.in-child-ns.pidfd", setns(p_pidfd_open(getpid(), 0), CLONE_NEWUSER));
}

static void multithreaded(void *a) {
  (void)a;
  int fd = target_nsfd(&T, "user"), pfd = p_pidfd_open(T.pid, 0);
  helper_thread t;
  thread_start(&t);
  CHECK("mt.fd", setns(fd, CLONE_NEWUSER));
  CHECK("mt.pidfd", setns(pfd, CLONE_NEWUSER));
  CHECK("mt.pidfd-user-net", setns(pfd, CLONE_NEWUSER | CLONE_NEWNET));
  CHECK("mt.own-fd", setns(open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC), CLONE_NEWUSER));
  show_ns("mt.after", "user");
  thread_stop(&t);
  CHECK("mt.after-join.fd", setns(fd, CLONE_NEWUSER));
  show_ns("mt.after-join", "user");
}

static void shared_fs(void *a) {
  (void)a;
  int fd = target_nsfd(&T, "user"), pfd = p_pidfd_open(T.pid, 0);
  int go[2];
  if (pipe(go)) return;
  fflush(stdout);
  pid_t c = syscall(SYS_clone, CLONE_FS | SIGCHLD, 0, 0, 0, 0);
  if (c == 0) { sig_wait(go[0]); _exit(0); }
  CHECK("fs.fd", setns(fd, CLONE_NEWUSER));
  CHECK("fs.pidfd", setns(pfd, CLONE_NEWUSER));
  helper_thread t;
  thread_start(&t);
  CHECK("fs.mt-fd", setns(fd, CLONE_NEWUSER));
  thread_stop(&t);
  show_ns("fs.after", "user");
  sig_send(go[1]);
  wait_child(c);
  CHECK("fs.after-sibling-exit.fd", setns(fd, CLONE_NEWUSER));
}

static void nocap_ancestor(void *a) {
  (void)a;
  /* from inside a child user namespace, its parent (here the start one) is out of reach */
  int start = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
  int sib = target_nsfd(&S, "user"), sibpfd = p_pidfd_open(S.pid, 0);
  int self_pfd = p_pidfd_open(getppid(), 0);
  CHECK("nocap.enter", enter_userns_mapped());
  CHECK("nocap.ancestor-fd", setns(start, CLONE_NEWUSER));
  CHECK("nocap.ancestor-pidfd", setns(self_pfd, CLONE_NEWUSER));
  CHECK("nocap.sibling-fd", setns(sib, CLONE_NEWUSER));
  CHECK("nocap.sibling-pidfd", setns(sibpfd, CLONE_NEWUSER));
  helper_thread t;
  thread_start(&t);
  CHECK("nocap.mt-sibling-fd", setns(sib, CLONE_NEWUSER));
  thread_stop(&t);
  show_ns("nocap.after", "user");
}

static void nocap_dropped(void *a) {
  (void)a;
  int fd = target_nsfd(&T, "user"), pfd = p_pidfd_open(T.pid, 0);
  if (g_root) {
    CHECK("dropped.capset-0", p_capset(0, 0, 0));
    CHECK("dropped.fd", setns(fd, CLONE_NEWUSER));
    CHECK("dropped.pidfd", setns(pfd, CLONE_NEWUSER));
  } else {
    /* the owner of a child namespace has CAP_SYS_ADMIN in it even without effective caps */
    CHECK("dropped.capset-0", p_capset(0, 0, 0));
    CHECK("dropped.fd", setns(fd, CLONE_NEWUSER));
    CHECK("dropped.pidfd", setns(pfd, CLONE_NEWUSER));
  }
  show_ns("dropped.after", "user");
}

static void other_owner(void *a) {
  (void)a;
  if (!g_root) { skip("owner.setresuid", "needs root"); return; }
  int fd = target_nsfd(&T, "user"), pfd = p_pidfd_open(T.pid, 0);
  CHECK("owner.setresuid", setresuid(4242, 4242, 4242));
  CHECK("owner.fd", setns(fd, CLONE_NEWUSER));
  CHECK("owner.pidfd", setns(pfd, CLONE_NEWUSER));
}

int main(void) {
  probe_init();
  in_child("own", own, NULL);
  if (target_start(&T, CLONE_NEWUSER, 1) != 0 || target_start(&S, CLONE_NEWUSER, 1) != 0) {
    line("target", "setup = failed");
    return probe_done();
  }
  in_child("mt", multithreaded, NULL);
  in_child("fs", shared_fs, NULL);
  in_child("nocap", nocap_ancestor, NULL);
  in_child("dropped", nocap_dropped, NULL);
  in_child("owner", other_owner, NULL);
  target_stop(&S);
  target_stop(&T);
  return probe_done();
}
