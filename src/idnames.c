/* idnames.c - names for listings and the anonymous account, cached; see idnames.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "defs.h"
#include "idnames.h"
#include "str.h"
#include "sysutil.h"

#define CACHE_MAGIC	"miniftpd-idnames 1"
/* One line: kind letter, id, name, separators. */
#define LINE_MAX_LEN	(2 + 10 + 1 + IDNAMES_NAME_MAX + 1)
/* The account line: name, two ids, MAX_GROUPS ids, a home. */
#define ACCOUNT_MAX_LEN	(IDNAMES_NAME_MAX + (MAX_GROUPS + 2) * 11 + PATH_MAX + 8)
#define CACHE_MAX	(2 * IDNAMES_MAX * LINE_MAX_LEN + ACCOUNT_MAX_LEN + 256)

struct idname {
	unsigned int id;
	char name[IDNAMES_NAME_MAX + 1];
};

struct idtab {
	struct idname *v;
	size_t n, cap;
};

static struct idtab tabs[2];	/* by enum idnames_kind */
static const char kind_letter[2] = { 'u', 'g' };

/* The change times of the files when the tables were read. */
static struct {
	bool loaded;
	struct timespec passwd, group;
} stamp;

/* The anonymous account, once looked up (idnames_account). */
static struct {
	bool valid;
	char name[IDNAMES_NAME_MAX + 1];
	struct anon_ids ids;
} account LARGE_BSS;

static const char passwd_file[] = "/etc/passwd", group_file[] = "/etc/group";

/* A name a LIST line can carry: 1..IDNAMES_NAME_MAX bytes, no space or control. */
static bool
name_ok(const char *name)
{
	size_t n = strnlen(name, IDNAMES_NAME_MAX + 1);

	if (n == 0 || n > IDNAMES_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] <= ' ' || name[i] == 0x7f)
			return false;
	return true;
}

static void
add(struct idtab *t, unsigned int id, const char *name)
{
	if (t->n == IDNAMES_MAX || !name_ok(name))
		return;
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->v = xreallocarray(t->v, t->cap, sizeof(*t->v));
	}
	t->v[t->n].id = id;
	strcpy(t->v[t->n].name, name);
	t->n++;
}

static int
cmp_id(const void *a, const void *b)
{
	unsigned int x = ((const struct idname *)a)->id, y = ((const struct idname *)b)->id;

	return x < y ? -1 : x > y;
}

static void
sort_tables(void)
{
	for (size_t k = 0; k < 2; k++)
		if (tabs[k].n)
			qsort(tabs[k].v, tabs[k].n, sizeof(*tabs[k].v), cmp_id);
}

static void
forget(void)
{
	tabs[IDNAMES_USER].n = tabs[IDNAMES_GROUP].n = 0;
	account.valid = false;
}

static struct timespec
ctime_of(const char *path)
{
	struct stat st;

	if (sys_fstatat(AT_FDCWD, path, &st, 0) < 0)
		return (struct timespec){ 0, 0 };
	return st.st_ctim;
}

static bool
same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static void
enumerate(void)
{
	struct passwd *pw;
	struct group *gr;

	forget();
	setpwent();
	while (tabs[IDNAMES_USER].n < IDNAMES_MAX && (pw = getpwent()) != NULL)
		add(&tabs[IDNAMES_USER], pw->pw_uid, pw->pw_name);
	endpwent();
	setgrent();
	while (tabs[IDNAMES_GROUP].n < IDNAMES_MAX && (gr = getgrent()) != NULL)
		add(&tabs[IDNAMES_GROUP], gr->gr_gid, gr->gr_name);
	endgrent();
	sort_tables();
}

/* --- the cache file's text --- */

/* "a NAME UID GID G1,G2,... HOME" at OUT + N. RETURNS the new length. */
static size_t
format_account(char *out, size_t cap, size_t n)
{
	const struct anon_ids *a = &account.ids;

	n += (size_t)snprintf(out + n, cap - n, "a %s %u %u ", account.name,
			      (unsigned int)a->uid, (unsigned int)a->gid);
	for (int i = 0; i < a->ngroups; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%u", i ? "," : "",
				      (unsigned int)a->groups[i]);
	return n + (size_t)snprintf(out + n, cap - n, " %s\n", a->home);
}

char *
idnames_format(struct timespec passwd, struct timespec group, size_t *len)
{
	size_t cap = 128 + ACCOUNT_MAX_LEN + (tabs[0].n + tabs[1].n) * LINE_MAX_LEN, n;
	char *out = xmalloc(cap);

	n = (size_t)snprintf(out, cap, "%s\npasswd %lld %ld\ngroup %lld %ld\n", CACHE_MAGIC,
			     (long long)passwd.tv_sec, passwd.tv_nsec,
			     (long long)group.tv_sec, group.tv_nsec);
	if (account.valid)
		n = format_account(out, cap, n);
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < tabs[k].n; i++)
			n += (size_t)snprintf(out + n, cap - n, "%c %u %s\n", kind_letter[k],
					      tabs[k].v[i].id, tabs[k].v[i].name);
	*len = n;
	return out;
}

/* Next line of *P (split at '\n', which is required), or NULL at the end. */
static char *
next_line(char **p)
{
	char *line = *p, *nl;

	if (*line == '\0' || (nl = strchr(line, '\n')) == NULL)
		return NULL;
	*nl = '\0';
	*p = nl + 1;
	return line;
}

/* The next word of *P up to a single space (or the end); NULL when empty. */
static char *
word(char **p)
{
	char *w = *p, *sp = strchr(w, ' ');

	if (*w == '\0' || *w == ' ')
		return NULL;
	if (sp) {
		*sp = '\0';
		*p = sp + 1;
	} else {
		*p = w + strlen(w);
	}
	return w;
}

/* A decimal id (digits only, at most UINT_MAX). */
static int
parse_id(const char *text, unsigned int *out)
{
	unsigned long v;

	if (text == NULL || str_to_ulong(text, &v) < 0 || v > UINT_MAX)
		return -EBADMSG;
	*out = (unsigned int)v;
	return 0;
}

/* "WORD SEC NSEC" into *T. RETURNS 0 or -EBADMSG. */
static int
parse_stamp(char *line, const char *what, struct timespec *t)
{
	char *w = word(&line), *sec = word(&line), *nsec = word(&line);
	unsigned long s, ns;

	if (w == NULL || strcmp(w, what) != 0 || sec == NULL || nsec == NULL ||
	    *line != '\0' || str_to_ulong(sec, &s) < 0 || str_to_ulong(nsec, &ns) < 0 ||
	    ns >= 1000000000UL)
		return -EBADMSG;
	t->tv_sec = (time_t)s;
	t->tv_nsec = (long)ns;
	return 0;
}

/* A home directory the account line can carry: absolute, no control character. */
static bool
home_ok(const char *home)
{
	size_t n = strnlen(home, PATH_MAX);

	if (home[0] != '/' || n == PATH_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)home[i] < ' ' || home[i] == 0x7f)
			return false;
	return true;
}

/* "G1,G2,..." (1..MAX_GROUPS ids) into A. */
static int
parse_groups(char *list, struct anon_ids *a)
{
	char *g;

	a->ngroups = 0;
	while ((g = strsep(&list, ",")) != NULL) {
		unsigned int v;

		if (a->ngroups == MAX_GROUPS || parse_id(g, &v) < 0)
			return -EBADMSG;
		a->groups[a->ngroups++] = (gid_t)v;
	}
	return a->ngroups ? 0 : -EBADMSG;
}

/* "NAME UID GID GROUPS HOME" (after "a "): the account. */
static int
parse_account(char *line)
{
	char *name = word(&line), *uid = word(&line), *gid = word(&line),
	     *groups = word(&line);
	struct anon_ids *a = &account.ids;
	unsigned int u, g;

	if (account.valid || name == NULL || !name_ok(name) || parse_id(uid, &u) < 0 ||
	    parse_id(gid, &g) < 0 || groups == NULL || parse_groups(groups, a) < 0 ||
	    !home_ok(line))
		return -EBADMSG;
	a->uid = (uid_t)u;
	a->gid = (gid_t)g;
	strcpy(a->home, line);
	strcpy(account.name, name);
	account.valid = true;
	return 0;
}

/* "u ID NAME", "g ID NAME" or the account line. RETURNS 0 or -EBADMSG. */
static int
parse_entry(char *line)
{
	char *k = word(&line), *id, *name;
	unsigned int v;
	size_t kind;

	if (k == NULL || k[1] != '\0')
		return -EBADMSG;
	if (k[0] == 'a')
		return parse_account(line);
	id = word(&line);
	name = word(&line);
	kind = k[0] == kind_letter[IDNAMES_USER] ? IDNAMES_USER :
	       k[0] == kind_letter[IDNAMES_GROUP] ? IDNAMES_GROUP : 2;
	if (kind == 2 || parse_id(id, &v) < 0 || name == NULL || *line != '\0' ||
	    !name_ok(name) || tabs[kind].n == IDNAMES_MAX)
		return -EBADMSG;
	add(&tabs[kind], v, name);
	return 0;
}

int
idnames_parse(char *text, struct timespec passwd, struct timespec group)
{
	struct timespec pw, gr;
	char *p = text, *line = next_line(&p);

	forget();
	if (line == NULL || strcmp(line, CACHE_MAGIC) != 0 ||
	    (line = next_line(&p)) == NULL || parse_stamp(line, "passwd", &pw) < 0 ||
	    (line = next_line(&p)) == NULL || parse_stamp(line, "group", &gr) < 0)
		return -EBADMSG;
	if (!same_time(pw, passwd) || !same_time(gr, group))
		return -ESTALE;
	while ((line = next_line(&p)) != NULL)
		if (parse_entry(line) < 0) {
			forget();
			return -EBADMSG;
		}
	if (*p != '\0') {	/* a last line without '\n': written only in part */
		forget();
		return -EBADMSG;
	}
	sort_tables();
	return 0;
}

/* --- the cache file --- */

/* Owned by root or by us, and nobody else may write to it. */
static bool
trusted(const struct stat *st)
{
	return (st->st_uid == 0 || st->st_uid == sys_geteuid()) && (st->st_mode & 022) == 0;
}

/* Read CACHE_FILE into the tables. RETURNS 0, or <0 (tables then unusable). */
static int
read_cache(const char *cache_file, struct timespec passwd, struct timespec group)
{
	struct stat st;
	char *text;
	ssize_t n;
	int r, fd = sys_open(cache_file, O_RDONLY | O_NOFOLLOW, 0);

	if (fd < 0)
		return fd;
	r = sys_fstat(fd, &st);
	if (r == 0 && (!S_ISREG(st.st_mode) || !trusted(&st) || st.st_size > CACHE_MAX ||
		       llabs(sys_time() - (long long)st.st_mtim.tv_sec) > IDNAMES_CACHE_AGE))
		r = -ESTALE;
	if (r < 0) {
		sys_close(fd);
		return r;
	}
	text = xmalloc((size_t)st.st_size + 1);
	n = sys_read_full(fd, text, (size_t)st.st_size);
	sys_close(fd);
	text[n < 0 ? 0 : n] = '\0';
	r = n < 0 ? (int)n : idnames_parse(text, passwd, group);
	free(text);
	return r;
}

/* The directory of PATH is ours alone (see trusted()). */
static bool
dir_trusted(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	struct stat st;

	if (str_lcpy(dir, path, sizeof(dir)) < 0 || (slash = strrchr(dir, '/')) == NULL)
		return false;
	if (slash == dir)
		slash++;
	*slash = '\0';
	return sys_fstatat(AT_FDCWD, dir, &st, 0) == 0 && S_ISDIR(st.st_mode) && trusted(&st);
}

/* Write the tables to CACHE_FILE (none: "") replacing it at once; failures
 * only cost speed. */
static void
write_cache(const char *cache_file)
{
	char tmp[PATH_MAX];
	size_t len;
	char *text;
	ssize_t w;
	int fd;

	if (cache_file[0] == '\0' || !dir_trusted(cache_file) ||
	    str_fmt(tmp, sizeof(tmp), "%s.%ld", cache_file, (long)sys_getpid()) < 0)
		return;
	fd = sys_open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
	if (fd < 0)
		return;
	text = idnames_format(stamp.passwd, stamp.group, &len);
	w = sys_write_full(fd, text, len);
	free(text);
	sys_close(fd);
	if (w < 0 || sys_rename(tmp, cache_file) < 0)
		(void)sys_unlink(tmp);
}

/* --- public --- */

/* Ask the name service for the names, now; PW and GR are the files'
 * change times, read before. */
static void
load(struct timespec pw, struct timespec gr)
{
	stamp.passwd = pw;
	stamp.group = gr;
	enumerate();
	stamp.loaded = true;
}

/* Bring the tables up to date.  RETURNS true when the name service was
 * asked (the cache is then to be written). */
static bool
refresh(const char *cache_file)
{
	struct timespec pw = ctime_of(passwd_file), gr = ctime_of(group_file);

	if (stamp.loaded && same_time(stamp.passwd, pw) && same_time(stamp.group, gr))
		return false;
	if (cache_file[0] && read_cache(cache_file, pw, gr) == 0) {
		stamp.passwd = pw;
		stamp.group = gr;
		stamp.loaded = true;
		return false;
	}
	load(pw, gr);
	return true;
}

void
idnames_load(const char *cache_file)
{
	load(ctime_of(passwd_file), ctime_of(group_file));
	write_cache(cache_file);
}

void
idnames_refresh(const char *cache_file)
{
	if (refresh(cache_file))
		write_cache(cache_file);
}

/* getpwnam + the groups. RETURNS 0, -ENOENT, or -E2BIG (more than MAX_GROUPS). */
static int
lookup_account(const char *name, struct anon_ids *out)
{
	struct passwd *pw = getpwnam(name);
	gid_t *groups;
	int n;

	if (pw == NULL || str_lcpy(out->home, pw->pw_dir, sizeof(out->home)) < 0)
		return -ENOENT;
	n = sys_user_groups(pw->pw_name, pw->pw_gid, &groups);
	if (n < 0)
		return n;
	if (n > MAX_GROUPS) {
		free(groups);
		return -E2BIG;
	}
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	out->ngroups = n;
	memcpy(out->groups, groups, (size_t)n * sizeof(*groups));
	free(groups);
	return 0;
}

int
idnames_account(const char *cache_file, const char *name, struct anon_ids *out)
{
	bool dirty;
	int r;

	if (cache_file[0] == '\0')
		return lookup_account(name, out);
	dirty = refresh(cache_file);
	if (account.valid && strcmp(account.name, name) == 0) {
		*out = account.ids;
		r = 0;
	} else if ((r = lookup_account(name, out)) == 0 && name_ok(name) && home_ok(out->home)) {
		account.ids = *out;
		strcpy(account.name, name);
		account.valid = dirty = true;
	}
	if (dirty)
		write_cache(cache_file);
	return r;
}

const char *
idnames_lookup(enum idnames_kind kind, unsigned int id, char num[12])
{
	const struct idtab *t = &tabs[kind];
	struct idname key = { .id = id };
	const struct idname *hit = t->n ?
		bsearch(&key, t->v, t->n, sizeof(*t->v), cmp_id) : NULL;

	if (hit)
		return hit->name;
	snprintf(num, 12, "%u", id);
	return num;
}
