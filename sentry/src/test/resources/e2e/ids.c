/* Prints the ids the process sees: "uid=U euid=E gid=G egid=G2 groups=N". */
#include <stdio.h>
#include <unistd.h>

int main(void) {
    gid_t groups[256];
    int n = getgroups(256, groups);
    printf("uid=%u euid=%u gid=%u egid=%u groups=%d\n", getuid(), geteuid(), getgid(), getegid(), n);
    return 0;
}
