/*
 * sysutil.h - every system call the project makes goes through here.
 *
 * Wrappers retry on EINTR, create every descriptor close-on-exec, and
 * return -errno on failure (0 or a count on success) unless the name
 * starts with x, which dies instead.  Used by every process of both
 * binaries.
 */
#ifndef MINIFTPD_SYSUTIL_H
#define MINIFTPD_SYSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Memory: refuse size 0 and overflow, die on exhaustion. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);

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
/* sys_exit_session - end a session process now: _exit(2), without the
 * exit handlers and the destructors of every library (a tenth of a short
 * session's exit), which have nothing to do here: replies, logs and the
 * xferlog are written unbuffered.  ASan builds exit() for LeakSanitizer. */
void sys_exit_session(int status) __attribute__((noreturn));
/* sys_close_from - close every descriptor from FIRST up (close_range(2);
 * a loop below the soft RLIMIT_NOFILE on kernels without it).  For the
 * very start of a process: descriptors whoever started it left open.
 * RETURNS 0 or -errno. */
int sys_close_from(int first);
/* sys_set_cloexec - set FD_CLOEXEC on an fd we did not open (ones
 * inherited from systemd). RETURNS 0 or -errno. */
int sys_set_cloexec(int fd);
struct sock_fprog;
/* sys_no_new_privs - set no_new_privs, once: the flag, like the kernel's,
 * is inherited across fork, so a process whose parent set it makes no
 * second prctl. RETURNS 0 or -errno. */
int sys_no_new_privs(void);
/* sys_seccomp_filter - set no_new_privs and install the BPF program PROG
 * as a seccomp filter of the calling thread. RETURNS 0 or -errno. */
int sys_seccomp_filter(const struct sock_fprog *prog);

/* Sockets, all SOCK_CLOEXEC. RETURN fd or -errno. */
int sys_socket(int domain, int type, int protocol);
int sys_socketpair(int type, int sv[2]);
/* sys_accept - accept4 with SOCK_CLOEXEC and FLAGS (0 or SOCK_NONBLOCK),
 * EINTR retried; the peer's address in *PEER, *LEN. */
int sys_accept(int fd, struct sockaddr_storage *peer, socklen_t *len, int flags);
/* sys_is_stream_socket - FD is a SOCK_STREAM socket; CONNECTED: getpeername works. */
bool sys_is_stream_socket(int fd, bool connected);
/* sys_is_listening_socket - FD is a SOCK_STREAM socket in listen(2) state. */
bool sys_is_listening_socket(int fd);

/* sys_poll_in - wait until FD is readable or TIMEOUT_MS passes (-1: forever).
 * RETURNS 1 readable/hangup, 0 timeout, -errno. */
int sys_poll_in(int fd, int timeout_ms);

/* sys_send_fd / sys_recv_fd - pass one descriptor over a UNIX socket
 * with one data byte.  sys_recv_fd checks SOL_SOCKET/SCM_RIGHTS, exactly
 * one fd, no truncation; RETURNS fd or -errno (-EPROTO when malformed). */
int sys_send_fd(int sock, int fd);
int sys_recv_fd(int sock);

/* Processes. */
/* xfork - fork or die. */
pid_t xfork(void);
/* sys_wait_child - waitpid(PID) with EINTR retry. RETURNS status or -errno. */
int sys_wait_child(pid_t pid);
/* sys_wait_child_ms - waitpid(PID) for at most TIMEOUT_MS.
 * RETURNS its status, -ETIMEDOUT when it still runs, or -errno. */
int sys_wait_child_ms(pid_t pid, int timeout_ms);
/* sys_kill - kill(2) one process PID (> 0: never a group). RETURNS 0 or -errno. */
int sys_kill(pid_t pid, int sig);
/* sys_reap_children - reap every exited child without blocking; RETURNS count. */
int sys_reap_children(void);

/* sys_signal - install HANDLER for SIG with SA_RESTART (SIG_IGN/SIG_DFL ok). */
void sys_signal(int sig, void (*handler)(int));

/* sys_sleep - sleep SECONDS, resuming after signals. */
void sys_sleep(unsigned int seconds);

/* sys_now_ms - CLOCK_MONOTONIC in milliseconds. */
long long sys_now_ms(void);

/* sys_sockaddr_str - "192.0.2.7" / "2001:db8::1" (IPv4-mapped shown as IPv4). */
void sys_sockaddr_str(const struct sockaddr_storage *sa, char *out, size_t outlen);
/* sys_sockaddr_port - port in host order, 0 if not INET/INET6. */
unsigned int sys_sockaddr_port(const struct sockaddr_storage *sa);

/* --- added for limitd and its client (generic wrappers) --- */

/* sys_random - fill BUF with LEN bytes from getrandom(). RETURNS 0 or -errno. */
int sys_random(void *buf, size_t len);

/* sys_unix_listen - socket(AF_UNIX, TYPE) bound to PATH and listening with
 * BACKLOG. RETURNS fd or -errno (-ENAMETOOLONG when PATH does not fit). */
int sys_unix_listen(const char *path, int type, int backlog);
/* sys_unix_connect - socket(AF_UNIX, TYPE) connected to PATH. RETURNS fd or -errno. */
int sys_unix_connect(const char *path, int type);
/* sys_accept_nb - accept4 with SOCK_CLOEXEC|SOCK_NONBLOCK, no address.
 * RETURNS fd or -errno (-EAGAIN when nothing is pending). */
int sys_accept_nb(int fd);
/* sys_peercred - SO_PEERCRED of a connected UNIX socket. RETURNS 0 or -errno. */
int sys_peercred(int fd, pid_t *pid, uid_t *uid, gid_t *gid);
/* sys_send - one send() with MSG_NOSIGNAL added, EINTR retried.
 * RETURNS count or -errno. */
ssize_t sys_send(int fd, const void *buf, size_t len, int flags);
/* sys_recv_packet - receive one datagram/packet of at most LEN bytes.
 * RETURNS its length (0: EOF), -EMSGSIZE when it was longer, or -errno. */
ssize_t sys_recv_packet(int fd, void *buf, size_t len, int flags);

/* sys_epoll_create - an epoll instance. RETURNS fd or -errno. */
int sys_epoll_create(void);
/* sys_epoll_ctl - EPOLL_CTL_ADD/MOD/DEL FD with EVENTS and PTR as data. */
int sys_epoll_ctl(int ep, int op, int fd, unsigned int events, void *ptr);
/* sys_epoll_wait - wait for up to MAX events with the signal mask MASK
 * (NULL: unchanged) in force while waiting; EINTR is returned as -EINTR
 * so that the caller can look at its signal flags. RETURNS count or -errno. */
struct epoll_event;
int sys_epoll_wait(int ep, struct epoll_event *ev, int max, int timeout_ms,
		   const sigset_t *mask);
/* sys_sigmask - sigprocmask(HOW, SET, OLD); dies on failure (a bad HOW). */
void sys_sigmask(int how, const sigset_t *set, sigset_t *old);
/* sys_set_nonblock - set O_NONBLOCK on FD. RETURNS 0 or -errno. */
int sys_set_nonblock(int fd);
/* sys_set_blocking - clear O_NONBLOCK on FD. RETURNS 0 or -errno. */
int sys_set_blocking(int fd);

/* sys_raise_nofile - raise the soft RLIMIT_NOFILE to the hard limit.
 * RETURNS the new soft limit, or -errno. */
long sys_raise_nofile(void);

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

/* sys_user_uid - the uid of user NAME. RETURNS 0, -ENOENT, or -errno. */
int sys_user_uid(const char *name, uid_t *uid);
/* sys_user_groups - the groups of user NAME whose primary group is GID
 * (getgrouplist), all of them, into *GROUPS (xmalloc'ed, the caller frees
 * it); just GID when they cannot be read.  RETURNS their number (>= 1),
 * or -E2BIG (nothing allocated) when they are more than the kernel lets a
 * process have (sysconf(_SC_NGROUPS_MAX)). */
int sys_user_groups(const char *name, gid_t gid, gid_t **groups);

/* sys_time - wall-clock seconds since the epoch. */
long long sys_time(void);

/* --- added for data connections and transfers --- */

struct pollfd;
struct stat;

/* sys_sockaddr_len - the length of SA for bind/connect (by its family). */
socklen_t sys_sockaddr_len(const struct sockaddr_storage *sa);
/* sys_setsockopt_int - setsockopt(LEVEL, OPT) with an int VALUE.
 * RETURNS 0 or -errno. */
int sys_setsockopt_int(int fd, int level, int opt, int value);
/* sys_bind - bind FD to SA. RETURNS 0 or -errno. */
int sys_bind(int fd, const struct sockaddr_storage *sa);
/* sys_listen - listen(2). RETURNS 0 or -errno. */
int sys_listen(int fd, int backlog);
/* sys_local_addr - getsockname(2) into SA. RETURNS 0 or -errno. */
int sys_local_addr(int fd, struct sockaddr_storage *sa);
/* sys_connect_timeout - connect FD (made non-blocking, and left so) to SA,
 * waiting at most TIMEOUT_MS. RETURNS 0, -ETIMEDOUT, or -errno. */
int sys_connect_timeout(int fd, const struct sockaddr_storage *sa, int timeout_ms);
/* sys_connect_start - begin connecting FD (made non-blocking, and left so)
 * to SA.  RETURNS 0 (connected), -EINPROGRESS (wait for POLLOUT, then ask
 * sys_connect_result), or -errno. */
int sys_connect_start(int fd, const struct sockaddr_storage *sa);
/* sys_connect_result - the outcome of a connect that became writable:
 * RETURNS 0 or -errno (SO_ERROR). */
int sys_connect_result(int fd);
/* sys_poll - one poll(2) of N entries. RETURNS the ready count, 0 on
 * timeout, or -errno (-EINTR too: the caller recomputes its timeout). */
int sys_poll(struct pollfd *p, unsigned int n, int timeout_ms);
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

/* --- added for the standalone listener and session shutdown --- */

/* sys_ppoll - poll N entries for at most TIMEOUT_MS (-1: forever) with
 * the signal mask MASK in force while waiting, so that a signal blocked
 * elsewhere can only arrive here.  RETURNS the ready count, 0 on timeout,
 * or -errno (-EINTR when a handler ran: the caller looks at its flags). */
int sys_ppoll(struct pollfd *p, unsigned int n, int timeout_ms, const sigset_t *mask);
/* sys_fork - fork(2). RETURNS the child's pid, 0 in the child, or -errno. */
pid_t sys_fork(void);
/* sys_setpgid - setpgid(2): put PID (0: the caller) into group PGID (0: its own).
 * RETURNS 0 or -errno. */
int sys_setpgid(pid_t pid, pid_t pgid);
/* sys_kill_group - send SIG to every process of group PGID. RETURNS 0 or -errno. */
int sys_kill_group(pid_t pgid, int sig);
/* sys_reap_one - reap one exited child without blocking.
 * RETURNS its pid, 0 when none has exited, or -errno (-ECHILD: no children). */
pid_t sys_reap_one(void);

#endif
