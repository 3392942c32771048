/*
 * sys_time.h - system-call wrappers: time and randomness.
 * Clocks, sleeping and the kernel's random bytes.
 * The conventions of sysutil.h hold: EINTR retried, every descriptor
 * close-on-exec, -errno returned (x* functions die instead).
 */
#ifndef MINIFTPD_SYS_TIME_H
#define MINIFTPD_SYS_TIME_H

#include <stddef.h>

/* sys_sleep - sleep SECONDS, resuming after signals. */
void sys_sleep(unsigned int seconds);

/* sys_now_ms - CLOCK_MONOTONIC in milliseconds. */
long long sys_now_ms(void);

/* sys_random - fill BUF with LEN bytes from getrandom(). RETURNS 0 or -errno. */
int sys_random(void *buf, size_t len);

/* sys_time - wall-clock seconds since the epoch. */
long long sys_time(void);

#endif
