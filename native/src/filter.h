/* Building the seccomp program (libseccomp, from filter_table) and
 * installing it with a notification listener. */
#ifndef NSENTRY_FILTER_H
#define NSENTRY_FILTER_H

#include <linux/filter.h>
#include <seccomp.h>

#include "filter_table.h"
#include <stddef.h>

struct fd_band {
	int base;
	int size;
};

/* The band of fd numbers reserved for emulated files:
 * base = min(RLIMIT_NOFILE soft, 1024) - 128, at least 3; size 128. */
int fd_band_compute(struct fd_band *band, char *err, size_t err_len);

/* Build the program into prog (prog->filter is malloc'd; free with
 * filter_prog_free). Returns 0, or -1 with a reason in err. */
int filter_build(const struct fd_band *band, enum filter_variant variant, struct sock_fprog *prog,
		 char *err, size_t err_len);
void filter_prog_free(struct sock_fprog *prog);

/* The program of a libseccomp context, malloc'd into prog. Returns 0, or -1
 * with a reason in err. */
int filter_export(scmp_filter_ctx ctx, struct sock_fprog *prog, char *err, size_t err_len);

/* Set no_new_privs and install prog with SECCOMP_FILTER_FLAG_NEW_LISTENER |
 * SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV. Returns the listener fd, or -1 with
 * a reason in err. Called in the workload child after fork. */
int filter_install(const struct sock_fprog *prog, char *err, size_t err_len);

#endif
