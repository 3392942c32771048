/* test_tunables.c - the GLIBC_TUNABLES value of the listener's re-exec (tunables.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tunables.h"

static char out[TUNABLES_MAX];

static void
test_unset_or_empty(void **state)
{
	(void)state;
	assert_int_equal(tunables_add_tcache_off(NULL, out, sizeof(out)), 1);
	assert_string_equal(out, "glibc.malloc.tcache_count=0");
	assert_int_equal(tunables_add_tcache_off("", out, sizeof(out)), 1);
	assert_string_equal(out, "glibc.malloc.tcache_count=0");
}

static void
test_others_kept(void **state)
{
	(void)state;
	assert_int_equal(tunables_add_tcache_off("glibc.malloc.trim_threshold=131072:"
						 "glibc.malloc.tcache_max=64", out, sizeof(out)), 1);
	assert_string_equal(out, "glibc.malloc.trim_threshold=131072:glibc.malloc.tcache_max=64:"
			    "glibc.malloc.tcache_count=0");
	/* a name that only begins like ours is another tunable */
	assert_int_equal(tunables_add_tcache_off("glibc.malloc.tcache_countx=1", out,
						 sizeof(out)), 1);
	assert_string_equal(out, "glibc.malloc.tcache_countx=1:glibc.malloc.tcache_count=0");
}

static void
test_present_left_alone(void **state)
{
	(void)state;
	strcpy(out, "untouched");
	assert_int_equal(tunables_add_tcache_off("glibc.malloc.tcache_count=0", out,
						 sizeof(out)), 0);
	assert_int_equal(tunables_add_tcache_off("a.b=1:glibc.malloc.tcache_count=0:c.d=2", out,
						 sizeof(out)), 0);
	/* the user's own count too: theirs to choose, and no loop */
	assert_int_equal(tunables_add_tcache_off("glibc.malloc.tcache_count=7", out,
						 sizeof(out)), 0);
	assert_string_equal(out, "untouched");
}

static void
test_bounded(void **state)
{
	static char big[TUNABLES_MAX + 16];
	char small[8];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	assert_int_equal(tunables_add_tcache_off(big, out, sizeof(out)), -ENAMETOOLONG);
	assert_int_equal(tunables_add_tcache_off(NULL, small, sizeof(small)), -ENAMETOOLONG);
	/* exactly fits: the value and its NUL */
	assert_int_equal(tunables_add_tcache_off(NULL, out, sizeof("glibc.malloc.tcache_count=0")), 1);
	assert_int_equal(tunables_add_tcache_off(NULL, out, sizeof("glibc.malloc.tcache_count=0") - 1),
			 -ENAMETOOLONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unset_or_empty),
		cmocka_unit_test(test_others_kept),
		cmocka_unit_test(test_present_left_alone),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
