/* A uid_map opened before the map is written reads the map (seq_file: content made at read time). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    int p[2]; pipe(p);
    pid_t c = fork();
    if (c == 0) { char b; unshare(CLONE_NEWUSER); write(p[1], "x", 1); sleep(2); _exit(0); }
    char b; read(p[0], &b, 1);
    char path[64]; snprintf(path, sizeof path, "/proc/%d/uid_map", c);
    int r = open(path, O_RDONLY);             /* opened before the map is written */
    int w = open(path, O_WRONLY);
    char m[64]; snprintf(m, sizeof m, "0 %d 1\n", getuid());
    printf("write=%zd\n", write(w, m, strlen(m)));
    char buf[128] = {0}; ssize_t n = read(r, buf, sizeof buf - 1);
    printf("read=%zd [%s]\n", n, buf);
    n = read(r, buf, sizeof buf - 1); printf("again=%zd\n", n);
    kill(c, 9); waitpid(c, NULL, 0); return 0;
}
