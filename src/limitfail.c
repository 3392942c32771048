/* limitfail.c - failed logins per client address; see limitfail.h. */
#include <errno.h>
#include <string.h>

#include "limitfail.h"

struct fail_rec {
	uint32_t count;
	uint32_t pushed;	/* of COUNT, in the cluster store already */
	int64_t last;		/* seconds since the epoch */
};

int
limit_fails_init(struct limit_fails *f, size_t max_addrs, unsigned int prefix6)
{
	memset(f, 0, sizeof(*f));
	if (prefix6 < LIMIT_PREFIX6_MIN || prefix6 > LIMIT_PREFIX6_MAX)
		return -EINVAL;
	f->prefix6 = prefix6;
	return hash_init(&f->tab, sizeof(struct limit_addr), sizeof(struct fail_rec),
			 max_addrs);
}

void
limit_fails_destroy(struct limit_fails *f)
{
	hash_destroy(&f->tab);
}

static bool
stale(const struct fail_rec *r, const struct limit_fail_policy *p, int64_t now)
{
	return now - r->last >= (int64_t)p->forget || now < r->last;
}

size_t
limit_fails_expire(struct limit_fails *f, const struct limit_fail_policy *p, int64_t now)
{
	struct hash_iter it;
	const void *key;
	void *val;
	size_t n = 0;

	hash_iter_init(&it);
	while (hash_next(&f->tab, &it, &key, &val)) {
		struct limit_addr a;

		if (!stale(val, p, now))
			continue;
		memcpy(&a, key, sizeof(a));	/* the node's own key goes with it */
		if (hash_remove(&f->tab, &a) == 0)
			n++;
	}
	return n;
}

long
limit_fails_add(struct limit_fails *f, const struct limit_fail_policy *p,
		const struct limit_addr *addr, int64_t now)
{
	struct limit_addr a = *addr;
	struct fail_rec *r;
	void *val;
	int e;

	limit_addr_mask(&a, f->prefix6);
	e = hash_insert(&f->tab, &a, &val);
	if (e == -ENOSPC && limit_fails_expire(f, p, now) > 0)
		e = hash_insert(&f->tab, &a, &val);
	if (e < 0 && e != -EEXIST)
		return e;
	r = val;
	if (e == -EEXIST && stale(r, p, now))
		r->count = r->pushed = 0;
	if (r->count < UINT32_MAX)
		r->count++;
	r->last = now;
	return (long)r->count;
}

bool
limit_fails_blocked(const struct limit_fails *f, const struct limit_fail_policy *p,
		    const struct limit_addr *addr, int64_t now)
{
	struct limit_addr a = *addr;
	const struct fail_rec *r;

	if (p->max == 0)
		return false;
	limit_addr_mask(&a, f->prefix6);
	r = hash_get(&f->tab, &a);
	return r != NULL && r->count >= p->max && !stale(r, p, now);
}

size_t
limit_fails_count(const struct limit_fails *f)
{
	return hash_count(&f->tab);
}

/* Entry R (of key KEY) into OUT when it has failures not pushed yet. */
static bool
unpushed(const void *key, const struct fail_rec *r, const struct limit_fail_policy *p,
	 int64_t now, struct limit_fail_push *out)
{
	if (r->count <= r->pushed || stale(r, p, now))
		return false;
	memcpy(&out->addr, key, sizeof(out->addr));
	out->count = r->count;
	out->fresh = r->count - r->pushed;
	out->left = (int64_t)p->forget - (now - r->last);
	return true;
}

size_t
limit_fails_unpushed(const struct limit_fails *f, const struct limit_fail_policy *p,
		     int64_t now, struct limit_fail_push *out, size_t max, size_t *left_over)
{
	size_t n = 0;

	*left_over = 0;
	/* Pass 0: the blocked addresses; pass 1: the others. */
	for (int pass = 0; pass < 2; pass++) {
		struct hash_iter it;
		const void *key;
		void *val;

		hash_iter_init(&it);
		while (hash_next(&f->tab, &it, &key, &val)) {
			const struct fail_rec *r = val;
			bool blocking = p->max > 0 && r->count >= p->max;
			struct limit_fail_push x;

			if (blocking != (pass == 0) || !unpushed(key, r, p, now, &x))
				continue;
			if (n < max)
				out[n++] = x;
			else
				(*left_over)++;
		}
	}
	return n;
}

void
limit_fails_mark_pushed(struct limit_fails *f, const struct limit_fail_push *x)
{
	struct fail_rec *r = hash_get(&f->tab, &x->addr);

	if (r != NULL && r->count >= x->count && r->pushed < x->count)
		r->pushed = x->count;
}
