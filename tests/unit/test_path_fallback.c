/*
 * test_path_fallback.c - path_open() without openat2 (ENOSYS, as on a
 * kernel before 5.6 or under valgrind): it falls back to openat() only
 * beneath the process's root directory, and fails closed beneath any
 * other directory, where plain openat() would follow links out of it.
 * openat2 is made to fail with a seccomp filter in a child process.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "path.h"

static char dir[64];

static int
setup(void **state)
{
	char p[128];
	int fd;

	(void)state;
	strcpy(dir, "/tmp/test_path_fallback.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/file", dir);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/out", dir);
	assert_int_equal(symlink("/", p), 0);
	return 0;
}

static int
teardown(void **state)
{
	char p[128];

	(void)state;
	snprintf(p, sizeof(p), "%s/file", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/out", dir);
	unlink(p);
	rmdir(dir);
	return 0;
}

static void
no_openat2(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

	if (ctx == NULL || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0) < 0 ||
	    seccomp_load(ctx) < 0)
		_exit(10);
	seccomp_release(ctx);
}

/* In a child without openat2: RETURNS the child's exit status (0: as expected). */
static int
run_without_openat2(int (*check)(void))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		no_openat2();
		_exit(check());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Beneath a directory that is not our root: -ENOSYS, never a plain openat. */
static int
check_fails_closed(void)
{
	int root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (root < 0)
		return 1;
	if (path_open(root, "/file", O_RDONLY, 0) != -ENOSYS)
		return 2;
	if (path_open(root, "/out/etc", O_PATH, 0) != -ENOSYS)
		return 3;
	return 0;
}

/* Beneath the process's root: plain openat, just as confined. */
static int
check_falls_back(void)
{
	char p[128];
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), fd;

	if (root < 0)
		return 1;
	snprintf(p, sizeof(p), "%s/file", dir);
	fd = path_open(root, p, O_RDONLY, 0);
	if (fd < 0)
		return 2;
	close(fd);
	return 0;
}

static void
test_fails_closed(void **state)
{
	(void)state;
	assert_int_equal(run_without_openat2(check_fails_closed), 0);
}

static void
test_falls_back_beneath_own_root(void **state)
{
	(void)state;
	assert_int_equal(run_without_openat2(check_falls_back), 0);
}

/* With openat2 the link out is refused as before. */
static void
test_with_openat2(void **state)
{
	int root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC), fd;

	(void)state;
	assert_true(root >= 0);
	fd = path_open(root, "/file", O_RDONLY, 0);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(path_open(root, "/out/etc", O_PATH, 0), -ENOENT);
	close(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fails_closed),
		cmocka_unit_test(test_falls_back_beneath_own_root),
		cmocka_unit_test(test_with_openat2),
	};

	setvbuf(stdout, NULL, _IONBF, 0);
	return cmocka_run_group_tests(tests, setup, teardown);
}
