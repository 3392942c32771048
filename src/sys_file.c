/* sys_file.c - system-call wrappers: files and directories; see sys_file.h. */
#include <dirent.h>
#include <errno.h>
#include <linux/openat2.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sysutil.h"

int
sys_open(const char *path, int flags, mode_t mode)
{
	int fd;

	do
		fd = open(path, flags | O_CLOEXEC, mode);
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}

ssize_t
sys_read_file(const char *path, size_t max, char **out)
{
	struct stat st;
	ssize_t n;
	char *p;
	int fd = sys_open(path, O_RDONLY, 0);

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		n = -errno;
		sys_close(fd);
		return n;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		sys_close(fd);
		return S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
	}
	p = xmalloc((size_t)st.st_size + 1);
	n = sys_read_full(fd, p, (size_t)st.st_size);
	sys_close(fd);
	if (n == -EPIPE)	/* shrank while we read: take what is there */
		n = 0;
	if (n < 0) {
		free(p);
		return n;
	}
	p[n] = '\0';
	*out = p;
	return n;
}

int
sys_memfd(const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

ssize_t
sys_pread_whole(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int
sys_mkdir(const char *path, mode_t mode)
{
	return mkdir(path, mode) < 0 ? -errno : 0;
}

int
sys_unlink(const char *path)
{
	return unlink(path) < 0 ? -errno : 0;
}

int
sys_rename(const char *from, const char *to)
{
	return rename(from, to) < 0 ? -errno : 0;
}

int
sys_chmod(const char *path, mode_t mode)
{
	return chmod(path, mode) < 0 ? -errno : 0;
}

int
sys_lstat_mode(const char *path, mode_t *mode)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return -errno;
	*mode = st.st_mode;
	return 0;
}

int
sys_fstat(int fd, struct stat *st)
{
	return fstat(fd, st) < 0 ? -errno : 0;
}

int
sys_fstatat(int dfd, const char *name, struct stat *st, int flags)
{
	return fstatat(dfd, name, st, flags) < 0 ? -errno : 0;
}

void
sys_dir_init(struct sys_dir *d, int fd, char *buf, size_t size)
{
	d->fd = fd;
	d->buf = buf;
	d->size = size;
	d->pos = d->len = 0;
}

const char *
sys_dir_next(struct sys_dir *d, int *err)
{
	const struct dirent64 *e;

	if (d->pos >= d->len) {
		ssize_t n;

		do
			n = getdents64(d->fd, d->buf, d->size);
		while (n < 0 && errno == EINTR);
		if (n <= 0) {
			if (err)
				*err = n < 0 ? -errno : 0;
			return NULL;
		}
		d->len = (size_t)n;
		d->pos = 0;
	}
	e = (const struct dirent64 *)(const void *)(d->buf + d->pos);
	if (e->d_reclen == 0 || e->d_reclen > d->len - d->pos) {
		if (err)
			*err = -EIO;
		return NULL;
	}
	d->pos += e->d_reclen;
	return e->d_name;
}

ssize_t
sys_readlinkat(int dfd, const char *name, char *buf, size_t len)
{
	ssize_t n = readlinkat(dfd, name, buf, len - 1);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

int
sys_ftruncate(int fd, off_t len)
{
	return ftruncate(fd, len) < 0 ? -errno : 0;
}

off_t
sys_lseek(int fd, off_t off, int whence)
{
	off_t r = lseek(fd, off, whence);

	return r < 0 ? -errno : r;
}

int
sys_lock_file(int fd, bool write)
{
	struct flock fl = {
		.l_type = write ? F_WRLCK : F_RDLCK,
		.l_whence = SEEK_SET,
	};
	int r;

	do
		r = fcntl(fd, F_OFD_SETLK, &fl);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EACCES ? -EAGAIN : -errno;
	return 0;
}

int
sys_fchown(int fd, uid_t uid)
{
	return fchown(fd, uid, (gid_t)-1) < 0 ? -errno : 0;
}

int
sys_unlinkat(int dfd, const char *name, int flags)
{
	return unlinkat(dfd, name, flags) < 0 ? -errno : 0;
}

int
sys_set_mtime_nofollow(int dfd, const char *name, long long mtime)
{
	struct timespec ts[2] = {
		{ .tv_sec = (time_t)mtime }, { .tv_sec = (time_t)mtime },
	};

	return utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

int
sys_stat(const char *path, struct stat *st)
{
	return stat(path, st) < 0 ? -errno : 0;
}

int
sys_openat(int dfd, const char *name, int flags, mode_t mode)
{
	int fd = openat(dfd, name, flags | O_CLOEXEC, mode);

	return fd < 0 ? -errno : fd;
}

int
sys_openat2(int dfd, const char *name, const struct open_how *how)
{
	long fd = syscall(SYS_openat2, dfd, name, how, sizeof(*how));

	return fd < 0 ? -errno : (int)fd;
}

int
sys_mkdirat(int dfd, const char *name, mode_t mode)
{
	return mkdirat(dfd, name, mode) < 0 ? -errno : 0;
}

int
sys_renameat(int dfd1, const char *name1, int dfd2, const char *name2)
{
	return renameat(dfd1, name1, dfd2, name2) < 0 ? -errno : 0;
}

int
sys_fchmod(int fd, mode_t mode)
{
	return fchmod(fd, mode) < 0 ? -errno : 0;
}
