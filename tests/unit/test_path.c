/* test_path.c - client path normalisation and confined opening (path.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "defs.h"
#include "path.h"

static void
norm_is(const char *cwd, const char *arg, const char *want)
{
	char out[MAX_FTP_PATH];

	assert_int_equal(path_normalize(cwd, arg, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void
test_ends_in_dot(void **state)
{
	static const char *yes[] = { ".", "..", "./", "../", "a/.", "a/..", "/a/b/./",
				     "a/..//", "/.", "/.." };
	static const char *no[] = { "", "a", ".a", "a.", "..a", "a..", "a/.b", "/",
				    "a/b/", "...", "a/..." };

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(path_ends_in_dot(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(path_ends_in_dot(no[i]));
}

static void
test_normalize(void **state)
{
	(void)state;
	norm_is("/", "", "/");
	norm_is("/a/b", "", "/a/b");
	norm_is("/", "a", "/a");
	norm_is("/a", "b/c", "/a/b/c");
	norm_is("/a", "/x", "/x");
	norm_is("/a/b", ".", "/a/b");
	norm_is("/a/b", "./c/.", "/a/b/c");
	norm_is("/a/b", "..", "/a");
	norm_is("/a/b", "../..", "/");
	norm_is("/a/b", "../c", "/a/c");
	norm_is("/a", "b/../../c", "/c");
	norm_is("/", "a/", "/a");
	norm_is("/", "dir with spaces/f\xc3\xa9", "/dir with spaces/f\xc3\xa9");
	norm_is("/", "...", "/...");
	norm_is("/", "..a/.b/a..", "/..a/.b/a..");
}

static void
test_double_slash(void **state)
{
	(void)state;
	norm_is("/", "//", "/");
	norm_is("/", "a//b///c", "/a/b/c");
	norm_is("/a", "//b", "/b");
	norm_is("/", "////etc//./passwd", "/etc/passwd");
	norm_is("/x", "a/.//./b/", "/x/a/b");
}

static void
test_dotdot_at_root(void **state)
{
	(void)state;
	norm_is("/", "..", "/");
	norm_is("/", "../../..", "/");
	norm_is("/", "/../etc/passwd", "/etc/passwd");
	norm_is("/a", "../../../../etc/passwd", "/etc/passwd");
	norm_is("/", "a/../../b/../../..", "/");
}

static void
test_long_chains(void **state)
{
	char arg[3 * 2000 + 16], out[MAX_FTP_PATH];
	size_t o = 0;

	(void)state;
	/* 2000 "a/" then 2000 ".." climb back to the start */
	for (int i = 0; i < 1000; i++)
		o += (size_t)sprintf(arg + o, "a/");
	for (int i = 0; i < 1000; i++)
		o += (size_t)sprintf(arg + o, "../");
	strcpy(arg + o, "z");
	assert_int_equal(path_normalize("/top", arg, out, sizeof(out)), 0);
	assert_string_equal(out, "/top/z");
	/* 5000 "./" and "//" are nothing */
	o = 0;
	for (int i = 0; i < 2500; i++)
		o += (size_t)sprintf(arg + o, i % 2 ? "./" : "//");
	strcpy(arg + o, "f");
	assert_int_equal(path_normalize("/", arg, out, sizeof(out)), 0);
	assert_string_equal(out, "/f");
}

static void
test_too_long(void **state)
{
	char arg[MAX_FTP_PATH + 64], out[MAX_FTP_PATH], small[8];

	(void)state;
	memset(arg, 'x', sizeof(arg) - 1);
	arg[sizeof(arg) - 1] = '\0';
	assert_int_equal(path_normalize("/", arg, out, sizeof(out)), -ENAMETOOLONG);
	/* exactly fitting: "/" + 4094 bytes + NUL */
	arg[MAX_FTP_PATH - 2] = '\0';
	assert_int_equal(path_normalize("/", arg, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), MAX_FTP_PATH - 1);
	arg[MAX_FTP_PATH - 2] = 'x';
	arg[MAX_FTP_PATH - 1] = '\0';
	assert_int_equal(path_normalize("/", arg, out, sizeof(out)), -ENAMETOOLONG);
	/* too long only together with the working directory */
	assert_int_equal(path_normalize("/abc", "def", small, sizeof(small)), -ENAMETOOLONG);
	assert_int_equal(path_normalize("/abc", "de", small, sizeof(small)), 0);
	assert_string_equal(small, "/abc/de");
	assert_int_equal(path_normalize("/abc", "../defghi", small, sizeof(small)), 0);
	assert_string_equal(small, "/defghi");
	assert_int_equal(path_normalize("/", "", small, 1), -ENAMETOOLONG);
}

static void
test_split(void **state)
{
	char parent[64], name[64], tiny[2];

	(void)state;
	assert_int_equal(path_split("/a/b", parent, sizeof(parent), name, sizeof(name)), 0);
	assert_string_equal(parent, "/a");
	assert_string_equal(name, "b");
	assert_int_equal(path_split("/b", parent, sizeof(parent), name, sizeof(name)), 0);
	assert_string_equal(parent, "/");
	assert_string_equal(name, "b");
	assert_int_equal(path_split("/", parent, sizeof(parent), name, sizeof(name)), -EINVAL);
	assert_int_equal(path_split("/a/bc", parent, sizeof(parent), tiny, sizeof(tiny)),
			 -ENAMETOOLONG);
	assert_int_equal(path_split("/abc/d", tiny, sizeof(tiny), name, sizeof(name)),
			 -ENAMETOOLONG);
}

/* A temporary tree:  T/outside/secret   T/root/inside/file
 * T/root/up -> ../outside/secret   T/root/abs -> T/outside/secret
 * T/root/dirup -> ../..   T/root/ok -> inside/file */
static char top[PATH_MAX];
static int root_fd = -1;

static void
make_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
tree_setup(void **state)
{
	char p[PATH_MAX + 64], target[PATH_MAX + 64];
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(top, sizeof(top), "%s/miniftpd-path-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(top) == NULL)
		return -1;
	snprintf(p, sizeof(p), "%s/outside", top);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/outside/secret", top);
	make_file(p, "secret\n");
	snprintf(p, sizeof(p), "%s/root", top);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/root/inside", top);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/root/inside/file", top);
	make_file(p, "inside\n");
	snprintf(p, sizeof(p), "%s/root/up", top);
	if (symlink("../outside/secret", p) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/root/abs", top);
	snprintf(target, sizeof(target), "%s/outside/secret", top);
	if (symlink(target, p) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/root/dirup", top);
	if (symlink("../..", p) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/root/ok", top);
	if (symlink("inside/file", p) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/root", top);
	root_fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return root_fd < 0 ? -1 : 0;
}

static int
tree_teardown(void **state)
{
	static const char *const names[] = {
		"root/ok", "root/dirup", "root/abs", "root/up", "root/inside/file",
		"root/inside/new", "outside/secret",
	};
	static const char *const dirs[] = { "root/inside", "root", "outside", "" };
	char p[PATH_MAX + 64];

	(void)state;
	close(root_fd);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", top, names[i]);
		unlink(p);
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", top, dirs[i]);
		rmdir(p);
	}
	return 0;
}

static void
read_is(int fd, const char *want)
{
	char got[64] = "";
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, got, sizeof(got) - 1);
	assert_true(n >= 0);
	got[n] = '\0';
	assert_string_equal(got, want);
	close(fd);
}

static void
test_open_inside(void **state)
{
	int fd;

	(void)state;
	read_is(path_open(root_fd, "/inside/file", O_RDONLY, 0), "inside\n");
	/* a symlink that stays inside works */
	read_is(path_open(root_fd, "/ok", O_RDONLY, 0), "inside\n");
	fd = path_open(root_fd, "/", O_RDONLY | O_DIRECTORY, 0);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	assert_int_equal(path_open(root_fd, "/missing", O_RDONLY, 0), -ENOENT);
	fd = path_open(root_fd, "/inside/new", O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(path_open(root_fd, "/inside/new", O_WRONLY | O_CREAT | O_EXCL, 0600),
			 -EEXIST);
}

static void
test_open_confined(void **state)
{
	int fd;

	(void)state;
	/* relative and absolute symlinks pointing outside resolve beneath the root */
	assert_int_equal(path_open(root_fd, "/up", O_RDONLY, 0), -ENOENT);
	assert_int_equal(path_open(root_fd, "/abs", O_RDONLY, 0), -ENOENT);
	/* ".." that was not normalised away still stops at the root */
	assert_int_equal(path_open(root_fd, "../outside/secret", O_RDONLY, 0), -ENOENT);
	assert_int_equal(path_open(root_fd, "/inside/../../outside/secret", O_RDONLY, 0), -ENOENT);
	/* a directory symlink climbing out lands on the root itself */
	fd = path_open(root_fd, "/dirup/inside/file", O_RDONLY, 0);
	read_is(fd, "inside\n");
	assert_int_equal(path_open(root_fd, "/dirup/outside/secret", O_RDONLY, 0), -ENOENT);
	/* /proc (and its magic links) are not reachable: resolved beneath the root */
	assert_true(path_open(root_fd, "/proc/self/root/etc/passwd", O_RDONLY, 0) < 0);
}

static void
test_open_parent(void **state)
{
	char name[NAME_MAX + 1];
	struct stat st;
	int fd;

	(void)state;
	fd = path_open_parent(root_fd, "/inside/file", name, sizeof(name));
	assert_true(fd >= 0);
	assert_string_equal(name, "file");
	assert_int_equal(fstatat(fd, name, &st, 0), 0);
	assert_true(S_ISREG(st.st_mode));
	close(fd);
	fd = path_open_parent(root_fd, "/up", name, sizeof(name));
	assert_true(fd >= 0);
	assert_string_equal(name, "up");
	close(fd);
	assert_int_equal(path_open_parent(root_fd, "/", name, sizeof(name)), -EINVAL);
	assert_int_equal(path_open_parent(root_fd, "/missing/x", name, sizeof(name)), -ENOENT);
}

static void
test_filter(void **state)
{
	(void)state;
	assert_false(path_filter_match("", "a.mp3"));
	assert_true(path_filter_match("*.mp3", "a.mp3"));
	assert_false(path_filter_match("*.mp3", "a.mp4"));
	assert_true(path_filter_match("{*.mp3,*.iso,secret}", "x.iso"));
	assert_true(path_filter_match("{*.mp3,*.iso,secret}", "secret"));
	assert_false(path_filter_match("{*.mp3,*.iso,secret}", "secrets"));
	assert_true(path_filter_match("x{1,2}.txt", "x2.txt"));
	assert_false(path_filter_match("x{1,2}.txt", "x3.txt"));
	assert_true(path_filter_match("{.*}", ".hidden"));
	/* malformed: refuse everything rather than nothing */
	assert_true(path_filter_match("{*.mp3", "anything"));
	assert_true(path_filter_match("{a}{b}", "anything"));
	assert_true(path_filter_denies("{secret*}", "/pub/secretdir/file"));
	assert_true(path_filter_denies("*.mp3", "/a/b.mp3"));
	assert_false(path_filter_denies("*.mp3", "/a.mp3dir/b"));
	assert_true(path_filter_denies("/pub/*", "/pub/x"));
	assert_false(path_filter_denies("", "/pub/x"));
	assert_false(path_filter_denies("{x}", "/"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ends_in_dot),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_double_slash),
		cmocka_unit_test(test_dotdot_at_root),
		cmocka_unit_test(test_long_chains),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_split),
		cmocka_unit_test_setup_teardown(test_open_inside, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_open_confined, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_open_parent, tree_setup, tree_teardown),
	};

	/* cmocka prints progress on stdout, failures and the summary on
	 * stderr: unbuffered, both keep their order in a log */
	setvbuf(stdout, NULL, _IONBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
