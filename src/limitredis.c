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
 * ARGV: op, host id, lease ms, then per op; "batch": the asking host's
 * limits (max_clients, max_per_ip, max_per_user, max_login_fails_per_ip),
 * then questions (admit, login, release, fail, renew), each its name and
 * its arguments, answered as an array in order.  -1: this host holds no
 * lease (never joined, or forgotten): the caller joins and asks again.
 * A renewal carries the limitd's token, recorded by its join in mftpd:o:
 * -2 when another limitd joined as this id since (SECURITY.md, "Two
 * limitd with one id").
 *
 * The hosts whose lease ran out are forgotten (purge) where their counts
 * could matter: before a join, a renewal or a status, and before a limit
 * refuses (the question is then judged again).  Forgetting only lowers
 * the sums, so every verdict is the one a purge on every call would give.
 * "n", changed by every admission and release, is read and written once
 * per call; the other fields are changed in place (HINCRBY), as before.
 * The costs: bench/NOTES.md, "limitd_cluster: CPU per admission".
 */
const char limit_redis_script[] =
	"local H, G, P, F, O = 'mftpd:hosts', 'mftpd:g', 'mftpd:h:', 'mftpd:f:', 'mftpd:o'\n"
	"local op, id, lease = ARGV[1], ARGV[2], tonumber(ARGV[3])\n"
	"local PH = P .. id\n"
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
	"  redis.call('HDEL', O, h)\n"
	"end\n"
	/* Forgets the hosts whose lease ran out, each kept in mftpd:gone with
	 * the time it ran out; RETURNS how many. */
	"local function purge()\n"
	"  local gone = redis.call('ZRANGEBYSCORE', H, '-inf', now, 'WITHSCORES')\n"
	"  for i = 1, #gone, 2 do\n"
	"    drop(gone[i])\n"
	"    redis.call('ZADD', 'mftpd:gone', gone[i + 1], gone[i])\n"
	"    redis.call('ZREMRANGEBYRANK', 'mftpd:gone', 0, -17)\n"
	"  end\n"
	"  return #gone / 2\n"
	"end\n"
	"local function get(k, f) return tonumber(redis.call('HGET', k, f) or '0') end\n"
	/* "n", which every admission and release changes, of the farm (gn) and
	 * of this host (pn): read once a call, written once at its end (flush). */
	"local gn, pn, gn0, pn0\n"
	"local function sessions()\n"
	"  if not gn then gn, pn = get(G, 'n'), get(PH, 'n'); gn0, pn0 = gn, pn end\n"
	"end\n"
	"local function put(k, n)\n"
	"  if n > 0 then redis.call('HSET', k, 'n', n) else redis.call('HDEL', k, 'n') end\n"
	"end\n"
	"local function flush()\n"
	"  if gn ~= gn0 then put(G, gn); gn0 = gn end\n"
	"  if pn ~= pn0 then put(PH, pn); pn0 = pn end\n"
	"end\n"
	/* purge, with this call's "n" written before and read again after. */
	"local function forget()\n"
	"  flush()\n"
	"  local k = purge()\n"
	"  if k > 0 and gn then gn = get(G, 'n'); gn0 = gn end\n"
	"  return k\n"
	"end\n"
	"local function up(f) redis.call('HINCRBY', G, f, 1); redis.call('HINCRBY', PH, f, 1) end\n"
	/* A count this host does not hold stays untouched (-1: undone by HDEL). */
	"local function down(f)\n"
	"  local n = redis.call('HINCRBY', PH, f, -1)\n"
	"  if n <= 0 then redis.call('HDEL', PH, f) end\n"
	"  if n < 0 then return end\n"
	"  if redis.call('HINCRBY', G, f, -1) <= 0 then redis.call('HDEL', G, f) end\n"
	"end\n"
	"local function down_n()\n"
	"  sessions()\n"
	"  if pn == 0 then return end\n"
	"  pn = pn - 1\n"
	"  gn = gn > 1 and gn - 1 or 0\n"
	"end\n"
	"local function banned(a, max)\n"
	"  return max > 0 and tonumber(redis.call('GET', F .. a) or '0') >= max\n"
	"end\n"
	/* This host's lease; one that ran out is forgotten with the others. */
	"local live = redis.call('ZSCORE', H, id)\n"
	"live = live and tonumber(live)\n"
	"if live and live <= now then purge(); live = nil end\n"
	/* The limit a question would break (its verdict), or 0. */
	/* A batch's limits: max_clients, max_per_ip, max_per_user, fail_max. */
	"local MC, MI, MU, FM = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])\n"
	"local function over_admit(a)\n"
	"  if MC > 0 then sessions(); if gn >= MC then return 1 end end\n"
	"  if MI > 0 and get(G, 'a:' .. a) >= MI then return 2 end\n"
	"  return 0\n"
	"end\n"
	"local function over_login(u)\n"
	"  if MU > 0 and get(G, 'u:' .. u) >= MU then return 3 end\n"
	"  return 0\n"
	"end\n"
	/* Hosts whose lease ran out may hold what refuses: forget them, judge again. */
	"local function judge(over, x)\n"
	"  local v = over(x)\n"
	"  if v == 0 or forget() == 0 then return v end\n"
	"  return over(x)\n"
	"end\n"
	/* One question, its arguments from ARGV[b] on. */
	"local function ask(q, b)\n"
	"  if q == 'fail' then\n"	/* addr, forget ms */
	"    local n = redis.call('INCR', F .. ARGV[b])\n"
	"    redis.call('PEXPIRE', F .. ARGV[b], ARGV[b + 1])\n"
	"    return n\n"
	"  end\n"
	"  if not live then return -1 end\n"
	"  if q == 'admit' then\n"	/* addr */
	"    local a = ARGV[b]\n"
	"    if banned(a, FM) then return 4 end\n"
	"    local v = judge(over_admit, a)\n"
	"    if v ~= 0 then return v end\n"
	"    sessions(); gn = gn + 1; pn = pn + 1\n"
	"    up('a:' .. a); return 0\n"
	"  elseif q == 'login' then\n"	/* addr, user */
	"    if banned(ARGV[b], FM) then return 4 end\n"
	"    local u = ARGV[b + 1]\n"
	"    local v = judge(over_login, u)\n"
	"    if v ~= 0 then return v end\n"
	"    up('u:' .. u); return 0\n"
	"  elseif q == 'release' then\n"	/* addr or '' (the user alone), user or '' */
	"    if ARGV[b] ~= '' then down_n(); down('a:' .. ARGV[b]) end\n"
	"    if ARGV[b + 1] ~= '' then down('u:' .. ARGV[b + 1]) end\n"
	"    return 0\n"
	"  end\n"
	/* renew: token.  -2: another limitd joined as this id since. */
	"  forget()\n"
	"  local o = redis.call('HGET', O, id)\n"
	"  if o and o ~= ARGV[b] then return -2 end\n"
	"  redis.call('ZADD', H, now + lease, id); return 0\n"
	"end\n"
	/* Arguments each question takes. */
	"local NARGS = {admit = 1, login = 2, release = 2, fail = 2, renew = 1}\n"
	"if op == 'batch' then\n"	/* the limits, then question, its arguments, question...:
					   checked first */
	"  local i, n = 8, #ARGV\n"
	"  if n < 7 then return redis.error_reply('bad batch') end\n"
	"  while i <= n do\n"
	"    local c = NARGS[ARGV[i]]\n"
	"    if not c or i + c > n then return redis.error_reply('bad batch') end\n"
	"    i = i + 1 + c\n"
	"  end\n"
	"  local r, i = {}, 8\n"
	"  while i <= n do\n"
	"    r[#r + 1] = ask(ARGV[i], i + 1)\n"
	"    i = i + 1 + NARGS[ARGV[i]]\n"
	"  end\n"
	"  flush()\n"
	"  return r\n"
	"elseif op == 'join' then\n"	/* token, field, count, field, count..., then '!f'
					   and address key, failures, ms left, key... */
	"  purge()\n"
	"  drop(id)\n"
	"  redis.call('HSET', O, id, ARGV[4])\n"
	"  local i = 5\n"
	"  while i < #ARGV and ARGV[i] ~= '!f' do\n"
	"    redis.call('HINCRBY', G, ARGV[i], ARGV[i + 1])\n"
	"    redis.call('HINCRBY', P .. id, ARGV[i], ARGV[i + 1])\n"
	"    i = i + 2\n"
	"  end\n"
	/* Failures counted while the store was down: added, and forgotten at
	 * the later of the two ends (the farm's last failure's). */
	"  for j = i + 1, #ARGV - 2, 3 do\n"
	"    local k, ms = F .. ARGV[j], tonumber(ARGV[j + 2])\n"
	"    local ttl = redis.call('PTTL', k)\n"
	"    redis.call('INCRBY', k, ARGV[j + 1])\n"
	"    if ttl < ms then redis.call('PEXPIRE', k, ms) end\n"
	"  end\n"
	"  redis.call('ZADD', H, now + lease, id)\n"
	"  redis.call('ZREM', 'mftpd:gone', id)\n"
	"  return 0\n"
	"elseif op == 'status' then\n"
	"  purge()\n"
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

/* R, unless it is an error reply: then NULL, its text in WHY. */
static redisReply *
no_error(redisReply *r, char why[LIMIT_REDIS_WHY])
{
	if (r == NULL || r->type != REDIS_REPLY_ERROR)
		return r;
	snprintf(why, LIMIT_REDIS_WHY, "store said: %.100s", r->str ? r->str : "");
	freeReplyObject(r);
	return NULL;
}

redisReply *
limit_redis_command(struct limit_redis *c, int argc, const char **argv, char why[LIMIT_REDIS_WHY])
{
	return no_error(limit_redis_roundtrip(c, argc, argv, LIMIT_REDIS_TIMEOUT_MS, why), why);
}

bool
limit_redis_noscript(const redisReply *r)
{
	return r && r->type == REDIS_REPLY_ERROR && r->len >= 8 &&
	       memcmp(r->str, "NOSCRIPT", 8) == 0;
}

redisReply *
limit_redis_script_call(struct limit_redis *c, int argc, const char **argv,
			char why[LIMIT_REDIS_WHY])
{
	const char *sha = argv[1];
	redisReply *r = limit_redis_roundtrip(c, argc, argv, LIMIT_REDIS_TIMEOUT_MS, why);

	if (limit_redis_noscript(r)) {	/* it never ran: once more, with the script */
		freeReplyObject(r);
		argv[0] = "EVAL";
		argv[1] = limit_redis_script;
		r = limit_redis_roundtrip(c, argc, argv, LIMIT_REDIS_TIMEOUT_MS, why);
		argv[0] = "EVALSHA";
		argv[1] = sha;
	}
	return no_error(r, why);
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
