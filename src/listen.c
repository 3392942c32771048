/* listen.c - the three launchers; see listen.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "str.h"
#include "sysutil.h"

static volatile sig_atomic_t got_term, got_chld;

static void on_term(int sig) { (void)sig; got_term = 1; }
static void on_chld(int sig) { (void)sig; got_chld = 1; }

/* Point FD (0, 1 or 2) at /dev/null. */
static void
null_fd(int fd)
{
	int n = sys_open("/dev/null", O_RDWR, 0);

	if (n >= 0 && n != fd) {
		dup2(n, fd);
		sys_close(n);
	}
}

/* Move the connection above fd 2, so stdio never writes to the client. */
static int
move_connection(int fd)
{
	struct stat a, b;
	int c = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	if (c < 0)
		return -1;
	bool err_is_conn = fstat(2, &a) == 0 && fstat(fd, &b) == 0 &&
			   a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	if (fd != c)
		sys_close(fd);
	null_fd(0);
	null_fd(1);
	if (err_is_conn)
		null_fd(2);
	return c;
}

int
listen_inherited(char *err, size_t errlen)
{
	int n = sd_listen_fds(1), fd = -1;

	if (n > 1)
		return str_fmt(err, errlen, "systemd passed %d sockets; use Accept=yes", n), -1;
	if (n == 1)
		fd = SD_LISTEN_FDS_START;
	else if (sd_is_socket(STDIN_FILENO, AF_UNSPEC, SOCK_STREAM, -1) > 0)
		fd = STDIN_FILENO;
	if (fd < 0)
		return str_fmt(err, errlen, "no connection: not started by systemd or inetd, "
			       "and listen=NO"), -1;
	if (!sys_is_stream_socket(fd, true) || sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 0) <= 0)
		return str_fmt(err, errlen, "fd %d is not a connected stream socket "
			       "(a socket unit needs Accept=yes)", fd), -1;
	fd = move_connection(fd);
	if (fd < 0)
		return str_fmt(err, errlen, "cannot move the connection: %s", strerror(errno)), -1;
	return fd;
}

static int
make_addr(const struct config *cfg, struct sockaddr_storage *sa, socklen_t *len)
{
	memset(sa, 0, sizeof(*sa));
	if (cfg->listen_ipv6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)cfg->listen_port);
		s6->sin6_addr = in6addr_any;
		*len = sizeof(*s6);
		return cfg->listen_address6[0] &&
		       inet_pton(AF_INET6, cfg->listen_address6, &s6->sin6_addr) != 1 ? -1 : 0;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;

	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)cfg->listen_port);
	s4->sin_addr.s_addr = htonl(INADDR_ANY);
	*len = sizeof(*s4);
	return cfg->listen_address[0] &&
	       inet_pton(AF_INET, cfg->listen_address, &s4->sin_addr) != 1 ? -1 : 0;
}

static int
open_listener(const struct config *cfg)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int one = 1, zero = 0, fd;
	char addr[INET6_ADDRSTRLEN];

	if (make_addr(cfg, &sa, &len) < 0) {
		log_err("Invalid listen address \"%s\"",
			cfg->listen_ipv6 ? cfg->listen_address6 : cfg->listen_address);
		return -1;
	}
	fd = sys_socket(sa.ss_family, SOCK_STREAM, 0);
	if (fd < 0) {
		log_err("Failed to create socket: %s", strerror(-fd));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		log_err("Failed to listen on port %lu: %m", cfg->listen_port);
		return sys_close(fd);
	}
	sys_sockaddr_str(&sa, addr, sizeof(addr));
	log_notice("Listening on %s port %u", addr, sys_sockaddr_port(&sa));
	return fd;
}

static void
spawn_session(const struct config *cfg, const struct runtime *rt, int lfd)
{
	struct sockaddr_storage peer;
	socklen_t len;
	int c = sys_accept(lfd, &peer, &len);

	if (c < 0) {
		if (c != -EAGAIN && c != -ECONNABORTED)
			log_warning("Failed to accept: %s", strerror(-c));
		if (c == -EMFILE || c == -ENFILE)
			sys_sleep(1);	/* out of descriptors: let sessions end */
		return;
	}
	if (fork() == 0) {
		sys_close(lfd);
		sys_signal(SIGCHLD, SIG_DFL);
		sys_signal(SIGTERM, SIG_DFL);
		sys_signal(SIGINT, SIG_DFL);
		session_run(cfg, rt, c);
	}
	sys_close(c);
}

int
listen_standalone(const struct config *cfg, const struct runtime *rt)
{
	int lfd = open_listener(cfg);

	if (lfd < 0)
		return 1;
	sys_signal(SIGTERM, on_term);
	sys_signal(SIGINT, on_term);
	sys_signal(SIGCHLD, on_chld);
	sys_signal(SIGPIPE, SIG_IGN);
	while (!got_term) {
		int r = sys_poll_in(lfd, 1000);

		if (got_chld) {
			got_chld = 0;
			sys_reap_children();
		}
		if (r > 0)
			spawn_session(cfg, rt, lfd);
	}
	log_notice("Terminating on signal; sessions in progress finish on their own");
	sys_close(lfd);
	return 0;
}
