/* mempool.c - fixed-size node pool; see mempool.h. */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mempool.h"

#define POOL_ALIGN	alignof(max_align_t)
#define POOL_CHUNK_BYTES (64 * 1024)
#define POOL_MAX_NODE	(1024 * 1024)

/* The header is padded so that the nodes after it stay aligned. */
struct pool_chunk {
	union {
		struct pool_chunk *next;
		max_align_t align;
	} h;
};

/* A free node holds only the link to the next free node. */
struct pool_free_node {
	struct pool_free_node *next;
};

int
pool_init(struct pool *p, size_t size, size_t per_chunk, size_t max_nodes)
{
	if (size == 0 || size > POOL_MAX_NODE)
		return -EINVAL;
	if (size < sizeof(struct pool_free_node))
		size = sizeof(struct pool_free_node);
	memset(p, 0, sizeof(*p));
	p->node_size = (size + POOL_ALIGN - 1) / POOL_ALIGN * POOL_ALIGN;
	p->per_chunk = per_chunk ? per_chunk : POOL_CHUNK_BYTES / p->node_size;
	if (p->per_chunk == 0)
		p->per_chunk = 1;
	if (p->per_chunk > (SIZE_MAX - sizeof(struct pool_chunk)) / p->node_size)
		return -EINVAL;
	p->max_nodes = max_nodes;
	return 0;
}

/* Allocate one more chunk and thread its nodes onto the free list. */
static int
pool_grow(struct pool *p)
{
	size_t n = p->per_chunk;
	struct pool_chunk *c;
	char *nodes;

	if (p->max_nodes && p->max_nodes - p->total < n)
		n = p->max_nodes - p->total;
	c = malloc(sizeof(*c) + n * p->node_size);
	if (c == NULL)
		return -ENOMEM;
	c->h.next = p->chunks;
	p->chunks = c;
	nodes = (char *)(c + 1);
	for (size_t i = n; i-- > 0;) {
		struct pool_free_node *f = (void *)(nodes + i * p->node_size);

		f->next = p->free_list;
		p->free_list = f;
	}
	p->total += n;
	p->nchunks++;
	return 0;
}

int
pool_alloc(struct pool *p, void **node)
{
	struct pool_free_node *f;

	if (p->max_nodes && p->used >= p->max_nodes)
		return -ENOSPC;
	if (p->free_list == NULL) {
		int r = pool_grow(p);

		if (r < 0)
			return r;
	}
	f = p->free_list;
	p->free_list = f->next;
	p->used++;
	memset(f, 0, p->node_size);
	*node = f;
	return 0;
}

void
pool_free(struct pool *p, void *node)
{
	struct pool_free_node *f = node;

	if (node == NULL)
		return;
	f->next = p->free_list;
	p->free_list = f;
	p->used--;
}

void
pool_destroy(struct pool *p)
{
	struct pool_chunk *c = p->chunks;

	while (c) {
		struct pool_chunk *next = c->h.next;

		free(c);
		c = next;
	}
	p->chunks = NULL;
	p->free_list = NULL;
	p->used = 0;
	p->total = 0;
	p->nchunks = 0;
}

size_t
pool_used(const struct pool *p)
{
	return p->used;
}

size_t
pool_bytes(const struct pool *p)
{
	return p->total * p->node_size + p->nchunks * sizeof(struct pool_chunk);
}
