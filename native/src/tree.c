#include "tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void pid_list_free(struct pid_list *l)
{
	free(l->pids);
	l->pids = NULL;
	l->len = l->cap = 0;
}

static int pid_list_push(struct pid_list *l, pid_t pid)
{
	for (size_t i = 0; i < l->len; i++)
		if (l->pids[i] == pid)
			return 0; /* CLONE_PARENT children can show up twice */
	if (l->len == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		pid_t *np = realloc(l->pids, cap * sizeof *np);
		if (np == NULL)
			return -ENOMEM;
		l->pids = np;
		l->cap = cap;
	}
	l->pids[l->len++] = pid;
	return 0;
}

/* Parse one children file ("12 34 56 ") and push each pid but exclude. */
static int read_children_file(const char *path, pid_t exclude, struct pid_list *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* the thread is gone */
	char buf[4096];
	size_t have = 0;
	int rc = 0;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof buf - have - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		/* Consume complete numbers; keep a trailing partial one. */
		char *p = buf, *end;
		for (;;) {
			while (*p == ' ' || *p == '\n')
				p++;
			if (*p == '\0')
				break;
			long v = strtol(p, &end, 10);
			if (*end == '\0')
				break; /* may continue in the next read */
			if (v > 0 && (pid_t)v != exclude && (rc = pid_list_push(out, (pid_t)v)) < 0)
				goto out;
			p = end;
		}
		have = (size_t)(buf + have - p);
		for (size_t i = 0; i < have; i++)
			buf[i] = p[i];
	}
	if (have > 0) {
		buf[have] = '\0';
		long v = strtol(buf, NULL, 10);
		if (v > 0 && (pid_t)v != exclude)
			rc = pid_list_push(out, (pid_t)v);
	}
out:
	close(fd);
	return rc;
}

/* Children of every thread of pid. */
static int children_of(pid_t pid, pid_t exclude, struct pid_list *out, int strict)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (d == NULL)
		return strict ? -errno : 0;
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		char *endp;
		long tid = strtol(de->d_name, &endp, 10);
		if (*endp != '\0')
			continue;
		char cpath[64];
		snprintf(cpath, sizeof cpath, "/proc/%d/task/%ld/children", (int)pid, tid);
		if ((rc = read_children_file(cpath, exclude, out)) < 0)
			break;
	}
	closedir(d);
	return rc;
}

int tree_descendants(pid_t root, pid_t exclude, struct pid_list *out)
{
	size_t start = out->len;
	int rc = children_of(root, exclude, out, 1);
	/* Breadth-first: the list grows while it is walked. */
	for (size_t i = start; rc == 0 && i < out->len; i++)
		rc = children_of(out->pids[i], exclude, out, 0);
	return rc;
}
