/*
 * session.h - the state of a service process (pre-login and post-login):
 * struct session.
 *
 * The helper fills one (configuration, control connection, addresses:
 * helper_main in privhelper.c) as the starting state of each service
 * process it forks; the child uses its copy in place (prelogin_main,
 * postlogin_main) and every module of the service process works on it.
 */
#ifndef MINIFTPD_SESSION_H
#define MINIFTPD_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>

#include "config.h"
#include "defs.h"
#include "login.h"
#include "runtime.h"

/*
 * The service process's state (pre-login and post-login).  The scalars
 * come first and the strings and buffers after them, the largest last: a
 * process writes the scalars and the first bytes of a few strings, so its
 * own copy of the struct is a few pages, not one per buffer it touches.
 */
struct ftp_ctl_io;

struct session {
	const struct config *cfg;
	const struct runtime *rt;
	int ctl_fd;
	const struct ftp_ctl_io *ctl_io;	/* NULL: ctl_fd is read plainly (ftpcmd.h) */
	int priv_fd;
	struct sockaddr_storage peer;
	struct sockaddr_storage local;
	char peer_str[INET6_ADDRSTRLEN];

	/* control input (ftpcmd.c): inbuf and held below */
	size_t inlen;
	bool discarding;
	/* lines that arrived during a transfer, answered after it, oldest
	 * first: held[(held_first + i) % MAX_HELD_LINES], i < nheld */
	unsigned int held_first;
	unsigned int nheld;

	/* login state: user and login below */
	bool logged_in;
	bool have_user;
	unsigned int unknown_cmds;

	/* post-login state: cwd and rnfr below */
	int root_fd;			/* O_PATH directory that is "/" */
	bool type_ascii;
	bool utf8;
	mode_t umask;
	bool have_rnfr;
	unsigned long long rest;
	bool quit;

	/* data connection (dataconn.c) */
	int pasv_fd;			/* listening after PASV/EPSV, else -1 */
	bool have_port;			/* PORT/EPRT target in port_addr */
	struct sockaddr_storage port_addr;
	bool epsv_all;			/* EPSV ALL: only EPSV from now on */

	/* listings (ls.c) */
	unsigned int mlst_off;		/* MLSx facts turned off by OPTS MLST */

	/* FTPS (ftptls.c): before login ctl_fd is the TCP socket, read through
	 * ctl_io; after login the plain end of the TLS process */
	bool tls;			/* the control connection is in TLS */
	bool pbsz;			/* PBSZ came */
	bool prot_p;			/* PROT P: data connections in TLS */
	int tlsctl_fd;			/* TLS control channel (post-login), else -1 */

	/* strings and buffers */
	char user[MAX_USER_NAME + 1];	/* USER's name, before login */
	char cwd[MAX_FTP_PATH];		/* client view, always absolute */
	struct login login;		/* filled by the helper (session_login) */
	char inbuf[MAX_CMD_LINE];
	char rnfr[MAX_FTP_PATH];
	char held[MAX_HELD_LINES][MAX_CMD_LINE];
};

#endif
