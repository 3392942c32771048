/*
 * limitd.c - the connection-limit daemon: argv, setup, reload, the
 * epoll loop.  Clients are limitd_clients.c's, requests
 * limitd_handlers.c's (see limitd.h).  See man/limitd.8.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "defs.h"
#include "limitcluster.h"
#include "limitd.h"
#include "limitstat.h"
#include "str.h"
#include "sysutil.h"

#define MAX_EVENTS		128
#define STATUS_TIMEOUT_MS	5000
#define MAX_OVERRIDES		256
#define LISTEN_BACKLOG		4096

struct limitd_state D;

static const char *arg_config = DEFAULT_CONFIG_FILE;
static bool arg_named, arg_status, arg_json, arg_test;
static char *arg_overrides[MAX_OVERRIDES];
static size_t arg_novr;

static volatile sig_atomic_t got_hup, got_term;

/* epoll's data for the store connection (the listener's is NULL, a client's its record). */
static char store_mark;

static void
on_hup(int sig)
{
	(void)sig;
	got_hup = 1;
}

static void
on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

/* --- setup --- */

static void
resolve_nopriv(void)
{
	int r = sys_user_uid(D.cfg.nopriv_user, &D.nopriv_uid);

	D.have_nopriv = r == 0;
	if (r < 0)
		log_warning("nopriv_user %s not found (%s): only uid 0 and uid %u may ask for admission",
			    D.cfg.nopriv_user, strerror(-r), (unsigned int)D.self_uid);
}

static void
set_limits(void)
{
	D.lim.max_clients = D.cfg.max_clients;
	D.lim.max_per_ip = D.cfg.max_per_ip;
	D.lim.max_per_user = D.cfg.max_per_user;
	D.fpol.max = D.cfg.max_login_fails_per_ip;
	D.fpol.forget = D.cfg.login_fail_block_time;
}

static int
listen_systemd(void)
{
	int n = sd_listen_fds(1);

	if (n < 0)
		die("Failed to take sockets from systemd: %s", strerror(-n));
	if (n == 0)
		return -1;
	if (n != 1)
		die("Expected one socket from systemd, got %d", n);
	if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_SEQPACKET, 1, NULL, 0) <= 0)
		die("The socket from systemd is not a listening SOCK_SEQPACKET UNIX socket "
		    "(ListenSequentialPacket= in limitd.socket)");
	return SD_LISTEN_FDS_START;
}

/* mkdir -p for the socket's directory; root-owned 0755 when we are root. */
static void
make_parent(const char *path)
{
	char dir[PATH_MAX];

	if (str_lcpy(dir, path, sizeof(dir)) < 0)
		die("limitd_socket %s: path too long", path);
	for (char *p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		int r;

		*p = '\0';
		r = sys_mkdir(dir, 0755);
		if (r < 0 && r != -EEXIST)
			die("Failed to create directory %s: %s", dir, strerror(-r));
		*p = '/';
	}
}

/* A socket file left by a dead limitd is removed; a live one is an error. */
static void
remove_stale(const char *path)
{
	mode_t mode;
	int fd, r = sys_lstat_mode(path, &mode);

	if (r == -ENOENT)
		return;
	if (r < 0)
		die("Failed to inspect %s: %s", path, strerror(-r));
	if (!S_ISSOCK(mode))
		die("%s exists and is not a socket, refusing to replace it", path);
	fd = sys_unix_connect(path, SOCK_SEQPACKET);
	if (fd >= 0) {
		sys_close(fd);
		die("Another limitd is listening on %s", path);
	}
	r = sys_unlink(path);
	if (r < 0 && r != -ENOENT)
		die("Failed to remove stale socket %s: %s", path, strerror(-r));
}

static int
listen_own(const char *path)
{
	int fd, r;

	if (path[0] != '/')
		die("limitd_socket must be an absolute path, not %s", path);
	make_parent(path);
	remove_stale(path);
	fd = sys_unix_listen(path, SOCK_SEQPACKET, LISTEN_BACKLOG);
	if (fd < 0)
		die("Failed to listen on %s: %s", path, strerror(-fd));
	/* Anyone may connect: the permission check is SO_PEERCRED's uid. */
	r = sys_chmod(path, 0666);
	if (r < 0)
		die("Failed to chmod %s: %s", path, strerror(-r));
	D.own_socket = xstrdup(path);
	return fd;
}

static void
setup_signals(void)
{
	sigset_t set;

	sys_signal(SIGHUP, on_hup);
	sys_signal(SIGTERM, on_term);
	sys_signal(SIGINT, on_term);
	sys_signal(SIGPIPE, SIG_IGN);
	/* Blocked except inside epoll_pwait: no flag is missed between checks. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sys_sigmask(SIG_BLOCK, &set, &D.waitmask);
}

static void
setup(void)
{
	char err[CFG_ERR_MAX];
	int r;

	D.started = sys_time();
	D.self_uid = sys_getuid();
	resolve_nopriv();
	set_limits();
	D.nofile = sys_raise_nofile();
	if (D.nofile < 0) {
		log_warning("Failed to raise RLIMIT_NOFILE: %s, ignoring", strerror((int)-D.nofile));
		D.nofile = 1024;
	}
	r = limit_tab_init(&D.tab, (size_t)D.nofile, (unsigned int)D.cfg.max_per_ip_prefix6);
	if (r == 0)
		r = limit_fails_init(&D.fails, LIMIT_FAILS_MAX,
				     (unsigned int)D.cfg.max_per_ip_prefix6);
	if (r == 0)
		r = pool_init(&D.clients, sizeof(struct client), 0, (size_t)D.nofile);
	if (r == 0)
		r = pool_init(&D.outq, sizeof(struct outmsg), 0, 0);
	if (r == 0)
		r = pool_init(&D.waits, sizeof(struct client_wait), 0, 0);
	if (r < 0)
		die("Failed to set up tables: %s", strerror(-r));
	limit_cluster_on_answer(store_answered);
	r = limit_cluster_start(&D.cfg, &D.tab, &D.fails, &D.fpol, err);
	if (r < 0)
		die("Failed to set up limitd_cluster: %s", err);
	D.ep = sys_epoll_create();
	if (D.ep < 0)
		die("Failed to create epoll instance: %s", strerror(-D.ep));
	D.listen_fd = listen_systemd();
	if (D.listen_fd < 0)
		D.listen_fd = listen_own(D.cfg.limitd_socket);
	r = sys_set_nonblock(D.listen_fd);
	if (r == 0)
		r = sys_epoll_ctl(D.ep, EPOLL_CTL_ADD, D.listen_fd, EPOLLIN, NULL);
	if (r < 0)
		die("Failed to watch the listening socket: %s", strerror(-r));
	setup_signals();
}

static void
reload(void)
{
	struct config n;
	char err[CFG_ERR_MAX];

	if (cfg_load(&n, arg_config, arg_named, arg_overrides, arg_novr, err) < 0) {
		log_err("Failed to reload configuration: %s, keeping the old one", err);
		cfg_free(&n);
		return;
	}
	if (strcmp(n.limitd_socket, D.cfg.limitd_socket) != 0)
		log_warning("limitd_socket changed to %s: takes effect at restart, ignoring",
			    n.limitd_socket);
	if (strcmp(n.limitd_cluster, D.cfg.limitd_cluster) != 0 ||
	    strcmp(n.limitd_cluster_id, D.cfg.limitd_cluster_id) != 0 ||
	    strcmp(n.limitd_cluster_password_file, D.cfg.limitd_cluster_password_file) != 0 ||
	    strcmp(n.limitd_cluster_tls_ca_file, D.cfg.limitd_cluster_tls_ca_file) != 0 ||
	    strcmp(n.limitd_cluster_tls_cert_file, D.cfg.limitd_cluster_tls_cert_file) != 0 ||
	    strcmp(n.limitd_cluster_tls_key_file, D.cfg.limitd_cluster_tls_key_file) != 0 ||
	    n.limitd_cluster_lease != D.cfg.limitd_cluster_lease)
		log_warning("limitd_cluster options changed: take effect at restart, ignoring");
	if (n.max_per_ip_prefix6 != D.tab.prefix6)	/* the tables' keys depend on it */
		log_warning("max_per_ip_prefix6 changed to %lu: takes effect at restart, ignoring",
			    n.max_per_ip_prefix6);
	cfg_free(&D.cfg);
	D.cfg = n;
	set_limits();
	resolve_nopriv();
	log_notice("Reloaded %s: max_clients=%lu max_per_ip=%lu max_per_user=%lu",
		   arg_config, D.lim.max_clients, D.lim.max_per_ip, D.lim.max_per_user);
}

static int
wait_timeout(void)
{
	long long left;
	int cluster = limit_cluster_next_ms();

	if (!D.paused || D.resume_at == LLONG_MAX)
		return cluster;
	left = D.resume_at - sys_now_ms();
	left = left <= 0 ? 0 : left > INT_MAX ? INT_MAX : left;
	return cluster >= 0 && cluster < left ? cluster : (int)left;
}

/*
 * Watch the store connection, once (ONESHOT: armed again after the turn
 * dealt with what woke it, or when what to wait for changed): while a call
 * is in flight for its reply, which the turn's limit_cluster_flush reads;
 * idle for the store closing it (limit_cluster_readable).  A connection
 * made since is added.  Failing that, the reply's deadline still wakes the
 * loop (wait_timeout), and a reply read that late loses the store.
 */
static void
watch_store(void)
{
	short events;
	unsigned long serial;
	int fd = limit_cluster_fd(&events, &serial), r;
	unsigned int ev = EPOLLONESHOT | (events & POLLIN ? EPOLLIN : 0) |
			  (events & POLLOUT ? EPOLLOUT : 0);

	if (fd < 0 || (D.store_armed && serial == D.store_serial && ev == D.store_ev))
		return;
	r = sys_epoll_ctl(D.ep, EPOLL_CTL_MOD, fd, ev, &store_mark);
	if (r == -ENOENT)
		r = sys_epoll_ctl(D.ep, EPOLL_CTL_ADD, fd, ev, &store_mark);
	D.store_armed = r == 0;
	D.store_serial = serial;
	D.store_ev = ev;
	if (r < 0)
		log_err("Failed to watch the cluster store's connection: %s, ignoring",
			strerror(-r));
}

static void
main_loop(void)
{
	struct epoll_event ev[MAX_EVENTS];

	while (!got_term) {
		int n;

		if (got_hup) {
			got_hup = 0;
			reload();
		}
		if (D.paused && D.resume_at != LLONG_MAX && sys_now_ms() >= D.resume_at)
			set_listening(true);
		limit_cluster_tick();
		n = sys_epoll_wait(D.ep, ev, MAX_EVENTS, wait_timeout(), &D.waitmask);
		if (n == -EINTR)
			continue;
		if (n < 0)
			die("Failed to wait for events: %s", strerror(-n));
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == NULL)
				listener_ready();
			else if (ev[i].data.ptr != &store_mark)
				client_event(ev[i].data.ptr, ev[i].events);
			else {	/* a reply: read below; idle: the store closed it */
				D.store_armed = false;	/* ONESHOT: fired */
				limit_cluster_readable();
			}
		}
		limit_cluster_flush();	/* the last call's answers; the questions since, together */
		watch_store();
	}
}

static int
run_daemon(void)
{
	log_open("limitd", D.cfg.syslog_enable);
	log_set_prefix("limitd");
	setup();
	sd_notifyf(0, "READY=1\nSTATUS=Listening, max_clients=%lu max_per_ip=%lu max_per_user=%lu",
		   D.lim.max_clients, D.lim.max_per_ip, D.lim.max_per_user);
	log_notice("Started on %s: max_clients=%lu max_per_ip=%lu (IPv6 per /%u) max_per_user=%lu, "
		   "%ld descriptors", D.own_socket ? D.own_socket : "the socket from systemd",
		   D.lim.max_clients, D.lim.max_per_ip, D.tab.prefix6, D.lim.max_per_user, D.nofile);
	main_loop();
	sd_notify(0, "STOPPING=1");
	limit_cluster_stop();
	log_notice("Stopping with %zu sessions held", limit_tab_sessions(&D.tab));
	if (D.own_socket)
		sys_unlink(D.own_socket);
	return EXIT_SUCCESS;
}

/* --- main --- */

/* -t: the configuration and the files limitd reads for it, as this user. */
static int
check_only(void)
{
	char err[CFG_ERR_MAX];

	if (limit_cluster_check(&D.cfg, err) < 0) {
		fprintf(stderr, "limitd: %s\n", err);
		return EXIT_FAILURE;
	}
	printf("configuration OK\n");
	return EXIT_SUCCESS;
}

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: limitd [CONFIG] [-oKEY=VALUE]...\n"
		"       limitd -t [CONFIG] [-oKEY=VALUE]...\n"
		"       limitd --status [--json] [CONFIG] [-oKEY=VALUE]...\n"
		"Connection-limit daemon for miniftpd (default CONFIG %s).\n",
		DEFAULT_CONFIG_FILE);
}

static const struct {
	const char *name;
	bool *flag;
} flags[] = {
	{ "--status", &arg_status },
	{ "--json", &arg_json },
	{ "-t", &arg_test },
};

static bool
parse_flag(const char *a)
{
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcmp(a, flags[i].name) == 0) {
			*flags[i].flag = true;
			return true;
		}
	return false;
}

static int
parse_argv(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];

		if (parse_flag(a))
			continue;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(EXIT_SUCCESS);
		}
		if (strcmp(a, "--version") == 0) {
			printf("limitd (miniftpd) %s\n", MINIFTPD_VERSION);
			exit(EXIT_SUCCESS);
		}
		if (strncmp(a, "-o", 2) == 0) {
			if (a[2] == '\0' && ++i >= argc)
				return -1;
			if (arg_novr == MAX_OVERRIDES)
				return -1;
			arg_overrides[arg_novr++] = a[2] ? a + 2 : argv[i];
		} else if (a[0] == '-' || arg_named)
			return -1;
		else {
			arg_config = a;
			arg_named = true;
		}
	}
	return (arg_json && !arg_status) || (arg_test && arg_status) ? -1 : 0;
}

int
main(int argc, char **argv)
{
	char err[CFG_ERR_MAX];

	if (parse_argv(argc, argv) < 0) {
		usage(stderr);
		return 2;
	}
	if (cfg_load(&D.cfg, arg_config, arg_named, arg_overrides, arg_novr, err) < 0) {
		fprintf(stderr, "limitd: %s\n", err);
		return EXIT_FAILURE;
	}
	if (arg_status)
		return limit_status_run(&D.cfg, arg_json, STATUS_TIMEOUT_MS, stdout);
	if (arg_test)
		return check_only();
	return run_daemon();
}
