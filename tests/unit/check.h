/*
 * check: the smallest harness that keeps a unit test readable.
 *
 * CHECK(cond) reports file:line and the expression when cond is false, and
 * counts the failure; CHECK_STR(actual, expected) also shows both strings.
 * RUN(test_fn) calls one test function and prints "ok" or "FAIL" with its
 * name. COUNT_OF(array) is how many elements a table of cases holds. main()
 * ends with `return check_result();`, which is 1 when any check failed.
 */
#ifndef CW_CHECK_H
#define CW_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;

#define COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))

#define CHECK(cond)                                                                  \
	((cond) ? (void)0                                                            \
		: (void)(check_failures++,                                           \
			 fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond)))

#define CHECK_STR(actual, expected)                                                  \
	do {                                                                         \
		const char *a_ = (actual), *e_ = (expected);                         \
		if (a_ == NULL || e_ == NULL ? a_ != e_ : strcmp(a_, e_) != 0) {     \
			check_failures++;                                            \
			fprintf(stderr, "%s:%d: CHECK_STR(%s, %s) failed: got \"%s\", want \"%s\"\n", \
				__FILE__, __LINE__, #actual, #expected, a_ ? a_ : "(null)", \
				e_ ? e_ : "(null)");                                 \
		}                                                                    \
	} while (0)

#define RUN(test)                                                                    \
	do {                                                                         \
		int before_ = check_failures;                                        \
		test();                                                              \
		printf("%s %s\n", check_failures == before_ ? "ok  " : "FAIL", #test); \
		fflush(stdout);                                                      \
	} while (0)

static inline int check_result(void)
{
	if (check_failures)
		fprintf(stderr, "%d check(s) failed\n", check_failures);
	return check_failures ? 1 : 0;
}

#endif
