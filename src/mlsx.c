/* mlsx.c - the MLSx facts; see mlsx.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "ftpproto.h"
#include "ftptime.h"
#include "mlsx.h"
#include "str.h"

static const struct {
	unsigned int bit;
	const char *name;
} facts_table[] = {
	{ MLSX_FACT_TYPE, "type" }, { MLSX_FACT_SIZE, "size" }, { MLSX_FACT_MODIFY, "modify" },
	{ MLSX_FACT_PERM, "perm" }, { MLSX_FACT_UNIQUE, "unique" }, { MLSX_FACT_MODE, "UNIX.mode" },
};
#define NFACTS (sizeof(facts_table) / sizeof(facts_table[0]))

unsigned int
mlsx_parse_facts(const char *list)
{
	unsigned int bits = 0;

	while (*list) {
		size_t n = strcspn(list, ";");

		for (size_t i = 0; i < NFACTS; i++)
			if (strlen(facts_table[i].name) == n &&
			    strncasecmp(facts_table[i].name, list, n) == 0)
				bits |= facts_table[i].bit;
		list += n + (list[n] == ';');
	}
	return bits;
}

void
mlsx_fact_names(unsigned int bits, char *out, size_t len)
{
	size_t o = 0;

	if (len == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < NFACTS; i++)
		if ((bits & facts_table[i].bit) &&
		    str_fmt(out + o, len - o, "%s;", facts_table[i].name) == 0)
			o += strlen(out + o);
}

static const char *
file_type(mode_t mode)
{
	static const struct {
		mode_t fmt;
		const char *type;
	} types[] = {
		{ S_IFREG, "file" }, { S_IFDIR, "dir" }, { S_IFLNK, "OS.unix=symlink" },
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if ((mode & S_IFMT) == types[i].fmt)
			return types[i].type;
	return "OS.unix=special";
}

int
mlsx_facts(const struct stat *st, const char *perm, unsigned int facts,
	   char *out, size_t outlen)
{
	char val[NFACTS][48];
	size_t o = 0;

	_Static_assert(sizeof(val[2]) >= FTPTIME_STAMP_MAX, "modify fits");
	snprintf(val[0], sizeof(val[0]), "%s", file_type(st->st_mode));
	snprintf(val[1], sizeof(val[1]), "%lld", (long long)st->st_size);
	if (ftptime_stamp(st->st_mtime, false, val[2]) < 0)
		facts &= ~(unsigned int)MLSX_FACT_MODIFY;	/* no time-val for it */
	snprintf(val[3], sizeof(val[3]), "%s", perm);
	snprintf(val[4], sizeof(val[4]), "%llxU%llx", (unsigned long long)st->st_dev,
		 (unsigned long long)st->st_ino);
	snprintf(val[5], sizeof(val[5]), "0%o", (unsigned int)(st->st_mode & 07777));
	if (outlen == 0)
		return -E2BIG;
	out[0] = '\0';
	for (size_t i = 0; i < NFACTS; i++) {
		if (!(facts & facts_table[i].bit))
			continue;
		if (str_fmt(out + o, outlen - o, "%s=%s;", facts_table[i].name, val[i]) < 0)
			return -E2BIG;
		o += strlen(out + o);
	}
	return 0;
}

static bool
in_groups(const struct mlsx_who *w, gid_t gid)
{
	if (gid == w->gid)
		return true;
	for (int i = 0; i < w->ngroups; i++)
		if (w->groups[i] == gid)
			return true;
	return false;
}

/* Our r/w/x bits (4/2/1) on ST. */
static unsigned int
access_bits(const struct mlsx_who *w, const struct stat *st)
{
	if (w->uid == 0)
		return 7;
	if (st->st_uid == w->uid)
		return (st->st_mode >> 6) & 7;
	if (in_groups(w, st->st_gid))
		return (st->st_mode >> 3) & 7;
	return st->st_mode & 7;
}

void
mlsx_perm(const struct mlsx_who *w, const struct stat *st, char out[MLSX_PERM_MAX])
{
	static const struct {
		bool dir;
		unsigned int bits;	/* access bits needed (all of them) */
		unsigned int write;	/* CMD_W_* permission needed, 0: none */
		char c;
	} rules[] = {
		{ false, 4, 0, 'r' }, { false, 2, CMD_W_UPLOAD, 'a' },
		{ false, 2, CMD_W_UPLOAD, 'w' }, { false, 0, CMD_W_OTHER, 'd' },
		{ false, 0, CMD_W_OTHER, 'f' },
		{ true, 1, 0, 'e' }, { true, 4, 0, 'l' }, { true, 3, CMD_W_UPLOAD, 'c' },
		{ true, 3, CMD_W_MKDIR, 'm' }, { true, 0, CMD_W_OTHER, 'd' },
		{ true, 0, CMD_W_OTHER, 'f' }, { true, 3, CMD_W_OTHER, 'p' },
	};
	unsigned int have = access_bits(w, st);
	bool dir = S_ISDIR(st->st_mode);
	size_t n = 0;

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].dir == dir && (have & rules[i].bits) == rules[i].bits &&
		    (rules[i].write == 0 || (w->may_write & rules[i].write)))
			out[n++] = rules[i].c;
	out[n] = '\0';
}
