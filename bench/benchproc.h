/* benchproc.h - what the limitd benches read of a process they started. */
#ifndef MINIFTPD_BENCHPROC_H
#define MINIFTPD_BENCHPROC_H

#include <sys/types.h>

/* bench_cpu_us - CPU time PID has used (user + system), microseconds,
 * or -1 (from /proc/PID/stat). */
long long bench_cpu_us(pid_t pid);

#endif
