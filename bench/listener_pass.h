/* What bench/cfloor.c and bench/floorrun.c share: the seccomp constants older headers
 * lack, and passing the listener fd from the filtered child to its supervisor (SCM_RIGHTS
 * over a socketpair). Header-only, so each tool stays one gcc command. */
#ifndef NSENTRY_BENCH_LISTENER_PASS_H
#define NSENTRY_BENCH_LISTENER_PASS_H

#include <errno.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* Sends fd with one data byte. Returns 0, or -1 with errno set. */
static inline int listener_send(int sock, int fd)
{
	char c = 0, buf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof buf };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	return sendmsg(sock, &m, 0) < 0 ? -1 : 0;
}

/* The fd sent with listener_send, or -1 with errno set (EBADMSG: the peer closed the
 * socket or sent no fd, e.g. because it failed to install its filter). */
static inline int listener_recv(int sock)
{
	char c, buf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof buf };
	ssize_t n = recvmsg(sock, &m, 0);
	if (n < 0)
		return -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	if (n == 0 || cm == NULL || cm->cmsg_type != SCM_RIGHTS) {
		errno = EBADMSG;
		return -1;
	}
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	return fd;
}

#endif
