/* sys_mem.c - system-call wrappers: memory; see sys_mem.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "sysutil.h"

void *
xmalloc(size_t size)
{
	void *p;

	if (size == 0)
		bug("xmalloc: zero size");
	p = malloc(size);
	if (p == NULL)
		die("Out of memory allocating %zu bytes", size);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0)
		bug("xcalloc: zero size");
	p = calloc(n, size);
	if (p == NULL)
		die("Out of memory allocating %zu * %zu bytes", n, size);
	return p;
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0)
		bug("xreallocarray: zero size");
	if (n > SIZE_MAX / size)
		die("Allocation of %zu * %zu bytes overflows", n, size);
	p = realloc(old, n * size);
	if (p == NULL)
		die("Out of memory allocating %zu * %zu bytes", n, size);
	return p;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

/* How far below the caller's frame to release: the deepest call chain
 * seen (the TLS handshake) is well within it.  The kernel keeps at least
 * stack_guard_gap (1 MiB by default) free below the stack, so the range
 * never reaches another mapping; madvise skips what is not mapped. */
#define STACK_RELEASE_SPAN	(256 * 1024UL)

void
sys_stack_release(void)
{
	volatile char here = 0;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	/* a page of slack below this frame's page: madvise's frame */
	uintptr_t top = ((uintptr_t)&here & ~(page - 1)) - page;

	(void)madvise((void *)(top - STACK_RELEASE_SPAN), STACK_RELEASE_SPAN, MADV_DONTNEED);
}
