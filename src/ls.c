/* ls.c - listings, file facts, MFMT; see ls.h. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dataconn.h"
#include "ftpcmd.h"
#include "ftpcodes.h"
#include "ftpfs.h"
#include "ftpproto.h"
#include "idnames.h"
#include "log.h"
#include "ls.h"
#include "path.h"
#include "str.h"
#include "sysutil.h"

/* Output buffer of a listing over the data connection. */
#define LS_BUF		(64 * 1024)
/* Most names read from one directory. */
#define LS_MAX_ENTRIES	1000000
/* Largest "STAT path" reply. */
#define STAT_MAX	(4 * 1024 * 1024)
#define SIX_MONTHS	(365LL * 24 * 3600 / 2)
#define LINE_MAX_LEN	(2 * MAX_FTP_PATH + 256)

enum ls_kind { LS_LIST, LS_NLST, LS_MLSD };

/* --- pure helpers --- */

const char *
ls_parse_args(const char *arg, struct ls_opts *o)
{
	o->all = o->lng = false;
	while (arg[0] == '-') {
		size_t n = strcspn(arg, " ");

		for (size_t i = 1; i < n; i++) {
			if (arg[i] == 'a' || arg[i] == 'A')
				o->all = true;
			else if (arg[i] == 'l')
				o->lng = true;
		}
		arg += n;
		while (*arg == ' ')
			arg++;
	}
	return arg;
}

bool
ls_has_glob(const char *name)
{
	return strpbrk(name, "*?[") != NULL;
}

void
ls_mode_string(mode_t mode, char out[11])
{
	/* by (mode & S_IFMT) >> 12: fifo, chr, dir, blk, reg, lnk, sock; else '-' */
	static const char types[] = "-pc-d-b---l-s---";
	static const char rwx[8][3] = {
		"---", "--x", "-w-", "-wx", "r--", "r-x", "rw-", "rwx",
	};

	out[0] = types[(mode & S_IFMT) >> 12];
	memcpy(out + 1, rwx[(mode >> 6) & 7], 3);
	memcpy(out + 4, rwx[(mode >> 3) & 7], 3);
	memcpy(out + 7, rwx[mode & 7], 3);
	if (mode & S_ISUID)
		out[3] = (mode & S_IXUSR) ? 's' : 'S';
	if (mode & S_ISGID)
		out[6] = (mode & S_IXGRP) ? 's' : 'S';
	if (mode & S_ISVTX)
		out[9] = (mode & S_IXOTH) ? 't' : 'T';
	out[10] = '\0';
}

/* --- dates: "Mon dd HH:MM" or "Mon dd  YYYY" --- */

static bool
date_recent(time_t t, time_t now)
{
	return (long long)t <= (long long)now + 3600 &&
	       (long long)now - (long long)t < SIX_MONTHS;
}

/* V in decimal at OUT, at least WIDTH digits (zero-padded); RETURNS the length. */
static size_t
put_dec(char *out, unsigned long long v, int width)
{
	char tmp[24], *end = tmp + sizeof(tmp), *p = end;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v || end - p < width);
	memcpy(out, p, (size_t)(end - p));
	return (size_t)(end - p);
}

/*
 * The date of T into OUT, RETURNS its length; *SEC is T's second in its
 * minute (every time of that minute has the same text), or -1 when T
 * could not be broken down.
 */
static size_t
date_text(time_t t, time_t now, bool local, char out[LS_DATE_MAX], int *sec)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm;
	size_t n = 4;
	long long year;

	*sec = -1;
	if ((local ? localtime_r(&t, &tm) : gmtime_r(&t, &tm)) == NULL) {
		/* a year beyond int: the seconds, as GNU ls shows them */
		n = 0;
		if (t < 0)
			out[n++] = '-';
		n += put_dec(out + n, t < 0 ? 0ULL - (unsigned long long)t :
			     (unsigned long long)t, 1);
		out[n] = '\0';
		return n;
	}
	*sec = tm.tm_sec;
	memcpy(out, months + 3 * (tm.tm_mon % 12), 3);
	out[3] = ' ';
	n += put_dec(out + n, (unsigned int)tm.tm_mday % 100, 2);
	out[n++] = ' ';
	if (date_recent(t, now)) {
		n += put_dec(out + n, (unsigned int)tm.tm_hour % 100, 2);
		out[n++] = ':';
		n += put_dec(out + n, (unsigned int)tm.tm_min % 100, 2);
	} else {
		year = (long long)tm.tm_year + 1900;
		out[n++] = ' ';
		if (year < 0)
			out[n++] = '-';
		n += put_dec(out + n, (unsigned long long)(year < 0 ? -year : year), 1);
	}
	out[n] = '\0';
	return n;
}

void
ls_date(time_t t, time_t now, bool local, char out[LS_DATE_MAX])
{
	int sec;

	date_text(t, now, local, out, &sec);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long
days_from_civil(long long y, unsigned int m, unsigned int d)
{
	long long era;
	unsigned int yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned int)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static unsigned int
days_in_month(unsigned int y, unsigned int m)
{
	static const unsigned int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

int
ls_parse_time(const char *text, long long *out)
{
	static const int width[6] = { 4, 2, 2, 2, 2, 2 };
	static const unsigned int lo[6] = { 1970, 1, 1, 0, 0, 0 };
	static const unsigned int hi[6] = { 9999, 12, 31, 23, 59, 59 };
	unsigned int f[6];

	for (int i = 0; i < 6; i++) {
		f[i] = 0;
		for (int k = 0; k < width[i]; k++, text++) {
			if (*text < '0' || *text > '9')
				return -EINVAL;
			f[i] = f[i] * 10 + (unsigned int)(*text - '0');
		}
		if (f[i] < lo[i] || f[i] > hi[i])
			return -EINVAL;
	}
	if (f[2] > days_in_month(f[0], f[1]))
		return -EINVAL;
	if (*text == '.')	/* fractions of a second: accepted, ignored */
		for (text++; *text >= '0' && *text <= '9'; text++)
			;
	if (*text != '\0')
		return -EINVAL;
	*out = days_from_civil(f[0], f[1], f[2]) * 86400 +
	       (long long)f[3] * 3600 + f[4] * 60 + f[5];
	return 0;
}

const char *
ls_time_arg(const char *arg, long long *out)
{
	char stamp[LS_STAMP_MAX];
	size_t n = strcspn(arg, " ");

	if (n >= sizeof(stamp) || arg[n] != ' ' || arg[n + 1] == '\0')
		return NULL;
	memcpy(stamp, arg, n);
	stamp[n] = '\0';
	return ls_parse_time(stamp, out) < 0 ? NULL : arg + n + 1;
}

int
ls_stamp(time_t t, bool local, char out[LS_STAMP_MAX])
{
	struct tm tm;

	if ((local ? localtime_r(&t, &tm) : gmtime_r(&t, &tm)) == NULL ||
	    tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return -EOVERFLOW;
	snprintf(out, LS_STAMP_MAX, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return 0;
}

static const struct {
	unsigned int bit;
	const char *name;
} facts_table[] = {
	{ LS_FACT_TYPE, "type" }, { LS_FACT_SIZE, "size" }, { LS_FACT_MODIFY, "modify" },
	{ LS_FACT_PERM, "perm" }, { LS_FACT_UNIQUE, "unique" }, { LS_FACT_MODE, "UNIX.mode" },
};
#define NFACTS (sizeof(facts_table) / sizeof(facts_table[0]))

unsigned int
ls_parse_facts(const char *list)
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
ls_mlsx_facts(const struct stat *st, const char *perm, unsigned int facts,
	      char *out, size_t outlen)
{
	char val[NFACTS][48];
	size_t o = 0;

	_Static_assert(sizeof(val[2]) >= LS_STAMP_MAX, "modify fits");
	snprintf(val[0], sizeof(val[0]), "%s", file_type(st->st_mode));
	snprintf(val[1], sizeof(val[1]), "%lld", (long long)st->st_size);
	if (ls_stamp(st->st_mtime, false, val[2]) < 0)
		facts &= ~(unsigned int)LS_FACT_MODIFY;	/* no time-val for it */
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

void
ls_opts_mlst(struct session *s, const char *facts)
{
	unsigned int on = ls_parse_facts(facts);
	char names[128] = "";

	s->mlst_off = LS_FACTS_ALL & ~on;
	for (size_t i = 0; i < NFACTS; i++)
		if (on & facts_table[i].bit) {
			strcat(names, facts_table[i].name);
			strcat(names, ";");
		}
	ftp_reply(s, FTP_OPTSOK, "MLST OPTS %s", names);
}

/* --- output: one buffered stream to the data socket, or a text (STAT) --- */

/* Where lines are built: one buffer for the process (one listing at a
 * time), never cleared, which would fault in all of its pages. */
static char out_buf[LS_BUF + LINE_MAX_LEN + 2];

struct ls_out {
	struct session *s;
	int fd;			/* data socket, or -1: into TEXT */
	struct str *text;
	char *buf;		/* out_buf, flushed once LS_BUF bytes are in */
	size_t len;
	int err;		/* the first write error stops the listing */
};

static void
out_flush(struct ls_out *o)
{
	if (o->fd >= 0 && o->len && o->err == 0)
		o->err = data_write_all(o->s, o->fd, o->buf, o->len);
	o->len = 0;
}

/* Where the next line goes: room for LINE_MAX_LEN bytes. */
static char *
out_begin(struct ls_out *o)
{
	if (o->len >= LS_BUF)
		out_flush(o);
	return o->buf + o->len;
}

/* The LEN bytes at out_begin() are a line. */
static void
out_end(struct ls_out *o, size_t len)
{
	if (o->fd < 0) {
		if (str_len(o->text) + len + 1 > STAT_MAX)
			o->err = -E2BIG;
		else {
			str_append(o->text, o->buf, len);
			str_append_byte(o->text, '\n');
		}
		return;
	}
	memcpy(o->buf + o->len + len, "\r\n", 2);
	o->len += len + 2;
}

static void
out_line(struct ls_out *o, const char *line, size_t len)
{
	memcpy(out_begin(o), line, len);
	out_end(o, len);
}

/* --- one entry --- */

/* The last id looked up, and its name. */
struct id_memo {
	bool valid;
	unsigned int id;
	const char *name;
	size_t len;
	char num[12];
};

/* The last date shown: its text holds for every time in [start, start + 60). */
struct date_memo {
	bool valid, recent;
	time_t start;
	size_t len;
	char text[LS_DATE_MAX];
};

struct ls_job {
	struct session *s;
	enum ls_kind kind;
	struct ls_opts opts;
	time_t now;
	uid_t uid;
	gid_t gid;
	struct ls_out *out;
	struct id_memo user, group;
	struct date_memo date;
};

static bool
in_groups(const struct ls_job *j, gid_t gid)
{
	if (gid == j->gid)
		return true;
	for (int i = 0; i < j->s->login.ngroups; i++)
		if (j->s->login.groups[i] == gid)
			return true;
	return false;
}

/* Our r/w/x bits (4/2/1) on ST. */
static unsigned int
access_bits(const struct ls_job *j, const struct stat *st)
{
	if (j->uid == 0)
		return 7;
	if (st->st_uid == j->uid)
		return (st->st_mode >> 6) & 7;
	if (in_groups(j, st->st_gid))
		return (st->st_mode >> 3) & 7;
	return st->st_mode & 7;
}

/* The RFC 3659 perm fact: mode bits for us, gated by the write options. */
static void
perm_fact(const struct ls_job *j, const struct stat *st, char out[16])
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
	unsigned int have = access_bits(j, st);
	bool dir = S_ISDIR(st->st_mode);
	size_t n = 0;

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].dir == dir && (have & rules[i].bits) == rules[i].bits &&
		    (rules[i].write == 0 || ftpfs_may_write(j->s, rules[i].write)))
			out[n++] = rules[i].c;
	out[n] = '\0';
}

/* A line being built, cut at its capacity as snprintf would cut it. */
struct line {
	char *p;
	size_t len, cap;
};

static void
put(struct line *l, const char *s, size_t n)
{
	if (n > l->cap - l->len)
		n = l->cap - l->len;
	memcpy(l->p + l->len, s, n);
	l->len += n;
}

/*
 * The columns are written straight into the line, which has room to spare
 * (LINE_MAX_LEN): a column first gets COL_PAD spaces in one fixed-size
 * store, then its text over them, so that no call pads it.
 */
#define COL_PAD		8
static const char col_spaces[COL_PAD] = { ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ' };

/* S (N bytes) left-aligned in WIDTH (<= COL_PAD) columns and a space at P
 * ("%-8s "); RETURNS the end. */
static char *
put_left(char *p, const char *s, size_t n, size_t width)
{
	memcpy(p, col_spaces, COL_PAD);
	memcpy(p, s, n);
	if (n < width)
		n = width;
	p[n] = ' ';
	return p + n + 1;
}

/* V right-aligned in WIDTH (<= COL_PAD) columns and a space at P ("%4lu ",
 * "%8lld "): the digits are written backwards from the column's end.
 * RETURNS the end. */
static char *
put_right(char *p, long long v, size_t width)
{
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	size_t n = 1 + (v < 0);
	char *q;

	for (unsigned long long rest = u; rest >= 10; rest /= 10)
		n++;
	memcpy(p, col_spaces, COL_PAD);
	p += n < width ? width : n;
	q = p;
	do {
		*--q = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--q = '-';
	*p = ' ';
	return p + 1;
}

static char *
put_id(char *p, struct id_memo *m, enum idnames_kind kind, unsigned int id)
{
	if (!m->valid || m->id != id) {
		m->name = idnames_lookup(kind, id, m->num);
		m->len = strlen(m->name);
		m->id = id;
		m->valid = true;
	}
	return put_left(p, m->name, m->len, 8);
}

static char *
put_date(char *p, struct ls_job *j, time_t t)
{
	struct date_memo *d = &j->date;
	bool recent = date_recent(t, j->now);
	int sec;

	if (!d->valid || d->recent != recent || t < d->start || t - d->start >= 60) {
		d->len = date_text(t, j->now, j->s->cfg->use_localtime, d->text, &sec);
		d->start = sec >= 0 ? t - sec : t;
		d->recent = recent;
		d->valid = sec >= 0;
	}
	memcpy(p, d->text, sizeof(d->text));	/* fixed size: no call; the rest is overwritten */
	p[d->len] = ' ';
	return p + d->len + 1;
}

/* "-rw-r--r--    1 owner    group         123 Nov 22 02:28 " (< 160 bytes) at P;
 * the fixed-size stores above may write up to LS_DATE_MAX bytes past a column. */
_Static_assert(LINE_MAX_LEN > 160 + LS_DATE_MAX, "a line holds the columns before the name");
static size_t
long_prefix(struct ls_job *j, const struct stat *st, char *p)
{
	char *start = p;

	ls_mode_string(st->st_mode, p);
	p[10] = ' ';
	p = put_right(p + 11, (long long)st->st_nlink, 4);
	if (j->s->cfg->hide_ids)
		p = put_left(put_left(p, "ftp", 3, 8), "ftp", 3, 8);
	else
		p = put_id(put_id(p, &j->user, IDNAMES_USER, st->st_uid), &j->group,
			   IDNAMES_GROUP, st->st_gid);
	p = put_right(p, (long long)st->st_size, 8);
	p = put_date(p, j, st->st_mtime);
	return (size_t)(p - start);
}

/* The `ls -l` line of ST into LINE (LEN > 160 bytes); RETURNS its length. */
static int
long_line(struct ls_job *j, int dfd, const char *name, const char *shown,
	  const struct stat *st, char *line, size_t len)
{
	struct line l = { line, 0, len - 1 };
	char target[PATH_MAX];

	l.len = long_prefix(j, st, line);
	put(&l, shown, strlen(shown));
	if (S_ISLNK(st->st_mode) && sys_readlinkat(dfd, name, target, sizeof(target)) > 0) {
		put(&l, " -> ", 4);
		put(&l, target, strlen(target));
	}
	return (int)l.len;
}

static int
mlsx_line(const struct ls_job *j, int dfd, const char *name, const char *shown,
	  const struct stat *st, char *line, size_t len)
{
	char facts[256], perm[16];

	(void)dfd;
	(void)name;
	perm_fact(j, st, perm);
	if (ls_mlsx_facts(st, perm, LS_FACTS_ALL & ~j->s->mlst_off, facts, sizeof(facts)) < 0)
		return -1;
	return snprintf(line, len, "%s %s", facts, shown);
}

/* The line for NAME in DFD, shown as SHOWN. */
static void
emit_entry(struct ls_job *j, int dfd, const char *name, const char *shown)
{
	struct stat st;
	char *line;
	int n;

	if (j->kind == LS_NLST && !j->opts.lng) {
		out_line(j->out, shown, strlen(shown));
		return;
	}
	if (sys_fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;		/* gone since the directory was read */
	line = out_begin(j->out);
	n = j->kind == LS_MLSD ? mlsx_line(j, dfd, name, shown, &st, line, LINE_MAX_LEN) :
				 long_line(j, dfd, name, shown, &st, line, LINE_MAX_LEN);
	if (n > 0)
		out_end(j->out, (size_t)n < LINE_MAX_LEN ? (size_t)n : LINE_MAX_LEN - 1);
}

/* --- what to list --- */

struct ls_target {
	int dfd;			/* directory whose entries are listed, or -1 */
	int pfd;			/* one file: its parent directory */
	char name[NAME_MAX + 1];	/* one file: its name in PFD */
	char pattern[NAME_MAX + 1];	/* glob on the entries, "" for all */
	char shown[MAX_FTP_PATH];	/* one file: as named; glob: the directory part */
};

static int
open_dir(struct session *s, const char *path, struct ls_target *t)
{
	int fd = path_open(s->root_fd, path, O_RDONLY | O_DIRECTORY, 0);

	if (fd < 0)
		return fd;
	t->dfd = fd;
	return 0;
}

/* ARG names one file that is not a directory. */
static int
open_file(struct session *s, const char *arg, const char *path, struct ls_target *t)
{
	struct stat st;
	int r;

	t->pfd = path_open_parent(s->root_fd, path, t->name, sizeof(t->name));
	if (t->pfd < 0)
		return t->pfd;
	r = sys_fstatat(t->pfd, t->name, &st, AT_SYMLINK_NOFOLLOW);
	if (r == 0)
		str_lcpy(t->shown, arg, sizeof(t->shown));
	return r;
}

static int
open_target(struct session *s, const char *arg, bool allow_file, struct ls_target *t)
{
	char path[MAX_FTP_PATH], parent[MAX_FTP_PATH];
	const char *slash;
	int r;

	memset(t, 0, sizeof(*t));
	t->dfd = t->pfd = -1;
	if (path_normalize(s->cwd, arg, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	if (path_filter_denies(s->cfg->deny_file, path))
		return -EACCES;
	if (allow_file && ls_has_glob(strrchr(path, '/') + 1)) {
		if (path_split(path, parent, sizeof(parent), t->pattern, sizeof(t->pattern)) < 0)
			return -ENAMETOOLONG;
		slash = strrchr(arg, '/');
		if (slash)
			snprintf(t->shown, sizeof(t->shown), "%.*s", (int)(slash - arg + 1), arg);
		return open_dir(s, parent, t);
	}
	r = open_dir(s, path, t);
	if (r == -ENOTDIR && allow_file)
		r = open_file(s, arg, path, t);
	return r;
}

static void
close_target(struct ls_target *t)
{
	sys_close(t->dfd);
	sys_close(t->pfd);
}

/*
 * A directory's names, in one arena.  An entry's key is 8 bytes of its name
 * from some depth, big-endian and zero-padded: comparing keys compares
 * those bytes as strcmp does.
 */
struct entry {
	uint64_t key;
	size_t off;		/* the name: arena + off */
};

struct names {
	struct entry *v, *tmp;	/* TMP: the radix sort's other half */
	size_t n, cap;
	char *arena;
	size_t used, size;
};

/*
 * Kept from one listing to the next while it holds at most this many
 * bytes: freeing it gave the pages back to the kernel (brk) and the next
 * listing faulted them in again (~100 page faults for 10,000 names).
 */
#define NAMES_KEEP	(2 * 1024 * 1024)

static struct names kept_names;

static bool
wanted(const struct ls_job *j, const char *name, const char *pattern)
{
	bool dots = strcmp(name, ".") == 0 || strcmp(name, "..") == 0;

	if (path_filter_match(j->s->cfg->hide_file, name))
		return false;
	if (j->kind == LS_MLSD)
		return !dots;
	if (name[0] == '.' && !j->opts.all)
		return false;
	return pattern[0] == '\0' || fnmatch(pattern, name, 0) == 0;
}

static void
names_add(struct names *nm, const char *name)
{
	size_t len = strlen(name) + 1;

	if (nm->n == nm->cap) {
		nm->cap = nm->cap ? 2 * nm->cap : 256;
		nm->v = xreallocarray(nm->v, nm->cap, sizeof(*nm->v));
		nm->tmp = xreallocarray(nm->tmp, nm->cap, sizeof(*nm->tmp));
	}
	while (nm->size - nm->used < len) {
		nm->size = nm->size ? 2 * nm->size : 16 * 1024;
		nm->arena = xreallocarray(nm->arena, nm->size, 1);
	}
	memcpy(nm->arena + nm->used, name, len);
	nm->v[nm->n++].off = nm->used;
	nm->used += len;
}

static uint64_t
name_key(const char *s)
{
	uint64_t k = 0;

	for (int i = 0; i < 8 && s[i]; i++)
		k |= (uint64_t)(unsigned char)s[i] << (56 - 8 * i);
	return k;
}

/* LSD radix sort of V by key, one byte a pass, over the bytes set in DIFF
 * (those that are not the same in every key). */
static void
radix_sort(struct entry *v, struct entry *tmp, size_t n, uint64_t diff)
{
	static size_t count[8][256];
	struct entry *from = v, *to = tmp, *swap;
	int shift[8], passes = 0;

	for (int b = 0; b < 8; b++)
		if ((diff >> (8 * b)) & 0xff)
			shift[passes++] = 8 * b;
	memset(count, 0, sizeof(count[0]) * (size_t)passes);
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < passes; k++)
			count[k][(v[i].key >> shift[k]) & 0xff]++;
	for (int k = 0; k < passes; k++) {
		size_t sum = 0, c;

		for (int d = 0; d < 256; d++) {
			c = count[k][d];
			count[k][d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			to[count[k][(from[i].key >> shift[k]) & 0xff]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	if (from != v)
		memcpy(v, from, n * sizeof(*v));
}

static void
insertion_sort(const char *arena, struct entry *v, size_t n, size_t depth)
{
	for (size_t i = 1; i < n; i++) {
		struct entry e = v[i];
		size_t k = i;

		for (; k > 0 && strcmp(arena + v[k - 1].off + depth, arena + e.off + depth) > 0; k--)
			v[k] = v[k - 1];
		v[k] = e;
	}
}

/* Sort V (names equal in their first DEPTH bytes) by strcmp order. */
static void
sort_names(const char *arena, struct entry *v, struct entry *tmp, size_t n, size_t depth)
{
	size_t i, k;
	uint64_t diff = 0;

	if (n < 16) {
		insertion_sort(arena, v, n, depth);
		return;
	}
	for (i = 0; i < n; i++) {
		v[i].key = name_key(arena + v[i].off + depth);
		diff |= v[i].key ^ v[0].key;
	}
	radix_sort(v, tmp, n, diff);
	/* equal keys without a NUL: the names go on, sort them on the next 8 bytes */
	for (i = 0; i < n; i = k) {
		for (k = i + 1; k < n && v[k].key == v[i].key; k++)
			;
		if (k - i > 1 && (v[i].key & 0xff))
			sort_names(arena, v + i, tmp, k - i, depth + 8);
	}
}

/* getdents64's buffer: one directory is read at a time */
static char dir_buf[32768] __attribute__((aligned(8)));

static void
read_names(const struct ls_job *j, struct ls_target *t, struct names *nm)
{
	struct sys_dir d;
	const char *name;

	sys_dir_init(&d, t->dfd, dir_buf, sizeof(dir_buf));
	while (nm->n < LS_MAX_ENTRIES && (name = sys_dir_next(&d, NULL)) != NULL)
		if (wanted(j, name, t->pattern))
			names_add(nm, name);
	if (nm->n)
		sort_names(nm->arena, nm->v, nm->tmp, nm->n, 0);
}

static void
names_done(struct names *nm)
{
	if (2 * nm->cap * sizeof(*nm->v) + nm->size > NAMES_KEEP) {
		free(nm->v);
		free(nm->tmp);
		free(nm->arena);
		memset(nm, 0, sizeof(*nm));
	}
	nm->n = nm->used = 0;
}

static void
generate(struct ls_job *j, struct ls_target *t)
{
	struct names *nm = &kept_names;
	char shown[MAX_FTP_PATH + NAME_MAX + 1];
	const char *name;

	if (t->dfd < 0) {
		emit_entry(j, t->pfd, t->name, t->shown);
		return;
	}
	read_names(j, t, nm);
	for (size_t i = 0; i < nm->n && j->out->err == 0; i++) {
		name = nm->arena + nm->v[i].off;
		if (j->kind == LS_NLST && t->shown[0]) {
			snprintf(shown, sizeof(shown), "%s%s", t->shown, name);
			emit_entry(j, t->dfd, name, shown);
		} else
			emit_entry(j, t->dfd, name, name);
	}
	names_done(nm);
}

/* --- the verbs --- */

static void
job_init(struct ls_job *j, struct session *s, enum ls_kind kind, struct ls_out *out)
{
	memset(j, 0, sizeof(*j));
	j->s = s;
	j->kind = kind;
	j->now = (time_t)sys_time();
	/* who we are after the drop, known without a system call */
	j->uid = s->rt->privileged ? s->login.uid : s->rt->self_uid;
	j->gid = s->rt->privileged ? s->login.gid : s->rt->self_gid;
	j->out = out;
}

static void
send_listing(struct session *s, struct ls_job *j, struct ls_target *t)
{
	struct ls_out out = { .s = s, .buf = out_buf };
	int fd = data_open(s);

	if (fd < 0)
		return;
	ftp_reply(s, FTP_DATACONN, "Here comes the directory listing.");
	if (data_start(s, fd) < 0)
		return;
	out.fd = fd;
	j->out = &out;
	generate(j, t);
	out_flush(&out);
	data_close(fd);
	if (out.err)
		ftp_reply(s, FTP_BADSENDNET, "Failure writing network stream.");
	else
		ftp_reply(s, FTP_TRANSFEROK, "Directory send OK.");
}

static void
reply_target_error(struct session *s, int r)
{
	static const struct {
		int err;
		const char *text;
	} texts[] = {
		{ -ENOTDIR, "Not a directory." }, { -ENAMETOOLONG, "File name too long." },
		{ -EACCES, "Permission denied." }, { -EPERM, "Permission denied." },
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (r == texts[i].err) {
			ftp_reply(s, FTP_FILEFAIL, "%s", texts[i].text);
			return;
		}
	ftp_reply(s, FTP_FILEFAIL, "No such file or directory.");
}

static void
list_data(struct session *s, const char *arg, enum ls_kind kind)
{
	struct ls_job j;
	struct ls_target t;
	int r;

	job_init(&j, s, kind, NULL);
	if (kind != LS_MLSD)
		arg = ls_parse_args(arg, &j.opts);
	if (!data_ready(s))
		return;
	r = open_target(s, arg, kind != LS_MLSD, &t);
	if (r < 0)
		reply_target_error(s, r);
	else
		send_listing(s, &j, &t);
	close_target(&t);
	data_reset(s);
}

void
ftp_list(struct session *s, const char *arg)
{
	list_data(s, arg, LS_LIST);
}

void
ftp_nlst(struct session *s, const char *arg)
{
	list_data(s, arg, LS_NLST);
}

void
ftp_mlsd(struct session *s, const char *arg)
{
	list_data(s, arg, LS_MLSD);
}

void
ls_stat_path(struct session *s, const char *arg)
{
	struct ls_out out = { .s = s, .fd = -1, .buf = out_buf };
	struct ls_target t;
	struct ls_job j;
	struct str text;
	int r;

	job_init(&j, s, LS_LIST, &out);
	arg = ls_parse_args(arg, &j.opts);
	r = open_target(s, arg, true, &t);
	if (r < 0) {
		close_target(&t);
		reply_target_error(s, r);
		return;
	}
	str_init(&text, STAT_MAX + 64);
	out.text = &text;
	str_append_cstr(&text, "Status follows:\n");
	generate(&j, &t);
	close_target(&t);
	str_append_cstr(&text, "End of status\n");
	ftp_reply_multi(s, FTP_STATFILE, str_cstr(&text));
	str_free(&text);
}

void
ftp_mlst(struct session *s, const char *arg)
{
	char path[MAX_FTP_PATH], facts[256], perm[16];
	struct ls_job j;
	struct stat st;
	struct str text;
	int fd, r;

	if (!ftpfs_resolve(s, arg, path))
		return;
	fd = path_open(s->root_fd, path, O_PATH, 0);
	r = fd < 0 ? fd : sys_fstat(fd, &st);
	sys_close(fd);
	if (r < 0) {
		ftp_reply(s, FTP_FILEFAIL, "No such file or directory.");
		return;
	}
	job_init(&j, s, LS_MLSD, NULL);
	perm_fact(&j, &st, perm);
	ls_mlsx_facts(&st, perm, LS_FACTS_ALL & ~s->mlst_off, facts, sizeof(facts));
	str_init(&text, 2 * MAX_FTP_PATH + 512);
	str_append_cstr(&text, "Listing ");
	str_append_cstr(&text, path);
	str_append_cstr(&text, "\n");
	str_append_cstr(&text, facts);
	str_append_cstr(&text, " ");
	str_append_cstr(&text, path);
	str_append_cstr(&text, "\nEnd.\n");
	ftp_reply_multi(s, FTP_MLSTOK, str_cstr(&text));
	str_free(&text);
}

void
ftp_mfmt(struct session *s, const char *arg)
{
	char stamp[LS_STAMP_MAX], path[MAX_FTP_PATH];
	long long t;
	const char *name = ls_time_arg(arg, &t);

	if (name == NULL) {
		ftp_reply(s, FTP_BADARGS, "MFMT needs a time (YYYYMMDDHHMMSS) and a file name.");
		return;
	}
	if (!ftpfs_resolve(s, name, path))
		return;
	if (ftpfs_set_mtime(s, path, t) < 0) {
		ftp_reply(s, FTP_FILEFAIL, "Could not set file modification time.");
		return;
	}
	(void)ls_stamp((time_t)t, false, stamp);	/* 1970-9999: always fits */
	ftp_reply(s, FTP_MFMTOK, "Modify=%s; %s", stamp, name);
}
