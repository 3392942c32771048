/*
 * userdb.h - the virtual users file: lines "name:crypt-hash[:home]".
 *
 * '#' starts a comment line; blank lines are skipped.  A CRLF line end
 * and a UTF-8 byte-order mark at the start of the text (a file saved by a
 * Windows editor) are ignored, as in the configuration.  Names are
 * 1..MAX_USER_NAME bytes of [A-Za-z0-9._@-] (no leading '-'); the hash is
 * any crypt(3) hash (no ':'); home, when present, is an absolute path.
 * Pure module: returns -errno, never logs.  Used by the helper (auth.c).
 */
#ifndef MINIFTPD_USERDB_H
#define MINIFTPD_USERDB_H

#include <limits.h>
#include <stddef.h>

#include "defs.h"

struct userdb_entry {
	char name[MAX_USER_NAME + 1];
	char hash[256];
	char home[PATH_MAX];	/* "" when the line has none */
};

/*
 * userdb_parse_line - parse one line (without newline) of LEN bytes.
 * RETURNS 1 and fills E for an entry, 0 for a blank/comment line,
 * -EINVAL for a malformed line.
 */
int userdb_parse_line(const char *line, size_t len, struct userdb_entry *e);

/*
 * userdb_find - look NAME up in the text TEXT (LEN bytes, a whole file).
 * RETURNS 1 and fills E when found, 0 when absent, -EINVAL when a line
 * is malformed (*BADLINE gets its number, from 1).
 */
int userdb_find(const char *text, size_t len, const char *name,
		struct userdb_entry *e, size_t *badline);

/*
 * userdb_next - the next entry of TEXT (LEN bytes) from offset *POS, which
 * it advances past the line; *LINENO counts the lines read.  RETURNS 1 and
 * fills E, 0 at the end, -EINVAL for a malformed line (*LINENO is its number).
 */
int userdb_next(const char *text, size_t len, size_t *pos, size_t *lineno,
		struct userdb_entry *e);

/*
 * userdb_hash_setting - the crypt(3) setting of HASH (method, cost and
 * salt: what crypt needs to compute a hash of the same cost) into OUT of
 * OUTLEN bytes.  RETURNS 0, -EINVAL for no known hash shape,
 * -ENAMETOOLONG when OUT is too small.
 */
int userdb_hash_setting(const char *hash, char *out, size_t outlen);

/* userdb_valid_name - NAME is an acceptable user name (also for USER). */
int userdb_valid_name(const char *name);

#endif
