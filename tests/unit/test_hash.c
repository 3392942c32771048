/* test_hash.c - the keyed chained hash table (hash.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hash.h"

/* Every key in bucket 0: one long chain. */
static uint64_t
collide(const uint8_t seed[HASH_SEED_SIZE], const void *data, size_t len)
{
	(void)seed;
	(void)data;
	(void)len;
	return 0;
}

/* Two values only: a few long chains, with equal hashes for unequal keys. */
static uint64_t
two_values(const uint8_t seed[HASH_SEED_SIZE], const void *data, size_t len)
{
	(void)seed;
	(void)len;
	return *(const uint32_t *)data & 1;
}

static void
test_siphash_vectors(void **state)
{
	uint8_t key[16], msg[64];

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	/* From the SipHash paper's reference implementation (vectors.h). */
	assert_true(hash_siphash(key, msg, 0) == 0x726fdb47dd0e0e31ULL);
	assert_true(hash_siphash(key, msg, 1) == 0x74f839c593dc67fdULL);
	assert_true(hash_siphash(key, msg, 8) == 0x93f5f5799a932462ULL);
	assert_true(hash_siphash(key, msg, 15) == 0xa129ca6149be45e5ULL);
	assert_true(hash_siphash(key, msg, 63) == 0x958a324ceb064572ULL);
}

static void
test_seed_is_random(void **state)
{
	struct hash a, b;
	uint32_t k = 42;

	(void)state;
	assert_int_equal(hash_init(&a, 4, 0, 0), 0);
	assert_int_equal(hash_init(&b, 4, 0, 0), 0);
	assert_memory_not_equal(a.seed, b.seed, HASH_SEED_SIZE);
	assert_true(a.fn(a.seed, &k, 4) != b.fn(b.seed, &k, 4));
	hash_destroy(&a);
	hash_destroy(&b);
}

static void
test_insert_get_remove(void **state)
{
	struct hash h;
	uint64_t key = 7;
	uint32_t *v, *again;

	(void)state;
	assert_int_equal(hash_init(&h, sizeof(key), sizeof(*v), 0), 0);
	assert_null(hash_get(&h, &key));
	assert_int_equal(hash_remove(&h, &key), -ENOENT);
	assert_int_equal(hash_insert(&h, &key, (void **)&v), 0);
	assert_int_equal(*v, 0);
	*v = 99;
	assert_int_equal(hash_insert(&h, &key, (void **)&again), -EEXIST);
	assert_ptr_equal(again, v);
	assert_ptr_equal(hash_get(&h, &key), v);
	assert_memory_equal(hash_key(&h, v), &key, sizeof(key));
	assert_int_equal(hash_count(&h), 1);
	assert_int_equal(hash_remove(&h, &key), 0);
	assert_null(hash_get(&h, &key));
	assert_int_equal(hash_count(&h), 0);
	hash_destroy(&h);
}

static void
test_bad_sizes(void **state)
{
	struct hash h;

	(void)state;
	assert_int_equal(hash_init(&h, 0, 4, 0), -EINVAL);
	assert_int_equal(hash_init(&h, 1 << 20, 4, 0), -EINVAL);
	assert_int_equal(hash_init(&h, 4, 1 << 20, 0), -EINVAL);
}

static void
test_collisions(void **state)
{
	struct hash h;
	uint32_t *v;

	(void)state;
	assert_int_equal(hash_init(&h, 4, 4, 0), 0);
	assert_int_equal(hash_set_function(&h, collide, NULL), 0);
	for (uint32_t k = 0; k < 200; k++) {
		assert_int_equal(hash_insert(&h, &k, (void **)&v), 0);
		*v = k * 3;
	}
	for (uint32_t k = 0; k < 200; k++) {
		v = hash_get(&h, &k);
		assert_non_null(v);
		assert_int_equal(*v, k * 3);
	}
	/* remove from the head, the middle and the tail of the one chain */
	for (uint32_t k = 0; k < 200; k += 2)
		assert_int_equal(hash_remove(&h, &k), 0);
	for (uint32_t k = 0; k < 200; k++)
		assert_true((hash_get(&h, &k) != NULL) == (k % 2 == 1));
	assert_int_equal(hash_count(&h), 100);
	hash_destroy(&h);
}

/* hash_val and hash_remove_val find an entry from its own key or value. */
static void
test_remove_by_value(void **state)
{
	struct hash h;
	uint32_t *v, *vals[200];

	(void)state;
	assert_int_equal(hash_init(&h, 4, 4, 0), 0);
	assert_int_equal(hash_set_function(&h, two_values, NULL), 0);
	for (uint32_t k = 0; k < 200; k++) {
		assert_int_equal(hash_insert(&h, &k, (void **)&vals[k]), 0);
		*vals[k] = k + 7;
		assert_ptr_equal(hash_val(&h, hash_key(&h, vals[k])), vals[k]);
	}
	/* the head, the middle and the tail of both chains */
	for (uint32_t k = 0; k < 200; k += 3)
		assert_int_equal(hash_remove_val(&h, vals[k]), 0);
	for (uint32_t k = 0; k < 200; k++) {
		v = hash_get(&h, &k);
		assert_true((v != NULL) == (k % 3 != 0));
		if (v)
			assert_int_equal(*v, k + 7);
	}
	assert_int_equal(hash_count(&h), 200 - 67);
	hash_destroy(&h);
}

static void
test_set_function_only_when_empty(void **state)
{
	struct hash h;
	uint32_t k = 1;
	void *v;

	(void)state;
	assert_int_equal(hash_init(&h, 4, 0, 0), 0);
	assert_int_equal(hash_insert(&h, &k, &v), 0);
	assert_int_equal(hash_set_function(&h, collide, NULL), -EBUSY);
	hash_destroy(&h);
}

static void
test_growth(void **state)
{
	struct hash h;
	size_t start;
	uint32_t *v;

	(void)state;
	assert_int_equal(hash_init(&h, 4, 4, 0), 0);
	start = h.nbuckets;
	for (uint32_t k = 0; k < 10000; k++) {
		assert_int_equal(hash_insert(&h, &k, (void **)&v), 0);
		*v = ~k;
	}
	assert_true(h.nbuckets > start);
	assert_true(h.count <= h.nbuckets);	/* load stays below 3/4 + 1 */
	for (uint32_t k = 0; k < 10000; k++) {
		v = hash_get(&h, &k);
		assert_non_null(v);
		assert_int_equal(*v, ~k);
	}
	assert_true(hash_bytes(&h) >= 10000 * 8);
	hash_destroy(&h);
}

static void
test_growth_keeps_colliding_entries(void **state)
{
	struct hash h;
	void *v;

	(void)state;
	assert_int_equal(hash_init(&h, 4, 0, 0), 0);
	assert_int_equal(hash_set_function(&h, two_values, NULL), 0);
	for (uint32_t k = 0; k < 1000; k++)
		assert_int_equal(hash_insert(&h, &k, &v), 0);
	for (uint32_t k = 0; k < 1000; k++)
		assert_non_null(hash_get(&h, &k));
	hash_destroy(&h);
}

static void
test_cap(void **state)
{
	struct hash h;
	void *v;

	(void)state;
	assert_int_equal(hash_init(&h, 4, 0, 3), 0);
	for (uint32_t k = 0; k < 3; k++)
		assert_int_equal(hash_insert(&h, &k, &v), 0);
	{
		uint32_t k = 3;

		assert_int_equal(hash_insert(&h, &k, &v), -ENOSPC);
		k = 1;
		assert_int_equal(hash_remove(&h, &k), 0);
		k = 3;
		assert_int_equal(hash_insert(&h, &k, &v), 0);
	}
	hash_destroy(&h);
}

/* Visit every entry exactly once, removing some as we go. */
static void
iterate_and_delete(hash_fn fn)
{
	struct hash h;
	struct hash_iter it;
	unsigned char seen[500] = { 0 };
	const void *key;
	void *v;
	size_t visits = 0;

	assert_int_equal(hash_init(&h, 4, 4, 0), 0);
	if (fn)
		assert_int_equal(hash_set_function(&h, fn, NULL), 0);
	for (uint32_t k = 0; k < 500; k++)
		assert_int_equal(hash_insert(&h, &k, &v), 0);
	hash_iter_init(&it);
	while (hash_next(&h, &it, &key, &v)) {
		uint32_t k;

		memcpy(&k, key, 4);
		assert_true(k < 500);
		assert_int_equal(seen[k], 0);
		seen[k] = 1;
		visits++;
		if (k % 3 != 0)
			assert_int_equal(hash_remove(&h, &k), 0);	/* the current entry */
	}
	assert_int_equal(visits, 500);
	assert_int_equal(hash_count(&h), 167);
	for (uint32_t k = 0; k < 500; k++)
		assert_true((hash_get(&h, &k) != NULL) == (k % 3 == 0));
	hash_destroy(&h);
}

static void
test_delete_during_iteration(void **state)
{
	(void)state;
	iterate_and_delete(NULL);
	iterate_and_delete(collide);
	iterate_and_delete(two_values);
}

static void
test_delete_all_during_iteration(void **state)
{
	struct hash h;
	struct hash_iter it;
	const void *key;
	uint32_t k;
	void *v;

	(void)state;
	assert_int_equal(hash_init(&h, 4, 0, 0), 0);
	for (k = 0; k < 64; k++)
		assert_int_equal(hash_insert(&h, &k, &v), 0);
	hash_iter_init(&it);
	while (hash_next(&h, &it, &key, NULL)) {
		memcpy(&k, key, 4);
		assert_int_equal(hash_remove(&h, &k), 0);
	}
	assert_int_equal(hash_count(&h), 0);
	hash_iter_init(&it);
	assert_false(hash_next(&h, &it, NULL, NULL));
	hash_destroy(&h);
}

static void
test_value_pointers_stable(void **state)
{
	struct hash h;
	uint64_t *first;
	void *v;
	uint32_t k = 0;

	(void)state;
	assert_int_equal(hash_init(&h, 4, 8, 0), 0);
	assert_int_equal(hash_insert(&h, &k, (void **)&first), 0);
	*first = 0x1122334455667788ULL;
	for (k = 1; k < 5000; k++)	/* many growths */
		assert_int_equal(hash_insert(&h, &k, &v), 0);
	k = 0;
	assert_ptr_equal(hash_get(&h, &k), first);
	assert_true(*first == 0x1122334455667788ULL);
	assert_int_equal((uintptr_t)first % 8, 0);
	hash_destroy(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_seed_is_random),
		cmocka_unit_test(test_insert_get_remove),
		cmocka_unit_test(test_bad_sizes),
		cmocka_unit_test(test_remove_by_value),
		cmocka_unit_test(test_collisions),
		cmocka_unit_test(test_set_function_only_when_empty),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_growth_keeps_colliding_entries),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_delete_during_iteration),
		cmocka_unit_test(test_delete_all_during_iteration),
		cmocka_unit_test(test_value_pointers_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
