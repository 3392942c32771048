/*
 * defs.h - compile-time limits and fixed paths, in one place.
 */
#ifndef MINIFTPD_DEFS_H
#define MINIFTPD_DEFS_H

#define MINIFTPD_VERSION	"0.1.0"

/* Longest control line accepted, CRLF included; longer lines get 500. */
#define MAX_CMD_LINE		4096
/* Command lines kept while a transfer runs (answered after it); while
 * that many wait, the control connection is not read until it ends, and
 * an ABOR sent after them is seen only then. */
#define MAX_HELD_LINES		8
/* Longest FTP path a client may name (after normalisation). */
#define MAX_FTP_PATH		4096
/* Longest user name and password accepted at login. */
#define MAX_USER_NAME		128
#define MAX_PASSWORD		512
/* Largest helper-protocol message, header included (frame.h); also the
 * size of a buf (buf.h). */
#define PRIV_MAX_MSG		8192
/* Unknown commands tolerated before login before the session is closed. */
#define MAX_PRELOGIN_UNKNOWN	10
/* RLIMIT_NOFILE of every session process after its privilege drop: the
 * control and helper sockets, a data socket, a passive listener, a file,
 * the directories of a rename, log and xferlog fds, with room to spare. */
#define SESSION_MAX_FDS		64
/* Longest configuration file line. */
#define MAX_CONFIG_LINE		4096
/* Most of banner_file and of a directory's message_file that is shown:
 * bytes, then lines (longer files are cut). */
#define MAX_MSG_FILE		4096
#define MAX_MSG_LINES		50

/*
 * LARGE_BSS: on a zero-initialised static buffer of a page or more.  On
 * x86-64 it goes into .lbss, the ABI's section for large data, which the
 * linker places after .bss: the small variables every process writes then
 * share a few pages, instead of each sitting between two buffers on a page
 * of its own, and each process of a session keeps fewer private pages
 * (bench/NOTES.md, "FTPS idle memory: the pages a session writes").
 * Elsewhere it does nothing.
 */
#if defined(__x86_64__) && defined(__GNUC__)
#define LARGE_BSS __attribute__((section(".lbss")))
#else
#define LARGE_BSS
#endif

/*
 * BUILT_WITH_ASAN: AddressSanitizer builds (make check SANITIZE=1, the
 * libFuzzer builds).  Its runtime, LeakSanitizer above all, needs clone,
 * ptrace and /proc in every process, so those builds leave out the seccomp
 * filters (sandbox.h) and RLIMIT_NPROC (privdrop.c); release builds, which
 * the integration tests check for both, always have them.
 */
#if defined(__SANITIZE_ADDRESS__)
#define BUILT_WITH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BUILT_WITH_ASAN 1
#endif
#endif

#define DEFAULT_CONFIG_FILE	"/etc/miniftpd.conf"
#define SHELLS_FILE		"/etc/shells"

#endif
