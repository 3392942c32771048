/*
 * mempool.h - a pool of fixed-size nodes.
 *
 * Nodes are carved from chunks obtained with malloc and recycled through
 * a free list, so a table that inserts and deletes all day does not
 * fragment the heap and pays one malloc per chunk, not per node.  A node
 * never moves while it is allocated: pointers into it stay valid until
 * pool_free().  An optional hard cap bounds the number of live nodes.
 * Pure module: returns -errno, never logs, never exits.  Used by hash.c
 * (both binaries) and limitd.
 */
#ifndef MINIFTPD_MEMPOOL_H
#define MINIFTPD_MEMPOOL_H

#include <stddef.h>

struct pool_chunk;

struct pool {
	size_t node_size;	/* bytes per node, rounded up to alignment */
	size_t per_chunk;	/* nodes per chunk */
	size_t max_nodes;	/* hard cap on live nodes, 0: none */
	size_t used;		/* nodes handed out */
	size_t total;		/* nodes in all chunks */
	size_t nchunks;		/* chunks malloc'ed */
	void *free_list;
	struct pool_chunk *chunks;
};

/*
 * pool_init - prepare P to hand out nodes of SIZE bytes.
 * PARAMETERS: SIZE node size (> 0); PER_CHUNK nodes per malloc'ed chunk
 *   (0: a default that makes chunks of roughly 64 KiB); MAX_NODES the cap
 *   on live nodes (0: no cap).
 * RETURNS 0 or -EINVAL (size 0 or too large).  Allocates nothing yet.
 */
int pool_init(struct pool *p, size_t size, size_t per_chunk, size_t max_nodes);

/*
 * pool_alloc - take one node, zero-filled, into *NODE.
 * RETURNS 0, -ENOSPC (cap reached) or -ENOMEM.
 */
int pool_alloc(struct pool *p, void **node);

/*
 * pool_free - give NODE (from pool_alloc on P) back.  NULL is ignored.
 */
void pool_free(struct pool *p, void *node);

/*
 * pool_destroy - release every chunk; every node of P becomes invalid.
 * P may then be initialised again.
 */
void pool_destroy(struct pool *p);

/*
 * pool_used / pool_bytes - live nodes, and bytes the pool holds from
 * malloc (chunks and their headers), for status and benchmarks.
 */
size_t pool_used(const struct pool *p);
size_t pool_bytes(const struct pool *p);

#endif
