#include "proc.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "log.h"

int proc_restore_signals(const struct signal_state *st)
{
	if (sigaction(SIGPIPE, &st->sigpipe, NULL) < 0) {
		log_errno(errno, "sigaction(SIGPIPE)");
		return -1;
	}
	if (sigprocmask(SIG_SETMASK, &st->mask, NULL) < 0) {
		log_errno(errno, "sigprocmask(SIG_SETMASK)");
		return -1;
	}
	return 0;
}

int proc_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 125;
}

long proc_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}
