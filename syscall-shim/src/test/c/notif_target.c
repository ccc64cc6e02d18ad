/*
 * notif_target: a tiny workload for the syscall-shim tests and the NotifLatency
 * benchmark. It installs a seccomp filter that sends getppid(2) to a user-notification
 * listener (SECCOMP_FILTER_FLAG_NEW_LISTENER), prints "listener <fd>", and waits for a
 * line on stdin: meanwhile the Java side takes the listener with pidfd_open +
 * pidfd_getfd. Then it closes its own copy and makes getppid calls whose arguments
 * and results the tests check.
 *
 *   notif_target values N   getppid(i, "/path/i", 0x1122334455667788) for i < N; prints "i ret errno"
 *   notif_target addfd      getppid(-1) and getppid(77): the answers are injected fds; prints fstat of each
 *   notif_target paths      getppid(kind, ptr) for the readPath corner cases; prints "kind ret errno"
 *   notif_target hang       one getppid(); the test kills it while it waits
 *   notif_target bench N    N timed getppid calls; prints "median_ns p99_ns min_ns"
 *
 * Only getppid is filtered, so stdio, mmap etc. run normally. No libseccomp: the BPF
 * program is four instructions.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/audit.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
    fprintf(stderr, "notif_target: %s: %s\n", what, strerror(errno));
    exit(2);
}

static int install_filter(void) {
    struct sock_filter insns[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { .len = sizeof(insns) / sizeof(insns[0]), .filter = insns };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        die("prctl(PR_SET_NO_NEW_PRIVS)");
    int fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (fd < 0)
        die("seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER)");
    return fd;
}

static long notified(long a0, long a1, long a2, int *err) {
    errno = 0;
    long r = syscall(SYS_getppid, a0, a1, a2, 0L, 0L, 0L);
    *err = r < 0 ? errno : 0;
    return r;
}

static void mode_values(long n) {
    char path[64];
    for (long i = 0; i < n; i++) {
        int err;
        snprintf(path, sizeof path, "/path/%ld", i);
        long r = notified(i, (long)path, 0x1122334455667788L, &err);
        printf("%ld %ld %d\n", i, r, err);
    }
}

static void print_fd(const char *tag, long fd, int err) {
    if (fd < 0) {
        printf("%s error %d\n", tag, err);
        return;
    }
    struct stat st;
    if (fstat((int)fd, &st) < 0)
        die("fstat");
    char buf[64] = {0};
    ssize_t n = pread((int)fd, buf, sizeof buf - 1, 0);
    int fdflags = fcntl((int)fd, F_GETFD);
    printf("%s fd %ld ino %lu size %ld cloexec %d content %s\n", tag, fd, (unsigned long)st.st_ino,
           (long)st.st_size, (fdflags & FD_CLOEXEC) ? 1 : 0, n > 0 ? buf : "-");
}

static void mode_addfd(void) {
    int err;
    long r = notified(-1, 0, 0, &err);
    print_fd("lowest", r, err);
    r = notified(77, 0, 0, &err);
    print_fd("at77", r, err);
}

static void mode_paths(void) {
    long page = sysconf(_SC_PAGESIZE);
    char *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (two == MAP_FAILED)
        die("mmap");
    if (munmap(two + page, page) < 0)
        die("munmap");
    static char big[8192];
    memset(big, 'a', 5000);               /* 5000 bytes, no NUL in the first 4096 */
    static char exact[4096];
    memset(exact, 'b', 4095);             /* 4095 bytes + NUL: the longest valid path */
    exact[4095] = 0;
    static char writable[64] = "original";
    const char *tail = "/end/of/page";
    size_t tl = strlen(tail) + 1;
    memcpy(two + page - tl, tail, tl);    /* NUL is the last byte before the hole */
    char *unterminated = two + page - 8;  /* runs into the hole */
    int err;
    long r;
    r = notified(1, 1L, 0, &err);                       printf("1 %ld %d\n", r, err);
    r = notified(2, (long)big, 0, &err);                printf("2 %ld %d\n", r, err);
    r = notified(3, (long)(two + page - tl), 0, &err);  printf("3 %ld %d\n", r, err);
    memset(unterminated, 'x', 8);
    r = notified(4, (long)unterminated, 0, &err);       printf("4 %ld %d\n", r, err);
    r = notified(5, (long)exact, 0, &err);              printf("5 %ld %d\n", r, err);
    r = notified(6, (long)writable, (long)sizeof writable, &err);
    printf("6 %ld %d %s\n", r, err, writable);
}

static int cmp_long(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

static void mode_bench(long n) {
    long *t = calloc((size_t)n, sizeof *t);
    if (!t)
        die("calloc");
    int err;
    for (long i = 0; i < n / 10 + 100; i++)   /* warm-up (JIT on the other side) */
        notified(0, 0, 0, &err);
    for (long i = 0; i < n; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        notified(1, 0, 0, &err);
        clock_gettime(CLOCK_MONOTONIC, &b);
        t[i] = (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec);
    }
    qsort(t, (size_t)n, sizeof *t, cmp_long);
    printf("%ld %ld %ld\n", t[n / 2], t[(n * 99) / 100], t[0]);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: notif_target values N | addfd | paths | hang | bench N\n");
        return 2;
    }
    long n = argc > 2 ? atol(argv[2]) : 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    int listener = install_filter();
    printf("listener %d\n", listener);
    char line[16];
    if (!fgets(line, sizeof line, stdin))
        die("reading go from stdin");
    close(listener);   /* the sentry holds its own copy now */
    if (strcmp(argv[1], "values") == 0)
        mode_values(n);
    else if (strcmp(argv[1], "addfd") == 0)
        mode_addfd();
    else if (strcmp(argv[1], "paths") == 0)
        mode_paths();
    else if (strcmp(argv[1], "hang") == 0) {
        int err;
        long r = notified(0, 0, 0, &err);
        printf("hang %ld %d\n", r, err);
    } else if (strcmp(argv[1], "bench") == 0)
        mode_bench(n > 0 ? n : 10000);
    else {
        fprintf(stderr, "unknown mode %s\n", argv[1]);
        return 2;
    }
    printf("done\n");
    return 0;
}
