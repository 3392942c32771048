/*
 * ls.h - the listing verbs: LIST, NLST, MLSD, MLST, STAT with a path,
 * OPTS MLST.
 *
 * LIST and NLST take options (-a shows dot files, -l is the default for
 * LIST) then a path, a directory or file, whose last component may be a
 * glob.  A directory is read once, sorted by name (lssort.h), and its
 * lines (lsfmt.h for LIST, mlsx.h for MLSD) written through one buffer
 * to the data connection, or into the 213 reply of STAT.  Service
 * process, post-login.
 */
#ifndef MINIFTPD_LS_H
#define MINIFTPD_LS_H

#include <stdbool.h>

#include "session.h"

/* Verbs: rows of the command table (ftpproto.c). */
void ftp_list(struct session *s, const char *arg);
void ftp_nlst(struct session *s, const char *arg);
void ftp_mlsd(struct session *s, const char *arg);
void ftp_mlst(struct session *s, const char *arg);

/*
 * ls_stat_path - "STAT path": the LIST lines for ARG over the control
 * connection in a 213 reply.  Called by ftp_stat when it has an argument.
 */
void ls_stat_path(struct session *s, const char *arg);

/*
 * ls_opts_mlst - "OPTS MLST fact;fact;...": select the facts MLSD and
 * MLST show (unknown names ignored, as RFC 3659 asks) and reply 200 with
 * the selection.  Called by ftp_opts.
 */
void ls_opts_mlst(struct session *s, const char *facts);

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

#endif
