/* The process tree below the shim, read from /proc/<pid>/task/<tid>/children
 * (CONFIG_PROC_CHILDREN). */
#ifndef NSENTRY_TREE_H
#define NSENTRY_TREE_H

#include <stddef.h>
#include <sys/types.h>

struct pid_list {
	pid_t *pids;
	size_t len, cap;
};

void pid_list_free(struct pid_list *l);

/* Append every descendant of root (not root itself) to out, parents before
 * children, leaving out the subtree of `exclude` (0 for none). Processes that
 * vanish while being read are skipped. Returns 0 or -errno (-ENOMEM, or the
 * error reading root's own task directory). */
int tree_descendants(pid_t root, pid_t exclude, struct pid_list *out);

#endif
