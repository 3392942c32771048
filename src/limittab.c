/* limittab.c - limitd's counting tables; see limittab.h. */
#include <errno.h>
#include <string.h>

#include "limittab.h"
#include "log.h"

/* User names are keys of fixed size, zero-padded. */
typedef char user_key[MAX_USER_NAME + 1];

int
limit_tab_init(struct limit_tab *t, size_t max_sessions, unsigned int prefix6)
{
	int r;

	memset(t, 0, sizeof(*t));
	if (prefix6 < LIMIT_PREFIX6_MIN || prefix6 > LIMIT_PREFIX6_MAX)
		return -EINVAL;
	t->max_sessions = max_sessions;
	t->prefix6 = prefix6;
	r = hash_init(&t->addrs, sizeof(struct limit_addr), sizeof(uint32_t), max_sessions);
	if (r == 0)
		r = hash_init(&t->users, sizeof(user_key), sizeof(uint32_t), max_sessions);
	if (r < 0)
		limit_tab_destroy(t);
	return r;
}

void
limit_tab_destroy(struct limit_tab *t)
{
	hash_destroy(&t->addrs);
	hash_destroy(&t->users);
	t->head = NULL;
	t->nsessions = 0;
}

static bool
over(unsigned long limit, size_t count)
{
	return limit != 0 && count >= limit;
}

/*
 * Add one to the count kept under KEY in H, creating it at 1.  A limit is
 * checked after this (the count before is *COUNT - 1) and undone with
 * count_down: one hash of the key instead of a lookup and an insert.
 */
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

/* Take one from COUNT (a value of H), dropping the entry at 0. */
static void
count_down(struct hash *h, uint32_t *count, const char *what)
{
	if (*count == 0)
		bug("limittab: %s count missing on release", what);
	if (--*count == 0 && hash_remove_val(h, count) < 0)
		bug("limittab: %s entry vanished", what);
}

static void
link_session(struct limit_tab *t, struct limit_session *s)
{
	s->held = true;
	s->prev = NULL;
	s->next = t->head;
	if (t->head)
		t->head->prev = s;
	t->head = s;
	t->nsessions++;
}

static void
unlink_session(struct limit_tab *t, struct limit_session *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		t->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->held = false;
	s->prev = s->next = NULL;
	t->nsessions--;
}

int
limit_tab_admit(struct limit_tab *t, const struct limit_limits *lim, struct limit_session *s,
		const struct limit_addr *addr, uint32_t pid, uint32_t uid, int64_t since)
{
	struct limit_addr a = *addr;
	uint32_t *count;
	int r;

	if (s->held)
		bug("limittab: session pid %u admitted twice", (unsigned int)s->pid);
	limit_addr_mask(&a, t->prefix6);
	if (over(lim->max_clients, t->nsessions))
		return LIMIT_V_TOTAL;
	if (t->max_sessions && t->nsessions >= t->max_sessions)
		return -ENOSPC;
	r = count_up(&t->addrs, &a, &count);
	if (r < 0)
		return r;
	if (over(lim->max_per_ip, *count - 1)) {
		count_down(&t->addrs, count, "address");
		return LIMIT_V_IP;
	}
	s->addr = hash_key(&t->addrs, count);
	s->user = NULL;
	s->pid = pid;
	s->uid = uid;
	s->since = since;
	link_session(t, s);
	return LIMIT_V_ADMIT;
}

static void
make_user_key(user_key key, const char *user)
{
	memset(key, 0, sizeof(user_key));
	strncpy(key, user, MAX_USER_NAME);
}

int
limit_tab_login(struct limit_tab *t, const struct limit_limits *lim, struct limit_session *s,
		const char *user)
{
	uint32_t *count;
	user_key key;
	int r;

	if (!s->held)
		return -ENOENT;
	if (s->user)
		return -EALREADY;
	if (!limit_user_valid(user))
		return -EINVAL;
	make_user_key(key, user);
	r = count_up(&t->users, key, &count);
	if (r < 0)
		return r;
	if (over(lim->max_per_user, *count - 1)) {
		count_down(&t->users, count, "user");
		return LIMIT_V_USER;
	}
	s->user = hash_key(&t->users, count);
	return LIMIT_V_ADMIT;
}

void
limit_tab_release(struct limit_tab *t, struct limit_session *s)
{
	if (!s->held)
		bug("limittab: release of a session that is not held (pid %u)",
		    (unsigned int)s->pid);
	count_down(&t->addrs, hash_val(&t->addrs, s->addr), "address");
	if (s->user)
		count_down(&t->users, hash_val(&t->users, s->user), "user");
	unlink_session(t, s);
}

size_t
limit_tab_sessions(const struct limit_tab *t)
{
	return t->nsessions;
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

	limit_addr_mask(&a, t->prefix6);
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

const struct limit_session *
limit_tab_next_session(const struct limit_tab *t, const struct limit_session *s)
{
	return s ? s->next : t->head;
}

size_t
limit_tab_bytes(const struct limit_tab *t)
{
	return hash_bytes(&t->addrs) + hash_bytes(&t->users);
}
