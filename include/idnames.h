/*
 * idnames.h - name service answers a session needs before it drops
 * privileges: the user and group names of listings, and the anonymous
 * account (ftp_username's ids, groups and home).
 *
 * LIST shows owners by name, but a session runs chrooted, where the name
 * service is out of reach: the names are read (enumerated: getpwent,
 * getgrent) before the drop and kept in two tables sorted by id.
 *
 * Enumerating costs more than the rest of a short session (the systemd
 * NSS module alone searches five userdb directories per database), and
 * so does getgrouplist for the anonymous account (it loads that module).
 * The standalone listener asks once and its sessions inherit the answers;
 * a process that systemd (Accept=yes) or inetd starts per connection reads
 * them from names_cache_file instead, a file that the first such process
 * writes and the others trust while
 *   - /etc/passwd and /etc/group have the change times recorded in it,
 *   - it is younger than IDNAMES_CACHE_AGE seconds (answers from other
 *     sources, LDAP or systemd, are at most that old),
 *   - it is a regular file owned by root (or by the user miniftpd runs
 *     as, when that is not root) that nobody else may write.
 * It is written only into a directory owned by root (or that user) that
 * nobody else may write, through a temporary file renamed into place.
 *
 * Names longer than IDNAMES_NAME_MAX bytes, or holding a space or a
 * control character (which would break a LIST line), are left out: such
 * ids are shown as numbers.  At most IDNAMES_MAX of each kind are kept.
 */
#ifndef MINIFTPD_IDNAMES_H
#define MINIFTPD_IDNAMES_H

#include <stddef.h>
#include <time.h>

#include "runtime.h"

#define IDNAMES_MAX		8192
#define IDNAMES_NAME_MAX	32
#define IDNAMES_CACHE_AGE	60

enum idnames_kind { IDNAMES_USER, IDNAMES_GROUP };

/*
 * idnames_load - enumerate the name service now and, when CACHE_FILE is
 * not empty, write the cache.  The standalone listener calls it at start
 * and on SIGHUP.
 */
void idnames_load(const char *cache_file);

/*
 * idnames_refresh - make the tables current before a privilege drop:
 * keep them if /etc/passwd and /etc/group did not change since they were
 * read, else take CACHE_FILE if it is valid (see above), else
 * idnames_load(CACHE_FILE).
 */
void idnames_refresh(const char *cache_file);

/*
 * idnames_account - ftp_username NAME's ids, groups and home into OUT,
 * for an anonymous login: from CACHE_FILE when it is valid and holds
 * NAME (read with the names, see idnames_refresh), else from getpwnam and
 * getgrouplist, after which the cache is rewritten to hold them.  An
 * empty CACHE_FILE asks the name service and nothing else.  RETURNS 0,
 * -ENOENT when there is no such user (or its home is too long), or -E2BIG
 * when it is in more than MAX_GROUPS groups.
 */
int idnames_account(const char *cache_file, const char *name, struct anon_ids *out);

/*
 * idnames_lookup - the name of user or group ID, else ID in decimal,
 * written to NUM.  Never NULL.
 */
const char *idnames_lookup(enum idnames_kind kind, unsigned int id, char num[12]);

/*
 * idnames_format - the cache file's text for the tables (and the account,
 * when one was looked up) as they are, with
 * PASSWD and GROUP as the files' change times.  RETURNS an xmalloc'ed
 * string; *LEN its length.
 */
char *idnames_format(struct timespec passwd, struct timespec group, size_t *len);

/*
 * idnames_parse - replace the tables and the account with TEXT (idnames_format's form,
 * NUL-terminated, modified in place) if its change times equal PASSWD and
 * GROUP.  RETURNS 0; -ESTALE when the times differ; -EBADMSG when TEXT is
 * malformed (the tables are then empty).
 */
int idnames_parse(char *text, struct timespec passwd, struct timespec group);

#endif
