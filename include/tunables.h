/*
 * tunables.h - the standalone listener's one re-exec at start, with
 * glibc's per-thread malloc cache off (GLIBC_TUNABLES=
 * glibc.malloc.tcache_count=0).
 *
 * Why: with the cache on, a forked session's first allocations land in
 * chunks the listener freed, and each such page is copied on write into
 * the session; without it an idle FTPS session's PSS is 12-25 KiB smaller
 * (bench/NOTES.md, "FTPS idle memory").  glibc reads tunables only at
 * exec, hence the re-exec: same argv, same pid (LISTEN_PID still names
 * us), every descriptor kept.  Processes that systemd (Accept=yes) or
 * inetd start per connection get the variable from their unit or
 * xinetd entry instead (an exec per connection is not worth it).
 */
#ifndef MINIFTPD_TUNABLES_H
#define MINIFTPD_TUNABLES_H

#include <stdbool.h>
#include <stddef.h>

#define TUNABLES_VAR	"GLIBC_TUNABLES"
#define TUNABLES_TCACHE	"glibc.malloc.tcache_count"
#define TUNABLES_TCACHE_OFF TUNABLES_TCACHE "=0"
/* Longest GLIBC_TUNABLES value built (the user's value and ours). */
#define TUNABLES_MAX	4096

/* tunables_add_tcache_off - the GLIBC_TUNABLES value to exec with, from
 * the current one OLD (NULL: unset): OLD's tunables kept, in order, and
 * glibc.malloc.tcache_count=0 appended.  Nothing when OLD already sets
 * glibc.malloc.tcache_count (to any value: the user's choice, and the
 * re-exec's own result).  RETURNS 1 with the value in OUT (SIZE bytes),
 * 0 when OLD already sets it, -ENAMETOOLONG when it does not fit. */
int tunables_add_tcache_off(const char *old, char *out, size_t size);

/* tunables_reexec - in the standalone listener at start, before any
 * socket, thread or privileged state: exec /proc/self/exe again with ARGV
 * and the environment plus glibc.malloc.tcache_count=0, unless it is
 * there already, or the process runs set-id/with file capabilities
 * (AT_SECURE: glibc ignores or erases the variable, and would loop).
 * Returns only when no exec was needed or the exec failed (reported
 * once on standard error, and the listener goes on with the cache). */
void tunables_reexec(char **argv);

#endif
