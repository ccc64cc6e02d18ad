/* Multithreaded workload: N threads each make intercepted (getuid, getresuid) and
 * plain (getpid) calls and check every answer; prints "ok N" or the first mismatch. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define THREADS 8
#define ROUNDS 2000

static uid_t expected;
static volatile int failures;

static void *work(void *arg) {
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        uid_t r, e, s;
        if (getuid() != expected || getresuid(&r, &e, &s) != 0 || r != expected || e != expected) {
            __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
            return NULL;
        }
        (void)getpid();
    }
    return NULL;
}

int main(void) {
    pthread_t t[THREADS];
    expected = getuid();
    for (int i = 0; i < THREADS; i++) {
        if (pthread_create(&t[i], NULL, work, NULL) != 0) {
            perror("pthread_create");
            return 2;
        }
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
    }
    if (failures) {
        printf("failures %d\n", failures);
        return 1;
    }
    printf("ok %d\n", THREADS * ROUNDS);
    return 0;
}
