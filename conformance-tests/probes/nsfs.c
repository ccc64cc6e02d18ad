/* nsfs — fs/nsfs.c (spec §7): readlink format, stat/lstat/fstat/fstatfs fields, file
 * operation errnos, NS_GET_* ioctls, identity of namespace fds across fork/exec/dup/SCM_RIGHTS. */
#include "probe.h"

static const unsigned long nstype_of[] = {CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWPID,
                                          CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWCGROUP,
                                          CLONE_NEWTIME, CLONE_NEWTIME};

static void links(void) {
  struct stat ref;
  stat("/proc/self/ns/net", &ref);
  for (int i = 0; i < NS_NTYPES; i++) {
    char p[64], l[128] = {0}, n[96], want[32];
    snprintf(p, sizeof p, "/proc/self/ns/%s", ns_types[i]);
    ssize_t r = readlink(p, l, sizeof l - 1);
    snprintf(want, sizeof want, "%s", ns_types[i]);
    char *u = strstr(want, "_for_children");
    if (u) *u = 0;
    unsigned long long inum = 0;
    char fmt[48];
    snprintf(fmt, sizeof fmt, "%s:[%%llu]", want);
    int ok = r > 0 && sscanf(l, fmt, &inum) == 1 && l[r - 1] == ']';
    struct stat st, lst;
    int sr = stat(p, &st), lr = lstat(p, &lst);
    snprintf(n, sizeof n, "link.%s", ns_types[i]);
    line(n, "readlink = %s%s, inum == st_ino %s, st_dev == net's %s", r < 0 ? fmtres(-1, errno, 0) : want,
         ok ? ":[inum]" : " (bad format)", yesno(sr == 0 && inum == st.st_ino), yesno(sr == 0 && st.st_dev == ref.st_dev));
    snprintf(n, sizeof n, "stat.%s", ns_types[i]);
    line(n, "stat = mode %o nlink %lu uid %u gid %u size %lld", st.st_mode, (unsigned long)st.st_nlink,
         st.st_uid, st.st_gid, (long long)st.st_size);
    snprintf(n, sizeof n, "lstat.%s", ns_types[i]);
    line(n, "lstat = %s mode %o", lr == 0 ? "ok" : fmtres(-1, errno, 0), lst.st_mode);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    snprintf(n, sizeof n, "nstype.%s", ns_types[i]);
    long t = ioctl(fd, P_NS_GET_NSTYPE);
    line(n, "ioctl(NS_GET_NSTYPE) = %s (matches %s)", fmtres(t, errno, 0), yesno(t == (long)nstype_of[i]));
    close(fd);
  }
  struct stat d;
  stat("/proc/self/ns", &d);
  line("dir.mode", "stat(/proc/self/ns) mode = %o", d.st_mode);
}

/* An O_PATH fd of a namespace entry inside a new user namespace: what fstat says. */
static void opath_nested(void *a) {
  (void)a;
  if (unshare(CLONE_NEWUSER) != 0) {
    line("opath-nested.setup", "failed");
    return;
  }
  int user = open("/proc/self/ns/user", O_PATH | O_CLOEXEC);
  CHECK("opath-nested.setns", setns(user, CLONE_NEWUSER));
  same_ns("opath-nested.fstat-user", "O_PATH fd, path", nsk_fd(user), nsk_path("/proc/self/ns/user"));
  int nofollow = open("/proc/self/ns/user", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  line("opath-nested.nofollow-mode", "fstat mode = %s",
       fstat(nofollow, &st) == 0 && S_ISLNK(st.st_mode) ? "symlink" : "other");
  close(user);
  close(nofollow);
}

static void file_ops(void) {
  int fd = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
  struct stat st;
  fstat(fd, &st);
  line("fstat.uts", "fstat = mode %o nlink %lu uid %u gid %u size %lld", st.st_mode,
       (unsigned long)st.st_nlink, st.st_uid, st.st_gid, (long long)st.st_size);
  same_ns("fstat.matches-stat", "fstat(fd), stat(path)", nsk_fd(fd), nsk_path("/proc/self/ns/uts"));
  struct statfs sf;
  fstatfs(fd, &sf);
  line("fstatfs.magic", "f_type == NSFS_MAGIC = %s", yesno(sf.f_type == P_NSFS_MAGIC));
  statfs("/proc/self/ns/uts", &sf);
  line("statfs.magic", "statfs(path) f_type == NSFS_MAGIC = %s", yesno(sf.f_type == P_NSFS_MAGIC));
  char b[16];
  CHECK("ops.read", read(fd, b, sizeof b));
  CHECK("ops.write", write(fd, "x", 1));
  CHECK("ops.lseek", lseek(fd, 0, SEEK_SET));
  CHECK("ops.pread", pread(fd, b, sizeof b, 0));
  CHECK("ops.fchmod", fchmod(fd, 0644));
  CHECK("ops.fchown", fchown(fd, 0, 0));
  CHECK("ops.ftruncate", ftruncate(fd, 0));
  CHECK("ops.getdents", syscall(SYS_getdents64, fd, b, sizeof b));
  line("ops.cloexec", "FD_CLOEXEC = %s", yesno(fcntl(fd, F_GETFD) & FD_CLOEXEC));
  CHECKFD("open.rdwr", open("/proc/self/ns/uts", O_RDWR | O_CLOEXEC));
  CHECKFD("open.wronly", open("/proc/self/ns/uts", O_WRONLY | O_CLOEXEC));
  CHECKFD("open.directory", open("/proc/self/ns/uts", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  CHECKFD("open.nofollow", open("/proc/self/ns/uts", O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  CHECKFD("open.creat", open("/proc/self/ns/uts", O_RDONLY | O_CREAT | O_CLOEXEC, 0644));
  CHECK("path.chmod", chmod("/proc/self/ns/uts", 0644));
  CHECK("path.unlink", unlink("/proc/self/ns/uts"));
  int opath = open("/proc/self/ns/uts", O_PATH | O_CLOEXEC);
  CHECK("opath.setns", setns(opath, CLONE_NEWUTS));
  CHECK("opath.ioctl", ioctl(opath, P_NS_GET_NSTYPE));
  same_ns("opath.fstat", "O_PATH fd, path", nsk_fd(opath), nsk_path("/proc/self/ns/uts"));
  close(opath);
  close(fd);
}

static void ioctls(void) {
  int user = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
  int net = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int pid = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  int reg = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  CHECKFD("ioctl.start-user-get-userns", ioctl(user, P_NS_GET_USERNS));
  CHECKFD("ioctl.start-user-get-parent", ioctl(user, P_NS_GET_PARENT));
  int o = CHECKFD("ioctl.start-net-get-userns", ioctl(net, P_NS_GET_USERNS));
  if (o >= 0) {
    same_ns("ioctl.start-net-owner", "NS_GET_USERNS(net), ns/user", nsk_fd(o), nsk_self("user"));
    line("ioctl.result-fd-flags", "cloexec %s, accmode rdonly %s", yesno(fcntl(o, F_GETFD) & FD_CLOEXEC),
         yesno((fcntl(o, F_GETFL) & O_ACCMODE) == O_RDONLY));
    close(o);
  }
  CHECKFD("ioctl.net-get-parent", ioctl(net, P_NS_GET_PARENT));
  CHECKFD("ioctl.pid-get-parent", ioctl(pid, P_NS_GET_PARENT));
  uid_t ou = 12345;
  long r = ioctl(user, P_NS_GET_OWNER_UID, &ou);
  line("ioctl.start-user-owner-uid", "ioctl(NS_GET_OWNER_UID) = %s uid %u", fmtres(r, errno, 0), ou);
  CHECK("ioctl.owner-uid-net", ioctl(net, P_NS_GET_OWNER_UID, &ou));
  CHECK("ioctl.owner-uid-efault", ioctl(user, P_NS_GET_OWNER_UID, badptr));
  CHECK("ioctl.unknown-nsio", ioctl(net, _IO(NSIO, 0x7f)));
  CHECK("ioctl.unknown-other", ioctl(net, 0x5401 /* TCGETS */));
  CHECK("ioctl.fionread", ioctl(net, FIONREAD, &ou));
  CHECK("ioctl.nstype-on-regular", ioctl(reg, P_NS_GET_NSTYPE));
  CHECK("ioctl.nstype-bad-fd", ioctl(-1, P_NS_GET_NSTYPE));
}

static void child_ns_ioctls(void *a) {
  (void)a;
  int start_user = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
  CHECK("child.enter", enter_userns_mapped());
  CHECK("child.unshare-net-uts", unshare(CLONE_NEWNET | CLONE_NEWUTS));
  int user = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
  int net = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int o = CHECKFD("child.net-get-userns", ioctl(net, P_NS_GET_USERNS));
  same_ns("child.net-owner", "NS_GET_USERNS(net), own user", nsk_fd(o), nsk_fd(user));
  int p = CHECKFD("child.user-get-parent", ioctl(user, P_NS_GET_PARENT));
  same_ns("child.user-parent", "NS_GET_PARENT(user), start user", nsk_fd(p), nsk_fd(start_user));
  int q = CHECKFD("child.user-get-userns", ioctl(user, P_NS_GET_USERNS));
  same_ns("child.user-userns", "NS_GET_USERNS(user), start user", nsk_fd(q), nsk_fd(start_user));
  CHECKFD("child.parent-of-parent", ioctl(p, P_NS_GET_PARENT));
  CHECKFD("child.start-user-get-parent", ioctl(start_user, P_NS_GET_PARENT));
  target b;
  if (target_start(&b, CLONE_NEWUSER, 0) == 0) {
    int bu = target_nsfd(&b, "user");
    int bp = CHECKFD("child.nested-get-parent", ioctl(bu, P_NS_GET_PARENT));
    same_ns("child.nested-parent", "NS_GET_PARENT(nested user), own user", nsk_fd(bp), nsk_fd(user));
    uid_t bo = 12345;
    long br = ioctl(bu, P_NS_GET_OWNER_UID, &bo);
    line("child.nested-owner-uid", "ioctl(nested user, NS_GET_OWNER_UID) = %s uid %u", fmtres(br, errno, 0), bo);
    target_stop(&b);
  }
  uid_t ou = 12345;
  long r = ioctl(user, P_NS_GET_OWNER_UID, &ou);
  line("child.owner-uid", "ioctl(own user, NS_GET_OWNER_UID) = %s uid %u", fmtres(r, errno, 0), ou);
  ou = 12345;
  r = ioctl(start_user, P_NS_GET_OWNER_UID, &ou);
  line("child.start-owner-uid", "ioctl(start user, NS_GET_OWNER_UID) = %s uid %u", fmtres(r, errno, 0), ou);
  CHECKFD("child.start-net-get-userns", ioctl(open("/proc/1/ns/net", O_RDONLY | O_CLOEXEC), P_NS_GET_USERNS));
  struct stat st;
  fstat(net, &st);
  line("child.fstat-net", "fstat = mode %o uid %u gid %u", st.st_mode, st.st_uid, st.st_gid);
  stat("/proc/self/ns/net", &st);
  line("child.stat-net", "stat = mode %o uid %u gid %u", st.st_mode, st.st_uid, st.st_gid);
  int old = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
  CHECK("child.unshare-uts-again", unshare(CLONE_NEWUTS));
  same_ns("child.old-fd-vs-new", "old uts fd, new uts", nsk_fd(old), nsk_self("uts"));
}

static void pid_parent(void *a) {
  (void)a;
  int start_pid = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  if (!g_root) CHECK("pidparent.enter", enter_userns_mapped());
  CHECK("pidparent.unshare", unshare(CLONE_NEWPID));
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    int own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    int p = CHECKFD("pidparent.get-parent", ioctl(own, P_NS_GET_PARENT));
    same_ns("pidparent.is-start", "NS_GET_PARENT(pid), start pid", nsk_fd(p), nsk_fd(start_pid));
    CHECKFD("pidparent.parent-of-parent", ioctl(p, P_NS_GET_PARENT));
    CHECKFD("pidparent.start-get-parent", ioctl(start_pid, P_NS_GET_PARENT));
    int u = CHECKFD("pidparent.get-userns", ioctl(own, P_NS_GET_USERNS));
    same_ns("pidparent.owner", "NS_GET_USERNS(pid), own user", nsk_fd(u), nsk_self("user"));
    _exit(0);
  }
  wait_child(c);
}

static void identity(void *a) {
  (void)a;
  int a1 = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int a2 = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int b = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
  int t = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  same_ns("identity.two-opens", "net, net", nsk_fd(a1), nsk_fd(a2));
  same_ns("identity.net-vs-uts", "net, uts", nsk_fd(a1), nsk_fd(b));
  same_ns("identity.thread-self", "self net, thread-self net", nsk_fd(a1), nsk_fd(t));
  int d = dup(a1);
  same_ns("identity.dup", "fd, dup(fd)", nsk_fd(a1), nsk_fd(d));
  int d3 = fcntl(a1, F_DUPFD_CLOEXEC, 100);
  same_ns("identity.dupfd", "fd, F_DUPFD", nsk_fd(a1), nsk_fd(d3));
  nskey k = nsk_fd(a1);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    same_ns("identity.fork", "inherited fd, parent's", nsk_fd(a1), k);
    _exit(0);
  }
  wait_child(c);
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
  fflush(stdout);
  c = fork();
  if (c == 0) {
    char data = 'x';
    struct iovec io = {&data, 1};
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct msghdr m = {0};
    m.msg_iov = &io; m.msg_iovlen = 1; m.msg_control = cbuf; m.msg_controllen = sizeof cbuf;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET; cm->cmsg_type = SCM_RIGHTS; cm->cmsg_len = CMSG_LEN(sizeof(int));
    int nf = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    memcpy(CMSG_DATA(cm), &nf, sizeof(int));
    if (sendmsg(sv[1], &m, 0) != 1) _exit(3);
    _exit(0);
  }
  {
    char data;
    struct iovec io = {&data, 1};
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct msghdr m = {0};
    m.msg_iov = &io; m.msg_iovlen = 1; m.msg_control = cbuf; m.msg_controllen = sizeof cbuf;
    int got = -1;
    if (recvmsg(sv[0], &m, 0) == 1) {
      struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
      if (cm && cm->cmsg_type == SCM_RIGHTS) memcpy(&got, CMSG_DATA(cm), sizeof(int));
    }
    wait_child(c);
    same_ns("identity.scm-rights", "received fd, own net", nsk_fd(got), k);
    CHECK("identity.scm-rights-nstype", ioctl(got, P_NS_GET_NSTYPE));
  }
  /* exec: the fd number travels in argv; the helper compares it with its own ns */
  fflush(stdout);
  c = fork();
  if (c == 0) {
    int keep = dup(a1); /* without O_CLOEXEC */
    char fds[16];
    snprintf(fds, sizeof fds, "%d", keep);
    execl("/proc/self/exe", "nsfs", "--exec-helper", fds, (char *)NULL);
    _exit(127);
  }
  wait_child(c);
  /* a new namespace is a different file */
  fflush(stdout);
  c = fork();
  if (c == 0) {
    if (!g_root && enter_userns_mapped() != 0) _exit(1);
    unshare(CLONE_NEWNET);
    same_ns("identity.after-unshare", "old net fd, new net", k, nsk_self("net"));
    _exit(0);
  }
  wait_child(c);
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "--exec-helper")) {
    int fd = atoi(argv[2]);
    same_ns("identity.exec", "fd kept across exec, own net", nsk_fd(fd), nsk_self("net"));
    CHECK("identity.exec-nstype", ioctl(fd, P_NS_GET_NSTYPE));
    return 0;
  }
  probe_init();
  links();
  file_ops();
  ioctls();
  in_child("child", child_ns_ioctls, NULL);
  in_child("pidparent", pid_parent, NULL);
  in_child("identity", identity, NULL);
  in_child("opath-nested", opath_nested, NULL);
  return probe_done();
}
