/* ftpfs.c - file system verbs; see ftpfs.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ftpcmd.h"
#include "ftpcodes.h"
#include "ftpfs.h"
#include "ftpproto.h"
#include "ftptime.h"
#include "log.h"
#include "path.h"
#include "str.h"
#include "sysutil.h"

bool
ftpfs_resolve(struct session *s, const char *arg, char *out)
{
	if (path_normalize(s->cwd, arg, out, MAX_FTP_PATH) < 0) {
		ftp_reply(s, FTP_BADNAME, "File name too long.");
		return false;
	}
	if (path_filter_denies(s->cfg->deny_file, out)) {
		log_info("Refused %s: it matches deny_file", out);
		ftp_reply(s, FTP_FILEFAIL, "Permission denied.");
		return false;
	}
	return true;
}

bool
ftpfs_may_write(const struct session *s, unsigned int flags)
{
	const struct config *c = s->cfg;

	if (!c->write_enable)
		return false;
	if (s->login.kind != LOGIN_ANON)
		return true;
	if (flags & CMD_W_UPLOAD)
		return c->anon_upload_enable;
	if (flags & CMD_W_MKDIR)
		return c->anon_mkdir_write_enable;
	return c->anon_other_write_enable;
}

void
ftpfs_enter_root(struct session *s)
{
	const char *root = s->login.chroot ? "/" : s->login.root;
	int fd = sys_open(root, O_PATH | O_DIRECTORY, 0), cfd;

	if (fd < 0)
		die("Failed to open root directory %s: %s", root, strerror(-fd));
	s->root_fd = fd;
	str_lcpy(s->cwd, "/", sizeof(s->cwd));
	if (path_normalize("/", s->login.home, s->cwd, sizeof(s->cwd)) < 0 ||
	    (cfd = path_open(fd, s->cwd, O_PATH | O_DIRECTORY, 0)) < 0) {
		log_warning("Home directory %s unusable, starting in /", s->login.home);
		str_lcpy(s->cwd, "/", sizeof(s->cwd));
		return;
	}
	sys_close(cfd);
}

/* "PATH" quoted per RFC 959: embedded quotes doubled. */
static void
quote_path(const char *path, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *path && o + 3 < outlen; path++) {
		if (*path == '"')
			out[o++] = '"';
		out[o++] = *path;
	}
	out[o] = '\0';
}

void
ftp_pwd(struct session *s, const char *arg)
{
	char q[2 * MAX_FTP_PATH + 1];

	(void)arg;
	quote_path(s->cwd, q, sizeof(q));
	ftp_reply(s, FTP_PWDOK, "\"%s\" is the current directory", q);
}

static void
reply_errno(struct session *s, int err, const char *what)
{
	log_info("%s failed: %s", what, strerror(err));
	switch (err) {
	case ENOSPC:
	case EDQUOT:
		ftp_reply(s, FTP_EXCEEDED, "%s failed: no space left.", what);
		break;
	case ENAMETOOLONG:
		ftp_reply(s, FTP_BADNAME, "File name too long.");
		break;
	default:
		ftp_reply(s, FTP_FILEFAIL, "%s failed: %s.", what,
			  err == ENOENT ? "no such file or directory" :
			  err == EACCES || err == EPERM || err == EXDEV ? "permission denied" :
			  err == ENOTEMPTY ? "directory not empty" :
			  err == EEXIST ? "file exists" :
			  err == ENOTDIR ? "not a directory" :
			  err == EISDIR ? "is a directory" : "error");
	}
}

/* dirmessage_enable: the 250 reply with DIR's message_file before its
 * last line.  Only a regular file, opened without following it out of the
 * root and without blocking (a FIFO), and only its first MAX_MSG_FILE
 * bytes.  RETURNS whether it replied. */
static bool
dir_message(struct session *s, const char *dir)
{
	char path[MAX_FTP_PATH], text[MAX_MSG_FILE + sizeof("\nDirectory successfully changed.")];
	struct stat st;
	ssize_t n = -1;
	size_t len;
	int fd;

	if (path_normalize(dir, s->cfg->message_file, path, sizeof(path)) < 0 ||
	    (fd = path_open(s->root_fd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0)) < 0)
		return false;
	if (sys_fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		n = sys_read(fd, text, MAX_MSG_FILE);
	sys_close(fd);
	if (n <= 0 || (len = ftp_text_clean(text, (size_t)n)) == 0)
		return false;
	str_lcpy(text + len, "\nDirectory successfully changed.", sizeof(text) - len);
	ftp_reply_multi(s, FTP_CWDOK, text);
	return true;
}

static void
change_dir(struct session *s, const char *arg)
{
	char path[MAX_FTP_PATH], dot[MAX_FTP_PATH + 2];
	int fd;

	if (!ftpfs_resolve(s, arg, path))
		return;
	/* as chdir(2): search (x) permission only.  O_PATH needs no read
	 * permission; looking up "." in the directory needs x on it. */
	(void)str_fmt(dot, sizeof(dot), "%s/.", path);	/* fits: path < MAX_FTP_PATH */
	fd = path_open(s->root_fd, dot, O_PATH | O_DIRECTORY, 0);
	if (fd < 0) {
		ftp_reply(s, FTP_FILEFAIL, "Failed to change directory.");
		return;
	}
	sys_close(fd);
	str_lcpy(s->cwd, path, sizeof(s->cwd));
	if (!s->cfg->dirmessage_enable || !dir_message(s, path))
		ftp_reply(s, FTP_CWDOK, "Directory successfully changed.");
}

void
ftp_cwd(struct session *s, const char *arg)
{
	change_dir(s, arg);
}

void
ftp_cdup(struct session *s, const char *arg)
{
	(void)arg;
	change_dir(s, "..");
}

void
ftp_mkd(struct session *s, const char *arg)
{
	char path[MAX_FTP_PATH], name[MAX_FTP_PATH], q[2 * MAX_FTP_PATH + 1];
	int dfd, r;

	if (!ftpfs_resolve(s, arg, path))
		return;
	dfd = path_open_parent(s->root_fd, path, name, sizeof(name));
	r = dfd < 0 ? dfd : sys_mkdirat(dfd, name, 0777 & ~s->umask);
	if (r < 0) {
		reply_errno(s, -r, "Create directory");
		sys_close(dfd);
		return;
	}
	sys_close(dfd);
	log_event(LOG_INFO, &(struct log_fields){ .event = LOG_EV_MKDIR,
		  .command = "MKD", .file = path }, "MKDIR %s", path);
	quote_path(path, q, sizeof(q));
	ftp_reply(s, FTP_MKDIROK, "\"%s\" created", q);
}

/* unlinkat() on ARG's parent with FLAGS (0 or AT_REMOVEDIR). */
static void
remove_entry(struct session *s, const char *arg, int flags, const char *what)
{
	char path[MAX_FTP_PATH], name[MAX_FTP_PATH];
	int dfd, r;

	if (flags == AT_REMOVEDIR && path_ends_in_dot(arg)) {
		reply_errno(s, EINVAL, what);	/* as rmdir(2) */
		return;
	}
	if (!ftpfs_resolve(s, arg, path))
		return;
	dfd = path_open_parent(s->root_fd, path, name, sizeof(name));
	r = dfd < 0 ? dfd : sys_unlinkat(dfd, name, flags);
	if (r < 0) {
		reply_errno(s, -r, what);
		sys_close(dfd);
		return;
	}
	sys_close(dfd);
	log_event(LOG_INFO, &(struct log_fields){
		  .event = flags ? LOG_EV_RMDIR : LOG_EV_DELETE,
		  .command = flags ? "RMD" : "DELE", .file = path },
		  "%s %s", flags ? "RMDIR" : "DELETE", path);
	ftp_reply(s, flags ? FTP_RMDIROK : FTP_DELEOK, "%s operation successful.",
		  flags ? "Remove directory" : "Delete");
}

void
ftp_rmd(struct session *s, const char *arg)
{
	remove_entry(s, arg, AT_REMOVEDIR, "Remove directory");
}

void
ftp_dele(struct session *s, const char *arg)
{
	struct stat st;
	char path[MAX_FTP_PATH];
	int fd;

	/* DELE never removes a directory, even an empty one */
	if (ftpfs_resolve(s, arg, path) &&
	    (fd = path_open(s->root_fd, path, O_PATH | O_NOFOLLOW, 0)) >= 0) {
		bool dir = sys_fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);

		sys_close(fd);
		if (dir) {
			ftp_reply(s, FTP_FILEFAIL, "Delete operation failed: is a directory.");
			return;
		}
	}
	remove_entry(s, arg, 0, "Delete");
}

void
ftp_rnfr(struct session *s, const char *arg)
{
	char path[MAX_FTP_PATH];
	int fd;

	if (!ftpfs_resolve(s, arg, path))
		return;
	fd = path_open(s->root_fd, path, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0 || strcmp(path, "/") == 0) {
		sys_close(fd);
		ftp_reply(s, FTP_FILEFAIL, "RNFR command failed.");
		return;
	}
	sys_close(fd);
	str_lcpy(s->rnfr, path, sizeof(s->rnfr));
	s->have_rnfr = true;
	ftp_reply(s, FTP_RNFROK, "Ready for RNTO.");
}

void
ftp_rnto(struct session *s, const char *arg)
{
	char to[MAX_FTP_PATH], fname[MAX_FTP_PATH], tname[MAX_FTP_PATH];
	int ffd = -1, tfd = -1, r = 0;

	if (!s->have_rnfr) {
		ftp_reply(s, FTP_BADSEQ, "RNFR required first.");
		return;
	}
	s->have_rnfr = false;
	if (!ftpfs_resolve(s, arg, to))
		return;
	ffd = path_open_parent(s->root_fd, s->rnfr, fname, sizeof(fname));
	tfd = ffd < 0 ? ffd : path_open_parent(s->root_fd, to, tname, sizeof(tname));
	if (ffd < 0 || tfd < 0)
		r = ffd < 0 ? -ffd : -tfd;
	else
		r = -sys_renameat(ffd, fname, tfd, tname);
	sys_close(ffd);
	sys_close(tfd);
	if (r) {
		reply_errno(s, r, "Rename");
		return;
	}
	log_event(LOG_INFO, &(struct log_fields){ .event = LOG_EV_RENAME,
		  .command = "RNTO", .file = s->rnfr, .file_to = to },
		  "RENAME %s -> %s", s->rnfr, to);
	ftp_reply(s, FTP_RENAMEOK, "Rename successful.");
}

/* fstat() the file at normalised PATH beneath the root; OFLAGS 0 follows
 * links (beneath the root), O_NOFOLLOW does not. */
static int
stat_path(struct session *s, const char *path, struct stat *st, int oflags)
{
	int fd = path_open(s->root_fd, path, O_PATH | oflags, 0), r;

	if (fd < 0)
		return fd;
	r = sys_fstat(fd, st);
	sys_close(fd);
	return r;
}

/* fstat() the file ARG names, following links beneath the root. */
static int
stat_arg(struct session *s, const char *arg, struct stat *st)
{
	char path[MAX_FTP_PATH];

	if (path_normalize(s->cwd, arg, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	if (path_filter_denies(s->cfg->deny_file, path))
		return -EACCES;
	return stat_path(s, path, st, 0);
}

void
ftp_size(struct session *s, const char *arg)
{
	struct stat st;

	if (stat_arg(s, arg, &st) < 0 || !S_ISREG(st.st_mode)) {
		ftp_reply(s, FTP_FILEFAIL, "Could not get file size.");
		return;
	}
	ftp_reply(s, FTP_SIZEOK, "%lld", (long long)st.st_size);
}

/* Set the modification (and access) time of the file at normalised PATH
 * to T; a symlink's own time, never its target's.  RETURNS 0 or -errno. */
static int
set_mtime(struct session *s, const char *path, long long t)
{
	char name[MAX_FTP_PATH];
	int dfd = path_open_parent(s->root_fd, path, name, sizeof(name)), r;

	if (dfd < 0)
		return dfd;
	r = sys_set_mtime_nofollow(dfd, name, t);
	sys_close(dfd);
	return r;
}

/* MDTM's set form, "MDTM YYYYMMDDHHMMSS NAME" (vsftpd's mdtm_write):
 * like MFMT, but for a plain file only. */
static void
mdtm_set(struct session *s, const char *name, long long t)
{
	char path[MAX_FTP_PATH];
	struct stat st;

	if (!ftpfs_may_write(s, CMD_W_OTHER)) {
		ftp_reply(s, FTP_NOPERM, "Permission denied.");
		return;
	}
	if (!ftpfs_resolve(s, name, path))
		return;
	if (stat_path(s, path, &st, O_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
	    set_mtime(s, path, t) < 0) {
		ftp_reply(s, FTP_FILEFAIL, "Could not set file modification time.");
		return;
	}
	ftp_reply(s, FTP_MDTMOK, "File modification time set.");
}

void
ftp_mdtm(struct session *s, const char *arg)
{
	struct stat st;
	char when[FTPTIME_STAMP_MAX];
	const char *name;
	long long t;
	int r = stat_arg(s, arg, &st);

	/* as vsftpd: a name that exists is read, even "20200101000000 x" */
	if (r < 0 && (name = ftptime_arg(arg, &t)) != NULL) {
		mdtm_set(s, name, t);
		return;
	}
	if (r < 0 || !S_ISREG(st.st_mode)) {
		ftp_reply(s, FTP_FILEFAIL, "Could not get file modification time.");
		return;
	}
	if (ftptime_stamp(st.st_mtime, s->cfg->use_localtime, when) < 0) {
		ftp_reply(s, FTP_FILEFAIL, "File modification time out of range.");
		return;
	}
	ftp_reply(s, FTP_MDTMOK, "%s", when);
}

void
ftp_mfmt(struct session *s, const char *arg)
{
	char stamp[FTPTIME_STAMP_MAX], path[MAX_FTP_PATH];
	long long t;
	const char *name = ftptime_arg(arg, &t);

	if (name == NULL) {
		ftp_reply(s, FTP_BADARGS, "MFMT needs a time (YYYYMMDDHHMMSS) and a file name.");
		return;
	}
	if (!ftpfs_resolve(s, name, path))
		return;
	if (set_mtime(s, path, t) < 0) {
		ftp_reply(s, FTP_FILEFAIL, "Could not set file modification time.");
		return;
	}
	(void)ftptime_stamp((time_t)t, false, stamp);	/* 1970-9999: always fits */
	ftp_reply(s, FTP_MFMTOK, "Modify=%s; %s", stamp, name);
}

/* Octal permission bits, at most 07777. RETURNS 0 or -EINVAL. */
static int
parse_mode(const char *text, size_t len, mode_t *mode)
{
	unsigned int m = 0;

	if (len == 0 || len > 5)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '7')
			return -EINVAL;
		m = m * 8 + (unsigned int)(text[i] - '0');
	}
	if (m > 07777)
		return -EINVAL;
	*mode = (mode_t)m;
	return 0;
}

static void
site_chmod(struct session *s, const char *arg)
{
	char path[MAX_FTP_PATH];
	size_t mlen = strcspn(arg, " ");
	mode_t mode;
	int fd, r;

	/* as vsftpd: anonymous users never change modes */
	if (s->login.kind == LOGIN_ANON || !ftpfs_may_write(s, CMD_W_OTHER)) {
		ftp_reply(s, FTP_NOPERM, "Permission denied.");
		return;
	}
	if (parse_mode(arg, mlen, &mode) < 0 || arg[mlen] != ' ' || arg[mlen + 1] == '\0') {
		ftp_reply(s, FTP_BADARGS, "SITE CHMOD needs a mode and a file name.");
		return;
	}
	/* a setuid file of the guest or ftp user would be a way into that account */
	if (mode & ~(mode_t)0777) {
		ftp_reply(s, FTP_NOPERM, "SITE CHMOD: only permission bits (at most 0777).");
		return;
	}
	if (!ftpfs_resolve(s, arg + mlen + 1, path))
		return;
	fd = path_open(s->root_fd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
	r = fd < 0 ? fd : sys_fchmod(fd, mode);
	if (r < 0) {
		reply_errno(s, -r, "SITE CHMOD");
		sys_close(fd);
		return;
	}
	sys_close(fd);
	ftp_reply(s, FTP_SITEOK, "SITE CHMOD command ok.");
}

static void
site_umask(struct session *s, const char *arg)
{
	mode_t m;

	if (*arg == '\0') {
		ftp_reply(s, FTP_SITEOK, "Your current UMASK is 0%03o", (unsigned int)s->umask);
		return;
	}
	/* anonymous uploads keep anon_umask: with chown_uploads a 0666 file
	 * would be readable (and writable) by every anonymous user */
	if (s->login.kind == LOGIN_ANON) {
		ftp_reply(s, FTP_NOPERM, "Anonymous users cannot change the UMASK.");
		return;
	}
	if (parse_mode(arg, strlen(arg), &m) < 0 || m > 0777) {
		ftp_reply(s, FTP_BADARGS, "Bad UMASK value.");
		return;
	}
	s->umask = m;
	ftp_reply(s, FTP_SITEOK, "UMASK set to 0%03o", (unsigned int)m);
}

static void site_help(struct session *s, const char *arg);

static const struct {
	const char *name;
	void (*fn)(struct session *, const char *);
} site_cmds[] = {
	{ "CHMOD", site_chmod },
	{ "UMASK", site_umask },
	{ "HELP", site_help },
};

static void
site_help(struct session *s, const char *arg)
{
	(void)arg;
	ftpfs_site_help(s);
}

void
ftpfs_site_help(struct session *s)
{
	char names[128] = "";

	for (size_t i = 0; i < sizeof(site_cmds) / sizeof(site_cmds[0]); i++)
		if (str_fmt(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			    i ? " " : "", site_cmds[i].name) < 0)
			bug("SITE command names do not fit");
	ftp_reply(s, FTP_HELP, "%s", names);
}

void
ftp_site(struct session *s, const char *arg)
{
	size_t n = strcspn(arg, " ");
	const char *rest = arg[n] ? arg + n + 1 : arg + n;

	for (size_t i = 0; i < sizeof(site_cmds) / sizeof(site_cmds[0]); i++)
		if (strlen(site_cmds[i].name) == n &&
		    strncasecmp(site_cmds[i].name, arg, n) == 0) {
			site_cmds[i].fn(s, rest);
			return;
		}
	ftp_reply(s, FTP_BADCMD, "Unknown SITE command.");
}
