/* path.c - client path normalisation and confined opening; see path.h. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path.h"
#include "str.h"
#include "sys_file.h"

/* Drop the last component of OUT (length *LEN), never above "/". */
static void
pop_component(char *out, size_t *len)
{
	while (*len > 1 && out[*len - 1] != '/')
		(*len)--;
	if (*len > 1)
		(*len)--;
	out[*len] = '\0';
}

static int
push_component(char *out, size_t *len, size_t outlen, const char *c, size_t clen)
{
	size_t need = (*len > 1 ? 1 : 0) + clen;

	if (need >= outlen - *len)
		return -ENAMETOOLONG;
	if (*len > 1)
		out[(*len)++] = '/';
	memcpy(out + *len, c, clen);
	*len += clen;
	out[*len] = '\0';
	return 0;
}

static int
apply(char *out, size_t *len, size_t outlen, const char *p)
{
	while (*p) {
		size_t clen = strcspn(p, "/");

		if (clen == 2 && p[0] == '.' && p[1] == '.')
			pop_component(out, len);
		else if (clen > 0 && !(clen == 1 && p[0] == '.') &&
			 push_component(out, len, outlen, p, clen) < 0)
			return -ENAMETOOLONG;
		p += clen;
		while (*p == '/')
			p++;
	}
	return 0;
}

int
path_normalize(const char *cwd, const char *arg, char *out, size_t outlen)
{
	size_t len = 1;

	if (outlen < 2)
		return -ENAMETOOLONG;
	out[0] = '/';
	out[1] = '\0';
	if (arg[0] != '/' && apply(out, &len, outlen, cwd) < 0)
		return -ENAMETOOLONG;
	return apply(out, &len, outlen, arg);
}

int
path_split(const char *path, char *parent, size_t plen, char *name, size_t nlen)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL || slash[1] == '\0')
		return -EINVAL;
	if (str_lcpy(name, slash + 1, nlen) < 0)
		return -ENAMETOOLONG;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= plen)
		return -ENAMETOOLONG;
	memcpy(parent, path, n);
	parent[n] = '\0';
	return 0;
}

bool
path_ends_in_dot(const char *arg)
{
	size_t n = strlen(arg);

	while (n > 0 && arg[n - 1] == '/')
		n--;
	if (n > 0 && arg[n - 1] == '.')
		n--;
	else
		return false;
	if (n > 0 && arg[n - 1] == '.')
		n--;
	return n == 0 || arg[n - 1] == '/';
}

/* ROOT_FD is the process's own root directory (its chroot, or "/"). */
static bool
is_process_root(int root_fd)
{
	struct stat a, b;

	return sys_fstat(root_fd, &a) == 0 && sys_stat("/", &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * No openat2 (a kernel before 5.6, valgrind): beneath the process's own
 * root a plain openat() cannot leave it either (".." stops there, absolute
 * links start there), so fall back; beneath any other directory fail
 * closed rather than follow links out of it.
 */
static int
openat_fallback(int root_fd, const char *rel, const struct open_how *how)
{
	if (!is_process_root(root_fd))
		return -ENOSYS;
	return sys_openat(root_fd, rel, (int)how->flags, (mode_t)how->mode);
}

int
path_open(int root_fd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	const char *rel = path;
	int fd;

	while (*rel == '/')
		rel++;
	if (*rel == '\0')
		rel = ".";
	/* EAGAIN: a concurrent rename raced the lookup; retry a few times */
	for (int tries = 0; tries < 8; tries++) {
		fd = sys_openat2(root_fd, rel, &how);
		if (fd == -ENOSYS)
			fd = openat_fallback(root_fd, rel, &how);
		if (fd >= 0 || (fd != -EINTR && fd != -EAGAIN))
			break;
	}
	return fd;
}

int
path_open_parent(int root_fd, const char *path, char *name, size_t nlen)
{
	char parent[4096];
	int r = path_split(path, parent, sizeof(parent), name, nlen);

	if (r < 0)
		return r;
	return path_open(root_fd, parent, O_PATH | O_DIRECTORY, 0);
}

/* An alternative of a filter, at most this long once expanded. */
#define FILTER_MAX 512

static bool
glob_match(const char *pre, size_t prelen, const char *alt, size_t altlen,
	   const char *post, const char *name)
{
	char pat[FILTER_MAX];

	if (prelen + altlen + strlen(post) >= sizeof(pat))
		return true;
	memcpy(pat, pre, prelen);
	memcpy(pat + prelen, alt, altlen);
	strcpy(pat + prelen + altlen, post);
	return fnmatch(pat, name, 0) == 0;
}

bool
path_filter_match(const char *patterns, const char *name)
{
	const char *open = strchr(patterns, '{'), *close, *alt;

	if (patterns[0] == '\0')
		return false;
	if (open == NULL)
		return glob_match("", 0, patterns, strlen(patterns), "", name);
	close = strchr(open, '}');
	if (close == NULL || strchr(close + 1, '{') || memchr(open + 1, '{', (size_t)(close - open - 1)))
		return true;
	for (alt = open + 1; alt <= close; ) {
		size_t len = strcspn(alt, ",}");

		if (glob_match(patterns, (size_t)(open - patterns), alt, len, close + 1, name))
			return true;
		alt += len + 1;
	}
	return false;
}

bool
path_filter_denies(const char *patterns, const char *path)
{
	char comp[FILTER_MAX];
	const char *p = path;

	if (patterns[0] == '\0')
		return false;
	if (path_filter_match(patterns, path))
		return true;
	while (*p) {
		size_t len;

		p += strspn(p, "/");
		len = strcspn(p, "/");
		if (len == 0)
			break;
		if (len >= sizeof(comp))
			return true;
		memcpy(comp, p, len);
		comp[len] = '\0';
		if (path_filter_match(patterns, comp))
			return true;
		p += len;
	}
	return false;
}
