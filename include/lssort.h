/*
 * lssort.h - the names of one directory, kept in one arena and sorted
 * in strcmp order (as `ls` in the C locale) by a radix sort on 8 bytes
 * at a time, an insertion sort for short runs.  Memory is kept from one
 * listing to the next while it is small (lssort_reset).  Pure but for
 * the allocator (dies when memory runs out).  Service process.
 */
#ifndef MINIFTPD_LSSORT_H
#define MINIFTPD_LSSORT_H

#include <stddef.h>
#include <stdint.h>

/* An entry's key is 8 bytes of its name from some depth, big-endian and
 * zero-padded: comparing keys compares those bytes as strcmp does. */
struct lssort_entry {
	uint64_t key;
	size_t off;		/* the name: arena + off */
};

/* Fields are lssort.c's; a zeroed struct is an empty list. */
struct lssort_names {
	struct lssort_entry *v, *tmp;	/* TMP: the radix sort's other half */
	size_t n, cap;
	char *arena;
	size_t used, size;
};

/* lssort_add - append a copy of NAME (NUL-terminated). */
void lssort_add(struct lssort_names *nm, const char *name);

/* lssort_sort - sort the names in strcmp order. */
void lssort_sort(struct lssort_names *nm);

/* lssort_name - the I-th name (I < nm->n). */
const char *lssort_name(const struct lssort_names *nm, size_t i);

/* lssort_reset - empty NM; its memory is freed when it holds more than
 * a couple of MiB, else kept for the next listing (freeing gave the pages
 * back to the kernel and the next listing faulted them in again). */
void lssort_reset(struct lssort_names *nm);

#endif
