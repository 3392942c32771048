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

#endif
