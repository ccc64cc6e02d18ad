/* A minimal test harness: each test is a function taking the run state;
 * CHECK records a failure with its location and the test goes on. */
#ifndef NSENTRY_THARNESS_H
#define NSENTRY_THARNESS_H

#include <stdio.h>

struct trun {
	int passed, failed;
	int current_failed;
};

#define CHECK(t, cond)                                                               \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			(t)->current_failed = 1;                                     \
		}                                                                    \
	} while (0)

#define CHECKF(t, cond, ...)                                                         \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "  FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                \
			fputc('\n', stderr);                                         \
			(t)->current_failed = 1;                                     \
		}                                                                    \
	} while (0)

static inline void trun_one(struct trun *t, const char *name, void (*fn)(struct trun *))
{
	t->current_failed = 0;
	fn(t);
	if (t->current_failed) {
		t->failed++;
		fprintf(stderr, "FAIL %s\n", name);
	} else {
		t->passed++;
		printf("ok   %s\n", name);
	}
	fflush(stdout);
}

#define RUN(t, fn) trun_one(t, #fn, fn)

/* The line run_tests.sh adds up. */
static inline int trun_finish(struct trun *t)
{
	printf("%d passed, %d failed\n", t->passed, t->failed);
	return t->failed == 0 ? 0 : 1;
}

#endif
