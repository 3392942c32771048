/*
 * fuzz_dispatch.c - the control connection end to end: the bytes go into
 * a socketpair that is the session's control connection, the real line
 * reader (ftp_poll_line: MSG_PEEK up to LF, over-long and NUL lines,
 * Telnet stripping) takes them apart, and ftp_dispatch runs each command
 * through the command table and its handler, before or after login (the
 * first input byte chooses).  A fake helper on a second socketpair answers
 * every PASS with "login failed".  After login the session's root is a
 * fresh temporary directory holding a file, a directory and a link, made
 * and removed for every input.
 *
 * Left out, so that one input runs in microseconds and touches nothing
 * else: PASV/EPSV/PORT/EPRT (sockets; fuzz_portparse has the parser), so
 * transfers end at "425 Use PORT or PASV first", and the verbs that end
 * the process by design before login (HTTP verbs).  A reply the harness
 * cannot take, a handler that exits, or a sanitizer report is a finding.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "defs.h"
#include "ftpcmd.h"
#include "ftpfs.h"
#include "ftpproto.h"
#include "privproto.h"
#include "privsock.h"
#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Commands per input, so that replies (and STAT of the root) stay small. */
#define MAX_LINES	256

static const char *const skipped[] = {
	"PASV", "EPSV", "PORT", "EPRT", "GET", "POST", "HEAD", "PUT", "OPTIONS", "CONNECT",
};

static struct {
	bool ready;
	struct config cfg;
	struct runtime rt;
	int ctl[2];		/* [0] the session's, [1] the client's */
	int priv[2];		/* [0] the session's, [1] the fake helper's */
	char root[64];
} H;

static struct session s;

static void
die_setup(const char *what)
{
	perror(what);
	abort();
}

static void
setup(void)
{
	int big = 1 << 20;

	cfg_defaults(&H.cfg);
	H.cfg.write_enable = true;
	H.cfg.idle_session_timeout = 1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, H.ctl) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, H.priv) < 0)
		die_setup("socketpair");
	for (int i = 0; i < 2; i++) {
		setsockopt(H.ctl[i], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
		setsockopt(H.ctl[i], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	}
	snprintf(H.root, sizeof(H.root), "/tmp/fuzz_dispatch.%d", (int)getpid());
	if (mkdir(H.root, 0700) < 0 && errno != EEXIST)
		die_setup("mkdir");
	H.ready = true;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level > 0)
		remove(path);
	return 0;
}

/* The root's contents, fresh for every input. */
static void
reset_root(void)
{
	char p[128];
	int fd;

	nftw(H.root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	snprintf(p, sizeof(p), "%s/hello.txt", H.root);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, "hello\n", 6) != 6)
			abort();
		close(fd);
	}
	snprintf(p, sizeof(p), "%s/pub", H.root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/out", H.root);
	if (symlink("/etc", p) < 0 && errno != EEXIST)
		abort();
}

static void
new_session(bool logged_in)
{
	struct sockaddr_in *p4 = (struct sockaddr_in *)&s.peer;

	if (s.root_fd > 0)
		close(s.root_fd);
	memset(&s, 0, sizeof(s));
	s.cfg = &H.cfg;
	s.rt = &H.rt;
	s.ctl_fd = H.ctl[0];
	s.priv_fd = H.priv[0];
	s.root_fd = -1;
	s.pasv_fd = -1;
	p4->sin_family = AF_INET;
	p4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s.local = s.peer;
	strcpy(s.peer_str, "127.0.0.1");
	strcpy(s.cwd, "/");
	if (!logged_in)
		return;
	s.logged_in = true;
	s.login.kind = LOGIN_VIRTUAL;
	strcpy(s.login.user, "fuzz");
	strcpy(s.login.root, H.root);
	strcpy(s.login.home, "/");
	s.umask = 022;
	reset_root();
	ftpfs_enter_root(&s);
}

/* Read and drop what is waiting on FD. */
static void
drain(int fd)
{
	char buf[65536];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static bool
is_skipped(const char *line)
{
	size_t n = strcspn(line, " ");

	for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
		if (strlen(skipped[i]) == n && strncasecmp(line, skipped[i], n) == 0)
			return true;
	return false;
}

/* Before a PASS that will reach the helper, queue the helper's answer. */
static void
fake_helper(const char *line)
{
	static const struct priv_msg fail = { .type = PRIV_ANS_LOGIN,
					      .u.login_result = PRIV_LOGIN_FAIL };

	if (s.logged_in || !s.have_user || strncasecmp(line, "PASS", 4) != 0 ||
	    (line[4] != ' ' && line[4] != '\0'))
		return;
	if (priv_send_msg(H.priv[1], &fail) < 0)
		abort();
}

static void
run_line(const char *line)
{
	if (!s.logged_in && is_skipped(line))
		return;
	if (s.logged_in && is_skipped(line))
		return;
	fake_helper(line);
	s.unknown_cmds = 0;	/* too many before login ends the process */
	ftp_dispatch(&s, line);
	s.quit = false;
	drain(H.ctl[1]);	/* the replies */
	drain(H.priv[1]);	/* the requests the helper would read */
	drain(H.priv[0]);	/* an answer no request took */
}

/* Lines the reader has complete now; RETURNS how many ran. */
static int
take_lines(int budget)
{
	char line[MAX_CMD_LINE + 1];
	struct pollfd p = { .fd = H.ctl[0], .events = POLLIN };
	int ran = 0;

	while (ran < budget && poll(&p, 1, 0) == 1) {
		int n = ftp_poll_line(&s, line);

		if (n >= 0)
			run_line(line);
		drain(H.ctl[1]);
		ran++;
	}
	return ran;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 1;
	int budget = MAX_LINES;

	if (size < 1)
		return 0;
	if (!H.ready)
		setup();
	new_session(data[0] & 1);
	while (budget > 0 && (off < size || poll(&(struct pollfd){ .fd = H.ctl[0],
						  .events = POLLIN }, 1, 0) == 1)) {
		ssize_t w = off < size ? send(H.ctl[1], data + off, size - off,
					      MSG_DONTWAIT | MSG_NOSIGNAL) : 0;

		if (w > 0)
			off += (size_t)w;
		budget -= take_lines(budget);
		if (w <= 0 && off < size && budget > 0 &&
		    poll(&(struct pollfd){ .fd = H.ctl[0], .events = POLLIN }, 1, 0) != 1)
			break;		/* nothing moves: the reader holds a partial line */
	}
	drain(H.ctl[0]);	/* what the budget left unread */
	return 0;
}
