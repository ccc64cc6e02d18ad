#include "args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A whole decimal number, or -1. */
static long parse_count(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0)
		return -1;
	return v;
}

int shim_parse_args(int argc, char **argv, struct shim_args *a)
{
	memset(a, 0, sizeof *a);
	int i = 1;
	long k = -1;
	if (i < argc && strcmp(argv[i], "--server") == 0) {
		if (argc - i < 4 || argv[i + 1][0] == '\0' || strcmp(argv[i + 2], "--run-args-at") != 0)
			return -1;
		k = parse_count(argv[i + 3]);
		if (k < 0)
			return -1;
		a->server = argv[i + 1];
		i += 4;
	}
	if (argc - i < 3 || strcmp(argv[i], "--sentry-argc") != 0)
		return -1;
	long n = parse_count(argv[i + 1]);
	if (n < 1 || n != (long)argc - i - 2)
		return -1;
	a->sentry_argv = &argv[i + 2];
	a->sentry_argc = (size_t)n;
	if (a->server != NULL) {
		if (k >= n || strcmp(a->sentry_argv[k], "run") != 0)
			return -1;
		a->run_args = &a->sentry_argv[k + 1];
		a->n_run_args = (size_t)(n - k - 1);
	}
	return 0;
}
