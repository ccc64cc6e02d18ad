/* What the sentry emulates, as seccomp conditions. Edit here only.
 *
 * Conditional entries keep hot calls (read, write, ioctl, clone, ...) off the
 * notification path unless they concern something the sentry owns: namespace
 * flags, namespace ioctls, and the fd band where emulated files live. Integer
 * arguments that the kernel truncates to 32 bits (fds, prctl options) are
 * compared on their low 32 bits so garbage in the upper half cannot hide a
 * call from the filter. */
#include "filter_table.h"

#include <fcntl.h>
#include <string.h>

/* CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|
 * CLONE_NEWPID|CLONE_NEWNET */
#define CLONE_NEW_ANY 0x7E020000ULL
/* CLONE_VM|CLONE_FS|CLONE_PARENT|CLONE_THREAD: calls without namespace flags whose
 * validity depends on emulated state (a thread after unshare(CLONE_NEWPID), CLONE_PARENT
 * from a pid-namespace init) or that the model must see (a CLONE_FS-sharing sibling).
 * Plain fork() stays off the notification path. */
#define CLONE_MODEL_FLAGS 0x00018300ULL

/* PR_GET/SET_DUMPABLE (3, 4), PR_GET/SET_KEEPCAPS (7, 8), PR_CAPBSET_READ/DROP (23, 24),
 * PR_GET/SET_SECUREBITS (27, 28), PR_SET/GET_NO_NEW_PRIVS (38, 39), PR_CAP_AMBIENT (47).
 * Dumpable and no_new_privs are emulated because the shim really sets no_new_privs, and a
 * really non-dumpable workload would shut the sentry out of its memory and fds. */
static const uint32_t prctl_options[] = { 3, 4, 7, 8, 23, 24, 27, 28, 38, 39, 47 };

/* AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH: a stat of the link or fd itself */
#define STAT_REAL_FILE 0x1100ULL

/* NSIO ioctls: _IO(0xb7, n) */
#define NSIO_MASK 0xff00ULL
#define NSIO_TYPE 0xb700ULL

#define ALWAYS(n) { .name = n, .cond = COND_ALWAYS }
#define IN_BAND(n, a) { .name = n, .cond = COND_FD_IN_BAND, .arg = a }

const struct filter_entry filter_table[] = {
	/* credentials */
	ALWAYS("getuid"), ALWAYS("geteuid"), ALWAYS("getgid"), ALWAYS("getegid"),
	ALWAYS("getresuid"), ALWAYS("getresgid"), ALWAYS("getgroups"),
	ALWAYS("setuid"), ALWAYS("setgid"), ALWAYS("setreuid"), ALWAYS("setregid"),
	ALWAYS("setresuid"), ALWAYS("setresgid"), ALWAYS("setfsuid"), ALWAYS("setfsgid"),
	ALWAYS("setgroups"), ALWAYS("capget"), ALWAYS("capset"),
	{ .name = "prctl", .cond = COND_ONE_OF, .arg = 0,
	  .values = prctl_options, .nvalues = sizeof prctl_options / sizeof prctl_options[0] },

	/* namespaces and process creation */
	ALWAYS("unshare"), ALWAYS("setns"), ALWAYS("clone3"),
	{ .name = "clone", .cond = COND_ANY_BIT, .arg = 0, .mask = CLONE_NEW_ANY | CLONE_MODEL_FLAGS },
	ALWAYS("execve"), ALWAYS("execveat"),
	/* the sentry registers the process before it goes (orphans inherit its namespaces) */
	ALWAYS("exit_group"),

	/* UTS */
	ALWAYS("uname"), ALWAYS("sethostname"), ALWAYS("setdomainname"),

	/* filesystem view */
	ALWAYS("chroot"), ALWAYS("pivot_root"), ALWAYS("mount"), ALWAYS("umount2"),
	ALWAYS("readlink"), ALWAYS("readlinkat"), ALWAYS("openat2"),
	/* Stats that follow a final /proc/PID/ns/X link reach an emulated namespace.
	 * The others (lstat, fstat, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH) see a real
	 * file, whose owners only tasks in a nested user namespace must see
	 * translated: by default those tasks carry the owner filter (owners.c) as
	 * well; with --debuggable every form but fstat goes to the sentry. */
	ALWAYS("stat"),
	{ .name = "newfstatat", .variants = VARIANT_OWNER_TRACER, .cond = COND_MASKED_EQ, .arg = 3,
	  .mask = STAT_REAL_FILE, .value = 0 },
	{ .name = "newfstatat", .variants = VARIANT_OWNER_TRACER, .cond = COND_FD_IN_BAND, .arg = 0 },
	{ .name = "statx", .variants = VARIANT_OWNER_TRACER, .cond = COND_MASKED_EQ, .arg = 2,
	  .mask = STAT_REAL_FILE, .value = 0 },
	{ .name = "statx", .variants = VARIANT_OWNER_TRACER, .cond = COND_FD_IN_BAND, .arg = 0 },
	{ .name = "lstat", .variants = VARIANT_DEBUGGABLE, .cond = COND_ALWAYS },
	{ .name = "newfstatat", .variants = VARIANT_DEBUGGABLE, .cond = COND_ALWAYS },
	{ .name = "statx", .variants = VARIANT_DEBUGGABLE, .cond = COND_ALWAYS },
	/* Every open but O_DIRECTORY ones (no emulated file is a directory),
	 * O_CREAT|O_EXCL ones (EEXIST for every existing file, emulated or not) and
	 * O_PATH ones (the sentry gives every O_PATH open to the kernel: such an fd
	 * reads nothing, and setns/ioctl refuse it; ProcFileCalls.doOpen). */
	{ .name = "open", .cond = COND_MASKED_EQ, .arg = 1,
	  .mask = O_DIRECTORY | O_CREAT | O_PATH, .value = 0 },
	{ .name = "open", .cond = COND_MASKED_EQ, .arg = 1,
	  .mask = O_DIRECTORY | O_CREAT | O_EXCL | O_PATH, .value = O_CREAT },
	{ .name = "openat", .cond = COND_MASKED_EQ, .arg = 2,
	  .mask = O_DIRECTORY | O_CREAT | O_PATH, .value = 0 },
	{ .name = "openat", .cond = COND_MASKED_EQ, .arg = 2,
	  .mask = O_DIRECTORY | O_CREAT | O_EXCL | O_PATH, .value = O_CREAT },
	/* creat(path, mode) is open(path, O_CREAT|O_WRONLY|O_TRUNC, mode): a "> FILE" */
	ALWAYS("creat"),

	/* namespace files and the emulated-file band */
	{ .name = "ioctl", .cond = COND_MASKED_EQ, .arg = 1, .mask = NSIO_MASK, .value = NSIO_TYPE },
	IN_BAND("ioctl", 0),
	IN_BAND("read", 0), IN_BAND("write", 0), IN_BAND("pread64", 0), IN_BAND("pwrite64", 0),
	IN_BAND("readv", 0), IN_BAND("writev", 0), IN_BAND("lseek", 0), IN_BAND("fstat", 0),
	IN_BAND("fstatfs", 0), IN_BAND("fchmod", 0), IN_BAND("fchown", 0),
	IN_BAND("ftruncate", 0),
	/* a dup of a writable emulated file (a shell's "echo ... > uid_map") leaves the band */
	IN_BAND("dup2", 0), IN_BAND("dup3", 0), IN_BAND("fcntl", 0),
};

const size_t filter_table_len = sizeof filter_table / sizeof filter_table[0];

int filter_entry_in(const struct filter_entry *e, enum filter_variant variant)
{
	return e->variants == 0 || (e->variants & variant) != 0;
}

size_t filter_table_names(enum filter_variant variant, const char **names, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < filter_table_len && n < max; i++) {
		if (!filter_entry_in(&filter_table[i], variant))
			continue;
		int seen = 0;
		for (size_t j = 0; j < n && !seen; j++)
			seen = strcmp(names[j], filter_table[i].name) == 0;
		if (!seen)
			names[n++] = filter_table[i].name;
	}
	return n;
}
