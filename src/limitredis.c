/*
 * limitredis.c - the Redis store as limitd sees it: the one script, a
 * connection with AUTH and SELECT, one command, checked integer answers,
 * the password file.  The bytes on the wire: limitredisio.c.  See
 * limitredis.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "limitredis.h"
#include "sysutil.h"

/*
 * ARGV: op, host id, lease ms, then per op; "batch": several questions
 * (admit, login, release, fail, renew), each its name and its arguments,
 * answered as an array in order.  Every call first forgets the hosts
 * whose lease ran out (once per batch).  -1: this host holds no lease
 * (never joined, or forgotten): the caller joins and asks again.
 */
const char limit_redis_script[] =
	"local H, G, P, F = 'mftpd:hosts', 'mftpd:g', 'mftpd:h:', 'mftpd:f:'\n"
	"local op, id, lease = ARGV[1], ARGV[2], tonumber(ARGV[3])\n"
	"local t = redis.call('TIME')\n"
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
	"local function drop(h)\n"
	"  local kv = redis.call('HGETALL', P .. h)\n"
	"  for i = 1, #kv, 2 do\n"
	"    if redis.call('HINCRBY', G, kv[i], -tonumber(kv[i + 1])) <= 0 then\n"
	"      redis.call('HDEL', G, kv[i]) end\n"
	"  end\n"
	"  redis.call('DEL', P .. h)\n"
	"  redis.call('ZREM', H, h)\n"
	"end\n"
	"for _, h in ipairs(redis.call('ZRANGEBYSCORE', H, '-inf', now)) do\n"
	"  drop(h)\n"
	"  redis.call('ZADD', 'mftpd:gone', now, h)\n"
	"  redis.call('ZREMRANGEBYRANK', 'mftpd:gone', 0, -17)\n"
	"end\n"
	"local function get(k, f) return tonumber(redis.call('HGET', k, f) or '0') end\n"
	"local function up(f) redis.call('HINCRBY', G, f, 1); redis.call('HINCRBY', P .. id, f, 1) end\n"
	/* A count this host does not hold stays untouched (-1: undone by HDEL). */
	"local function down(f)\n"
	"  local n = redis.call('HINCRBY', P .. id, f, -1)\n"
	"  if n <= 0 then redis.call('HDEL', P .. id, f) end\n"
	"  if n < 0 then return end\n"
	"  if redis.call('HINCRBY', G, f, -1) <= 0 then redis.call('HDEL', G, f) end\n"
	"end\n"
	"local function banned(a, max)\n"
	"  return max > 0 and tonumber(redis.call('GET', F .. a) or '0') >= max\n"
	"end\n"
	"local live = redis.call('ZSCORE', H, id)\n"
	/* One question, its arguments from ARGV[b] on. */
	"local function ask(q, b)\n"
	"  local A = function(k) return ARGV[b + k - 1] end\n"
	"  if q == 'fail' then\n"	/* addr, forget ms */
	"    local n = redis.call('INCR', F .. A(1))\n"
	"    redis.call('PEXPIRE', F .. A(1), A(2))\n"
	"    return n\n"
	"  end\n"
	"  if not live then return -1 end\n"
	"  if q == 'admit' then\n"	/* addr, max_clients, max_per_ip, fail_max */
	"    if banned(A(1), tonumber(A(4))) then return 4 end\n"
	"    local mc, mi = tonumber(A(2)), tonumber(A(3))\n"
	"    if mc > 0 and get(G, 'n') >= mc then return 1 end\n"
	"    if mi > 0 and get(G, 'a:' .. A(1)) >= mi then return 2 end\n"
	"    up('n'); up('a:' .. A(1)); return 0\n"
	"  elseif q == 'login' then\n"	/* addr, user, max_per_user, fail_max */
	"    if banned(A(1), tonumber(A(4))) then return 4 end\n"
	"    local mu = tonumber(A(3))\n"
	"    if mu > 0 and get(G, 'u:' .. A(2)) >= mu then return 3 end\n"
	"    up('u:' .. A(2)); return 0\n"
	"  elseif q == 'release' then\n"	/* addr or '' (the user alone), user or '' */
	"    if A(1) ~= '' then down('n'); down('a:' .. A(1)) end\n"
	"    if A(2) ~= '' then down('u:' .. A(2)) end\n"
	"    return 0\n"
	"  elseif q == 'renew' then\n"
	"    redis.call('ZADD', H, now + lease, id); return 0\n"
	"  end\n"
	"  return redis.error_reply('unknown op')\n"
	"end\n"
	/* Arguments each question takes. */
	"local NARGS = {admit = 4, login = 4, release = 2, fail = 2, renew = 0}\n"
	"if NARGS[op] then return ask(op, 4)\n"
	"elseif op == 'batch' then\n"	/* question, its arguments, question... */
	"  local r, i = {}, 4\n"
	"  while i <= #ARGV do\n"
	"    local n = NARGS[ARGV[i]]\n"
	"    if not n or i + n > #ARGV then return redis.error_reply('bad batch') end\n"
	"    r[#r + 1] = ask(ARGV[i], i + 1)\n"
	"    i = i + 1 + n\n"
	"  end\n"
	"  return r\n"
	"elseif op == 'join' then\n"	/* field, count, field, count... */
	"  drop(id)\n"
	"  for i = 4, #ARGV - 1, 2 do\n"
	"    redis.call('HINCRBY', G, ARGV[i], ARGV[i + 1])\n"
	"    redis.call('HINCRBY', P .. id, ARGV[i], ARGV[i + 1])\n"
	"  end\n"
	"  redis.call('ZADD', H, now + lease, id)\n"
	"  redis.call('ZREM', 'mftpd:gone', id)\n"
	"  return 0\n"
	"elseif op == 'status' then\n"
	"  local r = {now, get(G, 'n'), 0, 0}\n"
	"  for _, f in ipairs(redis.call('HKEYS', G)) do\n"
	"    local c = f:sub(1, 2)\n"
	"    if c == 'a:' then r[3] = r[3] + 1 elseif c == 'u:' then r[4] = r[4] + 1 end\n"
	"  end\n"
	"  local hs = redis.call('ZRANGE', H, 0, 1023, 'WITHSCORES')\n"
	"  table.insert(r, #hs / 2)\n"
	"  for i = 1, #hs, 2 do\n"
	"    table.insert(r, hs[i]); table.insert(r, tonumber(hs[i + 1]) - now)\n"
	"    table.insert(r, get(P .. hs[i], 'n'))\n"
	"  end\n"
	"  local gs = redis.call('ZREVRANGE', 'mftpd:gone', 0, 15, 'WITHSCORES')\n"
	"  table.insert(r, #gs / 2)\n"
	"  for i = 1, #gs, 2 do\n"
	"    table.insert(r, gs[i]); table.insert(r, now - tonumber(gs[i + 1]))\n"
	"  end\n"
	"  return r\n"
	"end\n"
	"return redis.error_reply('unknown op')\n";


int
limit_redis_int(const redisReply *r, long long min, long long max, long long *out)
{
	if (r == NULL || r->type != REDIS_REPLY_INTEGER || r->integer < min || r->integer > max)
		return -EBADMSG;
	*out = r->integer;
	return 0;
}

static bool
reply_ok(const redisReply *r)
{
	return r && r->type == REDIS_REPLY_STATUS && r->len == 2 && memcmp(r->str, "OK", 2) == 0;
}

/* One command on C; a reply that is an error is logged text in WHY. */
redisReply *
limit_redis_command(struct limit_redis *c, int argc, const char **argv, char why[LIMIT_REDIS_WHY])
{
	redisReply *r = limit_redis_roundtrip(c, argc, argv, LIMIT_REDIS_TIMEOUT_MS, why);

	if (r == NULL)
		return NULL;
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(why, LIMIT_REDIS_WHY, "store said: %.100s", r->str ? r->str : "");
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

/* AUTH and SELECT on a new connection; RETURNS 0 or -1 with WHY set. */
static int
greet(struct limit_redis *ctx, const struct limit_store_url *u, const char *pass,
      char why[LIMIT_REDIS_WHY])
{
	char db[16];
	const char *auth[] = { "AUTH", pass }, *sel[] = { "SELECT", db };
	redisReply *r;
	bool ok;

	if (pass) {
		r = limit_redis_command(ctx, 2, auth, why);
		ok = reply_ok(r);
		freeReplyObject(r);
		if (!ok)
			return -1;
	}
	snprintf(db, sizeof(db), "%u", u->db);
	r = limit_redis_command(ctx, 2, sel, why);
	ok = reply_ok(r);
	freeReplyObject(r);
	return ok ? 0 : -1;
}

struct limit_redis *
limit_redis_open(const struct limit_store_url *u, SSL_CTX *tls, const char *pass,
		 char why[LIMIT_REDIS_WHY])
{
	struct limit_redis *c = limit_redis_connect(u, tls, LIMIT_REDIS_TIMEOUT_MS, why);

	if (c && greet(c, u, pass, why) < 0) {
		limit_redis_close(c);
		return NULL;
	}
	return c;
}

int
limit_redis_password(const char *path, char *out, size_t outsz, char err[CFG_ERR_MAX])
{
	char data[LIMIT_STORE_PASS_MAX + 1];
	size_t n;
	int r = limit_redis_read_private(path, data, sizeof(data), &n, err);

	if (r == -E2BIG)	/* limit_store_password refuses it, with our message */
		r = 0;
	if (r == 0 && (r = limit_store_password(data, n, out, outsz)) < 0)
		snprintf(err, CFG_ERR_MAX, "%s: no password on its first line, or longer than %d bytes",
			 path, LIMIT_STORE_PASS_MAX);
	explicit_bzero(data, sizeof(data));
	return r;
}
