/*
 * sys_io.h - system-call wrappers: descriptors.
 * Reading, writing and closing descriptors, whatever they are: EINTR
 * retried, full transfers, pipes and the zero-copy paths (splice,
 * sendfile), descriptor flags.
 * The conventions of sysutil.h hold: EINTR retried, every descriptor
 * close-on-exec, -errno returned (x* functions die instead).
 */
#ifndef MINIFTPD_SYS_IO_H
#define MINIFTPD_SYS_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* sys_read_full / sys_write_full - transfer exactly LEN bytes.
 * RETURNS LEN, or -EPIPE when the peer closed first, or -errno. */
ssize_t sys_read_full(int fd, void *buf, size_t len);

ssize_t sys_write_full(int fd, const void *buf, size_t len);

/* sys_read - one read(), EINTR retried. RETURNS count (0 = EOF) or -errno. */
ssize_t sys_read(int fd, void *buf, size_t len);

/* sys_recv - one recv() with FLAGS, EINTR retried. */
ssize_t sys_recv(int fd, void *buf, size_t len, int flags);

/* sys_close - close FD if >= 0, keep errno; RETURNS -1 for assignment. */
int sys_close(int fd);

/* sys_close_from - close every descriptor from FIRST up (close_range(2);
 * a loop below the soft RLIMIT_NOFILE on kernels without it).  For the
 * very start of a process: descriptors whoever started it left open.
 * RETURNS 0 or -errno. */
int sys_close_from(int first);

/* sys_set_cloexec - set FD_CLOEXEC on an fd we did not open (ones
 * inherited from systemd). RETURNS 0 or -errno. */
int sys_set_cloexec(int fd);

/* sys_set_nonblock - set O_NONBLOCK on FD. RETURNS 0 or -errno. */
int sys_set_nonblock(int fd);
/* sys_set_blocking - clear O_NONBLOCK on FD. RETURNS 0 or -errno. */
int sys_set_blocking(int fd);

/* sys_write - one write(2), EINTR retried. RETURNS count or -errno. */
ssize_t sys_write(int fd, const void *buf, size_t len);

/* sys_pipe - a pipe, both ends O_CLOEXEC, of at least SIZE bytes
 * (F_SETPIPE_SZ).  RETURNS 0, or -errno and no pipe when the kernel
 * refuses the size (a user past fs.pipe-user-pages-soft gets 8 KiB pipes). */
int sys_pipe(int fds[2], size_t size);

/* sys_splice - one splice(2) of at most COUNT bytes from IN to OUT (no
 * offsets) with FLAGS, EINTR retried. RETURNS the count (0: end) or -errno. */
ssize_t sys_splice(int in, int out, size_t count, unsigned int flags);

/* sys_sendfile - one sendfile(2) of at most COUNT bytes of IN from *OFF
 * (advanced) to OUT. RETURNS count (0: end of file) or -errno. */
ssize_t sys_sendfile(int out, int in, off_t *off, size_t count);

/* sys_dup_to - dup3(2) FD onto TARGET, close-on-exec (TARGET is closed
 * first if open). RETURNS TARGET or -errno. */
int sys_dup_to(int fd, int target);
/* sys_dup_stdio - dup2(2) FD onto TARGET, one of 0, 1, 2: standard
 * descriptors are the ones meant to survive exec. RETURNS TARGET or -errno. */
int sys_dup_stdio(int fd, int target);
/* sys_dup_above - a close-on-exec copy of FD numbered MIN or more
 * (F_DUPFD_CLOEXEC). RETURNS the new fd or -errno. */
int sys_dup_above(int fd, int min);

#endif
