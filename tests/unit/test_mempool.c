/* test_mempool.c - the fixed-size node pool (mempool.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mempool.h"

static void
test_init_rejects(void **state)
{
	struct pool p;

	(void)state;
	assert_int_equal(pool_init(&p, 0, 0, 0), -EINVAL);
	assert_int_equal(pool_init(&p, 1 << 30, 0, 0), -EINVAL);
	assert_int_equal(pool_init(&p, 24, 0, 0), 0);
	assert_int_equal(pool_used(&p), 0);
	assert_int_equal(pool_bytes(&p), 0);	/* nothing allocated yet */
	pool_destroy(&p);
}

static void
test_alloc_zeroed_aligned_distinct(void **state)
{
	struct pool p;
	void *n[100];

	(void)state;
	assert_int_equal(pool_init(&p, 3, 7, 0), 0);	/* tiny nodes, small chunks */
	for (int i = 0; i < 100; i++) {
		assert_int_equal(pool_alloc(&p, &n[i]), 0);
		assert_int_equal((uintptr_t)n[i] % alignof(max_align_t), 0);
		for (int k = 0; k < 3; k++)
			assert_int_equal(((unsigned char *)n[i])[k], 0);
		memset(n[i], 0xa5, 3);
		for (int j = 0; j < i; j++)
			assert_ptr_not_equal(n[i], n[j]);
	}
	assert_int_equal(pool_used(&p), 100);
	assert_true(p.nchunks >= 100 / 7);
	pool_destroy(&p);
}

static void
test_free_recycles(void **state)
{
	struct pool p;
	void *a, *b, *c;

	(void)state;
	assert_int_equal(pool_init(&p, 64, 4, 0), 0);
	assert_int_equal(pool_alloc(&p, &a), 0);
	assert_int_equal(pool_alloc(&p, &b), 0);
	memset(b, 0xff, 64);
	pool_free(&p, b);
	pool_free(&p, NULL);	/* ignored */
	assert_int_equal(pool_used(&p), 1);
	assert_int_equal(pool_alloc(&p, &c), 0);
	assert_ptr_equal(c, b);	/* LIFO free list */
	for (int i = 0; i < 64; i++)
		assert_int_equal(((unsigned char *)c)[i], 0);	/* zeroed again */
	assert_int_equal(p.nchunks, 1);
	pool_destroy(&p);
	(void)a;
}

static void
test_cap(void **state)
{
	struct pool p;
	void *n[5], *extra;

	(void)state;
	assert_int_equal(pool_init(&p, 16, 2, 5), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(pool_alloc(&p, &n[i]), 0);
	assert_int_equal(pool_alloc(&p, &extra), -ENOSPC);
	assert_int_equal(p.total, 5);	/* the last chunk was cut to the cap */
	pool_free(&p, n[2]);
	assert_int_equal(pool_alloc(&p, &extra), 0);
	assert_ptr_equal(extra, n[2]);
	pool_destroy(&p);
}

static void
test_destroy_and_reuse(void **state)
{
	struct pool p;
	void *n;

	(void)state;
	assert_int_equal(pool_init(&p, 40, 0, 0), 0);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(pool_alloc(&p, &n), 0);
	assert_true(pool_bytes(&p) >= 5000 * 40);
	pool_destroy(&p);
	assert_int_equal(pool_used(&p), 0);
	assert_int_equal(pool_bytes(&p), 0);
	assert_int_equal(pool_init(&p, 40, 0, 0), 0);
	assert_int_equal(pool_alloc(&p, &n), 0);
	pool_destroy(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects),
		cmocka_unit_test(test_alloc_zeroed_aligned_distinct),
		cmocka_unit_test(test_free_recycles),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_destroy_and_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
