/* seed_libcamera_chroot — libcamera's IPA isolation: unshare(CLONE_NEWUSER|CLONE_NEWNET).
 * The harness runs it natively outside a chroot (reference), natively inside an rbind
 * chroot (where Linux refuses with EPERM: create_user_ns's chroot rule), and under the
 * launcher started inside that chroot, where it must behave as outside. */
#include "probe.h"

int main(void) {
  probe_init();
  CHECK("libcamera.unshare", unshare(CLONE_NEWUSER | CLONE_NEWNET));
  show_ns("libcamera", "user");
  show_ns("libcamera", "net");
  show_ns("libcamera", "mnt");
  show_ids("libcamera.ids");
  show_caps("libcamera.caps");
  int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int u = ioctl(fd, P_NS_GET_USERNS);
  same_ns("libcamera.net-owner", "NS_GET_USERNS(net), ns/user", nsk_fd(u), nsk_self("user"));
  CHECK("libcamera.map", map_self_root(g_uid, g_gid));
  show_ids("libcamera.mapped-ids");
  CHECK("libcamera.lo-socket", socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) >= 0);
  return probe_done();
}
