/*
 * ftpfs.h - file system verbs, on top of path.h.  Service process,
 * post-login only; each is a row of the command table (ftpproto.c).
 *
 * CWD needs search (x) permission on the directory only, as chdir(2).
 * "MDTM NAME" answers the time (UTC unless use_localtime; 550 when its
 * year has not four digits); "MDTM YYYYMMDDHHMMSS NAME" sets it (UTC)
 * as vsftpd does, with the write permission of MFMT, when the whole
 * argument is not itself an existing name.  "MFMT YYYYMMDDHHMMSS NAME"
 * (a write: CMD_W_OTHER) sets it and answers "Modify=...; NAME".
 * Anonymous users may not SITE CHMOD nor change their umask (anon_umask)
 * by SITE UMASK.
 */
#ifndef MINIFTPD_FTPFS_H
#define MINIFTPD_FTPFS_H

#include <stdbool.h>

#include "session.h"

void ftp_pwd(struct session *s, const char *arg);
void ftp_cwd(struct session *s, const char *arg);
void ftp_cdup(struct session *s, const char *arg);
void ftp_mkd(struct session *s, const char *arg);
void ftp_rmd(struct session *s, const char *arg);
void ftp_dele(struct session *s, const char *arg);
void ftp_rnfr(struct session *s, const char *arg);
void ftp_rnto(struct session *s, const char *arg);
void ftp_size(struct session *s, const char *arg);
void ftp_mdtm(struct session *s, const char *arg);
void ftp_mfmt(struct session *s, const char *arg);
void ftp_site(struct session *s, const char *arg);

/*
 * ftpfs_resolve - normalise the client's ARG against the working
 * directory into OUT (MAX_FTP_PATH).  On failure replies 553 and
 * RETURNS false.  For other modules' verbs (RETR, STOR, LIST...).
 */
bool ftpfs_resolve(struct session *s, const char *arg, char *out);

/*
 * ftpfs_enter_root - open the login's root directory (after chroot, "/")
 * and set the first working directory.  Dies when it is unusable.
 */
void ftpfs_enter_root(struct session *s);

/*
 * ftpfs_site_help - reply 214 with the SITE subcommands, one word each,
 * from the SITE table.  For "SITE HELP" and "HELP SITE" (ftpproto.c);
 * also before login.
 */
void ftpfs_site_help(struct session *s);

/* ftpfs_may_write - write permission for the logged-in user and FLAGS
 * (CMD_W_UPLOAD / CMD_W_MKDIR / CMD_W_OTHER of ftpproto.h). */
bool ftpfs_may_write(const struct session *s, unsigned int flags);

#endif
