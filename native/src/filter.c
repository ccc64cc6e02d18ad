#include "filter.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "filter_table.h"

#define FD_BAND_SIZE 128
#define FD_BAND_CEILING 1024

int fd_band_compute(struct fd_band *band, char *err, size_t err_len)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		snprintf(err, err_len, "getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
		return -1;
	}
	rlim_t top = rl.rlim_cur < FD_BAND_CEILING ? rl.rlim_cur : FD_BAND_CEILING;
	long base = (long)top - FD_BAND_SIZE;
	band->base = base < 3 ? 3 : (int)base;
	band->size = FD_BAND_SIZE;
	return 0;
}

/* One rule: notify when all of cmps hold. */
static int add_rule(scmp_filter_ctx ctx, int nr, const char *name, unsigned ncmp,
		    const struct scmp_arg_cmp *cmps, char *err, size_t err_len)
{
	int rc = seccomp_rule_add_array(ctx, SCMP_ACT_NOTIFY, nr, ncmp, cmps);
	if (rc < 0) {
		snprintf(err, err_len, "seccomp_rule_add(%s): %s", name, strerror(-rc));
		return -1;
	}
	return 0;
}

/* (u32)arg in [lo, hi): split into aligned power-of-two blocks, each one
 * masked compare on the low 32 bits. */
static int add_band_rules(scmp_filter_ctx ctx, int nr, const struct filter_entry *e,
			  const struct fd_band *band, char *err, size_t err_len)
{
	uint64_t lo = (uint32_t)band->base;
	uint64_t hi = lo + (uint64_t)band->size;
	while (lo < hi) {
		uint64_t blk = 1;
		while ((lo & (blk * 2 - 1)) == 0 && lo + blk * 2 <= hi && blk < (1ULL << 31))
			blk *= 2;
		struct scmp_arg_cmp c = SCMP_CMP(e->arg, SCMP_CMP_MASKED_EQ,
						  0xffffffffULL & ~(blk - 1), lo);
		if (add_rule(ctx, nr, e->name, 1, &c, err, err_len) < 0)
			return -1;
		lo += blk;
	}
	return 0;
}

static int add_entry(scmp_filter_ctx ctx, const struct filter_entry *e,
		     const struct fd_band *band, char *err, size_t err_len)
{
	int nr = seccomp_syscall_resolve_name(e->name);
	if (nr == __NR_SCMP_ERROR) {
		snprintf(err, err_len, "unknown system call in filter table: %s", e->name);
		return -1;
	}
	struct scmp_arg_cmp c;
	switch (e->cond) {
	case COND_ALWAYS:
		return add_rule(ctx, nr, e->name, 0, NULL, err, err_len);
	case COND_ANY_BIT:
		for (unsigned bit = 0; bit < 64; bit++) {
			uint64_t m = 1ULL << bit;
			if (!(e->mask & m))
				continue;
			c = (struct scmp_arg_cmp)SCMP_CMP(e->arg, SCMP_CMP_MASKED_EQ, m, m);
			if (add_rule(ctx, nr, e->name, 1, &c, err, err_len) < 0)
				return -1;
		}
		return 0;
	case COND_ONE_OF:
		for (size_t i = 0; i < e->nvalues; i++) {
			c = (struct scmp_arg_cmp)SCMP_CMP(e->arg, SCMP_CMP_MASKED_EQ,
							  0xffffffffULL, e->values[i]);
			if (add_rule(ctx, nr, e->name, 1, &c, err, err_len) < 0)
				return -1;
		}
		return 0;
	case COND_MASKED_EQ:
		c = (struct scmp_arg_cmp)SCMP_CMP(e->arg, SCMP_CMP_MASKED_EQ, e->mask, e->value);
		return add_rule(ctx, nr, e->name, 1, &c, err, err_len);
	case COND_FD_IN_BAND:
		return add_band_rules(ctx, nr, e, band, err, err_len);
	}
	snprintf(err, err_len, "bad condition %d for %s", (int)e->cond, e->name);
	return -1;
}

/* seccomp_export_bpf writes to an fd; read the program back from a memfd. */
int filter_export(scmp_filter_ctx ctx, struct sock_fprog *prog, char *err, size_t err_len)
{
	int fd = memfd_create("nsentry-bpf", MFD_CLOEXEC);
	if (fd < 0) {
		snprintf(err, err_len, "memfd_create: %s", strerror(errno));
		return -1;
	}
	int rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0) {
		snprintf(err, err_len, "seccomp_export_bpf: %s", strerror(-rc));
		goto fail;
	}
	off_t size = lseek(fd, 0, SEEK_END);
	if (size < 0) {
		snprintf(err, err_len, "lseek(bpf memfd): %s", strerror(errno));
		goto fail;
	}
	if (size == 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
	    size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
		snprintf(err, err_len, "seccomp_export_bpf: unexpected program size %lld bytes",
			 (long long)size);
		goto fail;
	}
	struct sock_filter *insns = malloc((size_t)size);
	if (insns == NULL) {
		snprintf(err, err_len, "malloc(%lld): %s", (long long)size, strerror(ENOMEM));
		goto fail;
	}
	ssize_t got = pread(fd, insns, (size_t)size, 0);
	if (got != size) {
		snprintf(err, err_len, "pread(bpf memfd): %s",
			 got < 0 ? strerror(errno) : "short read");
		free(insns);
		goto fail;
	}
	close(fd);
	prog->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	prog->filter = insns;
	return 0;
fail:
	close(fd);
	return -1;
}

int filter_build(const struct fd_band *band, enum filter_variant variant, struct sock_fprog *prog,
		 char *err, size_t err_len)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (ctx == NULL) {
		snprintf(err, err_len, "seccomp_init: failed");
		return -1;
	}
	int rc = -1;
	/* Only the native ABI is described by the table: calls through any other
	 * (i386 int 0x80, x32) kill the whole process. */
	int arc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (arc < 0) {
		snprintf(err, err_len, "seccomp_attr_set(ACT_BADARCH): %s", strerror(-arc));
		goto out;
	}
	/* A binary tree of syscall numbers instead of a linear chain: every
	 * syscall of the workload runs this program. */
	arc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (arc < 0) {
		snprintf(err, err_len, "seccomp_attr_set(CTL_OPTIMIZE): %s", strerror(-arc));
		goto out;
	}
	/* no_new_privs is set by filter_install itself. */
	arc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (arc < 0) {
		snprintf(err, err_len, "seccomp_attr_set(CTL_NNP): %s", strerror(-arc));
		goto out;
	}
	for (size_t i = 0; i < filter_table_len; i++)
		if (filter_entry_in(&filter_table[i], variant) &&
		    add_entry(ctx, &filter_table[i], band, err, err_len) < 0)
			goto out;
	rc = filter_export(ctx, prog, err, err_len);
out:
	seccomp_release(ctx);
	return rc;
}

void filter_prog_free(struct sock_fprog *prog)
{
	free(prog->filter);
	prog->filter = NULL;
	prog->len = 0;
}

int filter_install(const struct sock_fprog *prog, char *err, size_t err_len)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, err_len, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
		return -1;
	}
	/* libseccomp 2.5.4 cannot pass WAIT_KILLABLE_RECV, hence the raw call.
	 * Without it a signal can interrupt the wait after the sentry received
	 * the notification, racing its reply (spikes.md section 1). */
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			  SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
			  prog);
	if (fd < 0) {
		int e = errno;
		snprintf(err, err_len, "seccomp(SET_MODE_FILTER): %s%s", strerror(e),
			 e == EBUSY ? " (this process already runs under a seccomp notification "
				      "supervisor, such as another nsentry: a task can have only one)"
				    : e == EINVAL ? " (probably a kernel older than 5.19, without "
						    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)"
						  : "");
		return -1;
	}
	return (int)fd;
}
