/*
 * hash.h - chained-bucket hash table with fixed-size keys and values.
 *
 * Keys are hashed with SipHash-2-4 under a per-table random key, so a
 * client cannot choose addresses or names that collide (vsftpd's sum of
 * the address bytes can be attacked).  Buckets are singly linked chains;
 * the bucket array doubles when the load passes 3/4.  Nodes (key and
 * value side by side) come from a mempool and never move while they are
 * in the table, so a pointer to a value (or key) stays valid until its
 * entry is removed.
 *
 * Iteration: removing the entry hash_next() just returned (or any entry
 * already returned) is safe; inserting during an iteration is not (the
 * table may grow).
 *
 * Pure module: returns -errno, never logs, never exits.  Used by limitd
 * (limittab.c).
 */
#ifndef MINIFTPD_HASH_H
#define MINIFTPD_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mempool.h"

#define HASH_SEED_SIZE 16

/* A hash function: SEED, then LEN bytes at DATA. */
typedef uint64_t (*hash_fn)(const uint8_t seed[HASH_SEED_SIZE],
			    const void *data, size_t len);

struct hash_node;

struct hash {
	size_t key_size;	/* bytes compared with memcmp */
	size_t val_size;
	size_t val_off;		/* offset of the value in a node */
	size_t count;		/* entries */
	size_t nbuckets;	/* a power of two */
	struct hash_node **buckets;
	struct pool pool;
	uint8_t seed[HASH_SEED_SIZE];
	hash_fn fn;
};

struct hash_iter {
	size_t bucket;		/* next bucket to scan */
	struct hash_node *next;	/* next node, fetched before returning one */
};

/*
 * hash_siphash - SipHash-2-4 of LEN bytes at DATA under SEED; the
 * table's default hash function.
 */
uint64_t hash_siphash(const uint8_t seed[HASH_SEED_SIZE], const void *data,
		      size_t len);

/*
 * hash_init - an empty table of KEY_SIZE-byte keys and VAL_SIZE-byte
 * values (VAL_SIZE may be 0), holding at most MAX_ENTRIES (0: no cap).
 * The seed comes from getrandom().
 * RETURNS 0, -EINVAL (bad sizes), -ENOMEM, or getrandom's -errno.
 */
int hash_init(struct hash *h, size_t key_size, size_t val_size,
	      size_t max_entries);

/*
 * hash_set_function - replace the hash function (and its seed, which may
 * be NULL to keep the random one).  Only on an empty table; unit tests use
 * it to force collisions.  RETURNS 0 or -EBUSY when H is not empty.
 */
int hash_set_function(struct hash *h, hash_fn fn,
		      const uint8_t seed[HASH_SEED_SIZE]);

/*
 * hash_destroy - free every node and the bucket array.
 */
void hash_destroy(struct hash *h);

/*
 * hash_insert - add KEY with a zero-filled value; *VAL points at it.
 * RETURNS 0; -EEXIST when KEY is present (*VAL then points at the
 * existing value); -ENOSPC over the cap; -ENOMEM.
 */
int hash_insert(struct hash *h, const void *key, void **val);

/*
 * hash_get - the value stored for KEY, or NULL.
 */
void *hash_get(const struct hash *h, const void *key);

/*
 * hash_key - the table's own copy of the key of the entry whose value is
 * VAL (as returned by hash_insert / hash_get / hash_next).  Valid until
 * that entry is removed.
 */
const void *hash_key(const struct hash *h, const void *val);

/*
 * hash_val - the value of the entry whose key is KEY, the table's own
 * copy (from hash_key or hash_next), found without hashing: the inverse
 * of hash_key.
 */
void *hash_val(const struct hash *h, const void *key);

/*
 * hash_remove - delete KEY.  RETURNS 0 or -ENOENT.
 */
int hash_remove(struct hash *h, const void *key);

/*
 * hash_remove_val - delete the entry whose value is VAL (as returned by
 * hash_insert / hash_get / hash_val), without hashing its key again.
 * RETURNS 0, or -ENOENT when no entry of H has that value.
 */
int hash_remove_val(struct hash *h, void *val);

/*
 * hash_count - number of entries.
 */
size_t hash_count(const struct hash *h);

/*
 * hash_bytes - heap bytes the table holds (buckets and node chunks).
 */
size_t hash_bytes(const struct hash *h);

/*
 * hash_iter_init / hash_next - visit every entry once, in no order.
 * hash_next stores the entry's key and value pointers (either may be
 * NULL) and RETURNS true, or false when done.
 */
void hash_iter_init(struct hash_iter *it);
bool hash_next(const struct hash *h, struct hash_iter *it, const void **key,
	       void **val);

#endif
