#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Format into one buffer and write it with a single call so that lines from
 * the shim and its children do not interleave. */
static void emit(const char *prefix, int err, const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof line, "%s: ", prefix);
	if (n < 0)
		return;
	int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	if (m < 0)
		return;
	size_t used = strlen(line);
	if (err != 0 && used < sizeof line)
		snprintf(line + used, sizeof line - used, ": %s", strerror(err));
	used = strlen(line);
	if (used >= sizeof line - 1)
		used = sizeof line - 2;
	line[used++] = '\n';
	/* Best effort: there is nowhere to report a failed error report. */
	ssize_t w = write(STDERR_FILENO, line, used);
	(void)w;
}

void log_errno(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(SHIM_PREFIX, err, fmt, ap);
	va_end(ap);
}

void log_msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(SHIM_PREFIX, 0, fmt, ap);
	va_end(ap);
}

void log_user(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("nsentry", 0, fmt, ap);
	va_end(ap);
}
