/* limittab.c - limitd's counting tables; see limittab.h. */
#include <errno.h>
#include <string.h>

#include "limittab.h"
#include "log.h"

/* User names are keys of fixed size, zero-padded. */
typedef char user_key[MAX_USER_NAME + 1];

int
limit_tab_init(struct limit_tab *t, size_t max_sessions)
{
	int r;

	memset(t, 0, sizeof(*t));
	r = hash_init(&t->addrs, sizeof(struct limit_addr), sizeof(uint32_t), max_sessions);
	if (r == 0)
		r = hash_init(&t->users, sizeof(user_key), sizeof(uint32_t), max_sessions);
	if (r == 0)
		r = hash_init(&t->sessions, sizeof(uint64_t),
			      sizeof(struct limit_session), max_sessions);
	if (r < 0)
		limit_tab_destroy(t);
	return r;
}

void
limit_tab_destroy(struct limit_tab *t)
{
	hash_destroy(&t->addrs);
	hash_destroy(&t->users);
	hash_destroy(&t->sessions);
}

static bool
over(unsigned long limit, size_t count)
{
	return limit != 0 && count >= limit;
}

/* Add one to the count kept under KEY in H, creating it at 1. */
static int
count_up(struct hash *h, const void *key, uint32_t **count)
{
	void *val;
	int r = hash_insert(h, key, &val);

	if (r < 0 && r != -EEXIST)
		return r;
	*count = val;
	(**count)++;
	return 0;
}

/* Take one from the count under KEY, dropping the entry at 0. */
static void
count_down(struct hash *h, const void *key, const char *what)
{
	uint32_t *count = hash_get(h, key);

	if (count == NULL || *count == 0)
		bug("limittab: %s count missing on release", what);
	if (--*count == 0 && hash_remove(h, key) < 0)
		bug("limittab: %s entry vanished", what);
}

int
limit_tab_admit(struct limit_tab *t, const struct limit_limits *lim, uint64_t id,
		const struct limit_addr *addr, uint32_t pid, uint32_t uid,
		int64_t since, bool force)
{
	struct limit_addr a = *addr;
	struct limit_session *s;
	uint32_t *count;
	void *val;
	int r;

	limit_addr_normalize(&a);
	if (!force && over(lim->max_clients, hash_count(&t->sessions)))
		return LIMIT_V_TOTAL;
	if (!force && over(lim->max_per_ip, limit_tab_addr_count(t, &a)))
		return LIMIT_V_IP;
	r = hash_insert(&t->sessions, &id, &val);
	if (r == -EEXIST)
		bug("limittab: session %llu admitted twice", (unsigned long long)id);
	if (r < 0)
		return r;
	r = count_up(&t->addrs, &a, &count);
	if (r < 0) {
		hash_remove(&t->sessions, &id);
		return r;
	}
	s = val;
	s->addr = a;
	s->pid = pid;
	s->uid = uid;
	s->since = since;
	return LIMIT_V_ADMIT;
}

static void
make_user_key(user_key key, const char *user)
{
	memset(key, 0, sizeof(user_key));
	strncpy(key, user, MAX_USER_NAME);
}

int
limit_tab_login(struct limit_tab *t, const struct limit_limits *lim, uint64_t id,
		const char *user, bool force)
{
	struct limit_session *s = hash_get(&t->sessions, &id);
	uint32_t *count;
	user_key key;
	int r;

	if (s == NULL)
		return -ENOENT;
	if (s->user)
		return -EALREADY;
	if (!limit_user_valid(user))
		return -EINVAL;
	if (!force && over(lim->max_per_user, limit_tab_user_count(t, user)))
		return LIMIT_V_USER;
	make_user_key(key, user);
	r = count_up(&t->users, key, &count);
	if (r < 0)
		return r;
	s->user = hash_key(&t->users, count);
	return LIMIT_V_ADMIT;
}

void
limit_tab_release(struct limit_tab *t, uint64_t id)
{
	struct limit_session *s = hash_get(&t->sessions, &id);

	if (s == NULL)
		bug("limittab: release of unknown session %llu", (unsigned long long)id);
	count_down(&t->addrs, &s->addr, "address");
	if (s->user) {
		user_key key;

		make_user_key(key, s->user);
		count_down(&t->users, key, "user");
	}
	if (hash_remove(&t->sessions, &id) < 0)
		bug("limittab: session %llu vanished", (unsigned long long)id);
}

const struct limit_session *
limit_tab_session(const struct limit_tab *t, uint64_t id)
{
	return hash_get(&t->sessions, &id);
}

size_t
limit_tab_sessions(const struct limit_tab *t)
{
	return hash_count(&t->sessions);
}

size_t
limit_tab_addresses(const struct limit_tab *t)
{
	return hash_count(&t->addrs);
}

size_t
limit_tab_users(const struct limit_tab *t)
{
	return hash_count(&t->users);
}

uint32_t
limit_tab_addr_count(const struct limit_tab *t, const struct limit_addr *addr)
{
	struct limit_addr a = *addr;
	const uint32_t *count;

	limit_addr_normalize(&a);
	count = hash_get(&t->addrs, &a);
	return count ? *count : 0;
}

uint32_t
limit_tab_user_count(const struct limit_tab *t, const char *user)
{
	const uint32_t *count;
	user_key key;

	if (strlen(user) > MAX_USER_NAME)
		return 0;
	make_user_key(key, user);
	count = hash_get(&t->users, key);
	return count ? *count : 0;
}

bool
limit_tab_next_addr(const struct limit_tab *t, struct hash_iter *it,
		    const struct limit_addr **addr, uint32_t *count)
{
	const void *key;
	void *val;

	if (!hash_next(&t->addrs, it, &key, &val))
		return false;
	*addr = key;
	*count = *(const uint32_t *)val;
	return true;
}

bool
limit_tab_next_user(const struct limit_tab *t, struct hash_iter *it,
		    const char **user, uint32_t *count)
{
	const void *key;
	void *val;

	if (!hash_next(&t->users, it, &key, &val))
		return false;
	*user = key;
	*count = *(const uint32_t *)val;
	return true;
}

bool
limit_tab_next_session(const struct limit_tab *t, struct hash_iter *it,
		       uint64_t *id, const struct limit_session **s)
{
	const void *key;
	void *val;

	if (!hash_next(&t->sessions, it, &key, &val))
		return false;
	memcpy(id, key, sizeof(*id));
	*s = val;
	return true;
}

size_t
limit_tab_bytes(const struct limit_tab *t)
{
	return hash_bytes(&t->addrs) + hash_bytes(&t->users) + hash_bytes(&t->sessions);
}
