/*
 * sys_file.h - system-call wrappers: files and directories.
 * Files and directories by path or by directory descriptor: open
 * (always O_CLOEXEC), stat, directory entries, links, locks, times,
 * modes.
 * The conventions of sysutil.h hold: EINTR retried, every descriptor
 * close-on-exec, -errno returned (x* functions die instead).
 */
#ifndef MINIFTPD_SYS_FILE_H
#define MINIFTPD_SYS_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct open_how;
struct stat;

/* sys_open - open(2) with O_CLOEXEC always added. RETURNS fd or -errno. */
int sys_open(const char *path, int flags, mode_t mode);

/* sys_read_file - read a whole (small) file into a NUL-terminated
 * buffer of at most MAX bytes; *OUT is xmalloc'ed. RETURNS length or -errno
 * (-EFBIG when larger). */
ssize_t sys_read_file(const char *path, size_t max, char **out);
/* sys_memfd - an anonymous file in memory (memfd_create, close-on-exec),
 * named NAME in /proc/PID/fd. RETURNS fd or -errno. */
int sys_memfd(const char *name);
/* sys_pread_whole - up to LEN bytes of FD from offset 0 with pread, which
 * leaves the offset (shared by every process that inherited FD) alone.
 * RETURNS the bytes read (fewer at the end of the file) or -errno. */
ssize_t sys_pread_whole(int fd, void *buf, size_t len);

/* sys_mkdir - mkdir(2). RETURNS 0 or -errno (-EEXIST included). */
int sys_mkdir(const char *path, mode_t mode);

/* sys_unlink - unlink(2). RETURNS 0 or -errno. */
int sys_unlink(const char *path);

/* sys_rename - rename(2): replace TO with FROM at once. RETURNS 0 or -errno. */
int sys_rename(const char *from, const char *to);

/* sys_chmod - chmod(2). RETURNS 0 or -errno. */
int sys_chmod(const char *path, mode_t mode);

/* sys_lstat_mode - the st_mode of PATH (not following a last symlink)
 * into *MODE. RETURNS 0 or -errno. */
int sys_lstat_mode(const char *path, mode_t *mode);

/* sys_fstat / sys_fstatat - fstat(2), fstatat(2) with FLAGS. RETURN 0 or -errno. */
int sys_fstat(int fd, struct stat *st);

int sys_fstatat(int dfd, const char *name, struct stat *st, int flags);

/*
 * A directory's entries, read with getdents64 into the caller's buffer:
 * unlike fdopendir, no fstat, no fcntl and no allocation per directory.
 * sys_dir_init - read FD (a directory opened at offset 0) through BUF.
 * sys_dir_next - the next entry's name ("." and ".." included), or NULL
 * at the end or on an error (then *ERR, if given, is -errno).
 */
struct sys_dir {
	int fd;
	char *buf;
	size_t size, pos, len;
};

void sys_dir_init(struct sys_dir *d, int fd, char *buf, size_t size);

const char *sys_dir_next(struct sys_dir *d, int *err);

/* sys_readlinkat - the target of link NAME in DFD into BUF (NUL-terminated,
 * truncated to LEN - 1). RETURNS its length or -errno. */
ssize_t sys_readlinkat(int dfd, const char *name, char *buf, size_t len);

/* sys_ftruncate - ftruncate(2). RETURNS 0 or -errno. */
int sys_ftruncate(int fd, off_t len);

/* sys_lseek - lseek(2). RETURNS the new offset or -errno. */
off_t sys_lseek(int fd, off_t off, int whence);

/* sys_lock_file - an open-file-description lock on the whole of FD, a
 * write lock when WRITE, else a read lock; never waits.
 * RETURNS 0, -EAGAIN when another holds a conflicting lock, or -errno. */
int sys_lock_file(int fd, bool write);

/* sys_fchown - fchown(2) to UID, group unchanged. RETURNS 0 or -errno. */
int sys_fchown(int fd, uid_t uid);

/* sys_unlinkat - unlinkat(2). RETURNS 0 or -errno. */
int sys_unlinkat(int dfd, const char *name, int flags);

/* sys_set_mtime_nofollow - set the access and modification time of NAME
 * in DFD (a last symlink itself, never its target) to MTIME.
 * RETURNS 0 or -errno. */
int sys_set_mtime_nofollow(int dfd, const char *name, long long mtime);

/* sys_stat - stat(2), following links. RETURNS 0 or -errno. */
int sys_stat(const char *path, struct stat *st);
/* sys_openat - openat(2) of NAME in DFD with O_CLOEXEC always added.
 * RETURNS fd or -errno. */
int sys_openat(int dfd, const char *name, int flags, mode_t mode);
/* sys_openat2 - one openat2(2) of NAME in DFD with HOW (its flags carry
 * O_CLOEXEC: the caller's), not retried: path_open decides on EINTR and
 * EAGAIN.  RETURNS fd or -errno (-ENOSYS before Linux 5.6). */
int sys_openat2(int dfd, const char *name, const struct open_how *how);
/* sys_mkdirat - mkdirat(2). RETURNS 0 or -errno. */
int sys_mkdirat(int dfd, const char *name, mode_t mode);
/* sys_renameat - renameat(2): NAME1 in DFD1 becomes NAME2 in DFD2.
 * RETURNS 0 or -errno. */
int sys_renameat(int dfd1, const char *name1, int dfd2, const char *name2);
/* sys_fchmod - fchmod(2). RETURNS 0 or -errno. */
int sys_fchmod(int fd, mode_t mode);

#endif
