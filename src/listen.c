/* listen.c - the three launchers; see listen.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "privhelper.h"
#include "str.h"
#include "sysutil.h"
#include "tlssign.h"

/* The first fd systemd passes (SD_LISTEN_FDS_START). */
#define LISTEN_FDS_START	3
/* Connections taken off the queue per wakeup, so that signals are seen. */
#define ACCEPTS_PER_WAKEUP	64
/* A failure of accept that is not about one connection: wait this long. */
#define BACKOFF_MS		1000
/* At most one "out of descriptors" line per interval; the rest are counted. */
#define SHORTAGE_LOG_MS		10000
/* After SIGKILL, how long to wait for the killed sessions to be reaped. */
#define REAP_AFTER_KILL_MS	5000
/* After shutdown_timeout a session aborts its transfer itself (426, an
 * incomplete xferlog line) and exits: this long it may take before the
 * listener kills it. */
#define SHUTDOWN_MARGIN_MS	2000

static const char busy_reply[] = "421 Service not available, please try later.\r\n";

static volatile sig_atomic_t got_term, got_chld, got_hup;

static void on_term(int sig) { (void)sig; got_term = 1; }
static void on_chld(int sig) { (void)sig; got_chld = 1; }
static void on_hup(int sig) { (void)sig; got_hup = 1; }

/* The standalone listener's state. */
static struct {
	struct config *cfg;
	struct runtime *rt;
	listen_reload_fn *reload;
	int lfd;
	int spare_fd;		/* /dev/null, given up to refuse a connection on EMFILE */
	sigset_t waitmask;	/* in force inside ppoll: our signals deliverable */
	sigset_t startmask;	/* what sessions start with */
	pid_t *kids;		/* live sessions; each leads its own process group */
	size_t nkids, kids_cap;
	long long backoff_until;
	long long shortage_logged;
	unsigned long shortage_refused;
} L = { .lfd = -1, .spare_fd = -1 };

/* Point FD (0, 1 or 2) at /dev/null. */
static void
null_fd(int fd)
{
	int n = sys_open("/dev/null", O_RDWR, 0);

	if (n >= 0 && n != fd) {
		sys_dup_stdio(n, fd);
		sys_close(n);
	}
}

/* Move the connection above fd 2, so stdio never writes to the client. */
static int
move_connection(int fd)
{
	struct stat a, b;
	int c = sys_dup_above(fd, 3);

	if (c < 0)
		return -1;
	bool err_is_conn = sys_fstat(2, &a) == 0 && sys_fstat(fd, &b) == 0 &&
			   a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	if (fd != c)
		sys_close(fd);
	null_fd(0);
	null_fd(1);
	if (err_is_conn)
		null_fd(2);
	return c;
}

void
listen_close_inherited(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	unsigned long p = 0, n = 0;
	int first = LISTEN_FDS_START, r;

	if (pid && fds && str_to_ulong(pid, &p) == 0 && p == (unsigned long)sys_getpid() &&
	    str_to_ulong(fds, &n) == 0 && n <= (unsigned long)(INT_MAX - LISTEN_FDS_START))
		first += (int)n;	/* a bad count: listen_fds() refuses it later */
	r = sys_close_from(first);
	if (r < 0)
		fprintf(stderr, "miniftpd: cannot close inherited descriptors: %s\n",
			strerror(-r));
}

/*
 * sd_listen_fds(3) with unset_environment=1, to the letter: LISTEN_PID must
 * name us, LISTEN_FDS count the fds from 3, which become close-on-exec;
 * the variables are unset either way.  Our own, not libsystemd's: the
 * library and the four it links (libgcrypt, liblzma, libzstd, liblz4) cost
 * a socket-activated session more at exec than the whole login, and every
 * fork and exit after it; two environment variables do not need them.
 * RETURNS the count, 0 when not for us, or -errno.
 */
static int
listen_fds(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	unsigned long n = 0;
	int r = 0;

	if (pid && fds && str_to_ulong(pid, &n) == 0 && n == (unsigned long)sys_getpid()) {
		r = str_to_ulong(fds, &n) < 0 || n == 0 ||
		    n > (unsigned long)(INT_MAX - LISTEN_FDS_START) ? -EINVAL : (int)n;
		for (int fd = LISTEN_FDS_START, e; r > 0 && fd < LISTEN_FDS_START + r; fd++)
			if ((e = sys_set_cloexec(fd)) < 0)
				r = e;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return r;
}

int
listen_inherited(char *err, size_t errlen)
{
	int n = listen_fds(), fd = -1;

	if (n < 0)
		return str_fmt(err, errlen, "bad LISTEN_FDS from systemd: %s", strerror(-n)), -1;
	if (n > 1)
		return str_fmt(err, errlen, "systemd passed %d sockets; use Accept=yes", n), -1;
	if (n == 1)
		fd = LISTEN_FDS_START;
	else if (sys_is_stream_socket(STDIN_FILENO, false))
		fd = STDIN_FILENO;
	if (fd < 0)
		return str_fmt(err, errlen, "no connection: not started by systemd or inetd, "
			       "and listen=NO"), -1;
	/* connected: neither a listening socket (Accept=no) nor a bare one */
	if (!sys_is_stream_socket(fd, true))
		return str_fmt(err, errlen, "fd %d is not a connected stream socket "
			       "(a socket unit needs Accept=yes, or Accept=no with listen=YES)",
			       fd), -1;
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
	int fd;
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
	(void)sys_setsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (sa.ss_family == AF_INET6)
		(void)sys_setsockopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0);
	if (sys_bind(fd, &sa) < 0 || sys_listen(fd, SOMAXCONN) < 0 ||
	    sys_local_addr(fd, &sa) < 0 || sys_set_nonblock(fd) < 0) {
		log_err("Failed to listen on port %lu: %m", cfg->listen_port);
		return sys_close(fd);
	}
	sys_sockaddr_str(&sa, addr, sizeof(addr));
	log_notice("Listening on %s port %u", addr, sys_sockaddr_port(&sa));
	return fd;
}

/* --- the sessions: one process group each --- */

static void
kid_add(pid_t pid)
{
	if (L.nkids == L.kids_cap) {
		L.kids_cap = L.kids_cap ? L.kids_cap * 2 : 64;
		L.kids = xreallocarray(L.kids, L.kids_cap, sizeof(*L.kids));
	}
	L.kids[L.nkids++] = pid;
}

static void
kid_remove(pid_t pid)
{
	for (size_t i = 0; i < L.nkids; i++)
		if (L.kids[i] == pid) {
			L.kids[i] = L.kids[--L.nkids];
			return;
		}
}

static void
reap(void)
{
	pid_t pid;

	got_chld = 0;
	while ((pid = sys_reap_one()) > 0) {
		kid_remove(pid);
		tlssign_service_reaped(pid);
	}
}

static void
signal_kids(int sig)
{
	for (size_t i = 0; i < L.nkids; i++)
		(void)sys_kill_group(L.kids[i], sig);
}

/* In a child: the listener's descriptors closed, the signal setup it
 * would have had without us. */
static void
leave_listener(void)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };

	sys_close(L.lfd);
	sys_close(L.spare_fd);
	tlssign_service_forget();
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sys_signal(sigs[i], SIG_DFL);
	sys_sigmask(SIG_SETMASK, &L.startmask, NULL);
}

/* The child side: a session, in its own process group so that we can
 * signal all of it. */
static void NORETURN
become_session(int c)
{
	(void)sys_setpgid(0, 0);
	leave_listener();
	helper_main(L.cfg, L.rt, c);
}

static void
spawn_session(int c)
{
	pid_t pid;

	runtime_before_fork(L.cfg, L.rt);
	tlssign_service_connect(L.cfg, L.rt, leave_listener);
	pid = sys_fork();

	if (pid == 0)
		become_session(c);
	tlssign_forget();
	if (pid < 0) {
		log_warning("Failed to fork a session: %s", strerror(-pid));
		(void)sys_send(c, busy_reply, sizeof(busy_reply) - 1, MSG_DONTWAIT);
	} else {
		(void)sys_setpgid(pid, pid);	/* before we could ever signal it */
		kid_add(pid);
	}
	sys_close(c);
}

/* --- accepting --- */

static void
note_shortage(int err, bool refused)
{
	long long now = sys_now_ms();

	L.shortage_refused += refused;
	if (L.shortage_logged && now - L.shortage_logged < SHORTAGE_LOG_MS)
		return;
	log_warning("Failed to accept: %s; %lu connection(s) refused with 421 "
		    "since the last such line", strerror(err), L.shortage_refused);
	L.shortage_logged = now;
	L.shortage_refused = 0;
}

/* Out of descriptors: give up the spare one to take the next connection
 * off the queue and refuse it, so that the client hears at once and poll
 * does not spin on a connection we cannot take. */
static void
refuse_for_want_of_fds(int err)
{
	struct sockaddr_storage peer;
	socklen_t len;
	int c;

	L.spare_fd = sys_close(L.spare_fd);
	c = sys_accept(L.lfd, &peer, &len, 0);
	if (c >= 0) {
		(void)sys_send(c, busy_reply, sizeof(busy_reply) - 1, MSG_DONTWAIT);
		sys_close(c);
	}
	note_shortage(err, c >= 0);
	L.spare_fd = sys_open("/dev/null", O_RDONLY, 0);
	if (c < 0 && c != -EAGAIN)
		L.backoff_until = sys_now_ms() + BACKOFF_MS;
}

/* Errors of accept(2) that concern one connection only: take the next. */
static bool
connection_error(int err)
{
	static const int errs[] = {
		ECONNABORTED, EPROTO, EPERM, ENETDOWN, ENOPROTOOPT, EHOSTDOWN,
		ENONET, EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH, ETIMEDOUT,
	};

	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (err == errs[i])
			return true;
	return false;
}

/* One failed accept. RETURNS true when the next one may be tried now. */
static bool
accept_failed(int err)
{
	if (err == EAGAIN || err == EWOULDBLOCK)
		return false;
	if (connection_error(err))
		return true;
	if ((err == EMFILE || err == ENFILE) && L.spare_fd >= 0) {
		refuse_for_want_of_fds(err);
		return L.backoff_until == 0;
	}
	if (err == EMFILE || err == ENFILE) {	/* not even the spare: wait */
		note_shortage(err, false);
		L.backoff_until = sys_now_ms() + BACKOFF_MS;
		return false;
	}
	log_warning("Failed to accept: %s; pausing for %d ms", strerror(err), BACKOFF_MS);
	L.backoff_until = sys_now_ms() + BACKOFF_MS;
	return false;
}

/* Take every pending connection (up to ACCEPTS_PER_WAKEUP). */
static void
accept_pending(void)
{
	for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		struct sockaddr_storage peer;
		socklen_t len;
		int c = sys_accept(L.lfd, &peer, &len, 0);

		if (c >= 0)
			spawn_session(c);
		else if (!accept_failed(-c))
			return;
	}
}

/* --- configuration reload --- */

static bool
same_listener(const struct config *a, const struct config *b)
{
	return a->listen == b->listen && a->listen_ipv6 == b->listen_ipv6 &&
	       a->listen_port == b->listen_port &&
	       strcmp(a->listen_address, b->listen_address) == 0 &&
	       strcmp(a->listen_address6, b->listen_address6) == 0;
}

static void
reload(void)
{
	struct config next;
	struct runtime rt;

	got_hup = 0;
	if (L.reload(&next, &rt) < 0)
		return;
	if (!same_listener(L.cfg, &next))
		log_warning("listen options changed: they take effect at restart, ignoring");
	cfg_free(L.cfg);
	*L.cfg = next;
	*L.rt = rt;
	tlssign_service_start(L.cfg, L.rt, leave_listener);
	log_notice("Reloaded the configuration; new sessions use it");
}

/* --- the loop --- */

static void
setup_signals(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGCHLD, SIGHUP };
	static void (*const handlers[])(int) = { on_term, on_term, on_chld, on_hup };
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sys_signal(sigs[i], handlers[i]);
		sigaddset(&set, sigs[i]);
	}
	sys_signal(SIGPIPE, SIG_IGN);
	/* blocked except inside ppoll: no flag is missed between checks */
	sys_sigmask(SIG_BLOCK, &set, &L.startmask);
	L.waitmask = L.startmask;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigdelset(&L.waitmask, sigs[i]);
}

static int
backoff_left(void)
{
	long long left = L.backoff_until - sys_now_ms();

	if (left > 0)
		return (int)left;
	L.backoff_until = 0;
	return -1;
}

static void
serve_once(void)
{
	int pause = L.backoff_until ? backoff_left() : -1;
	struct pollfd p = { .fd = pause < 0 ? L.lfd : -1, .events = POLLIN };
	int r = sys_ppoll(&p, 1, pause, &L.waitmask);

	if (r < 0 && r != -EINTR)
		die("Failed to wait for connections: %s", strerror(-r));
	if (got_chld)
		reap();
	if (got_hup)
		reload();
	if (L.spare_fd < 0)
		L.spare_fd = sys_open("/dev/null", O_RDONLY, 0);
	if (r > 0 && !got_term)
		accept_pending();
}

/* Wait for the sessions until DEADLINE (monotonic ms). */
static void
wait_kids(long long deadline)
{
	while (L.nkids > 0) {
		long long left = deadline - sys_now_ms();
		int r;

		if (left <= 0)
			return;
		r = sys_ppoll(NULL, 0, left > INT_MAX ? INT_MAX : (int)left, &L.waitmask);
		if (r < 0 && r != -EINTR)
			die("Failed to wait for sessions: %s", strerror(-r));
		if (got_chld)
			reap();
	}
}

static int
shut_down(void)
{
	unsigned long grace = L.cfg->shutdown_timeout;

	L.lfd = sys_close(L.lfd);
	tlssign_service_forget();	/* it ends when the sessions' sockets close */
	reap();
	log_notice("Terminating on signal: no new connections; %zu session(s) may finish "
		   "their transfer for up to %lu s", L.nkids, grace);
	signal_kids(SIGTERM);
	wait_kids(sys_now_ms() + (long long)grace * 1000 + SHUTDOWN_MARGIN_MS);
	if (L.nkids > 0) {
		log_warning("%zu session(s) still running %lu s after the signal, killing them",
			    L.nkids, grace + SHUTDOWN_MARGIN_MS / 1000);
		signal_kids(SIGKILL);
		wait_kids(sys_now_ms() + REAP_AFTER_KILL_MS);
	}
	free(L.kids);
	return 0;
}

/*
 * The listening socket of a socket unit with Accept=no, when systemd
 * passed one; else our own, bound as the configuration says.  RETURNS the
 * non-blocking listening fd, or -1 after logging why not.
 */
static int
get_listener(const struct config *cfg)
{
	struct sockaddr_storage sa;
	char addr[INET6_ADDRSTRLEN];
	int n = listen_fds(), fd = LISTEN_FDS_START;

	if (n == 0)
		return open_listener(cfg);
	if (n != 1 || !sys_is_listening_socket(fd)) {
		log_err("listen=YES, but systemd passed %s: use Accept=no and one "
			"ListenStream=, or listen=NO with Accept=yes",
			n < 0 ? "a bad LISTEN_FDS" : n > 1 ? "several sockets" :
			"a socket that is not listening");
		return -1;
	}
	if (sys_local_addr(fd, &sa) < 0 || sys_set_nonblock(fd) < 0) {
		log_err("Failed to use the socket from systemd: %m");
		return -1;
	}
	sys_sockaddr_str(&sa, addr, sizeof(addr));
	log_notice("Listening on %s port %u (socket from systemd)", addr,
		   sys_sockaddr_port(&sa));
	return fd;
}

int
listen_standalone(struct config *cfg, struct runtime *rt, listen_reload_fn *reload_fn)
{
	L.cfg = cfg;
	L.rt = rt;
	L.reload = reload_fn;
	setup_signals();
	/* before the port is open: running when the first client can come */
	tlssign_service_start(cfg, rt, leave_listener);
	L.lfd = get_listener(cfg);
	if (L.lfd < 0)
		return 1;
	L.spare_fd = sys_open("/dev/null", O_RDONLY, 0);
	while (!got_term)
		serve_once();
	return shut_down();
}
