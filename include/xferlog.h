/*
 * xferlog.h - one wu-ftpd xferlog line per transfer (completed or not).
 *
 *   Mon Jan  2 15:04:05 2006 3 192.0.2.7 1048576 /pub/file b _ o r alice ftp 0 * c
 *
 * Fields: local time (ctime form), seconds (at least 1), client address,
 * bytes, file name, a(scii)/b(inary), special action (_), direction
 * (o)utgoing/(i)ncoming, access mode (a)nonymous/(g)uest/(r)eal, user
 * name, service, authentication method (0), user id (*), (c)omplete or
 * (i)ncomplete.  Blanks and control characters in the file name and
 * user name become '_' so that a line stays one line of 14 fields.
 *
 * The file is opened by the helper (still privileged, before the
 * post-login process is forked) and kept as an fd: the post-login
 * process may be chrooted and unprivileged.
 */
#ifndef MINIFTPD_XFERLOG_H
#define MINIFTPD_XFERLOG_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct xferlog_entry {
	long long when;			/* end of the transfer, epoch seconds */
	long long msecs;		/* duration */
	const char *host;		/* client address */
	unsigned long long bytes;	/* bytes over the data connection */
	const char *path;		/* client view, absolute */
	bool ascii;
	bool upload;
	char access;			/* 'a', 'g' or 'r' */
	const char *user;
	bool complete;
};

/*
 * xferlog_open - open xferlog_file for appending (created 0600) when
 * xferlog_enable; logs and goes on without when it cannot.  Called by
 * the helper just before it forks the post-login process, which
 * inherits the fd.
 */
void xferlog_open(const struct config *cfg);

/* xferlog_close - close this process's copy (the helper, after the fork). */
void xferlog_close(void);

/*
 * xferlog_format - the line for E (with '\n') into OUT, local time.
 * RETURNS its length, or -E2BIG when it does not fit.  Pure but for the
 * time zone, which tzset() loaded at start.
 */
int xferlog_format(const struct xferlog_entry *e, char *out, size_t outlen);

/*
 * xferlog_write - append E's line when the log is open (one write(2),
 * so concurrent sessions never interleave).  Post-login service process.
 */
void xferlog_write(const struct xferlog_entry *e);

#endif
