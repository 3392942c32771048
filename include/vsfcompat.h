/*
 * vsfcompat.h - what to tell an operator whose configuration, written for
 * vsftpd, names a vsftpd option that miniftpd does not implement.
 *
 * The options miniftpd does implement with vsftpd's meaning are ordinary
 * rows of options.h; this module only knows the rest, so that an unknown
 * key stays an error (typos are caught) while a vsftpd key gets a message
 * saying what to use instead.  Pure module, used by config.c (both
 * binaries).
 */
#ifndef MINIFTPD_VSFCOMPAT_H
#define MINIFTPD_VSFCOMPAT_H

#include <stdbool.h>

/*
 * vsf_advice - advice for vsftpd option KEY, which miniftpd does not
 * implement ("use X instead", "remove the line: ...").
 * RETURNS a static string, or NULL when KEY is not a vsftpd option.
 */
const char *vsf_advice(const char *key);

/*
 * vsf_same - whether vsftpd option KEY set to VALUE (its boolean, read as
 * the configuration reads YES, NO, TRUE, FALSE, 1, 0) asks for what miniftpd always does
 * (xferlog_std_format=YES, one_process_model=NO, ...): such a line is
 * accepted and has no effect, so that a stock vsftpd.conf need not be
 * edited for it.  Any other value of KEY keeps its advice.
 */
bool vsf_same(const char *key, bool value);

#endif
