/* idmap_write — uid_map / gid_map / setgroups (kernel/user_namespace.c map_write,
 * proc_setgroups_write; spec §5): every write rule in order, reads relative to the reader. */
#include "probe.h"

static char path_of[96];
static const char *mapfile(target *t, const char *f) {
  snprintf(path_of, sizeof path_of, "/proc/%d/%s", (int)t->pid, f);
  return path_of;
}

/* Writes `data` (len bytes) to a fresh target's file from outside (the parent namespace). */
static void outside_write(const char *name, const char *file, const char *text, const char *data,
                          size_t len, int deny_first) {
  target t;
  if (target_start(&t, CLONE_NEWUSER, 0) != 0) { line(name, "setup = failed"); return; }
  if (deny_first) write_file(mapfile(&t, "setgroups"), "deny", 4);
  int fd = open(mapfile(&t, file), O_WRONLY | O_CLOEXEC);
  errno = 0;
  long rc = fd < 0 ? -1 : write(fd, data, len);
  emit(name, text, rc, errno, 0);
  if (fd >= 0) close(fd);
  target_stop(&t);
}

static char buf[8192];
static const char *uidline(const char *fmt) {
  /* fmt contains %u for the caller's euid as seen in the parent */
  static char b[256];
  snprintf(b, sizeof b, fmt, g_uid, g_uid, g_uid);
  return b;
}
static const char *gidline(const char *fmt) {
  static char b[256];
  snprintf(b, sizeof b, fmt, g_gid, g_gid, g_gid);
  return b;
}
#define OW(name, file, fmtstr) do { const char *_d = !strcmp(file, "uid_map") ? uidline(fmtstr) : gidline(fmtstr); \
    outside_write(name, file, "write(" file ", \"" fmtstr "\")", _d, strlen(_d), 1); } while (0)

static void parse_cases(void) {
  OW("parse.ok", "uid_map", "0 %u 1");
  OW("parse.ok-newline", "uid_map", "0 %u 1\n");
  OW("parse.leading-spaces", "uid_map", "   0 %u 1");
  OW("parse.tabs", "uid_map", "0\t%u\t1");
  OW("parse.trailing-spaces", "uid_map", "0 %u 1   ");
  OW("parse.trailing-junk", "uid_map", "0 %u 1x");
  OW("parse.two-fields", "uid_map", "0 %u");
  OW("parse.four-fields", "uid_map", "0 %u 1 1");
  OW("parse.hex", "uid_map", "0x0 %u 1");
  OW("parse.plus", "uid_map", "+0 %u 1");
  OW("parse.minus", "uid_map", "-1 %u 1");
  OW("parse.blank-first", "uid_map", "\n0 %u 1");
  OW("parse.two-newlines", "uid_map", "0 %u 1\n\n");
  OW("parse.first-max", "uid_map", "4294967295 %u 1");
  OW("parse.lower-max", "uid_map", "0 4294967295 1");
  OW("parse.count-0", "uid_map", "0 %u 0");
  OW("parse.wrap-upper", "uid_map", "4294967290 %u 10");
  OW("parse.wrap-lower", "uid_map", "0 4294967290 10");
  OW("parse.overflow-number", "uid_map", "0 %u 99999999999");
  OW("parse.overlap-upper", "uid_map", "0 %u 1\n0 100000 1");
  OW("parse.overlap-lower", "uid_map", "0 %u 1\n1 %u 1");
  OW("parse.two-lines-valid", "uid_map", "0 %u 1\n1 100000 1");
  OW("parse.gid-trailing-junk", "gid_map", "0 %u 1 junk");
  OW("parse.gid-ok", "gid_map", "0 %u 1");
  outside_write("parse.empty", "uid_map", "write(uid_map, \"\", 0)", "", 0, 1);
  const char *d = uidline("0 %u 1");
  char emb[64];
  size_t n = strlen(d);
  memcpy(emb, d, n);
  memcpy(emb + n, "\0garbage", 8);
  outside_write("parse.embedded-nul", "uid_map", "write(uid_map, \"0 <euid> 1\\0garbage\", len+8)", emb, n + 8, 1);
  memcpy(emb, "\0 junk", 6);
  outside_write("parse.nul-first", "uid_map", "write(uid_map, \"\\0 junk\", 6)", emb, 6, 1);
  /* 340 / 341 lines */
  for (int lines = 340; lines <= 341; lines++) {
    int o = 0;
    for (int i = 0; i < lines; i++) o += snprintf(buf + o, sizeof buf - o, "%d %d 1\n", i, i);
    char nm[64], tx[64];
    snprintf(nm, sizeof nm, "parse.lines-%d", lines);
    snprintf(tx, sizeof tx, "write(uid_map, %d lines, %d bytes)", lines, o);
    if (o >= 4096) { line(nm, "skip (too long)"); continue; }
    outside_write(nm, "uid_map", tx, buf, o, 1);
  }
  /* 4095 / 4096 bytes: a valid line padded with spaces */
  for (int len = 4095; len <= 4096; len++) {
    memset(buf, ' ', len);
    const char *l = uidline("0 %u 1");
    memcpy(buf, l, strlen(l));
    char nm[64], tx[64];
    snprintf(nm, sizeof nm, "size.%d", len);
    snprintf(tx, sizeof tx, "write(uid_map, \"0 <euid> 1\" + spaces, %d)", len);
    outside_write(nm, "uid_map", tx, buf, len, 1);
  }
  outside_write("size.bad-pointer", "uid_map", "write(uid_map, (void*)8, 10)", badptr, 10, 1);
}

static void permission_cases(void) {
  OW("perm.uid-other-lower", "uid_map", "0 100000 1");
  OW("perm.uid-count-2", "uid_map", "0 %u 2");
  OW("perm.uid-self-not-0", "uid_map", "5 %u 1");
  OW("perm.uid-range", "uid_map", "0 100000 65536");
  OW("perm.uid-lower-0", "uid_map", "0 0 1");
  OW("perm.gid-other-lower", "gid_map", "0 100000 1");
  OW("perm.gid-root", "gid_map", "0 0 1");
  const char *g = gidline("0 %u 1");
  outside_write("perm.gid-setgroups-allowed", "gid_map", "write(gid_map, \"0 <egid> 1\") with setgroups allow", g, strlen(g), 0);
}

static void order_cases(void) {
  target t;
  /* write-once and ppos: second write on the same fd is EINVAL before the EPERM */
  if (target_start(&t, CLONE_NEWUSER, 0) != 0) return;
  const char *d = uidline("0 %u 1");
  int fd = open(mapfile(&t, "uid_map"), O_WRONLY | O_CLOEXEC);
  CHECKAS("order.first-write", "write(fd, \"0 <euid> 1\")", write(fd, d, strlen(d)));
  CHECKAS("order.second-write-same-fd", "write(fd, \"0 <euid> 1\")", write(fd, d, strlen(d)));
  CHECKAS("order.pwrite-0", "pwrite(fd, \"0 <euid> 1\", 0)", pwrite(fd, d, strlen(d), 0));
  CHECKAS("order.lseek", "lseek(fd, 0, SEEK_SET)", lseek(fd, 0, SEEK_SET));
  close(fd);
  fd = open(mapfile(&t, "uid_map"), O_WRONLY | O_CLOEXEC);
  CHECKAS("order.write-once-new-fd", "write(fd2, \"0 <euid> 1\")", write(fd, d, strlen(d)));
  CHECKAS("order.write-once-bad-pointer", "write(fd2, (void*)8, 10)", write(fd, badptr, 10));
  CHECKAS("order.write-once-4096", "write(fd2, buf, 4096)", write(fd, buf, 4096));
  close(fd);
  line("order.read-outside", "read = %s", read_file_norm(mapfile(&t, "uid_map")));
  line("order.read-gid-fresh", "read = %s", read_file_norm(mapfile(&t, "gid_map")));
  line("order.read-setgroups", "read = %s", read_file_norm(mapfile(&t, "setgroups")));
  /* setgroups */
  fd = open(mapfile(&t, "setgroups"), O_WRONLY | O_CLOEXEC);
  CHECKAS("setgroups.maybe", "write(setgroups, \"maybe\")", write(fd, "maybe", 5));
  close(fd);
  CHECKAS("setgroups.deny-x", "write(setgroups, \"denyx\")", write_file(mapfile(&t, "setgroups"), "denyx", 5));
  CHECKAS("setgroups.8-bytes", "write(setgroups, \"deny    \")", write_file(mapfile(&t, "setgroups"), "deny    ", 8));
  CHECKAS("setgroups.allow", "write(setgroups, \"allow\")", write_file(mapfile(&t, "setgroups"), "allow", 5));
  fd = open(mapfile(&t, "setgroups"), O_WRONLY | O_CLOEXEC);
  CHECKAS("setgroups.deny-nl", "write(setgroups, \"deny\\n\")", write(fd, "deny\n", 5));
  CHECKAS("setgroups.second-write", "write(same fd, \"deny\")", write(fd, "deny", 4));
  close(fd);
  CHECKAS("setgroups.allow-after-deny", "write(setgroups, \"allow\")", write_file(mapfile(&t, "setgroups"), "allow", 5));
  CHECKAS("setgroups.deny-again", "write(setgroups, \"deny\")", write_file(mapfile(&t, "setgroups"), "deny", 4));
  const char *g = gidline("0 %u 1");
  CHECKAS("setgroups.gid_map", "write(gid_map, \"0 <egid> 1\")", write_file(mapfile(&t, "gid_map"), g, strlen(g)));
  CHECKAS("setgroups.deny-after-gid_map", "write(setgroups, \"deny\")", write_file(mapfile(&t, "setgroups"), "deny", 4));
  line("setgroups.read-after", "read = %s", read_file_norm(mapfile(&t, "setgroups")));
  line("order.read-gid", "read = %s", read_file_norm(mapfile(&t, "gid_map")));
  target_stop(&t);

  /* gid_map with setgroups allowed, then deny after gid_map: EPERM */
  if (target_start(&t, CLONE_NEWUSER, 0) != 0) return;
  if (g_root) {
    CHECKAS("setgroups2.gid_map-allowed", "write(gid_map, \"0 0 1\")", write_file(mapfile(&t, "gid_map"), "0 0 1", 5));
    CHECKAS("setgroups2.deny-after", "write(setgroups, \"deny\")", write_file(mapfile(&t, "setgroups"), "deny", 4));
    CHECKAS("setgroups2.allow-after", "write(setgroups, \"allow\")", write_file(mapfile(&t, "setgroups"), "allow", 5));
  } else skip("setgroups2", "privileged gid_map path");
  target_stop(&t);
}

static void inside_writer(void *a) {
  (void)a;
  /* the target writes its own maps: opener inside the target */
  uid_t u = geteuid();
  gid_t g = getegid();
  char l[64];
  CHECK("inside.unshare", unshare(CLONE_NEWUSER));
  snprintf(l, sizeof l, "0 %u 1", u);
  CHECKAS("inside.uid_map", "write(/proc/self/uid_map, \"0 <euid> 1\")", write_file("/proc/self/uid_map", l, strlen(l)));
  snprintf(l, sizeof l, "0 %u 1", g);
  CHECKAS("inside.gid_map-without-deny", "write(gid_map, \"0 <egid> 1\")", write_file("/proc/self/gid_map", l, strlen(l)));
  CHECK("inside.deny", write_file("/proc/self/setgroups", "deny", 4));
  CHECKAS("inside.gid_map", "write(gid_map, \"0 <egid> 1\")", write_file("/proc/self/gid_map", l, strlen(l)));
  line("inside.read-uid", "read = %s", read_file_norm("/proc/self/uid_map"));
  line("inside.read-gid", "read = %s", read_file_norm("/proc/self/gid_map"));
  show_ids("inside.ids");
  gid_t gl[1] = {0};
  CHECK("inside.setgroups-denied", setgroups(1, gl));
  CHECK("inside.setgroups-0-denied", setgroups(0, NULL));
}

static void inside_nocap(void *a) {
  (void)a;
  uid_t u = geteuid();
  char l[64];
  CHECK("nocap.unshare", unshare(CLONE_NEWUSER));
  CHECK("nocap.capset-0", p_capset(0, 0, 0));
  CHECKFD("nocap.open-setgroups-wr", open("/proc/self/setgroups", O_WRONLY | O_CLOEXEC));
  snprintf(l, sizeof l, "0 %u 1", u);
  CHECKAS("nocap.uid_map", "write(uid_map, \"0 <euid> 1\")", write_file("/proc/self/uid_map", l, strlen(l)));
  CHECKAS("nocap.uid_map-junk", "write(uid_map, \"junk\")", write_file("/proc/self/uid_map", "junk", 4));
  CHECKFD("nocap.open-setgroups-rd", open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC));
}

static void init_ns(void *a) {
  (void)a;
  line("init.read-uid", "read = %s", read_file_norm("/proc/self/uid_map"));
  line("init.read-gid", "read = %s", read_file_norm("/proc/self/gid_map"));
  line("init.read-setgroups", "read = %s", read_file_norm("/proc/self/setgroups"));
  CHECK("init.write-uid", write_file("/proc/self/uid_map", "0 0 1", 5));
  CHECK("init.write-uid-junk", write_file("/proc/self/uid_map", "junk", 4));
  if (!g_root) CHECKFD("init.open-setgroups-wr", open("/proc/self/setgroups", O_WRONLY | O_CLOEXEC));
  else skip("init.open-setgroups-wr", "root: the host's file is not touched");
}

static void sibling_opener(void *a) {
  (void)a;
  /* opener in a sibling namespace: neither the target nor its parent → EPERM */
  target t;
  if (target_start(&t, CLONE_NEWUSER, 0) != 0) return;
  CHECK("sibling.enter", enter_userns_mapped());
  const char *d = "0 0 1";
  int fd = CHECKFD("sibling.open", open(mapfile(&t, "uid_map"), O_WRONLY | O_CLOEXEC));
  CHECKAS("sibling.write", "write(fd, \"0 0 1\")", write(fd, d, strlen(d)));
  CHECKAS("sibling.write-junk", "write(fd2, \"junk\")", write_file(mapfile(&t, "uid_map"), "junk", 4));
  line("sibling.read", "read = %s", read_file_norm(mapfile(&t, "uid_map")));
  target_stop(&t);
}

static void nested(void *a) {
  (void)a;
  /* in A (0 -> caller), a child namespace B: every lower id must be mapped in A */
  CHECK("nested.enter", enter_userns_mapped());
  const char *cases[][2] = {{"nested.unmapped-lower", "0 5 1"}, {"nested.partly-mapped", "0 0 2"},
                            {"nested.mapped", "0 0 1"}};
  for (int i = 0; i < 3; i++) {
    target t;
    if (target_start(&t, CLONE_NEWUSER, 0) != 0) return;
    CHECKAS(cases[i][0], cases[i][1], write_file(mapfile(&t, "uid_map"), cases[i][1], strlen(cases[i][1])));
    if (i == 2) {
      line("nested.read-from-A", "read = %s", read_file_norm(mapfile(&t, "uid_map")));
    }
    target_stop(&t);
  }
}

static void read_relative(void *a) {
  (void)a;
  /* the reader's namespace decides field 2 */
  target t;
  if (target_start(&t, CLONE_NEWUSER, 0) != 0) return;
  const char *d = g_root ? "0 100000 10\n10 0 1" : uidline("0 %u 1");
  write_file(mapfile(&t, "setgroups"), "deny", 4);
  CHECKAS("relative.write", "write(uid_map, ...)", write_file(mapfile(&t, "uid_map"), d, strlen(d)));
  line("relative.from-parent", "read = %s", read_file_norm(mapfile(&t, "uid_map")));
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/uid_map", (int)t.pid);
  CHECK("relative.enter-sibling", enter_userns_mapped());
  line("relative.from-sibling", "read = %s", read_file_norm(p));
  line("relative.own-from-inside", "read = %s", read_file_norm("/proc/self/uid_map"));
  target_stop(&t);
}

static void setfcap(void *a) {
  (void)a;
  if (!g_root) { skip("setfcap", "root only"); return; }
  uint64_t e, p, i;
  p_capget(&e, &p, &i);
  uint64_t no_fcap = e & ~(1ULL << 31);
  /* parent_could_setfcap is recorded at creation */
  CHECK("setfcap.drop-eff", p_capset(no_fcap, p, i));
  CHECK("setfcap.unshare", unshare(CLONE_NEWUSER));
  CHECK("setfcap.inside-0-0-1", write_file("/proc/self/uid_map", "0 0 1", 5));
  CHECK("setfcap.inside-5-0-1", write_file("/proc/self/uid_map", "5 0 1", 5));
}

static void setfcap_outside(void *a) {
  (void)a;
  if (!g_root) { skip("setfcap-out", "root only"); return; }
  target t;
  if (target_start(&t, CLONE_NEWUSER, 0) != 0) return;
  uint64_t e, p, i;
  p_capget(&e, &p, &i);
  CHECK("setfcap-out.drop-eff", p_capset(e & ~(1ULL << 31), p, i));
  CHECK("setfcap-out.0-0-1", write_file(mapfile(&t, "uid_map"), "0 0 1", 5));
  CHECK("setfcap-out.0-5-1", write_file(mapfile(&t, "uid_map"), "0 5 1", 5));
  target_stop(&t);
}

static void opener_vs_writer(void *a) {
  (void)a;
  if (!g_root) { skip("opener-writer", "root only"); return; }
  target t;
  if (target_start(&t, CLONE_NEWUSER, 0) != 0) return;
  uint64_t e, p, i;
  p_capget(&e, &p, &i);
  /* opener lacks CAP_SETUID (effective), writer has it */
  CHECK("opener-writer.drop-setuid", p_capset(e & ~(1ULL << 7), p, i));
  int fd = CHECKFD("opener-writer.open", open(mapfile(&t, "uid_map"), O_WRONLY | O_CLOEXEC));
  CHECK("opener-writer.raise-setuid", p_capset(e, p, i));
  CHECKAS("opener-writer.write", "write(fd, \"0 100000 10\")", write(fd, "0 100000 10", 11));
  close(fd);
  /* opener has it, writer lacks it */
  fd = open(mapfile(&t, "uid_map"), O_WRONLY | O_CLOEXEC);
  CHECK("writer.drop-setuid", p_capset(e & ~(1ULL << 7), p, i));
  CHECKAS("writer.write", "write(fd, \"0 100000 10\")", write(fd, "0 100000 10", 11));
  CHECK("writer.raise-setuid", p_capset(e, p, i));
  CHECKAS("writer.write-again", "write(fd, \"0 100000 10\")", write(fd, "0 100000 10", 11));
  close(fd);
  CHECKAS("privileged.write", "write(uid_map, \"0 100000 10\")", write_file(mapfile(&t, "uid_map"), "0 100000 10", 11));
  line("privileged.read", "read = %s", read_file_norm(mapfile(&t, "uid_map")));
  target_stop(&t);
}

static void setgroups_syscall(void *a) {
  (void)a;
  if (!g_root) { skip("setgroups-call", "needs a multi-id gid map"); return; }
  target t;
  if (target_start(&t, CLONE_NEWUSER, 0) != 0) return;
  CHECK("setgroups-call.gid_map", write_file(mapfile(&t, "gid_map"), "0 0 10", 6));
  CHECK("setgroups-call.uid_map", write_file(mapfile(&t, "uid_map"), "0 0 10", 6));
  int pfd = p_pidfd_open(t.pid, 0);
  CHECK("setgroups-call.join", setns(pfd, CLONE_NEWUSER));
  gid_t ok[2] = {1, 2}, bad[1] = {50};
  CHECK("setgroups-call.mapped", setgroups(2, ok));
  show_groups("setgroups-call.groups");
  CHECK("setgroups-call.unmapped", setgroups(1, bad));
  static gid_t many[65537];
  CHECK("setgroups-call.too-many", setgroups(65537, many));
  CHECK("setgroups-call.deny", write_file("/proc/self/setgroups", "deny", 4));
  target_stop(&t);
}

int main(void) {
  probe_init();
  parse_cases();
  permission_cases();
  order_cases();
  in_child("inside", inside_writer, NULL);
  in_child("nocap", inside_nocap, NULL);
  in_child("init", init_ns, NULL);
  in_child("sibling", sibling_opener, NULL);
  in_child("nested", nested, NULL);
  in_child("relative", read_relative, NULL);
  in_child("setfcap", setfcap, NULL);
  in_child("setfcap-out", setfcap_outside, NULL);
  in_child("opener-writer", opener_vs_writer, NULL);
  in_child("setgroups-call", setgroups_syscall, NULL);
  return probe_done();
}
