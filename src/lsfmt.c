/* lsfmt.c - the LIST line; see lsfmt.h. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "idnames.h"
#include "lsfmt.h"
#include "sysutil.h"

#define SIX_MONTHS	(365LL * 24 * 3600 / 2)

void
lsfmt_init(struct lsfmt *f, time_t now, bool local, bool hide_ids)
{
	memset(f, 0, sizeof(*f));
	f->now = now;
	f->local = local;
	f->hide_ids = hide_ids;
}

void
lsfmt_mode_string(mode_t mode, char out[11])
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
lsfmt_date(time_t t, time_t now, bool local, char out[LS_DATE_MAX])
{
	int sec;

	date_text(t, now, local, out, &sec);
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
 * (LS_LINE_MAX): a column first gets COL_PAD spaces in one fixed-size
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
put_id(char *p, struct lsfmt_id_memo *m, enum idnames_kind kind, unsigned int id)
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
put_date(char *p, struct lsfmt *f, time_t t)
{
	struct lsfmt_date_memo *d = &f->date;
	bool recent = date_recent(t, f->now);
	int sec;

	if (!d->valid || d->recent != recent || t < d->start || t - d->start >= 60) {
		d->len = date_text(t, f->now, f->local, d->text, &sec);
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
_Static_assert(LS_LINE_MAX > 160 + LS_DATE_MAX, "a line holds the columns before the name");
static size_t
long_prefix(struct lsfmt *f, const struct stat *st, char *p)
{
	char *start = p;

	lsfmt_mode_string(st->st_mode, p);
	p[10] = ' ';
	p = put_right(p + 11, (long long)st->st_nlink, 4);
	if (f->hide_ids)
		p = put_left(put_left(p, "ftp", 3, 8), "ftp", 3, 8);
	else
		p = put_id(put_id(p, &f->user, IDNAMES_USER, st->st_uid), &f->group,
			   IDNAMES_GROUP, st->st_gid);
	p = put_right(p, (long long)st->st_size, 8);
	p = put_date(p, f, st->st_mtime);
	return (size_t)(p - start);
}

int
lsfmt_long_line(struct lsfmt *f, int dfd, const char *name, const char *shown,
		const struct stat *st, char *line, size_t len)
{
	struct line l = { line, 0, len - 1 };
	char target[PATH_MAX];

	l.len = long_prefix(f, st, line);
	put(&l, shown, strlen(shown));
	if (S_ISLNK(st->st_mode) && sys_readlinkat(dfd, name, target, sizeof(target)) > 0) {
		put(&l, " -> ", 4);
		put(&l, target, strlen(target));
	}
	return (int)l.len;
}
