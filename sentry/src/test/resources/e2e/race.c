/* Races against the sentry (issue 9, item 2). Each mode prints "ok ..." with counts, or
 * "FAIL ..." lines for every outcome Linux would not give, and exits 1 on any FAIL.
 *
 *   race pathflip SECONDS     a thread rewrites the path buffer while another thread's
 *                             openat of it is being handled (inside a new user namespace)
 *   race fdswap SECONDS       an fd number is closed and reused (other UTS ns, a user ns,
 *                             a plain file) while another thread setns()es to it
 *   race pidreuse ROUNDS      /proc/<pid>/ns/uts of an exited task whose pid is reused by a
 *                             task in the initial namespaces (root only: ns_last_pid)
 *   race forkcred ROUNDS      a task forks and at once changes its credentials and UTS
 *                             namespace; each child must see the state at its fork
 *   race execforge ROUNDS     an execve of a set-user-id-root program fails (bad envp), then
 *                             the task overwrites its AT_RANDOM bytes (alone, with a thread
 *                             flipping them, with address randomisation off, after the
 *                             failed exec came from another thread) as an exec would have:
 *                             its credentials must stay what they were
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

static int failures;
#define FAIL(...) do { printf("FAIL " __VA_ARGS__); printf("\n"); failures++; } while (0)

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static ino_t ino_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

static ino_t fd_ino(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

/* ------------------------------------------------------------------ pathflip */

static char flip_buf[64] __attribute__((aligned(64)));
static atomic_int stop;
static const char *flip_other = "/proc/self/ns/uts\0";

static void *flipper(void *arg)
{
	(void)arg;
	/* same length: a torn read is a mix of the two (usually naming nothing) */
	const char *a = "/proc/self/ns/user";
	const char *b = flip_other;
	while (!atomic_load(&stop)) {
		memcpy(flip_buf, a, 19);
		memcpy(flip_buf, b, 19);
	}
	return NULL;
}

static int pathflip(double seconds)
{
	ino_t real_user = ino_of("/proc/self/ns/user");
	ino_t real_uts = ino_of("/proc/self/ns/uts");
	ino_t hostname = ino_of("/etc//////hostname");
	if (syscall(SYS_unshare, CLONE_NEWUSER | CLONE_NEWUTS) < 0) {
		printf("FAIL unshare: %s\n", strerror(errno));
		return 1;
	}
	ino_t user = ino_of("/proc/self/ns/user");
	ino_t uts = ino_of("/proc/self/ns/uts");
	if (user == real_user || uts == real_uts)
		FAIL("pathflip: the new namespaces have the old inodes");
	strcpy(flip_buf, "/proc/self/ns/user");
	pthread_t t;
	pthread_create(&t, NULL, flipper, NULL);
	long opens = 0, emulated = 0, real_initial = 0, errors = 0;
	double end = now() + seconds;
	while (now() < end) {
		int fd = open(flip_buf, O_RDONLY);
		if (fd < 0) {
			if (errno == ENOTDIR || errno == ENOENT) {
				errors++;
				continue;
			}
			/* a torn string ("/proc/self/ns/use" + "r"/"\0"...) may name nothing */
			if (errno != ENOENT)
				FAIL("pathflip: open: %s", strerror(errno));
			errors++;
			continue;
		}
		opens++;
		ino_t ino = fd_ino(fd);
		if (ino == user || ino == uts) {
			emulated++;
		} else if (ino == real_user || ino == real_uts) {
			/* The sentry let the kernel open a path it had read as something else and
			 * the kernel read it again (SECURITY.md: lexical /proc interception). The fd
			 * names a host initial namespace; joining it must still be refused. */
			real_initial++;
			if (syscall(SYS_setns, fd, 0) == 0)
				FAIL("pathflip: setns to a host initial namespace from an emulated user ns succeeded");
		} else if (ino == hostname && hostname != 0) {
			emulated++;
		} else {
			FAIL("pathflip: open gave inode %lu, none of the four namespaces", (unsigned long)ino);
		}
		close(fd);
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	if (ino_of("/proc/self/ns/user") != user || ino_of("/proc/self/ns/uts") != uts)
		FAIL("pathflip: the task's namespaces changed");
	if (getuid() != 65534)
		FAIL("pathflip: uid %u in an unmapped user namespace", getuid());
	printf("ok pathflip opens=%ld emulated=%ld host-initial=%ld enoent=%ld\n", opens, emulated, real_initial, errors);
	return failures != 0;
}

/* ------------------------------------------------------------------ fdswap */

#define SWAP_FD 200
static int swap_sources[4];

static void *swapper(void *arg)
{
	(void)arg;
	unsigned i = 0;
	while (!atomic_load(&stop)) {
		/* dup2 replaces the file atomically; every 8th round the number is closed first */
		if (i % 8 == 7)
			close(SWAP_FD);
		dup2(swap_sources[i++ % 4], SWAP_FD);
	}
	return NULL;
}

static int fdswap(double seconds)
{
	/* Two emulated UTS namespaces with known hostnames, a user ns, a plain file. */
	if (syscall(SYS_unshare, CLONE_NEWUSER) < 0) {
		printf("FAIL unshare user: %s\n", strerror(errno));
		return 1;
	}
	int home_uts = open("/proc/self/ns/uts", O_RDONLY);
	ino_t uts_ino[2];
	for (int k = 0; k < 2; k++) {
		if (syscall(SYS_unshare, CLONE_NEWUTS) < 0) {
			printf("FAIL unshare uts: %s\n", strerror(errno));
			return 1;
		}
		sethostname(k ? "uts-two" : "uts-one", 7);
		swap_sources[k] = open("/proc/self/ns/uts", O_RDONLY);
		uts_ino[k] = fd_ino(swap_sources[k]);
	}
	swap_sources[2] = open("/proc/self/ns/user", O_RDONLY);
	swap_sources[3] = open("/etc/hostname", O_RDONLY);
	syscall(SYS_setns, home_uts, CLONE_NEWUTS);
	pthread_t t;
	pthread_create(&t, NULL, swapper, NULL);
	long calls = 0, joined = 0, refused = 0;
	double end = now() + seconds;
	while (now() < end) {
		calls++;
		long r = syscall(SYS_setns, SWAP_FD, CLONE_NEWUTS);
		ino_t ino = ino_of("/proc/thread-self/ns/uts");
		struct utsname u;
		uname(&u);
		if (r == 0) {
			joined++;
			int k = ino == uts_ino[0] ? 0 : ino == uts_ino[1] ? 1 : -1;
			if (k < 0)
				FAIL("fdswap: setns succeeded into inode %lu, neither UTS namespace", (unsigned long)ino);
			else if (strcmp(u.nodename, k ? "uts-two" : "uts-one") != 0)
				FAIL("fdswap: in UTS ns %d the hostname is '%s'", k, u.nodename);
		} else {
			refused++;
			if (errno != EINVAL && errno != EBADF)
				FAIL("fdswap: setns: %s (want EINVAL or EBADF)", strerror(errno));
		}
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	if (calls >= 200 && (joined == 0 || refused == 0))
		FAIL("fdswap: %ld calls, %ld joined, %ld refused: the race was not exercised", calls, joined, refused);
	printf("ok fdswap calls=%ld joined=%ld refused=%ld\n", calls, joined, refused);
	return failures != 0;
}

/* ------------------------------------------------------------------ pidreuse */

static int pidreuse(int rounds)
{
	ino_t host_uts = ino_of("/proc/self/ns/uts");
	char hostname[128];
	gethostname(hostname, sizeof hostname);
	int reused = 0;
	for (int i = 0; i < rounds; i++) {
		int p1[2], p2[2];
		pipe(p1);
		pid_t c1 = fork();
		if (c1 == 0) {
			if (syscall(SYS_unshare, CLONE_NEWUSER | CLONE_NEWUTS) < 0)
				_exit(3);
			sethostname("old-task", 8);
			ino_t ino = ino_of("/proc/self/ns/uts");
			write(p1[1], &ino, sizeof ino);
			_exit(0);
		}
		ino_t old_ino = 0;
		read(p1[0], &old_ino, sizeof old_ino);
		close(p1[0]);
		close(p1[1]);
		int st;
		waitpid(c1, &st, 0);
		/* make the next fork get c1's pid */
		int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
		if (fd < 0) {
			printf("skip pidreuse: ns_last_pid: %s\n", strerror(errno));
			return 0;
		}
		char num[32];
		int n = snprintf(num, sizeof num, "%d", c1 - 1);
		pipe(p2);
		write(fd, num, n);
		pid_t c2 = fork();
		if (c2 == 0) {
			close(p2[1]);
			char x;
			read(p2[0], &x, 1); /* stay alive while the parent looks at /proc/<pid>/ns */
			_exit(0);
		}
		close(fd);
		close(p2[0]);
		if (c2 == c1) {
			reused++;
			char path[64];
			snprintf(path, sizeof path, "/proc/%d/ns/uts", c2);
			ino_t seen = ino_of(path);
			int nsfd = open(path, O_RDONLY);
			ino_t opened = nsfd >= 0 ? fd_ino(nsfd) : 0;
			if (seen != host_uts || opened != host_uts)
				FAIL("pidreuse: /proc/%d/ns/uts of the new task is inode %lu/%lu; the exited task's was %lu,"
				     " the host's is %lu", c2, (unsigned long)seen, (unsigned long)opened,
				     (unsigned long)old_ino, (unsigned long)host_uts);
			if (nsfd >= 0) {
				/* joining it must give the host's hostname, not the old task's */
				pid_t c3 = fork();
				if (c3 == 0) {
					struct utsname u;
					if (syscall(SYS_setns, nsfd, CLONE_NEWUTS) == 0 && uname(&u) == 0
					    && strcmp(u.nodename, "old-task") == 0)
						_exit(4);
					_exit(0);
				}
				waitpid(c3, &st, 0);
				if (WEXITSTATUS(st) == 4)
					FAIL("pidreuse: joined the exited task's UTS namespace through the new task's pid");
				close(nsfd);
			}
		}
		close(p2[1]);
		waitpid(c2, &st, 0);
	}
	printf("ok pidreuse rounds=%d reused=%d\n", rounds, reused);
	return failures != 0;
}

/* ------------------------------------------------------------------ forkcred */

static int forkcred(int rounds)
{
	/* Needs emulated or real privilege: run with --root, or as root. */
	if (syscall(SYS_unshare, CLONE_NEWUTS) < 0) {
		printf("FAIL unshare uts: %s\n", strerror(errno));
		return 1;
	}
	uid_t base = getuid();
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct full[2], dropped[2];
	syscall(SYS_capget, &h, full);
	memcpy(dropped, full, sizeof full);
	dropped[0].effective &= ~(1u << 13); /* CAP_NET_RAW */
	int bad = 0;
	for (int i = 0; i < rounds; i++) {
		unsigned want = i % 2 ? dropped[0].effective : full[0].effective;
		char name[32];
		snprintf(name, sizeof name, "round-%d", i);
		if (sethostname(name, strlen(name)) < 0)
			FAIL("forkcred: sethostname: %s", strerror(errno));
		if (syscall(SYS_capset, &h, i % 2 ? dropped : full) < 0)
			FAIL("forkcred: capset: %s", strerror(errno));
		int p[2];
		pipe(p);
		pid_t c = fork();
		if (c == 0) {
			uid_t r, e, s;
			syscall(SYS_getresuid, &r, &e, &s);
			struct __user_cap_data_struct d[2];
			syscall(SYS_capget, &h, d);
			struct utsname u;
			uname(&u);
			char msg[160];
			int n = snprintf(msg, sizeof msg, "%u %u %u %#x %s", r, e, s, d[0].effective, u.nodename);
			write(p[1], msg, n);
			_exit(0);
		}
		/* at once, before the child's first call: change the caps, move to a new UTS ns */
		if (syscall(SYS_capset, &h, i % 2 ? full : dropped) < 0)
			FAIL("forkcred: capset after fork: %s", strerror(errno));
		if (syscall(SYS_unshare, CLONE_NEWUTS) < 0)
			FAIL("forkcred: unshare: %s", strerror(errno));
		sethostname("changed", 7);
		close(p[1]);
		char msg[160] = { 0 };
		read(p[0], msg, sizeof msg - 1);
		close(p[0]);
		int st;
		waitpid(c, &st, 0);
		char expect[160];
		snprintf(expect, sizeof expect, "%u %u %u %#x %s", base, base, base, want, name);
		if (strcmp(msg, expect) != 0 && bad++ < 10)
			FAIL("forkcred: child of round %d saw '%s', want '%s'", i, msg, expect);
	}
	printf("ok forkcred rounds=%d\n", rounds);
	return failures != 0;
}

/* ---- execforge */

static const char *setuid_root_program(void)
{
	static const char *const candidates[] = { "/usr/bin/newuidmap", "/usr/bin/passwd", "/usr/bin/su", "/bin/su" };
	for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
		struct stat st;
		if (stat(candidates[i], &st) == 0 && (st.st_mode & S_ISUID) && st.st_uid == 0)
			return candidates[i];
	}
	return NULL;
}

static atomic_int flipping;

static void *flip_random(void *arg)
{
	unsigned char *r = arg;
	for (unsigned char v = 0; atomic_load(&flipping); v++)
		memset(r, v, 16);
	return NULL;
}

static const char *forge_prog;
static long forge_rc;
static int forge_errno;

static void *failed_exec(void *arg)
{
	(void)arg;
	char *argv[] = { (char *)forge_prog, "--version", NULL };
	forge_rc = syscall(SYS_execve, forge_prog, argv, (char **)1); /* envp unreadable: EFAULT */
	forge_errno = errno;
	return NULL;
}

/* One round in a child: the failed exec (variant 3: from another thread, so the process
 * would go on under the leader's tid had it succeeded), the forgery, then the credentials. */
static int execforge_child(const char *prog, int variant)
{
	uid_t r0, e0, s0, r1, e1, s1;
	syscall(SYS_getresuid, &r0, &e0, &s0);
	unsigned char *random = (unsigned char *)getauxval(AT_RANDOM);
	forge_prog = prog;
	if (variant == 3) {
		pthread_t ex;
		pthread_create(&ex, NULL, failed_exec, NULL);
		pthread_join(ex, NULL);
	} else {
		failed_exec(NULL);
	}
	long rc = forge_rc;
	errno = forge_errno;
	if (rc != -1 || errno != EFAULT) {
		printf("FAIL execforge: execve with a bad envp gave %ld (%s), want EFAULT\n", rc, strerror(errno));
		return 1;
	}
	pthread_t t;
	if (variant == 1) {
		atomic_store(&flipping, 1);
		pthread_create(&t, NULL, flip_random, random);
	} else {
		for (int i = 0; i < 16; i++)
			random[i] ^= 0x5a;
	}
	syscall(SYS_getresuid, &r1, &e1, &s1);
	if (variant == 1) {
		atomic_store(&flipping, 0);
		pthread_join(t, NULL);
	}
	if (r1 != r0 || e1 != e0 || s1 != s0) {
		printf("FAIL execforge: variant %d: ids %u %u %u after a failed exec, were %u %u %u\n", variant, r1, e1,
		       s1, r0, e0, s0);
		return 1;
	}
	return 0;
}

static int execforge(int rounds)
{
	const char *prog = setuid_root_program();
	if (prog == NULL) {
		printf("ok execforge skipped: no set-user-id-root program\n");
		return 0;
	}
	int bad = 0;
	for (int i = 0; i < rounds; i++) {
		int variant = i % 4; /* 0: overwrite, 1: a thread flipping, 2: overwrite, ASLR off, 3: exec from a thread */
		fflush(stdout);
		pid_t c = fork();
		if (c == 0) {
			if (variant == 2 && personality(ADDR_NO_RANDOMIZE) < 0)
				_exit(3);
			_exit(execforge_child(prog, variant));
		}
		int st;
		waitpid(c, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			if (bad++ < 10)
				FAIL("execforge: round %d (variant %d) child status %#x", i, variant, st);
		}
	}
	printf("ok execforge rounds=%d program=%s\n", rounds, prog);
	return failures != 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: race pathflip|fdswap|pidreuse|forkcred|execforge N\n");
		return 2;
	}
	double n = atof(argv[2]);
	int rc;
	if (strcmp(argv[1], "pathflip") == 0) {
		rc = pathflip(n);
	} else if (strcmp(argv[1], "pathflip-file") == 0) {
		flip_other = "/etc//////hostname"; /* a path the sentry lets the kernel open */
		rc = pathflip(n);
	}
	else if (strcmp(argv[1], "fdswap") == 0)
		rc = fdswap(n);
	else if (strcmp(argv[1], "pidreuse") == 0)
		rc = pidreuse((int)n);
	else if (strcmp(argv[1], "forkcred") == 0)
		rc = forkcred((int)n);
	else if (strcmp(argv[1], "execforge") == 0)
		rc = execforge((int)n);
	else
		return 2;
	return rc || failures ? 1 : 0;
}
