/*
 * sys_mem.h - system-call wrappers: memory.
 * Memory: the x-allocators, which refuse size 0 and overflow and die
 * when memory runs out.
 * The conventions of sysutil.h hold: EINTR retried, every descriptor
 * close-on-exec, -errno returned (x* functions die instead).
 */
#ifndef MINIFTPD_SYS_MEM_H
#define MINIFTPD_SYS_MEM_H

#include <stddef.h>

/* Memory: refuse size 0 and overflow, die on exhaustion. */
void *xmalloc(size_t size);

void *xcalloc(size_t n, size_t size);

void *xreallocarray(void *p, size_t n, size_t size);

char *xstrdup(const char *s);

/*
 * Give the kernel back the stack pages below the caller's frame
 * (MADV_DONTNEED), for a process about to wait idle: the deepest calls
 * of a session (crypt and PAM in the helper, the TLS handshake, LIST)
 * leave tens of KiB of private stack that an idle session would keep.
 * Below the caller's frame nothing is live; the next deep call faults
 * its pages in again, zeroed.
 */
void sys_stack_release(void);

/*
 * How long a waiting process waits before it calls sys_stack_release():
 * a client that sends its next command within a round trip on a LAN
 * finds the stack still there (releasing it before every wait made each
 * command fault its frames in again: bench/NOTES.md, "FTPS sessions: one
 * process fewer"); an idle session gives it back after this pause.
 */
#define SYS_STACK_IDLE_MS	50

#endif
