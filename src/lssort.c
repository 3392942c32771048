/* lssort.c - a directory's names, sorted; see lssort.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "defs.h"
#include "lssort.h"
#include "sysutil.h"

/* Kept from one listing to the next while it holds at most this many
 * bytes (~100 page faults for 10,000 names otherwise). */
#define NAMES_KEEP	(2 * 1024 * 1024)

void
lssort_add(struct lssort_names *nm, const char *name)
{
	size_t len = strlen(name) + 1;

	if (nm->n == nm->cap) {
		nm->cap = nm->cap ? 2 * nm->cap : 256;
		nm->v = xreallocarray(nm->v, nm->cap, sizeof(*nm->v));
		nm->tmp = xreallocarray(nm->tmp, nm->cap, sizeof(*nm->tmp));
	}
	while (nm->size - nm->used < len) {
		nm->size = nm->size ? 2 * nm->size : 16 * 1024;
		nm->arena = xreallocarray(nm->arena, nm->size, 1);
	}
	memcpy(nm->arena + nm->used, name, len);
	nm->v[nm->n++].off = nm->used;
	nm->used += len;
}

static uint64_t
name_key(const char *s)
{
	uint64_t k = 0;

	for (int i = 0; i < 8 && s[i]; i++)
		k |= (uint64_t)(unsigned char)s[i] << (56 - 8 * i);
	return k;
}

/* LSD radix sort of V by key, one byte a pass, over the bytes set in DIFF
 * (those that are not the same in every key). */
static void
radix_sort(struct lssort_entry *v, struct lssort_entry *tmp, size_t n, uint64_t diff)
{
	static size_t count[8][256] LARGE_BSS;
	struct lssort_entry *from = v, *to = tmp, *swap;
	int shift[8], passes = 0;

	for (int b = 0; b < 8; b++)
		if ((diff >> (8 * b)) & 0xff)
			shift[passes++] = 8 * b;
	memset(count, 0, sizeof(count[0]) * (size_t)passes);
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < passes; k++)
			count[k][(v[i].key >> shift[k]) & 0xff]++;
	for (int k = 0; k < passes; k++) {
		size_t sum = 0, c;

		for (int d = 0; d < 256; d++) {
			c = count[k][d];
			count[k][d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			to[count[k][(from[i].key >> shift[k]) & 0xff]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	if (from != v)
		memcpy(v, from, n * sizeof(*v));
}

static void
insertion_sort(const char *arena, struct lssort_entry *v, size_t n, size_t depth)
{
	for (size_t i = 1; i < n; i++) {
		struct lssort_entry e = v[i];
		size_t k = i;

		for (; k > 0 && strcmp(arena + v[k - 1].off + depth, arena + e.off + depth) > 0; k--)
			v[k] = v[k - 1];
		v[k] = e;
	}
}

/* Sort V (names equal in their first DEPTH bytes) by strcmp order. */
static void
sort_names(const char *arena, struct lssort_entry *v, struct lssort_entry *tmp, size_t n,
	   size_t depth)
{
	size_t i, k;
	uint64_t diff = 0;

	if (n < 16) {
		insertion_sort(arena, v, n, depth);
		return;
	}
	for (i = 0; i < n; i++) {
		v[i].key = name_key(arena + v[i].off + depth);
		diff |= v[i].key ^ v[0].key;
	}
	radix_sort(v, tmp, n, diff);
	/* equal keys without a NUL: the names go on, sort them on the next 8 bytes */
	for (i = 0; i < n; i = k) {
		for (k = i + 1; k < n && v[k].key == v[i].key; k++)
			;
		if (k - i > 1 && (v[i].key & 0xff))
			sort_names(arena, v + i, tmp, k - i, depth + 8);
	}
}

void
lssort_sort(struct lssort_names *nm)
{
	if (nm->n)
		sort_names(nm->arena, nm->v, nm->tmp, nm->n, 0);
}

const char *
lssort_name(const struct lssort_names *nm, size_t i)
{
	return nm->arena + nm->v[i].off;
}

void
lssort_reset(struct lssort_names *nm)
{
	if (2 * nm->cap * sizeof(*nm->v) + nm->size > NAMES_KEEP) {
		free(nm->v);
		free(nm->tmp);
		free(nm->arena);
		memset(nm, 0, sizeof(*nm));
	}
	nm->n = nm->used = 0;
}
