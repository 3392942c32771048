/* test_ls.c - the pure parts of the listing modules: options (ls.h),
 * modes and dates (lsfmt.h), MFMT times (ftptime.h), facts (mlsx.h),
 * the sort (lssort.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>

#include "ftptime.h"
#include "ls.h"
#include "lsfmt.h"
#include "lssort.h"
#include "mlsx.h"
#include "ftpproto.h"

static void
test_parse_args(void **state)
{
	struct ls_opts o;

	(void)state;
	assert_string_equal(ls_parse_args("", &o), "");
	assert_false(o.all || o.lng);
	assert_string_equal(ls_parse_args("-la", &o), "");
	assert_true(o.all && o.lng);
	assert_string_equal(ls_parse_args("-a  -R dir name", &o), "dir name");
	assert_true(o.all);
	assert_false(o.lng);
	assert_string_equal(ls_parse_args("-l", &o), "");
	assert_true(o.lng && !o.all);
	assert_string_equal(ls_parse_args("file -a", &o), "file -a");
	assert_false(o.all);
	assert_string_equal(ls_parse_args("-", &o), "");
}

static void
test_glob(void **state)
{
	(void)state;
	assert_true(ls_has_glob("*.txt"));
	assert_true(ls_has_glob("a?c"));
	assert_true(ls_has_glob("[ab]"));
	assert_false(ls_has_glob("plain name.txt"));
	assert_false(ls_has_glob(""));
}

static void
test_mode_string(void **state)
{
	static const struct {
		mode_t mode;
		const char *want;
	} cases[] = {
		{ S_IFREG | 0644, "-rw-r--r--" },
		{ S_IFDIR | 0755, "drwxr-xr-x" },
		{ S_IFLNK | 0777, "lrwxrwxrwx" },
		{ S_IFREG | 04755, "-rwsr-xr-x" },
		{ S_IFREG | 04644, "-rwSr--r--" },
		{ S_IFDIR | 02750, "drwxr-s---" },
		{ S_IFDIR | 01777, "drwxrwxrwt" },
		{ S_IFDIR | 01770, "drwxrwx--T" },
		{ S_IFIFO | 0600, "prw-------" },
		{ S_IFSOCK | 0, "s---------" },
		{ S_IFCHR | 0620, "crw--w----" },
		{ S_IFBLK | 0660, "brw-rw----" },
	};
	char out[11];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		lsfmt_mode_string(cases[i].mode, out);
		assert_string_equal(out, cases[i].want);
	}
}

static void
test_date(void **state)
{
	char out[LS_DATE_MAX];
	time_t now = 1700000000;	/* 2023-11-14 22:13:20 UTC */

	(void)state;
	lsfmt_date(now - 3600, now, false, out);
	assert_string_equal(out, "Nov 14 21:13");
	lsfmt_date(now - 100 * 86400, now, false, out);
	assert_string_equal(out, "Aug 06 22:13");
	lsfmt_date(now - 200 * 86400, now, false, out);
	assert_string_equal(out, "Apr 28  2023");
	lsfmt_date(now + 2 * 86400, now, false, out);	/* the future: the year */
	assert_string_equal(out, "Nov 16  2023");
	lsfmt_date(946684800, now, false, out);
	assert_string_equal(out, "Jan 01  2000");
	setenv("TZ", "UTC-2", 1);
	tzset();
	lsfmt_date(now - 3600, now, true, out);
	assert_string_equal(out, "Nov 14 23:13");
}

static void
test_parse_time(void **state)
{
	long long t;

	(void)state;
	assert_int_equal(ftptime_parse("19700101000000", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(ftptime_parse("20231114221320", &t), 0);
	assert_int_equal(t, 1700000000);
	assert_int_equal(ftptime_parse("20000229120000.123", &t), 0);
	assert_int_equal(t, 951825600);
	assert_int_equal(ftptime_parse("99991231235959", &t), 0);
	assert_int_equal(t, 253402300799LL);
	assert_int_equal(ftptime_parse("19000229120000", &t), -EINVAL);
	assert_int_equal(ftptime_parse("20230229120000", &t), -EINVAL);
	assert_int_equal(ftptime_parse("20231301000000", &t), -EINVAL);
	assert_int_equal(ftptime_parse("20231100000000", &t), -EINVAL);
	assert_int_equal(ftptime_parse("20231114246000", &t), -EINVAL);
	assert_int_equal(ftptime_parse("2023111422132", &t), -EINVAL);
	assert_int_equal(ftptime_parse("202311142213200", &t), -EINVAL);
	assert_int_equal(ftptime_parse("20231114221320 ", &t), -EINVAL);
	assert_int_equal(ftptime_parse("-0231114221320", &t), -EINVAL);
	assert_int_equal(ftptime_parse("19691231235959", &t), -EINVAL);
	assert_int_equal(ftptime_parse("", &t), -EINVAL);
}

/* Issue 19 #9: times struct tm or four digits cannot hold. */
static void
test_stamp_out_of_range(void **state)
{
	char out[FTPTIME_STAMP_MAX], date[LS_DATE_MAX];
	const time_t huge = (time_t)1 << 62;	/* year beyond INT_MAX */

	(void)state;
	assert_int_equal(ftptime_stamp(0, false, out), 0);
	assert_string_equal(out, "19700101000000");
	assert_int_equal(ftptime_stamp(253402300799LL, false, out), 0);
	assert_string_equal(out, "99991231235959");
	assert_int_equal(ftptime_stamp(-62167219200LL, false, out), 0);
	assert_string_equal(out, "00000101000000");
	assert_int_equal(ftptime_stamp(253402300800LL, false, out), -EOVERFLOW);
	assert_int_equal(ftptime_stamp(-62167219201LL, false, out), -EOVERFLOW);
	assert_int_equal(ftptime_stamp(huge, false, out), -EOVERFLOW);
	assert_int_equal(ftptime_stamp(-huge, true, out), -EOVERFLOW);
	lsfmt_date(huge, 1700000000, false, date);
	assert_string_equal(date, "4611686018427387904");
	lsfmt_date(-huge, 1700000000, true, date);
	assert_string_equal(date, "-4611686018427387904");
	lsfmt_date((time_t)1 << 40, 1700000000, false, date);	/* year 36812 */
	assert_string_equal(date, "Feb 20  36812");
}

static void
test_time_arg(void **state)
{
	long long t;

	(void)state;
	assert_string_equal(ftptime_arg("20231114221320 a b.txt", &t), "a b.txt");
	assert_int_equal(t, 1700000000);
	assert_string_equal(ftptime_arg("20000229120000.5 x", &t), "x");
	assert_null(ftptime_arg("20231114221320", &t));
	assert_null(ftptime_arg("20231114221320 ", &t));
	assert_null(ftptime_arg("2023111422132 x", &t));
	assert_null(ftptime_arg("20231314221320 x", &t));
	assert_null(ftptime_arg("hello.txt", &t));
	assert_null(ftptime_arg(" x", &t));
}

static void
test_mlsx_facts(void **state)
{
	struct stat st;
	char out[256];

	(void)state;
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | 0640;
	st.st_size = 1234;
	st.st_mtime = 1700000000;
	st.st_dev = 0x801;
	st.st_ino = 0xabc;
	assert_int_equal(mlsx_facts(&st, "rw", MLSX_FACTS_ALL, out, sizeof(out)), 0);
	assert_string_equal(out, "type=file;size=1234;modify=20231114221320;perm=rw;"
			    "unique=801Uabc;UNIX.mode=0640;");
	st.st_mode = S_IFDIR | 01777;
	assert_int_equal(mlsx_facts(&st, "el", MLSX_FACTS_ALL, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "type=dir;"));
	assert_non_null(strstr(out, "UNIX.mode=01777;"));
	st.st_mode = S_IFLNK | 0777;
	assert_int_equal(mlsx_facts(&st, "", MLSX_FACTS_ALL, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "type=OS.unix=symlink;"));
	assert_int_equal(mlsx_facts(&st, "", MLSX_FACTS_ALL, out, 20), -E2BIG);
	assert_int_equal(mlsx_facts(&st, "", MLSX_FACT_SIZE | MLSX_FACT_TYPE, out, sizeof(out)), 0);
	assert_string_equal(out, "type=OS.unix=symlink;size=1234;");
	assert_int_equal(mlsx_facts(&st, "", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* no modify fact for a time without a four-digit year */
	st.st_mode = S_IFREG | 0644;
	st.st_mtime = (time_t)1 << 62;
	assert_int_equal(mlsx_facts(&st, "r", MLSX_FACTS_ALL, out, sizeof(out)), 0);
	assert_string_equal(out, "type=file;size=1234;perm=r;unique=801Uabc;UNIX.mode=0644;");
	st.st_mtime = 253402300800LL;
	assert_int_equal(mlsx_facts(&st, "r", MLSX_FACT_MODIFY | MLSX_FACT_SIZE, out, sizeof(out)), 0);
	assert_string_equal(out, "size=1234;");
}

static void
test_parse_facts(void **state)
{
	(void)state;
	assert_int_equal(mlsx_parse_facts(""), 0);
	assert_int_equal(mlsx_parse_facts("type;size;modify;perm;unique;UNIX.mode;"), MLSX_FACTS_ALL);
	assert_int_equal(mlsx_parse_facts("Type;unix.MODE"), MLSX_FACT_TYPE | MLSX_FACT_MODE);
	assert_int_equal(mlsx_parse_facts("size;UNIX.owner;;media-type;"), MLSX_FACT_SIZE);
	assert_int_equal(mlsx_parse_facts("typ;sizes"), 0);
}

static void
test_fact_names(void **state)
{
	char out[128];

	(void)state;
	mlsx_fact_names(MLSX_FACTS_ALL, out, sizeof(out));
	assert_string_equal(out, "type;size;modify;perm;unique;UNIX.mode;");
	mlsx_fact_names(MLSX_FACT_MODE | MLSX_FACT_TYPE, out, sizeof(out));
	assert_string_equal(out, "type;UNIX.mode;");
	mlsx_fact_names(0, out, sizeof(out));
	assert_string_equal(out, "");
}

static void
test_perm(void **state)
{
	static const gid_t groups[] = { 50 };
	struct mlsx_who w = { .uid = 1000, .gid = 100, .groups = groups, .ngroups = 1 };
	struct stat st = { .st_uid = 1000, .st_gid = 7, .st_mode = S_IFREG | 0644 };
	char out[MLSX_PERM_MAX];

	(void)state;
	mlsx_perm(&w, &st, out);
	assert_string_equal(out, "r");
	w.may_write = CMD_W_UPLOAD | CMD_W_MKDIR | CMD_W_OTHER;
	mlsx_perm(&w, &st, out);
	assert_string_equal(out, "rawdf");
	st.st_uid = 0;
	st.st_mode = S_IFDIR | 0750;
	st.st_gid = 50;		/* a supplementary group: r-x */
	mlsx_perm(&w, &st, out);
	assert_string_equal(out, "eldf");
	st.st_gid = 8;		/* others: nothing */
	mlsx_perm(&w, &st, out);
	assert_string_equal(out, "df");
	w.uid = 0;		/* root: all bits */
	mlsx_perm(&w, &st, out);
	assert_string_equal(out, "elcmdfp");
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The sort against qsort/strcmp: short lists (insertion sort), long ones
 * (radix), names equal for 8 and 16 bytes (the recursion), high bytes. */
static void
test_sort(void **state)
{
	static const size_t counts[] = { 0, 1, 5, 15, 16, 17, 300, 5000 };
	static const char *const stems[] = { "", "a", "abcdefgh", "abcdefghijklmnop", "\xc3\xa9" };
	struct lssort_names nm = { 0 };
	char (*names)[40] = malloc(5000 * sizeof(*names));
	const char **want = malloc(5000 * sizeof(*want));
	unsigned int seed = 7;

	(void)state;
	assert_non_null(names);
	assert_non_null(want);
	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		for (size_t i = 0; i < counts[c]; i++) {
			seed = seed * 1103515245u + 12345u;
			snprintf(names[i], sizeof(names[i]), "%s%u", stems[(seed >> 8) % 5],
				 (seed >> 12) % 1000);
			want[i] = names[i];
			lssort_add(&nm, names[i]);
		}
		qsort(want, counts[c], sizeof(*want), cmp_str);
		lssort_sort(&nm);
		assert_int_equal(nm.n, counts[c]);
		for (size_t i = 0; i < counts[c]; i++)
			assert_string_equal(lssort_name(&nm, i), want[i]);
		lssort_reset(&nm);
		assert_int_equal(nm.n, 0);
	}
	free(nm.v);
	free(nm.tmp);
	free(nm.arena);
	free(names);
	free(want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_args),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_mode_string),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_stamp_out_of_range),
		cmocka_unit_test(test_time_arg),
		cmocka_unit_test(test_mlsx_facts),
		cmocka_unit_test(test_parse_facts),
		cmocka_unit_test(test_fact_names),
		cmocka_unit_test(test_perm),
		cmocka_unit_test(test_sort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
