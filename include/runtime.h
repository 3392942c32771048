/*
 * runtime.h - the facts miniftpd resolves once at start-up, before any
 * chroot (users, groups, the banner, pasv_address, PASV ports), and that
 * every process of a session then reads: struct runtime.
 *
 * Filled by main (runtime_init) in the first process; the standalone
 * listener brings it up to date before each fork (runtime_before_fork).
 */
#ifndef MINIFTPD_RUNTIME_H
#define MINIFTPD_RUNTIME_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <netinet/in.h>

#include "defs.h"

struct config;

/* The groups of the anonymous account that a process started per
 * connection takes from names_cache_file (idnames.c); a login's own
 * groups (struct login) are not bounded by it. */
#define MAX_GROUPS 64

/* Room for a crypt(3) setting (libcrypt's CRYPT_GENSALT_OUTPUT_SIZE). */
#define MAX_CRYPT_SETTING 192

/*
 * The ports PASV picks from when pasv_min_port and pasv_max_port are 0:
 * the kernel's ephemeral range less its reserved ports, read at start.
 * lo == 0: unknown, the kernel picks (bind to port 0), which gets slow
 * once tens of thousands of data connections wait in TIME_WAIT.
 */
#define MAX_RESERVED_RANGES 32
struct port_ranges {
	unsigned int lo, hi;
	unsigned int nreserved;
	struct { unsigned int lo, hi; } reserved[MAX_RESERVED_RANGES];
};

/* Facts resolved once at start-up (before any chroot), shared read-only. */
struct runtime {
	bool privileged;	/* root and run_as_launching_user=NO */
	uid_t nopriv_uid;	/* nopriv_user (privileged only) */
	gid_t nopriv_gid;
	char banner[MAX_MSG_FILE + 1];	/* banner_file's text, cleaned ("": none) */
	bool have_pasv_addr;	/* pasv_address resolved (IPv4 only: PASV) */
	long long pasv_addr_time;	/* when (sys_time), for pasv_addr_resolve */
	struct in_addr pasv_addr;
	struct port_ranges pasv_ports;	/* for pasv_min_port=pasv_max_port=0 */
	uid_t self_uid;		/* who started us (the unprivileged mode's identity) */
	gid_t self_gid;
	uid_t chown_uid;	/* chown_username (privileged, chown_uploads only) */
	/* crypt(3) settings checked when an attempt has no usable hash
	 * (auth_init): the system's default method for local users, the
	 * method and cost of the first hash in user_db_file for virtual
	 * users ("" when it has none) */
	char dummy_local[MAX_CRYPT_SETTING];
	char dummy_virtual[MAX_CRYPT_SETTING];
	bool have_anon;		/* anon: ftp_username resolved (auth_cache_anon) */
	struct anon_ids {
		uid_t uid;
		gid_t gid;
		gid_t groups[MAX_GROUPS];
		int ngroups;
		char home[PATH_MAX];
	} anon;
};

/*
 * runtime_init - resolve users and directories named by CFG into RT,
 * create secure_chroot_dir if missing, then (standalone) load the name
 * cache of listings.  On failure nothing but RT has changed, so a
 * listener's reload that fails here keeps everything it had.  RETURNS 0
 * or -1 with ERR set (a start-up error).  Main: at start and on reload.
 */
int runtime_init(const struct config *cfg, struct runtime *rt, char *err,
		 size_t errlen);

/*
 * runtime_before_fork - the standalone listener, before it forks a
 * session: bring what its sessions inherit up to date (the name cache of
 * listings, when /etc/passwd or /etc/group changed: idnames_refresh; with
 * pasv_addr_resolve, pasv_address resolved again into RT once its answer
 * is pasv_addr_ttl seconds old), so that the change is read once here and
 * not in every session, and never in a chrooted, sandboxed process.
 */
void runtime_before_fork(const struct config *cfg, struct runtime *rt);

#endif
