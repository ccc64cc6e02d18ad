/* The shim's command line:
 *
 *   nsentry-shim [--server SOCKET --run-args-at K] --sentry-argc N ARG1..ARGN
 *
 * ARG1..ARGN start the sentry. With --server, ARG(K+1) (0-based K) is the word
 * `run`, and the words after it are the run args sent to the sentry server. */
#ifndef NSENTRY_ARGS_H
#define NSENTRY_ARGS_H

#include <stddef.h>

struct shim_args {
	const char *server;      /* NULL without --server */
	char **sentry_argv;      /* ARG1..ARGN, NULL-terminated (main's argv) */
	size_t sentry_argc;
	char **run_args;         /* with --server: the words after `run` */
	size_t n_run_args;
};

/* Returns 0, or -1 for a usage error (nothing printed). */
int shim_parse_args(int argc, char **argv, struct shim_args *a);

#endif
