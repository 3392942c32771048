/* test_userdb.c - the virtual users file parser (userdb.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "userdb.h"

static struct userdb_entry e;

static int
line(const char *text)
{
	memset(&e, 0x55, sizeof(e));
	return userdb_parse_line(text, strlen(text), &e);
}

static void
test_entries(void **state)
{
	(void)state;
	assert_int_equal(line("demo:$6$salt$hash:/srv/ftp/demo"), 1);
	assert_string_equal(e.name, "demo");
	assert_string_equal(e.hash, "$6$salt$hash");
	assert_string_equal(e.home, "/srv/ftp/demo");
	assert_int_equal(line("alice:$y$j9T$abc$def"), 1);
	assert_string_equal(e.name, "alice");
	assert_string_equal(e.hash, "$y$j9T$abc$def");
	assert_string_equal(e.home, "");
	assert_int_equal(line("b.o_b@example-1:$2b$05$abcdefghijklmnopqrstuu"), 1);
	assert_string_equal(e.name, "b.o_b@example-1");
	/* a CRLF file, leading blanks */
	assert_int_equal(line("  \tcarol:$6$s$h:/home/c\r"), 1);
	assert_string_equal(e.name, "carol");
	assert_string_equal(e.home, "/home/c");
	assert_int_equal(line("dave:$6$s$h\r"), 1);
	assert_string_equal(e.hash, "$6$s$h");
}

static void
test_skipped(void **state)
{
	(void)state;
	assert_int_equal(line(""), 0);
	assert_int_equal(line("   \t"), 0);
	assert_int_equal(line("# a comment: with colons"), 0);
	assert_int_equal(line("   # indented comment"), 0);
	/* the blank lines and comments of a CRLF file */
	assert_int_equal(line("\r"), 0);
	assert_int_equal(line(" \t \r"), 0);
	assert_int_equal(line("# comment\r"), 0);
}

static void
test_malformed(void **state)
{
	char longname[MAX_USER_NAME + 16], longhash[300];

	(void)state;
	assert_int_equal(line("nocolon"), -EINVAL);
	assert_int_equal(line(":$6$s$h"), -EINVAL);		/* empty name */
	assert_int_equal(line("demo:"), -EINVAL);		/* empty hash */
	assert_int_equal(line("demo::/home"), -EINVAL);
	assert_int_equal(line("demo:$6$s$h:relative/home"), -EINVAL);
	assert_int_equal(line("demo:$6$s$h:"), -EINVAL);	/* empty home */
	assert_int_equal(line("demo:$6$s$h:/home:extra"), -EINVAL);
	assert_int_equal(line("-demo:$6$s$h"), -EINVAL);	/* leading dash */
	assert_int_equal(line("de mo:$6$s$h"), -EINVAL);
	assert_int_equal(line("de/mo:$6$s$h"), -EINVAL);
	assert_int_equal(line("d\xc3\xa9mo:$6$s$h"), -EINVAL);
	assert_int_equal(userdb_parse_line("de\0mo:$6$s$h", 12, &e), -EINVAL);
	memset(longname, 'a', sizeof(longname));
	strcpy(longname + MAX_USER_NAME + 1, ":$6$s$h");
	assert_int_equal(line(longname), -EINVAL);
	memset(longname, 'a', sizeof(longname));
	strcpy(longname + MAX_USER_NAME, ":$6$s$h");
	assert_int_equal(line(longname), 1);
	memset(longhash, 'h', sizeof(longhash));
	memcpy(longhash, "demo:", 5);
	longhash[sizeof(longhash) - 1] = '\0';
	assert_int_equal(line(longhash), -EINVAL);
}

static void
test_valid_name(void **state)
{
	char n[MAX_USER_NAME + 2];

	(void)state;
	assert_true(userdb_valid_name("demo"));
	assert_true(userdb_valid_name("a"));
	assert_true(userdb_valid_name("first.last@example.org"));
	assert_true(userdb_valid_name("x-y_z.0"));
	assert_false(userdb_valid_name(""));
	assert_false(userdb_valid_name("-x"));
	assert_false(userdb_valid_name("a b"));
	assert_false(userdb_valid_name("a:b"));
	assert_false(userdb_valid_name("../x"));
	assert_false(userdb_valid_name("a\n"));
	memset(n, 'a', MAX_USER_NAME);
	n[MAX_USER_NAME] = '\0';
	assert_true(userdb_valid_name(n));
	n[MAX_USER_NAME] = 'a';
	n[MAX_USER_NAME + 1] = '\0';
	assert_false(userdb_valid_name(n));
}

static void
test_find(void **state)
{
	static const char text[] =
		"# virtual users\n"
		"\n"
		"alice:$6$a$aaa:/srv/alice\n"
		"bob:$6$b$bbb\r\n"
		"demo:$6$d$ddd:/srv/demo";	/* no final newline */
	size_t bad = 0;

	(void)state;
	assert_int_equal(userdb_find(text, strlen(text), "bob", &e, &bad), 1);
	assert_string_equal(e.hash, "$6$b$bbb");
	assert_string_equal(e.home, "");
	assert_int_equal(userdb_find(text, strlen(text), "demo", &e, &bad), 1);
	assert_string_equal(e.home, "/srv/demo");
	assert_int_equal(userdb_find(text, strlen(text), "carol", &e, &bad), 0);
	/* names are exact: no prefix, no case folding */
	assert_int_equal(userdb_find(text, strlen(text), "ali", &e, &bad), 0);
	assert_int_equal(userdb_find(text, strlen(text), "Alice", &e, &bad), 0);
	assert_int_equal(userdb_find("", 0, "demo", &e, &bad), 0);
}

static void
test_find_windows_file(void **state)
{
	/* a Windows editor's file: byte-order mark, CRLF, blank lines */
	static const char text[] =
		"\xef\xbb\xbf" "alice:$6$a$aaa:/srv/alice\r\n"
		"\r\n"
		"# more\r\n"
		"bob:$6$b$bbb\r\n"
		"\r\n";
	size_t bad = 0, pos = 0, lineno = 0;

	(void)state;
	assert_int_equal(userdb_find(text, strlen(text), "alice", &e, &bad), 1);
	assert_string_equal(e.home, "/srv/alice");
	assert_int_equal(userdb_find(text, strlen(text), "bob", &e, &bad), 1);
	assert_string_equal(e.hash, "$6$b$bbb");
	assert_int_equal(userdb_find(text, strlen(text), "carol", &e, &bad), 0);
	assert_int_equal(bad, 0);
	/* the mark only at the very start */
	assert_int_equal(userdb_next(text, strlen(text), &pos, &lineno, &e), 1);
	assert_string_equal(e.name, "alice");
	assert_int_equal(userdb_find("x:y\n\xef\xbb\xbf" "bob:$6$b$bbb\n", 20, "bob", &e, &bad),
			 -EINVAL);
}

static void
test_find_badline(void **state)
{
	static const char text[] = "alice:$6$a$aaa\n# ok\nbroken line\ndemo:$6$d$ddd\n";
	size_t bad = 0;

	(void)state;
	/* a malformed line is an error, with its number, even before the entry */
	assert_int_equal(userdb_find(text, strlen(text), "demo", &e, &bad), -EINVAL);
	assert_int_equal(bad, 3);
	/* an entry found before the bad line is still returned */
	assert_int_equal(userdb_find(text, strlen(text), "alice", &e, &bad), 1);
}

static void
test_next(void **state)
{
	static const char text[] = "# c\nalice:$6$a$aaa\n\nbob:$6$b$bbb\nbroken\n";
	size_t pos = 0, lineno = 0;

	(void)state;
	assert_int_equal(userdb_next(text, strlen(text), &pos, &lineno, &e), 1);
	assert_string_equal(e.name, "alice");
	assert_int_equal(lineno, 2);
	assert_int_equal(userdb_next(text, strlen(text), &pos, &lineno, &e), 1);
	assert_string_equal(e.name, "bob");
	assert_int_equal(userdb_next(text, strlen(text), &pos, &lineno, &e), -EINVAL);
	assert_int_equal(lineno, 5);
	assert_int_equal(userdb_next(text, strlen(text), &pos, &lineno, &e), 0);
}

/* The setting a dummy check of the same method and cost needs: what
 * crypt(3) reads of a hash before its result. */
static void
test_hash_setting(void **state)
{
	static const struct { const char *hash, *setting; } ok[] = {
		{ "$y$j9T$OstbGuRwkqOMjIqAn6.y11$eMjEQfL4UzCw3ADK620S7d900D9oTgEyqOVaKiq2iS3",
		  "$y$j9T$OstbGuRwkqOMjIqAn6.y11" },
		{ "$6$rounds=20000$saltsalt$H4sh", "$6$rounds=20000$saltsalt" },
		{ "$6$saltsalt$H4sh", "$6$saltsalt" },
		{ "$5$s$h", "$5$s" },
		{ "$1$saltsalt$hash", "$1$saltsalt" },
		{ "$2b$05$abcdefghijklmnopqrstuuVdBqwtY.e0xGaDb6frQjFyqM3Mpyo/O",
		  "$2b$05$abcdefghijklmnopqrstuu" },
		{ "_J9..CCCCXBrJUJV154M", "_J9..CCCC" },
		{ "abJnggxhB/yWI", "ab" },
	};
	static const char *const bad[] = { "", "!", "*", "*LK*", "$6$", "$6$onlysetting",
					   "!$6$s$h", "plain-password" };
	char out[192];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(userdb_hash_setting(ok[i].hash, out, sizeof(out)), 0);
		assert_string_equal(out, ok[i].setting);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (userdb_hash_setting(bad[i], out, sizeof(out)) != -EINVAL)
			fail_msg("\"%s\" has no setting", bad[i]);
	assert_int_equal(userdb_hash_setting(ok[1].hash, out, 8), -ENAMETOOLONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_skipped),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_valid_name),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_find_windows_file),
		cmocka_unit_test(test_find_badline),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_hash_setting),
	};

	/* cmocka prints progress on stdout, failures and the summary on
	 * stderr: unbuffered, both keep their order in a log */
	setvbuf(stdout, NULL, _IONBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
