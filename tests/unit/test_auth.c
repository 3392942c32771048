/*
 * test_auth.c - the pure parts of the credential checks (auth.h):
 * pam_unix's password aging verdict, day by day at its boundaries, and
 * the dummy settings auth_init makes for attempts without a usable hash.
 */
#include <crypt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "auth.h"
#include "config.h"
#include "session.h"

#define TODAY	20000L		/* 2024-10-04, in days since the epoch */
#define DAY_2020_01_01 18262L

/* A shadow entry; -1 is an empty field, as getspnam gives it. */
static struct spwd
sp(long lstchg, long max, long inact, long expire)
{
	struct spwd s = {
		.sp_namp = (char *)"u", .sp_pwdp = (char *)"$6$s$h",
		.sp_lstchg = lstchg, .sp_min = 0, .sp_max = max, .sp_warn = 7,
		.sp_inact = inact, .sp_expire = expire,
	};

	return s;
}

static enum auth_aging
aging(long lstchg, long max, long inact, long expire)
{
	struct spwd s = sp(lstchg, max, inact, expire);

	return auth_shadow_aging(&s, TODAY);
}

static void
test_no_aging(void **state)
{
	(void)state;
	assert_int_equal(aging(TODAY - 5000, -1, -1, -1), AUTH_AGING_OK);
	assert_int_equal(aging(-1, -1, -1, -1), AUTH_AGING_OK);	/* no last change */
	assert_int_equal(aging(TODAY - 5000, 99999, -1, -1), AUTH_AGING_OK);	/* Debian's default */
	assert_int_equal(aging(TODAY - 5000, -1, 3, -1), AUTH_AGING_OK);	/* inact without max */
}

/* sp_expire: the account is expired from that day on (0 too, as pam_unix reads it). */
static void
test_account_expiry(void **state)
{
	(void)state;
	assert_int_equal(aging(TODAY - 1, -1, -1, TODAY), AUTH_AGING_ACCOUNT_EXPIRED);
	assert_int_equal(aging(TODAY - 1, -1, -1, DAY_2020_01_01), AUTH_AGING_ACCOUNT_EXPIRED);
	assert_int_equal(aging(TODAY - 1, -1, -1, 0), AUTH_AGING_ACCOUNT_EXPIRED);
	assert_int_equal(aging(TODAY - 1, -1, -1, TODAY + 1), AUTH_AGING_OK);
	/* it comes first: an expired account that must also change its password */
	assert_int_equal(aging(0, -1, -1, TODAY - 1), AUTH_AGING_ACCOUNT_EXPIRED);
}

/* chage -d 0: a new password now, whatever max says. */
static void
test_must_change(void **state)
{
	(void)state;
	assert_int_equal(aging(0, -1, -1, -1), AUTH_AGING_MUST_CHANGE);
	assert_int_equal(aging(0, 99999, -1, TODAY + 10), AUTH_AGING_MUST_CHANGE);
}

static void
test_password_expiry(void **state)
{
	(void)state;
	/* the case: chage -d 2020-01-01 -M 30 -I 1 */
	assert_int_equal(aging(DAY_2020_01_01, 30, 1, -1), AUTH_AGING_INACTIVE);
	/* max 30: day 30 still fine, day 31 needs a change */
	assert_int_equal(aging(TODAY - 30, 30, -1, -1), AUTH_AGING_OK);
	assert_int_equal(aging(TODAY - 31, 30, -1, -1), AUTH_AGING_PASSWORD_EXPIRED);
	/* without inact the account never turns inactive */
	assert_int_equal(aging(TODAY - 5000, 30, -1, -1), AUTH_AGING_PASSWORD_EXPIRED);
	/* max 30, inact 30: expired but in the grace days up to day 60, then inactive */
	assert_int_equal(aging(TODAY - 40, 30, 30, -1), AUTH_AGING_PASSWORD_EXPIRED);
	assert_int_equal(aging(TODAY - 60, 30, 30, -1), AUTH_AGING_PASSWORD_EXPIRED);
	assert_int_equal(aging(TODAY - 61, 30, 30, -1), AUTH_AGING_INACTIVE);
	/* inact 0: inactive the day after it expired */
	assert_int_equal(aging(TODAY - 31, 30, 0, -1), AUTH_AGING_INACTIVE);
	/* a last change in the future: pam_unix lets it be */
	assert_int_equal(aging(TODAY + 3, 0, 0, -1), AUTH_AGING_OK);
	/* sp_min and sp_warn never refuse a login */
	{
		struct spwd s = sp(TODAY - 1, 30, -1, -1);

		s.sp_min = 10;
		s.sp_warn = 30;
		assert_int_equal(auth_shadow_aging(&s, TODAY), AUTH_AGING_OK);
	}
}

static char dir[] = "/tmp/test_auth.XXXXXX";
static char path[sizeof(dir) + 8];

static void
load(struct config *cfg, const char *users)
{
	char err[CFG_ERR_MAX], opt[sizeof(path) + 16];
	char *ovr[] = { opt };
	FILE *f;

	snprintf(path, sizeof(path), "%s/users", dir);
	snprintf(opt, sizeof(opt), "user_db_file=%s", path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(users, f);
	fclose(f);
	if (cfg_load(cfg, "/nonexistent/miniftpd.conf", false, ovr, 1, err) < 0)
		fail_msg("cfg_load: %s", err);
}

/* Local users: a fresh setting of libcrypt's default method, which crypt
 * runs; virtual users: the setting of the first hash crypt can run. */
static void
test_dummy_settings(void **state)
{
	static struct config cfg;
	static struct runtime rt;
	const char *def = crypt_gensalt(NULL, 0, NULL, 0);

	(void)state;
	assert_non_null(mkdtemp(dir));
	load(&cfg, "# users\nlocked:!$6$old$hash\nstar:*\n"
		   "sha:$6$rounds=20000$saltsalt$H4sh:/srv\ny:$y$j9T$abc$def\n");
	auth_init(&cfg, &rt);
	assert_non_null(def);
	assert_int_equal(strncmp(rt.dummy_local, def, 3), 0);	/* same method */
	assert_string_not_equal(rt.dummy_local, def);		/* its own salt */
	assert_int_equal(crypt_checksalt(rt.dummy_local), CRYPT_SALT_OK);
	assert_string_equal(rt.dummy_virtual, "$6$rounds=20000$saltsalt");
	cfg_free(&cfg);

	load(&cfg, "y:$y$j9T$abc$def\nsha:$6$s$h\n");
	auth_init(&cfg, &rt);
	assert_string_equal(rt.dummy_virtual, "$y$j9T$abc");
	cfg_free(&cfg);

	load(&cfg, "locked:!\n");		/* none usable: the local one serves */
	auth_init(&cfg, &rt);
	assert_string_equal(rt.dummy_virtual, "");
	cfg_free(&cfg);

	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_aging),
		cmocka_unit_test(test_account_expiry),
		cmocka_unit_test(test_must_change),
		cmocka_unit_test(test_password_expiry),
		cmocka_unit_test(test_dummy_settings),
	};

	setvbuf(stdout, NULL, _IONBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
