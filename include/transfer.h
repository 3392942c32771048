/*
 * transfer.h - file transfers: RETR, STOR, APPE, STOU, REST, ABOR.
 *
 * Every transfer runs one loop that polls the data connection and the
 * control connection together: ABOR (plain, as urgent data, or after
 * Telnet IP + Synch: the control socket has SO_OOBINLINE, the line reader
 * drops the Telnet bytes) ends it with 426 then 226, also behind other
 * commands sent before it; STAT reports progress; any other command is
 * held for after the transfer (up to MAX_HELD_LINES).  A transfer that
 * makes no progress for data_connection_timeout ends with 426 and the
 * session goes on.  lock_upload_files: a file another session holds
 * locked is waited for, up to data_connection_timeout, then 450.  Binary
 * downloads use sendfile(2); uploads are read in large blocks and written
 * through.  TYPE A (the session's first type) converts line ends when
 * ascii_download_enable / ascii_upload_enable say so; REST is refused for
 * a TYPE A download (vsftpd) and a converted upload.  An upload refused
 * while its file is opened (the offset, the lock) removes the file it
 * created.  Rates: upload_max_rate / download_max_rate,
 * else local_max_rate / anon_max_rate, paced against the transfer's
 * start.  Service process, post-login.
 */
#ifndef MINIFTPD_TRANSFER_H
#define MINIFTPD_TRANSFER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "session.h"

/* Verbs: rows of the command table (ftpproto.c). */
void ftp_retr(struct session *s, const char *arg);
void ftp_stor(struct session *s, const char *arg);
void ftp_appe(struct session *s, const char *arg);
void ftp_stou(struct session *s, const char *arg);
void ftp_rest(struct session *s, const char *arg);
void ftp_abor(struct session *s, const char *arg);

/*
 * xfer_session_init - prepare a post-login session for transfers: no
 * data connection yet, urgent data inline on the control connection
 * (ABOR sent with MSG_OOB), TCP_NODELAY on it, SIGXFSZ ignored (a write past RLIMIT_FSIZE
 * fails with EFBIG instead of killing the session).  Called once by
 * ftp_postlogin.
 */
void xfer_session_init(struct session *s);

/*
 * xfer_lf_to_crlf - ASCII download: copy LEN bytes of IN to OUT (room for
 * 2 * LEN) with a lone LF sent as CRLF; a CRLF already there is sent as
 * is (vsftpd, proftpd), not as CR CR LF.  *PREV_CR says whether the byte
 * before IN (the end of the previous block) was CR, false at the start of
 * the file; it is updated for the next block.  RETURNS the output length.
 * Pure.
 */
size_t xfer_lf_to_crlf(bool *prev_cr, const char *in, size_t len, char *out);

/*
 * xfer_crlf_to_lf - ASCII upload: copy LEN bytes of IN to OUT (room for
 * LEN + 1) with CRLF stored as LF; a CR that ends one block is held in
 * *CR_PENDING and decided by the next block (pass LEN 0 at the end of
 * the upload to flush it).  RETURNS the output length.  Pure.
 */
size_t xfer_crlf_to_lf(bool *cr_pending, const char *in, size_t len, char *out);

/*
 * xfer_parse_rest - a REST argument: decimal digits only, at most the
 * largest file offset.  RETURNS 0 with *OUT set, or -EINVAL.  Pure.
 */
int xfer_parse_rest(const char *arg, unsigned long long *out);

/*
 * xfer_max_rate - bytes per second allowed for a transfer (0: no limit):
 * upload_max_rate / download_max_rate when set, else anon_max_rate for
 * anonymous sessions (ANON), else local_max_rate.  Pure.
 */
unsigned long xfer_max_rate(const struct config *cfg, bool anon, bool upload);

/*
 * xfer_pace_ms - milliseconds to wait before moving more data, when
 * BYTES moved in ELAPSED_MS and RATE bytes per second are allowed
 * (0: none).  Pure.
 */
long long xfer_pace_ms(unsigned long long bytes, unsigned long rate,
		       long long elapsed_ms);

/*
 * xfer_unique_name - the Nth candidate name for STOU from BASE: BASE
 * itself for 0, else "BASE.N".  RETURNS 0 or -E2BIG.  Pure.
 */
int xfer_unique_name(const char *base, unsigned int n, char *out, size_t outlen);

#endif
