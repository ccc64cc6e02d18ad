/* Error reporting: every message is one line on stderr, prefixed with the
 * program name, with the failing operation as context. */
#ifndef NSENTRY_LOG_H
#define NSENTRY_LOG_H

#define SHIM_PREFIX "nsentry-shim"

/* "nsentry-shim: <what>: <strerror(err)>" */
void log_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "nsentry-shim: <what>" */
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "nsentry: <what>" -- messages meant for the user of the sandbox. */
void log_user(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
