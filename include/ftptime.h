/*
 * ftptime.h - the RFC 3659 time-val, YYYYMMDDHHMMSS[.fff]: parsed for
 * MFMT and MDTM's set form, formatted for MDTM and the MLSx modify fact.
 * Pure (but for the time zone, loaded at start); both binaries could use
 * it, the service process does.
 */
#ifndef MINIFTPD_FTPTIME_H
#define MINIFTPD_FTPTIME_H

#include <stdbool.h>
#include <time.h>

/*
 * ftptime_parse - YYYYMMDDHHMMSS[.fff] (UTC, the MFMT/MDTM form) at
 * TEXT.  RETURNS 0 with *OUT the epoch seconds, or -EINVAL for a
 * malformed or impossible date.  Pure.
 */
int ftptime_parse(const char *text, long long *out);

/*
 * ftptime_arg - split ARG of MFMT and of MDTM's set form,
 * "YYYYMMDDHHMMSS[.fff] NAME".  RETURNS NAME (a suffix of ARG, not
 * empty) with *OUT the time as ftptime_parse gives it, or NULL when ARG
 * does not start with a valid time and a space.  Pure.
 */
const char *ftptime_arg(const char *arg, long long *out);

#define FTPTIME_STAMP_MAX 32

/*
 * ftptime_stamp - T as YYYYMMDDHHMMSS (RFC 3659 time-val, MDTM and the
 * modify fact) into OUT; broken down in local time when LOCAL, else UTC.
 * RETURNS 0, or -EOVERFLOW when T cannot be broken down or its year is
 * outside 0000-9999.  Pure but for the time zone.
 */
int ftptime_stamp(time_t t, bool local, char out[FTPTIME_STAMP_MAX]);

#endif
