/* ls.c - the listing verbs: what to list, and where the lines go; see ls.h. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dataconn.h"
#include "defs.h"
#include "ftpcmd.h"
#include "ftpcodes.h"
#include "ftpfs.h"
#include "ftpproto.h"
#include "log.h"
#include "ls.h"
#include "lsfmt.h"
#include "lssort.h"
#include "mlsx.h"
#include "path.h"
#include "str.h"
#include "sysutil.h"

/* Output buffer of a listing over the data connection. */
#define LS_BUF		(64 * 1024)
/* Most names read from one directory. */
#define LS_MAX_ENTRIES	1000000
/* Largest "STAT path" reply. */
#define STAT_MAX	(4 * 1024 * 1024)

enum ls_kind { LS_LIST, LS_NLST, LS_MLSD };

/* --- options --- */

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

/* --- output: one buffered stream to the data socket, or a text (STAT) --- */

/* Where lines are built: one buffer for the process (one listing at a
 * time), never cleared, which would fault in all of its pages. */
static char out_buf[LS_BUF + LS_LINE_MAX + 2] LARGE_BSS;

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

/* Where the next line goes: room for LS_LINE_MAX bytes. */
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

struct ls_job {
	struct session *s;
	enum ls_kind kind;
	struct ls_opts opts;
	struct ls_out *out;
	struct lsfmt fmt;
	struct mlsx_who who;
};

static int
mlsx_line(const struct ls_job *j, int dfd, const char *name, const char *shown,
	  const struct stat *st, char *line, size_t len)
{
	char facts[256], perm[MLSX_PERM_MAX];

	(void)dfd;
	(void)name;
	mlsx_perm(&j->who, st, perm);
	if (mlsx_facts(st, perm, MLSX_FACTS_ALL & ~j->s->mlst_off, facts, sizeof(facts)) < 0)
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
	n = j->kind == LS_MLSD ? mlsx_line(j, dfd, name, shown, &st, line, LS_LINE_MAX) :
				 lsfmt_long_line(&j->fmt, dfd, name, shown, &st, line, LS_LINE_MAX);
	if (n > 0)
		out_end(j->out, (size_t)n < LS_LINE_MAX ? (size_t)n : LS_LINE_MAX - 1);
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

/* The names of the directory being listed, kept from one listing to the next. */
static struct lssort_names kept_names;

/* getdents64's buffer: one directory is read at a time */
static char dir_buf[32768] __attribute__((aligned(8))) LARGE_BSS;

static void
read_names(const struct ls_job *j, struct ls_target *t, struct lssort_names *nm)
{
	struct sys_dir d;
	const char *name;

	sys_dir_init(&d, t->dfd, dir_buf, sizeof(dir_buf));
	while (nm->n < LS_MAX_ENTRIES && (name = sys_dir_next(&d, NULL)) != NULL)
		if (wanted(j, name, t->pattern))
			lssort_add(nm, name);
	lssort_sort(nm);
}

static void
generate(struct ls_job *j, struct ls_target *t)
{
	struct lssort_names *nm = &kept_names;
	char shown[MAX_FTP_PATH + NAME_MAX + 1];
	const char *name;

	if (t->dfd < 0) {
		emit_entry(j, t->pfd, t->name, t->shown);
		return;
	}
	read_names(j, t, nm);
	for (size_t i = 0; i < nm->n && j->out->err == 0; i++) {
		name = lssort_name(nm, i);
		if (j->kind == LS_NLST && t->shown[0]) {
			snprintf(shown, sizeof(shown), "%s%s", t->shown, name);
			emit_entry(j, t->dfd, name, shown);
		} else
			emit_entry(j, t->dfd, name, name);
	}
	lssort_reset(nm);
}

/* --- the verbs --- */

static void
job_init(struct ls_job *j, struct session *s, enum ls_kind kind, struct ls_out *out)
{
	static const unsigned int writes[] = { CMD_W_UPLOAD, CMD_W_MKDIR, CMD_W_OTHER };

	memset(j, 0, sizeof(*j));
	j->s = s;
	j->kind = kind;
	lsfmt_init(&j->fmt, (time_t)sys_time(), s->cfg->use_localtime, s->cfg->hide_ids);
	/* who we are after the drop, known without a system call */
	j->who.uid = s->rt->privileged ? s->login.uid : s->rt->self_uid;
	j->who.gid = s->rt->privileged ? s->login.gid : s->rt->self_gid;
	j->who.groups = s->login.groups;
	j->who.ngroups = s->login.ngroups;
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++)
		if (ftpfs_may_write(s, writes[i]))
			j->who.may_write |= writes[i];
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
	if (out.err == 0)
		out.err = data_flush(s, fd);
	data_close(fd);
	if (data_reply_ended(s, out.err, true))
		return;
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
	char path[MAX_FTP_PATH], facts[256], perm[MLSX_PERM_MAX];
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
	mlsx_perm(&j.who, &st, perm);
	mlsx_facts(&st, perm, MLSX_FACTS_ALL & ~s->mlst_off, facts, sizeof(facts));
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
ls_opts_mlst(struct session *s, const char *facts)
{
	unsigned int on = mlsx_parse_facts(facts);
	char names[128];

	s->mlst_off = MLSX_FACTS_ALL & ~on;
	mlsx_fact_names(on, names, sizeof(names));
	ftp_reply(s, FTP_OPTSOK, "MLST OPTS %s", names);
}
