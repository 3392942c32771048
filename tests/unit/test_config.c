/* test_config.c - the option table, the parser, -o overrides, -T (config.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"

static struct config cfg;
static char err[CFG_ERR_MAX];
static char tmpfile_path[64];

static int
setup(void **state)
{
	(void)state;
	cfg_defaults(&cfg);
	memset(err, 0, sizeof(err));
	tmpfile_path[0] = '\0';
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cfg_free(&cfg);
	if (tmpfile_path[0])
		unlink(tmpfile_path);
	return 0;
}

/* Parse TEXT as file "t.conf" into fresh defaults. */
static int
parse(const char *text)
{
	cfg_free(&cfg);
	cfg_defaults(&cfg);
	err[0] = '\0';
	return cfg_parse_text(&cfg, "t.conf", text, strlen(text), err);
}

static const char *
write_conf(const char *text)
{
	int fd;

	strcpy(tmpfile_path, "/tmp/miniftpd-test-XXXXXX");
	fd = mkstemp(tmpfile_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return tmpfile_path;
}

static void
test_defaults(void **state)
{
	(void)state;
	assert_false(cfg.listen);
	assert_int_equal(cfg.listen_port, 21);
	assert_string_equal(cfg.listen_address, "");
	assert_true(cfg.limitd_enable);
	assert_false(cfg.write_enable);
	assert_false(cfg.anonymous_enable);
	assert_false(cfg.local_enable);
	assert_int_equal(cfg.local_umask, 077);
	assert_int_equal(cfg.file_open_mode, 0666);
	assert_int_equal(cfg.idle_session_timeout, 300);
	assert_int_equal(cfg.max_login_fails, 3);
	assert_int_equal(cfg.delay_failed_login, 1);
	assert_string_equal(cfg.nopriv_user, "miniftpd");
	assert_int_equal(cfg.max_per_ip_prefix6, 64);
	assert_string_equal(cfg.secure_chroot_dir, "/run/miniftpd/empty");
	assert_string_equal(cfg.ftpusers_file, "/etc/ftpusers");
	assert_string_equal(cfg.limitd_fail, "open");
	assert_int_equal(cfg_check(&cfg, err), 0);
}

static void
test_bool(void **state)
{
	static const char *const yes[] = { "YES", "yes", "True", "1" };
	static const char *const no[] = { "NO", "no", "FALSE", "0" };
	char msg[128];

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(cfg_set(&cfg, "listen", yes[i], NULL, 0), 0);
		assert_true(cfg.listen);
		assert_int_equal(cfg_set(&cfg, "listen", no[i], NULL, 0), 0);
		assert_false(cfg.listen);
	}
	assert_int_equal(cfg_set(&cfg, "listen", "maybe", msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "listen"));
	assert_int_equal(cfg_set(&cfg, "listen", "", NULL, 0), -EINVAL);
	assert_int_equal(cfg_set(&cfg, "listen", "YESS", NULL, 0), -EINVAL);
	assert_false(cfg.listen);
}

static void
test_uint(void **state)
{
	char msg[128];

	(void)state;
	assert_int_equal(cfg_set(&cfg, "listen_port", "2121", NULL, 0), 0);
	assert_int_equal(cfg.listen_port, 2121);
	assert_int_equal(cfg_set(&cfg, "listen_port", "0", NULL, 0), 0);
	assert_int_equal(cfg_set(&cfg, "listen_port", "65535", NULL, 0), 0);
	assert_int_equal(cfg.listen_port, 65535);
	/* range: refused, value kept, message names the range */
	assert_int_equal(cfg_set(&cfg, "listen_port", "65536", msg, sizeof(msg)), -ERANGE);
	assert_int_equal(cfg.listen_port, 65535);
	assert_non_null(strstr(msg, "out of range"));
	assert_non_null(strstr(msg, "0..65535"));
	assert_int_equal(cfg_set(&cfg, "idle_session_timeout", "0", NULL, 0), -ERANGE);
	assert_int_equal(cfg_set(&cfg, "max_login_fails", "1001", NULL, 0), -ERANGE);
	assert_int_equal(cfg_set(&cfg, "max_per_ip_prefix6", "0", NULL, 0), -ERANGE);
	assert_int_equal(cfg_set(&cfg, "max_per_ip_prefix6", "129", NULL, 0), -ERANGE);
	assert_int_equal(cfg_set(&cfg, "max_per_ip_prefix6", "128", NULL, 0), 0);
	assert_int_equal(cfg_set(&cfg, "listen_port", "99999999999999999999999", NULL, 0),
			 -ERANGE);
	/* never cast: signs, spaces, hex, trailing junk are malformed */
	assert_int_equal(cfg_set(&cfg, "listen_port", "-1", msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "not a number"));
	assert_int_equal(cfg_set(&cfg, "listen_port", "+21", NULL, 0), -EINVAL);
	assert_int_equal(cfg_set(&cfg, "listen_port", " 21", NULL, 0), -EINVAL);
	assert_int_equal(cfg_set(&cfg, "listen_port", "0x15", NULL, 0), -EINVAL);
	assert_int_equal(cfg_set(&cfg, "listen_port", "21abc", NULL, 0), -EINVAL);
	assert_int_equal(cfg_set(&cfg, "listen_port", "", NULL, 0), -EINVAL);
	assert_int_equal(cfg.listen_port, 65535);
	/* the largest rate fits */
	assert_int_equal(cfg_set(&cfg, "local_max_rate", "4294967295", NULL, 0), 0);
	assert_int_equal(cfg.local_max_rate, 4294967295UL);
	assert_int_equal(cfg_set(&cfg, "local_max_rate", "4294967296", NULL, 0), -ERANGE);
}

static void
test_mode(void **state)
{
	char msg[128];

	(void)state;
	assert_int_equal(cfg_set(&cfg, "local_umask", "022", NULL, 0), 0);
	assert_int_equal(cfg.local_umask, 022);
	assert_int_equal(cfg_set(&cfg, "local_umask", "7", NULL, 0), 0);
	assert_int_equal(cfg.local_umask, 07);
	assert_int_equal(cfg_set(&cfg, "file_open_mode", "07777", NULL, 0), 0);
	assert_int_equal(cfg.file_open_mode, 07777);
	assert_int_equal(cfg_set(&cfg, "file_open_mode", "10000", msg, sizeof(msg)), -ERANGE);
	assert_non_null(strstr(msg, "out of range"));
	assert_int_equal(cfg_set(&cfg, "local_umask", "089", msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "octal"));
	assert_int_equal(cfg_set(&cfg, "local_umask", "-1", NULL, 0), -EINVAL);
	assert_int_equal(cfg.local_umask, 07);
	/* vsftpd reads "22" as decimal (026), "010" as octal (8): both refused */
	assert_int_equal(cfg_set(&cfg, "local_umask", "22", msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "needs a leading 0"));
	assert_non_null(strstr(msg, "026"));
	assert_int_equal(cfg.local_umask, 07);
	assert_int_equal(cfg_set(&cfg, "max_per_ip", "010", msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "octal (8)"));
	assert_int_equal(cfg_set(&cfg, "max_per_ip", "07", NULL, 0), 0);
	assert_int_equal(cfg_set(&cfg, "local_umask", "0", NULL, 0), 0);
}

static void
test_string(void **state)
{
	(void)state;
	assert_int_equal(cfg_set(&cfg, "ftpd_banner", "Welcome = friends", NULL, 0), 0);
	assert_string_equal(cfg.ftpd_banner, "Welcome = friends");
	assert_int_equal(cfg_set(&cfg, "ftpd_banner", "", NULL, 0), 0);
	assert_string_equal(cfg.ftpd_banner, "");
}

static void
test_unknown_key(void **state)
{
	char msg[128];

	(void)state;
	assert_int_equal(cfg_set(&cfg, "no_such_option", "1", msg, sizeof(msg)), -ENOENT);
	assert_non_null(strstr(msg, "unknown option"));
	assert_non_null(strstr(msg, "no_such_option"));
	assert_int_equal(parse("listen=YES\n\nbogus_key=1\n"), -1);
	assert_string_equal(err, "t.conf:3: unknown option \"bogus_key\"");
	/* a vsftpd option set to what miniftpd always does: accepted, no effect */
	assert_int_equal(cfg_set(&cfg, "xferlog_std_format", "yes", NULL, 0), 0);
	assert_int_equal(cfg_set(&cfg, "xferlog_std_format", "NO", msg, sizeof(msg)), -ENOENT);
	assert_non_null(strstr(msg, "is a vsftpd option"));
	assert_int_equal(cfg_set(&cfg, "one_process_model", "YES", NULL, 0), -ENOENT);
	assert_int_equal(parse("one_process_model=NO\nchroot_list_enable=0\n"
			       "one_process_model=FALSE\n"), 0);
	assert_int_equal(cfg_set(&cfg, "cmds_allowed", "NO", NULL, 0), -ENOENT);
	/* option names are exact */
	assert_int_equal(parse("LISTEN=YES\n"), -1);
	assert_int_equal(strncmp(err, "t.conf:1: ", 10), 0);
}

static void
test_file_line_messages(void **state)
{
	(void)state;
	assert_int_equal(parse("# c\nlisten_port=21\nlisten_port=22\n"), -1);
	assert_string_equal(err, "t.conf:3: option listen_port is set twice");
	assert_int_equal(parse("\n\n\n\nlisten_port=70000\n"), -1);
	assert_string_equal(err, "t.conf:5: listen_port: 70000 is out of range (0..65535)");
	assert_int_equal(parse("listen=perhaps"), -1);
	assert_int_equal(strncmp(err, "t.conf:1: listen:", 17), 0);
	assert_int_equal(parse("ok_no_equals_here\n"), -1);
	assert_int_equal(strncmp(err, "t.conf:1: expected key=value", 28), 0);
	assert_int_equal(parse("local_umask=9\n"), -1);
	assert_int_equal(strncmp(err, "t.conf:1: local_umask:", 22), 0);
}

static void
test_syntax(void **state)
{
	(void)state;
	/* a UTF-8 byte-order mark first (Windows editors), then CRLF lines */
	assert_int_equal(parse("\xEF\xBB\xBFlisten_port=2121\r\nlisten=YES\r\n"), 0);
	assert_int_equal(cfg.listen_port, 2121);
	assert_int_equal(parse("listen=YES\n\xEF\xBB\xBFlisten_port=2121\n"), -1);
	/* comments, blank lines, spaces around key and value, CRLF, no final LF */
	assert_int_equal(parse("# comment\n\n   \t\n  listen = YES \r\n"
			       "ftpd_banner=  Hello there  \nlisten_port=2121"), 0);
	assert_true(cfg.listen);
	assert_string_equal(cfg.ftpd_banner, "Hello there");
	assert_int_equal(cfg.listen_port, 2121);
	/* a '#' after a value is part of the value (like vsftpd) */
	assert_int_equal(parse("ftpd_banner=a # b\n"), 0);
	assert_string_equal(cfg.ftpd_banner, "a # b");
	assert_int_equal(parse(""), 0);
}

static void
test_long_and_nul_lines(void **state)
{
	char *text = malloc(8192);

	(void)state;
	assert_non_null(text);
	memset(text, 'a', 8190);
	memcpy(text, "ftpd_banner=", 12);
	text[8190] = '\n';
	text[8191] = '\0';
	assert_int_equal(parse(text), -1);
	assert_string_equal(err, "t.conf:1: line too long");
	free(text);
	cfg_free(&cfg);
	cfg_defaults(&cfg);
	assert_int_equal(cfg_parse_text(&cfg, "t.conf", "listen=NO\nlis\0ten=YES\n", 22, err), -1);
	assert_string_equal(err, "t.conf:2: NUL byte in line");
}

static void
test_cross_checks(void **state)
{
	(void)state;
	assert_int_equal(parse("pasv_min_port=5000\npasv_max_port=4000\n"), 0);
	assert_int_equal(cfg_check(&cfg, err), -1);
	assert_non_null(strstr(err, "pasv_min_port"));
	/* vsftpd: pasv_min_port alone is min..65535 */
	assert_int_equal(parse("pasv_min_port=5000\n"), 0);
	assert_int_equal(cfg_check(&cfg, err), 0);
	assert_int_equal(parse("limitd_fail=maybe\n"), 0);
	assert_int_equal(cfg_check(&cfg, err), -1);
	assert_non_null(strstr(err, "limitd_fail"));
	assert_int_equal(parse("limitd_fail=closed\npasv_min_port=5000\npasv_max_port=5000\n"), 0);
	assert_int_equal(cfg_check(&cfg, err), 0);
}

static void
test_vsftpd_advice(void **state)
{
	char msg[512];

	(void)state;
	assert_int_equal(cfg_set(&cfg, "guest_enable", "YES", msg, sizeof(msg)), -ENOENT);
	assert_non_null(strstr(msg, "\"guest_enable\" is a vsftpd option that miniftpd does "
				   "not implement: "));
	assert_non_null(strstr(msg, "user_db_file"));
	assert_int_equal(parse("# x\nno_anon_password=YES\n"), -1);
	assert_non_null(strstr(err, "t.conf:2: \"no_anon_password\" is a vsftpd option"));
	assert_ptr_equal(strstr(err, "t.conf:2: "), err);
	/* a typo of a vsftpd option is only unknown */
	assert_int_equal(cfg_set(&cfg, "guest_enabel", "YES", msg, sizeof(msg)), -ENOENT);
	assert_string_equal(msg, "unknown option \"guest_enabel\"");
	/* accepted as in vsftpd */
	assert_int_equal(parse("dirmessage_enable=YES\nallow_writeable_chroot=YES\n"
			       "tcp_wrappers=NO\nssl_tlsv1=YES\n"), 0);
}

static void
test_listen_exclusive(void **state)
{
	const char *file = write_conf("listen=YES\n# v6\nlisten_ipv6=YES\n");
	char expect[512];
	char *v4off[] = { "listen=NO" };

	(void)state;
	cfg_free(&cfg);
	assert_int_equal(cfg_load(&cfg, file, true, NULL, 0, err), -1);
	snprintf(expect, sizeof(expect), "%s:3: listen_ipv6=YES and listen=YES (%s:1) "
		 "exclude each other", file, file);
	assert_int_equal(strncmp(err, expect, strlen(expect)), 0);
	cfg_free(&cfg);
	assert_int_equal(cfg_load(&cfg, file, true, v4off, 1, err), 0);
	assert_true(cfg_standalone(&cfg) && cfg.listen_ipv6 && !cfg.listen);
}

/* An explicit limitd_cluster_id that is no id: refused, naming its line. */
static void
test_cluster_id_named(void **state)
{
	const char *file = write_conf("limitd_cluster=redis://127.0.0.1/0\n# id\n"
				      "limitd_cluster_id=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
	char expect[512];

	(void)state;
	cfg_free(&cfg);
	assert_int_equal(cfg_load(&cfg, file, true, NULL, 0, err), -1);
	snprintf(expect, sizeof(expect), "%s:3: limitd_cluster_id: ", file);
	assert_int_equal(strncmp(err, expect, strlen(expect)), 0);
}

/* A malformed limitd_cluster URL is a malformed value: FILE:LINE, or -oKEY. */
static void
test_cluster_url_named(void **state)
{
	const char *file = write_conf("# store\nlimitd_cluster=redis://store:65536/0\n");
	char *ovr[] = { "limitd_cluster=http://store" };
	char expect[512];

	(void)state;
	cfg_free(&cfg);
	assert_int_equal(cfg_load(&cfg, file, true, NULL, 0, err), -1);
	snprintf(expect, sizeof(expect), "%s:2: limitd_cluster: \"redis://store:65536/0\" is not ",
		 file);
	assert_int_equal(strncmp(err, expect, strlen(expect)), 0);
	cfg_free(&cfg);
	assert_int_equal(cfg_load(&cfg, file, true, ovr, 1, err), -1);
	snprintf(expect, sizeof(expect), "-olimitd_cluster: limitd_cluster: \"http://store\" is not ");
	assert_int_equal(strncmp(err, expect, strlen(expect)), 0);
}

static void
test_only_no_switches(void **state)
{
	(void)state;
	assert_int_equal(parse("tcp_wrappers=YES\n"), 0);
	assert_int_equal(cfg_check(&cfg, err), -1);
	assert_non_null(strstr(err, "tcp_wrappers=YES: TCP wrappers are not supported"));
	assert_int_equal(parse("ssl_sslv3=YES\n"), 0);
	assert_int_equal(cfg_check(&cfg, err), -1);
	assert_int_equal(parse("tcp_wrappers=NO\nssl_sslv2=NO\nssl_sslv3=NO\n"), 0);
	assert_int_equal(cfg_check(&cfg, err), 0);
}

static void
test_user_file(void **state)
{
	struct config u;
	static const char good[] = "# per user\nlocal_root=/srv/u\nwrite_enable=YES\n"
				   "local_umask=027\nlocal_max_rate=1000\n";

	(void)state;
	assert_int_equal(parse("local_root=/srv\nanon_root=/a\n"), 0);
	cfg_copy(&u, &cfg);
	assert_int_equal(cfg_parse_user(&u, "u", good, strlen(good), err), 0);
	assert_string_equal(u.local_root, "/srv/u");
	assert_string_equal(cfg.local_root, "/srv");	/* the copy owns its strings */
	assert_string_equal(u.anon_root, "/a");
	assert_int_equal(u.local_umask, 027);
	assert_true(u.write_enable && !cfg.write_enable);
	cfg_free(&u);
	cfg_copy(&u, &cfg);
	assert_int_equal(cfg_parse_user(&u, "u", "write_enable=NO\nnopriv_user=root\n", 35, err), -1);
	assert_string_equal(err, "u:2: nopriv_user cannot be set per user (user_config_dir)");
	assert_int_equal(cfg_parse_user(&u, "u", "bogus=1\n", 8, err), -1);
	assert_string_equal(err, "u:1: \"bogus\" is not an option and cannot be set per user "
			    "(user_config_dir)");
	cfg_free(&u);
}

static void
test_load_override(void **state)
{
	const char *file = write_conf("listen=YES\nlisten_port=2121\nwrite_enable=NO\n");
	char *ovr[] = { "listen_port=2222", "write_enable=YES", "listen_port=2323" };

	(void)state;
	cfg_free(&cfg);
	assert_int_equal(cfg_load(&cfg, file, true, ovr, 3, err), 0);
	assert_true(cfg.listen);
	/* -o beats the file, and may repeat: the last one wins */
	assert_int_equal(cfg.listen_port, 2323);
	assert_true(cfg.write_enable);
}

static void
test_load_errors(void **state)
{
	const char *file = write_conf("listen=YES\nlisten_port=21\nlisten_port=22\n");
	char *bad_key[] = { "nope=1" };
	char *bad_val[] = { "listen_port=70000" };
	char *no_eq[] = { "listen" };
	char expect[256];

	(void)state;
	cfg_free(&cfg);
	assert_int_equal(cfg_load(&cfg, file, true, NULL, 0, err), -1);
	snprintf(expect, sizeof(expect), "%s:3: option listen_port is set twice", file);
	assert_string_equal(err, expect);
	cfg_free(&cfg);

	unlink(file);
	file = write_conf("# empty\n");
	assert_int_equal(cfg_load(&cfg, file, true, bad_key, 1, err), -1);
	assert_non_null(strstr(err, "nope"));
	assert_non_null(strstr(err, "unknown option"));
	cfg_free(&cfg);
	assert_int_equal(cfg_load(&cfg, file, true, bad_val, 1, err), -1);
	assert_non_null(strstr(err, "out of range"));
	cfg_free(&cfg);
	assert_int_equal(cfg_load(&cfg, file, true, no_eq, 1, err), -1);
	assert_non_null(strstr(err, "KEY=VALUE"));
	cfg_free(&cfg);
}

static void
test_load_missing(void **state)
{
	(void)state;
	cfg_free(&cfg);
	/* a named file must exist ... */
	assert_int_equal(cfg_load(&cfg, "/nonexistent/miniftpd.conf", true, NULL, 0, err), -1);
	assert_int_equal(strncmp(err, "/nonexistent/miniftpd.conf:", 27), 0);
	cfg_free(&cfg);
	/* ... the default one may be absent: defaults apply */
	assert_int_equal(cfg_load(&cfg, "/nonexistent/miniftpd.conf", false, NULL, 0, err), 0);
	assert_int_equal(cfg.listen_port, 21);
}

/* -T output parses back to the same configuration. */
static void
test_dump_round_trip(void **state)
{
	char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	FILE *f;
	size_t lines = 0;

	(void)state;
	assert_int_equal(parse("listen=YES\nlocal_umask=022\nftpd_banner=hi there\n"
			       "local_max_rate=4294967295\n"), 0);
	f = open_memstream(&a, &alen);
	cfg_dump(&cfg, f);
	fclose(f);
	assert_non_null(strstr(a, "listen=YES\n"));
	assert_non_null(strstr(a, "listen_port=21\n"));
	assert_non_null(strstr(a, "local_umask=022\n"));
	assert_non_null(strstr(a, "anon_umask=077\n"));
	assert_non_null(strstr(a, "ftpd_banner=hi there\n"));
	assert_non_null(strstr(a, "\nlisten_address=\n"));
	for (const char *p = a; *p; p++)
		lines += *p == '\n';
	assert_true(lines > 50);

	cfg_free(&cfg);
	cfg_defaults(&cfg);
	assert_int_equal(cfg_parse_text(&cfg, "dump", a, alen, err), 0);
	f = open_memstream(&b, &blen);
	cfg_dump(&cfg, f);
	fclose(f);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_string, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vsftpd_advice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listen_exclusive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cluster_id_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cluster_url_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_no_switches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_line_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_and_nul_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cross_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_override, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump_round_trip, setup, teardown),
	};

	/* cmocka prints progress on stdout, failures and the summary on
	 * stderr: unbuffered, both keep their order in a log */
	setvbuf(stdout, NULL, _IONBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
