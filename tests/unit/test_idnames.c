/* test_idnames.c - the names cache's text form and lookups (idnames.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "idnames.h"

static const struct timespec PW = { 1700000000, 123456789 }, GR = { 1700000001, 5 };

static const char good[] =
	"miniftpd-idnames 1\n"
	"passwd 1700000000 123456789\n"
	"group 1700000001 5\n"
	"u 1000 alice\n"
	"u 0 root\n"
	"u 4294967295 maxid\n"
	"g 0 root\n"
	"g 100 users\n";

/* Parse a copy of TEXT (the parser writes into its input). */
static int
parse(const char *text, struct timespec pw, struct timespec gr)
{
	char *copy = strdup(text);
	int r = idnames_parse(copy, pw, gr);

	free(copy);
	return r;
}

static const char *
name(enum idnames_kind k, unsigned int id)
{
	static char num[12];

	return idnames_lookup(k, id, num);
}

static void
test_parse_and_lookup(void **state)
{
	(void)state;
	assert_int_equal(parse(good, PW, GR), 0);
	assert_string_equal(name(IDNAMES_USER, 0), "root");
	assert_string_equal(name(IDNAMES_USER, 1000), "alice");
	assert_string_equal(name(IDNAMES_USER, 4294967295u), "maxid");
	assert_string_equal(name(IDNAMES_GROUP, 100), "users");
	/* unknown ids, and users are not groups */
	assert_string_equal(name(IDNAMES_USER, 100), "100");
	assert_string_equal(name(IDNAMES_GROUP, 1000), "1000");
}

static void
test_format_round_trip(void **state)
{
	size_t len;
	char *text;

	(void)state;
	assert_int_equal(parse(good, PW, GR), 0);
	text = idnames_format(PW, GR, &len);
	assert_int_equal(len, strlen(text));
	/* sorted by id, users first */
	assert_string_equal(text, "miniftpd-idnames 1\n"
			    "passwd 1700000000 123456789\ngroup 1700000001 5\n"
			    "u 0 root\nu 1000 alice\nu 4294967295 maxid\n"
			    "g 0 root\ng 100 users\n");
	assert_int_equal(idnames_parse(text, PW, GR), 0);
	assert_string_equal(name(IDNAMES_USER, 1000), "alice");
	free(text);
}

static void
test_stale_times(void **state)
{
	struct timespec later = PW;

	(void)state;
	later.tv_nsec++;
	assert_int_equal(parse(good, later, GR), -ESTALE);
	assert_int_equal(parse(good, PW, (struct timespec){ 0, 0 }), -ESTALE);
	assert_string_equal(name(IDNAMES_USER, 0), "0");
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"miniftpd-idnames 2\npasswd 1700000000 123456789\ngroup 1700000001 5\n",
		"miniftpd-idnames 1\ngroup 1700000001 5\npasswd 1700000000 123456789\n",
		"miniftpd-idnames 1\npasswd 1700000000 1000000000\ngroup 1700000001 5\n",
		"miniftpd-idnames 1\npasswd -1 0\ngroup 1700000001 5\n",
		/* entries: unknown kind, blank line, sign, overflow, extra word,
		 * missing name, a name too long, a control character, no final newline */
		"x 0 root\n", "\n", "u -1 root\n", "u 4294967296 big\n", "u 0 root extra\n",
		"u 0\n", "u 0 abcdefghijklmnopqrstuvwxyz0123456\n", "u 0 ro\tot\n", "u 0 root",
	};
	static const char head[] = "miniftpd-idnames 1\npasswd 1700000000 123456789\n"
				   "group 1700000001 5\nu 7 seven\n";
	char text[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (strncmp(bad[i], "miniftpd", 8) == 0 || bad[i][0] == '\0')
			snprintf(text, sizeof(text), "%s", bad[i]);
		else
			snprintf(text, sizeof(text), "%s%s", head, bad[i]);
		assert_int_equal(parse(text, PW, GR), -EBADMSG);
		/* a malformed cache leaves nothing behind */
		assert_string_equal(name(IDNAMES_USER, 7), "7");
	}
	/* a 32-byte name is the longest kept */
	snprintf(text, sizeof(text), "%su 8 abcdefghijklmnopqrstuvwxyz012345\n", head);
	assert_int_equal(parse(text, PW, GR), 0);
	assert_string_equal(name(IDNAMES_USER, 8), "abcdefghijklmnopqrstuvwxyz012345");
}

static void
test_account_line(void **state)
{
	static const char head[] = "miniftpd-idnames 1\npasswd 1700000000 123456789\n"
				   "group 1700000001 5\n";
	static const char *const bad[] = {
		"a ftp 102 105\n", "a ftp 102 105 105\n", "a ftp 102 105 105 srv\n",
		"a ftp 102 105 ,105 /srv\n", "a ftp 102 105 105, /srv\n", "a ftp x 105 105 /srv\n",
		"a f\x01p 102 105 105 /srv\n", "a ftp 102 105 105 /s\x01rv\n",
		"a ftp 102 105 105 /srv\na ftp 102 105 105 /srv\n",
	};
	char text[512], *out;
	size_t len;

	(void)state;
	snprintf(text, sizeof(text), "%sa ftp 102 105 105,7 /srv/my ftp\nu 102 ftp\n", head);
	assert_int_equal(parse(text, PW, GR), 0);
	out = idnames_format(PW, GR, &len);
	assert_string_equal(out, "miniftpd-idnames 1\npasswd 1700000000 123456789\n"
			    "group 1700000001 5\na ftp 102 105 105,7 /srv/my ftp\nu 102 ftp\n");
	free(out);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", head, bad[i]);
		assert_int_equal(parse(text, PW, GR), -EBADMSG);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_lookup),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_stale_times),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_account_line),
	};

	return cmocka_run_group_tests_name("idnames", tests, NULL, NULL);
}
