/*
 * lsfmt.h - the LIST line, `ls -l` as curl, lftp and FileZilla parse it:
 * mode, links, owner and group (names from idnames.h, read before the
 * privilege drop; numeric ids when a name is unknown, "ftp" with
 * hide_ids), size, a "Mon dd HH:MM" date within six months or
 * "Mon dd  YYYY" otherwise (UTC unless use_localtime; the seconds since
 * the epoch, as GNU ls shows them, for a time whose year does not fit an
 * int), the name, "-> target" for symlinks.  Formatting only: what to
 * list and where the lines go is ls.h's.  Service process.
 */
#ifndef MINIFTPD_LSFMT_H
#define MINIFTPD_LSFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "defs.h"

/* Room for one line of a listing (LIST or MLSD) and its CRLF. */
#define LS_LINE_MAX	(2 * MAX_FTP_PATH + 256)
#define LS_DATE_MAX	24

/*
 * The state of one listing's lines: the time it started and the last
 * owner, group and date shown, which the next line most often repeats.
 * Fields are lsfmt.c's; set up by lsfmt_init.
 */
struct lsfmt_id_memo {
	bool valid;
	unsigned int id;
	const char *name;
	size_t len;
	char num[12];
};

struct lsfmt_date_memo {
	bool valid, recent;
	time_t start;		/* the text holds for [start, start + 60) */
	size_t len;
	char text[LS_DATE_MAX];
};

struct lsfmt {
	time_t now;
	bool local;		/* use_localtime */
	bool hide_ids;
	struct lsfmt_id_memo user, group;
	struct lsfmt_date_memo date;
};

/* lsfmt_init - a listing that starts at NOW; LOCAL and HIDE_IDS as the
 * options use_localtime and hide_ids. */
void lsfmt_init(struct lsfmt *f, time_t now, bool local, bool hide_ids);

/*
 * lsfmt_long_line - the `ls -l` line of ST, entry NAME in directory DFD
 * shown as SHOWN (a symlink's target is read from DFD), into LINE, cut
 * to LEN - 1 bytes, no NUL.  LINE has room for LS_LINE_MAX bytes however
 * short LEN is: the columns are written with fixed-size stores that may
 * reach past them.  RETURNS its length.
 */
int lsfmt_long_line(struct lsfmt *f, int dfd, const char *name, const char *shown,
		    const struct stat *st, char *line, size_t len);

/* lsfmt_mode_string - "drwxr-sr-t" for MODE into OUT. Pure. */
void lsfmt_mode_string(mode_t mode, char out[11]);

/*
 * lsfmt_date - the LIST date for T seen at NOW: "Mon dd HH:MM" when T is
 * within the six months before NOW (and not over an hour ahead), else
 * "Mon dd  YYYY"; broken down in local time when LOCAL, else UTC.
 * Pure but for the time zone (loaded at start).
 */
void lsfmt_date(time_t t, time_t now, bool local, char out[LS_DATE_MAX]);

#endif
