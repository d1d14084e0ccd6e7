/*
 * fk_test.h — a very small unit-test harness.
 *
 * A test file defines functions and lists them in FK_TESTS; fk_test_main
 * runs each, counts failed checks, and ends with the line
 * "N passed, N failed" that CI reads.
 */
#ifndef FK_TEST_H
#define FK_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

extern int fk_test_failures; /* failed checks in the current test */

#define FK_CHECK(cond)                                                      \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__,     \
				__LINE__, #cond);                           \
			fk_test_failures++;                                 \
		}                                                           \
	} while (0)

#define FK_CHECK_EQ(a, b)                                                   \
	do {                                                                \
		long long fk_a_ = (long long)(a), fk_b_ = (long long)(b);   \
		if (fk_a_ != fk_b_) {                                       \
			fprintf(stderr, "  FAIL %s:%d: %s == %s (%lld != %lld)\n", \
				__FILE__, __LINE__, #a, #b, fk_a_, fk_b_);  \
			fk_test_failures++;                                 \
		}                                                           \
	} while (0)

#define FK_CHECK_MEM(a, b, n)                                               \
	do {                                                                \
		if (memcmp((a), (b), (n)) != 0) {                           \
			fprintf(stderr, "  FAIL %s:%d: bytes of %s != %s\n", \
				__FILE__, __LINE__, #a, #b);                \
			fk_test_hexdiff((a), (b), (n));                     \
			fk_test_failures++;                                 \
		}                                                           \
	} while (0)

struct fk_test {
	const char *name;
	void (*fn)(void);
};

#define FK_TEST(fn) { #fn, fn }

void fk_test_hexdiff(const void *a, const void *b, size_t n);
int fk_test_main(const struct fk_test *tests, size_t n);

#endif
