/*
 * test_authpam.c - the PAM conversation (authpam_conv): the password for
 * every echo-off prompt, and a failed conversation, with nothing left
 * allocated (ASan, `make unit SANITIZE=1`), for anything else; a module's
 * error or info text kept for the log either way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "authpam.h"

#define PASSWORD "pw-Sekr1t"

/* Run the conversation over STYLES (N of them) with the password PASS
 * (and TEXTS[i] as message i's text when TEXTS is given) into TALK. */
static int
converse_texts(const int *styles, const char *const *texts, int n, const char *pass,
	       struct authpam_talk *talk, struct pam_response **resp)
{
	struct pam_message m[PAM_MAX_NUM_MSG + 1];
	const struct pam_message *p[PAM_MAX_NUM_MSG + 1];

	for (int i = 0; i < n; i++) {
		m[i].msg_style = styles[i];
		m[i].msg = texts ? texts[i] : "Password: ";
		p[i] = &m[i];
	}
	talk->pass = pass;
	*resp = (struct pam_response *)(uintptr_t)1;	/* must be reset */
	return authpam_conv(n, p, resp, talk);
}

static int
converse(const int *styles, int n, const char *pass, struct pam_response **resp)
{
	struct authpam_talk talk = { 0 };

	return converse_texts(styles, NULL, n, pass, &talk, resp);
}

static void
free_resp(struct pam_response *r, int n)
{
	for (int i = 0; i < n; i++)
		free(r[i].resp);
	free(r);
}

static void
test_password_for_each_prompt(void **state)
{
	int styles[3] = { PAM_PROMPT_ECHO_OFF, PAM_PROMPT_ECHO_OFF, PAM_PROMPT_ECHO_OFF };
	struct pam_response *r;

	(void)state;
	for (int n = 1; n <= 3; n++) {
		assert_int_equal(converse(styles, n, PASSWORD, &r), PAM_SUCCESS);
		assert_non_null(r);
		for (int i = 0; i < n; i++) {
			assert_string_equal(r[i].resp, PASSWORD);
			assert_int_equal(r[i].resp_retcode, 0);
		}
		free_resp(r, n);
	}
}

static void
test_anything_else_fails(void **state)
{
	static const int others[] = { PAM_PROMPT_ECHO_ON, PAM_ERROR_MSG, PAM_TEXT_INFO, 0, 99 };
	struct pam_response *r;

	(void)state;
	for (size_t k = 0; k < sizeof(others) / sizeof(others[0]); k++) {
		int alone[1] = { others[k] };
		/* after a prompt already answered: that answer is freed too */
		int after[3] = { PAM_PROMPT_ECHO_OFF, PAM_PROMPT_ECHO_OFF, others[k] };
		int before[2] = { others[k], PAM_PROMPT_ECHO_OFF };

		assert_int_equal(converse(alone, 1, PASSWORD, &r), PAM_CONV_ERR);
		assert_null(r);
		assert_int_equal(converse(after, 3, PASSWORD, &r), PAM_CONV_ERR);
		assert_null(r);
		assert_int_equal(converse(before, 2, PASSWORD, &r), PAM_CONV_ERR);
		assert_null(r);
	}
}

static void
test_no_password_or_bad_count(void **state)
{
	int styles[PAM_MAX_NUM_MSG + 1];
	struct pam_response *r;

	(void)state;
	for (int i = 0; i <= PAM_MAX_NUM_MSG; i++)
		styles[i] = PAM_PROMPT_ECHO_OFF;
	/* after pam_authenticate the conversation has no password */
	assert_int_equal(converse(styles, 1, NULL, &r), PAM_CONV_ERR);
	assert_null(r);
	assert_int_equal(converse(styles, 0, PASSWORD, &r), PAM_CONV_ERR);
	assert_null(r);
	assert_int_equal(converse(styles, -1, PASSWORD, &r), PAM_CONV_ERR);
	assert_null(r);
	assert_int_equal(converse(styles, PAM_MAX_NUM_MSG + 1, PASSWORD, &r), PAM_CONV_ERR);
	assert_null(r);
	assert_int_equal(converse(styles, PAM_MAX_NUM_MSG, PASSWORD, &r), PAM_SUCCESS);
	free_resp(r, PAM_MAX_NUM_MSG);
}

static void
test_module_texts_kept(void **state)
{
	static const char long_text[] = "0123456789012345678901234567890123456789"
		"0123456789012345678901234567890123456789012345678901234567890123456789"
		"0123456789012345678901234567890123456789";
	int nologin[1] = { PAM_ERROR_MSG };
	const char *nologin_text[1] = { "Down for maintenance\r\nuntil 04:00\n\n" };
	int info_then_prompt[2] = { PAM_TEXT_INFO, PAM_PROMPT_ECHO_OFF };
	const char *info_text[2] = { "Welcome", "Password: " };
	int error_after_info[2] = { PAM_TEXT_INFO, PAM_ERROR_MSG };
	const char *error_texts[2] = { "hello", "The account is locked" };
	int one[1] = { PAM_TEXT_INFO };
	const char *long_texts[1] = { long_text };
	struct authpam_talk talk = { 0 };
	struct pam_response *r;

	(void)state;
	/* pam_nologin: refused, its file's text kept, line ends as spaces */
	assert_int_equal(converse_texts(nologin, nologin_text, 1, NULL, &talk, &r),
			 PAM_CONV_ERR);
	assert_null(r);
	assert_string_equal(talk.said, "Down for maintenance  until 04:00");
	/* an info text does not replace an error text; a later error text does */
	assert_int_equal(converse_texts(info_then_prompt, info_text, 2, PASSWORD, &talk, &r),
			 PAM_CONV_ERR);
	assert_string_equal(talk.said, "Down for maintenance  until 04:00");
	assert_int_equal(converse_texts(error_after_info, error_texts, 2, NULL, &talk, &r),
			 PAM_CONV_ERR);
	assert_string_equal(talk.said, "The account is locked");
	/* bounded */
	talk.said[0] = '\0';
	assert_int_equal(converse_texts(one, long_texts, 1, PASSWORD, &talk, &r), PAM_CONV_ERR);
	assert_int_equal(strlen(talk.said), sizeof(talk.said) - 1);
	assert_memory_equal(talk.said, long_text, sizeof(talk.said) - 1);
	/* prompts are not texts */
	talk.said[0] = '\0';
	assert_int_equal(converse_texts(&info_then_prompt[1], &info_text[1], 1, PASSWORD,
					&talk, &r), PAM_SUCCESS);
	assert_string_equal(talk.said, "");
	free_resp(r, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_for_each_prompt),
		cmocka_unit_test(test_anything_else_fails),
		cmocka_unit_test(test_no_password_or_bad_count),
		cmocka_unit_test(test_module_texts_kept),
	};

	setvbuf(stdout, NULL, _IONBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
