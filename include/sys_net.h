/*
 * sys_net.h - system-call wrappers: sockets.
 * Sockets, every one SOCK_CLOEXEC: create, bind, listen, accept,
 * connect, send and receive, descriptor passing, addresses.
 * The conventions of sysutil.h hold: EINTR retried, every descriptor
 * close-on-exec, -errno returned (x* functions die instead).
 */
#ifndef MINIFTPD_SYS_NET_H
#define MINIFTPD_SYS_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

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

/* sys_send_fd / sys_recv_fd - pass one descriptor over a UNIX socket
 * with one data byte.  sys_recv_fd checks SOL_SOCKET/SCM_RIGHTS, exactly
 * one fd, no truncation; RETURNS fd or -errno (-EPROTO when malformed). */
int sys_send_fd(int sock, int fd);

int sys_recv_fd(int sock);

/* sys_sockaddr_str - "192.0.2.7" / "2001:db8::1" (IPv4-mapped shown as IPv4). */
void sys_sockaddr_str(const struct sockaddr_storage *sa, char *out, size_t outlen);

/* sys_sockaddr_port - port in host order, 0 if not INET/INET6. */
unsigned int sys_sockaddr_port(const struct sockaddr_storage *sa);

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

/* sys_sockaddr_len - the length of SA for bind/connect (by its family). */
socklen_t sys_sockaddr_len(const struct sockaddr_storage *sa);

/* sys_setsockopt_int - setsockopt(LEVEL, OPT) with an int VALUE.
 * RETURNS 0 or -errno. */
int sys_setsockopt_int(int fd, int level, int opt, int value);

/* sys_set_send_timeout - SO_SNDTIMEO: a blocking write on FD that can send
 * nothing for SECONDS fails with -EAGAIN. RETURNS 0 or -errno. */
int sys_set_send_timeout(int fd, unsigned int seconds);

/* sys_bind - bind FD to SA. RETURNS 0 or -errno. */
int sys_bind(int fd, const struct sockaddr_storage *sa);

/* sys_listen - listen(2). RETURNS 0 or -errno. */
int sys_listen(int fd, int backlog);

/* sys_local_addr - getsockname(2) into SA. RETURNS 0 or -errno. */
int sys_local_addr(int fd, struct sockaddr_storage *sa);
/* sys_peer_addr - getpeername(2) into SA. RETURNS 0 or -errno. */
int sys_peer_addr(int fd, struct sockaddr_storage *sa);

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

#endif
