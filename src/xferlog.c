/* xferlog.c - wu-ftpd transfer log lines; see xferlog.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "defs.h"
#include "log.h"
#include "str.h"
#include "sysutil.h"
#include "xferlog.h"

static int log_fd = -1;

void
xferlog_open(const struct config *cfg)
{
	if (!cfg->xferlog_enable || log_fd >= 0)
		return;
	log_fd = sys_open(cfg->xferlog_file, O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY, 0600);
	if (log_fd < 0)
		log_warning("Failed to open xferlog_file %s: %s, ignoring",
			    cfg->xferlog_file, strerror(-log_fd));
}

void
xferlog_close(void)
{
	log_fd = sys_close(log_fd);
}

/* SRC with blanks and control characters as '_' (one field, one line). */
static void
field(const char *src, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < outlen; i++)
		out[i] = (unsigned char)src[i] <= ' ' || src[i] == 0x7f ? '_' : src[i];
	out[i] = '\0';
}

int
xferlog_format(const struct xferlog_entry *e, char *out, size_t outlen)
{
	char when[32], path[MAX_FTP_PATH], user[MAX_USER_NAME + 1];
	time_t t = (time_t)e->when;
	struct tm tm;
	long long secs = (e->msecs + 999) / 1000;

	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm);
	field(e->path, path, sizeof(path));
	field(e->user, user, sizeof(user));
	if (str_fmt(out, outlen, "%s %lld %s %llu %s %c _ %c %c %s ftp 0 * %c\n",
		    when, secs > 0 ? secs : 1, e->host, e->bytes, path,
		    e->ascii ? 'a' : 'b', e->upload ? 'i' : 'o', e->access,
		    user, e->complete ? 'c' : 'i') < 0)
		return -E2BIG;
	return (int)strlen(out);
}

void
xferlog_write(const struct xferlog_entry *e)
{
	char line[MAX_FTP_PATH + 512];
	int n;
	ssize_t w;

	if (log_fd < 0)
		return;
	n = xferlog_format(e, line, sizeof(line));
	if (n < 0)
		return;
	w = sys_write(log_fd, line, (size_t)n);
	if (w != n)
		log_warning("Failed to write the xferlog: %s, ignoring",
			    strerror(w < 0 ? (int)-w : EIO));
}
