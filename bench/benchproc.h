/* benchproc.h - what the limitd benches read of a process they started. */
#ifndef MINIFTPD_BENCHPROC_H
#define MINIFTPD_BENCHPROC_H

#include <sys/types.h>

/* bench_cpu_us - CPU time PID has used (user + system), microseconds,
 * or -1 (from /proc/PID/stat). */
long long bench_cpu_us(pid_t pid);

/* bench_await_limitd - wait up to 5 s until the limitd PID (the program
 * LIMITD) answers on SOCK_PATH.  RETURNS PID; if it does not, kills it and
 * exits, naming the bench WHO. */
pid_t bench_await_limitd(pid_t pid, const char *sock_path, const char *who,
			 const char *limitd);

#endif
