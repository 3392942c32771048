/*
 * ls.h - listings and file facts: LIST, NLST, MLSD, MLST, STAT with a
 * path, MFMT.
 *
 * LIST is `ls -l` as curl, lftp and FileZilla parse it: mode, links,
 * owner and group (names from idnames.h, read before the privilege drop;
 * numeric ids when a name is unknown, "ftp" with hide_ids), size, a
 * "Mon dd HH:MM" date within six months or "Mon dd  YYYY" otherwise
 * (UTC unless use_localtime; the seconds since the epoch, as GNU ls shows
 * them, for a time whose year does not fit an int), the name, "-> target"
 * for symlinks.  LIST
 * and NLST take options (-a shows dot files, -l is the default for LIST)
 * then a path, a directory or file, whose last component may be a glob.
 * MLSD/MLST give RFC 3659 facts type, size, modify (always UTC), perm,
 * unique and UNIX.mode (modify left out for a time whose year has not
 * four digits).  A directory is read once, sorted by name, and
 * written through one buffer.  Service process, post-login.
 */
#ifndef MINIFTPD_LS_H
#define MINIFTPD_LS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "session.h"

/* Verbs: rows of the command table (ftpproto.c). */
void ftp_list(struct session *s, const char *arg);
void ftp_nlst(struct session *s, const char *arg);
void ftp_mlsd(struct session *s, const char *arg);
void ftp_mlst(struct session *s, const char *arg);
void ftp_mfmt(struct session *s, const char *arg);

/*
 * ls_stat_path - "STAT path": the LIST lines for ARG over the control
 * connection in a 213 reply.  Called by ftp_stat when it has an argument.
 */
void ls_stat_path(struct session *s, const char *arg);

/* Options of LIST/NLST: -a (dot files), -l (long form, NLST too). */
struct ls_opts {
	bool all;
	bool lng;
};

/*
 * ls_parse_args - split a LIST/NLST argument: leading words that start
 * with '-' are options (unknown letters ignored), the rest is the path.
 * RETURNS the path part (possibly ""), a suffix of ARG.  Pure.
 */
const char *ls_parse_args(const char *arg, struct ls_opts *o);

/* ls_has_glob - NAME holds a glob character (* ? [). Pure. */
bool ls_has_glob(const char *name);

/* ls_mode_string - "drwxr-sr-t" for MODE into OUT. Pure. */
void ls_mode_string(mode_t mode, char out[11]);

#define LS_DATE_MAX 24

/*
 * ls_date - the LIST date for T seen at NOW: "Mon dd HH:MM" when T is
 * within the six months before NOW (and not over an hour ahead), else
 * "Mon dd  YYYY"; broken down in local time when LOCAL, else UTC.
 * Pure but for the time zone (loaded at start).
 */
void ls_date(time_t t, time_t now, bool local, char out[LS_DATE_MAX]);

/*
 * ls_parse_time - YYYYMMDDHHMMSS[.fff] (UTC, the MFMT/MDTM form) at
 * TEXT.  RETURNS 0 with *OUT the epoch seconds, or -EINVAL for a
 * malformed or impossible date.  Pure.
 */
int ls_parse_time(const char *text, long long *out);

/*
 * ls_time_arg - split ARG of MFMT and of MDTM's set form,
 * "YYYYMMDDHHMMSS[.fff] NAME".  RETURNS NAME (a suffix of ARG, not
 * empty) with *OUT the time as ls_parse_time gives it, or NULL when ARG
 * does not start with a valid time and a space.  Pure.
 */
const char *ls_time_arg(const char *arg, long long *out);

#define LS_STAMP_MAX 32

/*
 * ls_stamp - T as YYYYMMDDHHMMSS (RFC 3659 time-val, MDTM and the modify
 * fact) into OUT; broken down in local time when LOCAL, else UTC.
 * RETURNS 0, or -EOVERFLOW when T cannot be broken down or its year is
 * outside 0000-9999.  Pure but for the time zone.
 */
int ls_stamp(time_t t, bool local, char out[LS_STAMP_MAX]);

/*
 * ls_opts_mlst - "OPTS MLST fact;fact;...": select the facts MLSD and
 * MLST show (unknown names ignored, as RFC 3659 asks) and reply 200 with
 * the selection.  Called by ftp_opts.
 */
void ls_opts_mlst(struct session *s, const char *facts);

/* The MLSx facts, in the order they are shown. */
enum {
	LS_FACT_TYPE	= 1 << 0,
	LS_FACT_SIZE	= 1 << 1,
	LS_FACT_MODIFY	= 1 << 2,
	LS_FACT_PERM	= 1 << 3,
	LS_FACT_UNIQUE	= 1 << 4,
	LS_FACT_MODE	= 1 << 5,	/* UNIX.mode */
	LS_FACTS_ALL	= (1 << 6) - 1,
};

/*
 * ls_parse_facts - the LS_FACT_* bits named in "type;Size;UNIX.mode;"
 * (case-insensitive; unknown names ignored).  Pure.
 */
unsigned int ls_parse_facts(const char *list);

/*
 * ls_mlsx_facts - the RFC 3659 facts of ST selected by FACTS
 * ("type=file;size=...;UNIX.mode=0644;") into OUT; PERM is the perm
 * fact's letters.  RETURNS 0 or -E2BIG.  Pure.
 */
int ls_mlsx_facts(const struct stat *st, const char *perm, unsigned int facts,
		  char *out, size_t outlen);

#endif
