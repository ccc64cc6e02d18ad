/* Passing one file descriptor over a unix socket with SCM_RIGHTS, in a
 * message of its own (one dummy byte of data). */
#ifndef NSENTRY_FDPASS_H
#define NSENTRY_FDPASS_H

/* Returns 0 or -errno. */
int fdpass_send(int sock, int fd);

/* Returns the received fd (O_CLOEXEC), -ENODATA at EOF, -EBADMSG if the
 * message carried no fd, or -errno. */
int fdpass_recv(int sock);

#endif
