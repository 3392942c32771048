/* test_sysutil.c - the directory reader, the once-only no_new_privs, new fds close-on-exec. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "sysutil.h"

#define NFILES	300	/* with a 1 KiB buffer: many getdents64 calls */

static char dir_path[] = "/tmp/test_sysutil.XXXXXX";

static int
make_dir(void **state)
{
	char name[64];

	(void)state;
	if (mkdtemp(dir_path) == NULL)
		return -1;
	for (int i = 0; i < NFILES; i++) {
		int fd;

		snprintf(name, sizeof(name), "%s/file-with-a-longish-name-%04d", dir_path, i);
		fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0)
			return -1;
		close(fd);
	}
	return 0;
}

static int
remove_dir(void **state)
{
	char name[64];

	(void)state;
	for (int i = 0; i < NFILES; i++) {
		snprintf(name, sizeof(name), "%s/file-with-a-longish-name-%04d", dir_path, i);
		unlink(name);
	}
	return rmdir(dir_path);
}

/* Every entry exactly once, "." and "..", across many small reads. */
static void
test_dir_reads_every_entry_once(void **state)
{
	static char buf[1024] __attribute__((aligned(8)));
	bool seen[NFILES] = { false };
	int fd = open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 1, n = 0, dots = 0;
	struct sys_dir d;
	const char *name;

	(void)state;
	assert_true(fd >= 0);
	sys_dir_init(&d, fd, buf, sizeof(buf));
	while ((name = sys_dir_next(&d, &err)) != NULL) {
		unsigned int i;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
			dots++;
			continue;
		}
		assert_int_equal(sscanf(name, "file-with-a-longish-name-%4u", &i), 1);
		assert_true(i < NFILES);
		assert_false(seen[i]);
		seen[i] = true;
		n++;
	}
	assert_int_equal(err, 0);
	assert_int_equal(n, NFILES);
	assert_int_equal(dots, 2);
	/* at the end it stays at the end */
	assert_null(sys_dir_next(&d, &err));
	assert_int_equal(err, 0);
	close(fd);
}

/* A descriptor that is not a directory is an error, not an empty listing. */
static void
test_dir_error_is_reported(void **state)
{
	static char buf[1024] __attribute__((aligned(8)));
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), err = 0;
	struct sys_dir d;

	(void)state;
	assert_true(fd >= 0);
	sys_dir_init(&d, fd, buf, sizeof(buf));
	assert_null(sys_dir_next(&d, &err));
	assert_int_equal(err, -ENOTDIR);
	close(fd);
}

/* no_new_privs is really set, in this process and in a child after fork. */
static void
test_no_new_privs(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0)
		skip();		/* set by whoever started us: nothing to see */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (sys_no_new_privs() < 0 || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
			_exit(3);
		if (sys_no_new_privs() < 0)	/* a second call is a no-op */
			_exit(4);
		pid = fork();
		if (pid == 0)
			_exit(sys_no_new_privs() == 0 &&
			       prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 5);
		if (pid < 0 || waitpid(pid, &status, 0) != pid)
			_exit(6);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 7);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static bool
cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	return flags >= 0 && (flags & FD_CLOEXEC);
}

/* The descriptor wrappers added for the raw calls they replaced: every
 * new fd close-on-exec (but the stdio ones), -errno on failure. */
static void
test_new_fds_are_cloexec(void **state)
{
	int dfd = sys_open("/", O_RDONLY | O_DIRECTORY, 0), fd, up;

	(void)state;
	assert_true(dfd >= 0);
	fd = sys_openat(dfd, "proc", O_RDONLY | O_DIRECTORY, 0);
	assert_true(fd >= 0);
	assert_true(cloexec(fd));
	up = sys_dup_above(fd, 100);
	assert_true(up >= 100);
	assert_true(cloexec(up));
	assert_int_equal(sys_dup_to(dfd, up), up);
	assert_true(cloexec(up));
	assert_int_equal(sys_openat(dfd, "no such name here", O_RDONLY, 0), -ENOENT);
	assert_int_equal(sys_dup_stdio(dfd, 3), -EINVAL);
	assert_int_equal(sys_mkdirat(dfd, "proc", 0755), -EEXIST);
	sys_close(up);
	sys_close(fd);
	sys_close(dfd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dir_reads_every_entry_once, make_dir,
						remove_dir),
		cmocka_unit_test(test_dir_error_is_reported),
		cmocka_unit_test(test_no_new_privs),
		cmocka_unit_test(test_new_fds_are_cloexec),
	};

	setvbuf(stdout, NULL, _IONBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
