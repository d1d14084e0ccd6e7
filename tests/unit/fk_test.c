/*
 * fk_test.c — the unit-test harness (see fk_test.h).
 */
#include "fk_test.h"

int fk_test_failures;

void fk_test_hexdiff(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	int shown = 0;
	for (size_t i = 0; i < n && shown < 8; i++) {
		if (x[i] != y[i]) {
			fprintf(stderr, "    byte %zu: %02x != %02x\n", i, x[i], y[i]);
			shown++;
		}
	}
}

int fk_test_main(const struct fk_test *tests, size_t n)
{
	int passed = 0, failed = 0;
	for (size_t i = 0; i < n; i++) {
		fk_test_failures = 0;
		tests[i].fn();
		if (fk_test_failures) {
			fprintf(stderr, "FAIL %s (%d checks)\n", tests[i].name,
				fk_test_failures);
			failed++;
		} else {
			printf("ok   %s\n", tests[i].name);
			passed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
