/* hash.c - keyed chained hash table; see hash.h. */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "sysutil.h"

#define HASH_MIN_BUCKETS 16
#define HASH_MAX_BUCKETS ((size_t)1 << 30)
#define HASH_MAX_KEY	 4096
#define HASH_MAX_VAL	 65536

struct hash_node {
	struct hash_node *next;
	uint64_t hv;		/* kept so that growth need not rehash keys */
	alignas(max_align_t) unsigned char data[];	/* key, padding, value */
};

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static inline uint64_t
load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* Inlined: as a call it was a third of limitd's user time per admission. */
static inline __attribute__((always_inline)) void
sip_round(uint64_t v[4])
{
	v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0]; v[0] = ROTL(v[0], 32);
	v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2]; v[2] = ROTL(v[2], 32);
}

static inline void
sip_compress(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
}

uint64_t
hash_siphash(const uint8_t seed[HASH_SEED_SIZE], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t k0 = load_le64(seed), k1 = load_le64(seed + 8);
	uint64_t v[4] = {
		k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
		k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL,
	};
	uint64_t last = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8)
		sip_compress(v, load_le64(p + i));
	for (size_t j = 0; i + j < len; j++)
		last |= (uint64_t)p[i + j] << (8 * j);
	sip_compress(v, last);
	v[2] ^= 0xff;
	for (int r = 0; r < 4; r++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static size_t
round_align(size_t n)
{
	return (n + alignof(max_align_t) - 1) / alignof(max_align_t) * alignof(max_align_t);
}

int
hash_init(struct hash *h, size_t key_size, size_t val_size, size_t max_entries)
{
	size_t node;
	int r;

	if (key_size == 0 || key_size > HASH_MAX_KEY || val_size > HASH_MAX_VAL)
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->key_size = key_size;
	h->val_size = val_size;
	h->val_off = round_align(key_size);
	node = offsetof(struct hash_node, data) + h->val_off + val_size;
	r = pool_init(&h->pool, node, 0, max_entries);
	if (r < 0)
		return r;
	r = sys_random(h->seed, sizeof(h->seed));
	if (r < 0)
		return r;
	h->buckets = calloc(HASH_MIN_BUCKETS, sizeof(*h->buckets));
	if (h->buckets == NULL)
		return -ENOMEM;
	h->nbuckets = HASH_MIN_BUCKETS;
	h->fn = hash_siphash;
	return 0;
}

int
hash_set_function(struct hash *h, hash_fn fn, const uint8_t seed[HASH_SEED_SIZE])
{
	if (h->count)
		return -EBUSY;
	h->fn = fn;
	if (seed)
		memcpy(h->seed, seed, sizeof(h->seed));
	return 0;
}

void
hash_destroy(struct hash *h)
{
	pool_destroy(&h->pool);
	free(h->buckets);
	h->buckets = NULL;
	h->nbuckets = 0;
	h->count = 0;
}

static void *
node_val(const struct hash *h, struct hash_node *n)
{
	return n->data + h->val_off;
}

/* The link that points at KEY's node (or at the NULL ending its chain). */
static struct hash_node **
find_link(const struct hash *h, const void *key, uint64_t hv)
{
	struct hash_node **link = &h->buckets[hv & (h->nbuckets - 1)];

	while (*link && ((*link)->hv != hv ||
			 memcmp((*link)->data, key, h->key_size) != 0))
		link = &(*link)->next;
	return link;
}

/* Double the bucket array; on allocation failure keep the longer chains. */
static void
grow(struct hash *h)
{
	size_t n = h->nbuckets * 2;
	struct hash_node **nb;

	if (n > HASH_MAX_BUCKETS || (nb = calloc(n, sizeof(*nb))) == NULL)
		return;
	for (size_t i = 0; i < h->nbuckets; i++) {
		struct hash_node *node = h->buckets[i];

		while (node) {
			struct hash_node *next = node->next;
			size_t b = node->hv & (n - 1);

			node->next = nb[b];
			nb[b] = node;
			node = next;
		}
	}
	free(h->buckets);
	h->buckets = nb;
	h->nbuckets = n;
}

int
hash_insert(struct hash *h, const void *key, void **val)
{
	uint64_t hv = h->fn(h->seed, key, h->key_size);
	struct hash_node **link = find_link(h, key, hv), *n;
	void *mem;
	int r;

	if (*link) {
		*val = node_val(h, *link);
		return -EEXIST;
	}
	r = pool_alloc(&h->pool, &mem);
	if (r < 0)
		return r;
	n = mem;
	n->hv = hv;
	memcpy(n->data, key, h->key_size);
	n->next = h->buckets[hv & (h->nbuckets - 1)];
	h->buckets[hv & (h->nbuckets - 1)] = n;
	h->count++;
	if (h->count > h->nbuckets / 4 * 3)
		grow(h);
	*val = node_val(h, n);
	return 0;
}

void *
hash_get(const struct hash *h, const void *key)
{
	struct hash_node *n = *find_link(h, key, h->fn(h->seed, key, h->key_size));

	return n ? node_val(h, n) : NULL;
}

const void *
hash_key(const struct hash *h, const void *val)
{
	return (const unsigned char *)val - h->val_off;
}

void *
hash_val(const struct hash *h, const void *key)
{
	return (unsigned char *)(uintptr_t)key + h->val_off;
}

int
hash_remove(struct hash *h, const void *key)
{
	struct hash_node **link = find_link(h, key, h->fn(h->seed, key, h->key_size));
	struct hash_node *n = *link;

	if (n == NULL)
		return -ENOENT;
	*link = n->next;
	pool_free(&h->pool, n);
	h->count--;
	return 0;
}

int
hash_remove_val(struct hash *h, void *val)
{
	struct hash_node *n = (void *)((unsigned char *)val - h->val_off -
				       offsetof(struct hash_node, data));
	struct hash_node **link = &h->buckets[n->hv & (h->nbuckets - 1)];

	while (*link && *link != n)
		link = &(*link)->next;
	if (*link == NULL)
		return -ENOENT;
	*link = n->next;
	pool_free(&h->pool, n);
	h->count--;
	return 0;
}

size_t
hash_count(const struct hash *h)
{
	return h->count;
}

size_t
hash_bytes(const struct hash *h)
{
	return h->nbuckets * sizeof(*h->buckets) + pool_bytes(&h->pool);
}

void
hash_iter_init(struct hash_iter *it)
{
	it->bucket = 0;
	it->next = NULL;
}

bool
hash_next(const struct hash *h, struct hash_iter *it, const void **key, void **val)
{
	struct hash_node *n = it->next;

	while (n == NULL && it->bucket < h->nbuckets)
		n = h->buckets[it->bucket++];
	if (n == NULL)
		return false;
	it->next = n->next;
	if (key)
		*key = n->data;
	if (val)
		*val = node_val(h, n);
	return true;
}
