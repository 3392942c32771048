/*
 * log.h - logging, and the two ways to die.
 *
 * Every role sets a prefix once ("[helper]", "[session 192.0.2.7]",
 * "[limitd]").  Messages go to stderr with <N> priority prefixes when
 * stderr is the journal (JOURNAL_STREAM), to syslog when stderr is not
 * usable (it is the client socket under inetd) or syslog is asked for,
 * and plainly to stderr otherwise.  Used by both binaries.
 */
#ifndef MINIFTPD_LOG_H
#define MINIFTPD_LOG_H

#include <stdbool.h>
#include <stdarg.h>
#include <syslog.h>

#define PRINTF(a, b) __attribute__((format(printf, a, b)))
#define NORETURN __attribute__((noreturn))

/*
 * log_open - choose the log target.  IDENT is the program name; FORCE_SYSLOG
 * selects syslog even if stderr is usable.  Call once, before chroot
 * (openlog keeps its socket open across it).
 */
void log_open(const char *ident, bool force_syslog);

/*
 * log_set_prefix - set the role prefix for every later message of this
 * process ("helper", "session 192.0.2.7").
 */
void log_set_prefix(const char *fmt, ...) PRINTF(1, 2);

/*
 * log_set_die_hook - function die() and bug() call before exiting, once
 * (the service process sends its one fixed 421 line there).
 */
void log_set_die_hook(void (*hook)(void));

/* log_msg - log at syslog priority PRIO (LOG_ERR ... LOG_DEBUG). */
void log_msg(int prio, const char *fmt, ...) PRINTF(2, 3);
void log_vmsg(int prio, const char *fmt, va_list ap) PRINTF(2, 0);

#define log_err(...)	 log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	 log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	 log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	 log_msg(LOG_DEBUG, __VA_ARGS__)

/* die - abnormal but possible event (peer gone, malformed message): log, exit 1. */
void die(const char *fmt, ...) PRINTF(1, 2) NORETURN;
/* die_errno - like die, with ": strerror(errno)" appended. */
void die_errno(const char *fmt, ...) PRINTF(1, 2) NORETURN;
/* bug - a broken invariant: log "BUG: ..." and abort(). */
void bug(const char *fmt, ...) PRINTF(1, 2) NORETURN;

#endif
