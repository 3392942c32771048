/*
 * mlsx.h - the RFC 3659 facts of MLSD and MLST lines: type, size,
 * modify (always UTC; left out for a time whose year has not four
 * digits), perm, unique and UNIX.mode, in that order, each shown when
 * selected (OPTS MLST).  Pure: the verbs are in ls.h.  Service process.
 */
#ifndef MINIFTPD_MLSX_H
#define MINIFTPD_MLSX_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The MLSx facts, in the order they are shown. */
enum {
	MLSX_FACT_TYPE		= 1 << 0,
	MLSX_FACT_SIZE		= 1 << 1,
	MLSX_FACT_MODIFY	= 1 << 2,
	MLSX_FACT_PERM		= 1 << 3,
	MLSX_FACT_UNIQUE	= 1 << 4,
	MLSX_FACT_MODE		= 1 << 5,	/* UNIX.mode */
	MLSX_FACTS_ALL		= (1 << 6) - 1,
};

/*
 * mlsx_parse_facts - the MLSX_FACT_* bits named in "type;Size;UNIX.mode;"
 * (case-insensitive; unknown names ignored, as RFC 3659 asks).  Pure.
 */
unsigned int mlsx_parse_facts(const char *list);

/*
 * mlsx_fact_names - the names of the facts in BITS, each followed by ';'
 * ("type;size;"), into OUT of LEN bytes (128 hold them all), as the
 * reply to OPTS MLST shows them.  Pure.
 */
void mlsx_fact_names(unsigned int bits, char *out, size_t len);

/*
 * mlsx_facts - the RFC 3659 facts of ST selected by FACTS
 * ("type=file;size=...;UNIX.mode=0644;") into OUT; PERM is the perm
 * fact's letters (mlsx_perm).  RETURNS 0 or -E2BIG.  Pure.
 */
int mlsx_facts(const struct stat *st, const char *perm, unsigned int facts,
	       char *out, size_t outlen);

/* Who asks, for the perm fact: ids after the privilege drop, and which
 * CMD_W_* write permissions (ftpproto.h) the login has. */
struct mlsx_who {
	uid_t uid;
	gid_t gid;
	const gid_t *groups;	/* supplementary groups */
	int ngroups;
	unsigned int may_write;	/* CMD_W_* bits allowed */
};

#define MLSX_PERM_MAX 16

/*
 * mlsx_perm - the perm fact of ST for W into OUT ("rawdf", "elcmdfp"):
 * the mode bits that apply to W (root: all), each letter gated by the
 * write permission it needs.  Pure.
 */
void mlsx_perm(const struct mlsx_who *w, const struct stat *st, char out[MLSX_PERM_MAX]);

#endif
