/* log.c - log targets, role prefix, die/bug; see log.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

enum log_target { LOG_TO_STDERR, LOG_TO_JOURNAL, LOG_TO_SYSLOG };

static enum log_target target = LOG_TO_STDERR;
static char prefix[96];
static char ident[32] = "miniftpd";
static void (*die_hook)(void);

/* stderr is the journal when JOURNAL_STREAM names fd 2's device:inode. */
static bool
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	return fstat(STDERR_FILENO, &st) == 0 &&
	       (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

/* Under inetd fd 2 may be the client connection: never write there. */
static bool
stderr_usable(void)
{
	struct stat st;

	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return !S_ISSOCK(st.st_mode);
}

void
log_open(const char *name, bool force_syslog)
{
	snprintf(ident, sizeof(ident), "%s", name);
	if (!force_syslog && stderr_is_journal())
		target = LOG_TO_JOURNAL;
	else if (!force_syslog && stderr_usable())
		target = LOG_TO_STDERR;
	else {
		target = LOG_TO_SYSLOG;
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_FTP);
	}
}

void
log_set_prefix(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
}

void
log_set_die_hook(void (*hook)(void))
{
	die_hook = hook;
}

void
log_vmsg(int prio, const char *fmt, va_list ap)
{
	char line[2048];
	int saved = errno;

	vsnprintf(line, sizeof(line), fmt, ap);
	switch (target) {
	case LOG_TO_SYSLOG:
		syslog(prio, "%s%s%s%s", prefix[0] ? "[" : "", prefix,
		       prefix[0] ? "] " : "", line);
		break;
	case LOG_TO_JOURNAL:
		dprintf(STDERR_FILENO, "<%d>%s%s%s%s\n", prio, prefix[0] ? "[" : "",
			prefix, prefix[0] ? "] " : "", line);
		break;
	default:
		dprintf(STDERR_FILENO, "%s[%d]: %s%s%s%s\n", ident, (int)getpid(),
			prefix[0] ? "[" : "", prefix, prefix[0] ? "] " : "", line);
	}
	errno = saved;
}

void
log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
}

static void NORETURN
run_hook_and_exit(int status)
{
	void (*hook)(void) = die_hook;

	die_hook = NULL;	/* a die() inside the hook must not loop */
	if (hook)
		hook();
	_exit(status);
}

void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_ERR, fmt, ap);
	va_end(ap);
	run_hook_and_exit(EXIT_FAILURE);
}

void
die_errno(const char *fmt, ...)
{
	char msg[1024];
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_err("%s: %s", msg, strerror(e));
	run_hook_and_exit(EXIT_FAILURE);
}

void
bug(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_err("BUG: %s", msg);
	if (die_hook)
		die_hook();
	abort();
}
