/*
 * limitclusterstat.c - `limitd --status`'s farm part: the status script's
 * answer, checked within bounds, printed as text or JSON.  Runs in the
 * --status process, never in the daemon.  See limitclusterstat.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "limitcluster.h"
#include "limitclusterstat.h"
#include "limitredis.h"
#include "sysutil.h"

/* The store to ask and its password, for this one process. */
static struct {
	struct limit_store_url url;
	char pass[LIMIT_STORE_PASS_MAX + 1];
	bool have_pass;
	SSL_CTX *tls;		/* rediss:// only */
} S;

static int
reply_id(const redisReply *r, char out[LIMIT_STORE_ID_MAX + 1])
{
	if (r->type != REDIS_REPLY_STRING || r->len == 0 || r->len > LIMIT_STORE_ID_MAX)
		return -EBADMSG;
	memcpy(out, r->str, r->len);
	out[r->len] = '\0';
	return limit_store_id_valid(out) ? 0 : -EBADMSG;
}

/* COUNT hosts of WIDTH elements from R's element *AT on, into HOSTS. */
static int
reply_hosts(const redisReply *r, size_t *at, size_t width, size_t max,
	    struct limit_cluster_host *hosts, size_t *count)
{
	long long n, v;

	if (*at >= r->elements || limit_redis_int(r->element[(*at)++], 0, (long long)max, &n) < 0)
		return -EBADMSG;
	if (r->elements - *at < (size_t)n * width)
		return -EBADMSG;
	for (size_t i = 0; i < (size_t)n; i++) {
		struct limit_cluster_host *h = &hosts[i];

		if (reply_id(r->element[(*at)++], h->id) < 0 ||
		    limit_redis_int(r->element[(*at)++], -INT64_MAX, INT64_MAX, &h->lease_ms) < 0)
			return -EBADMSG;
		h->sessions = 0;
		if (width == 3) {
			if (limit_redis_int(r->element[(*at)++], 0, UINT32_MAX, &v) < 0)
				return -EBADMSG;
			h->sessions = (unsigned long)v;
		}
	}
	*count = (size_t)n;
	return 0;
}

int
limit_cluster_reply_status(const redisReply *r, struct limit_cluster_status *st)
{
	long long v[4];
	size_t at = 4;

	memset(st, 0, sizeof(*st));
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 6)
		return -EBADMSG;
	for (size_t i = 0; i < 4; i++)
		if (limit_redis_int(r->element[i], 0, INT64_MAX, &v[i]) < 0)
			return -EBADMSG;
	st->sessions = (unsigned long)v[1];
	st->addresses = (unsigned long)v[2];
	st->users = (unsigned long)v[3];
	if (reply_hosts(r, &at, 3, LIMIT_CLUSTER_MAX_HOSTS, st->hosts, &st->nhosts) < 0 ||
	    reply_hosts(r, &at, 2, LIMIT_CLUSTER_MAX_GONE, st->gone, &st->ngone) < 0 ||
	    at != r->elements)
		return -EBADMSG;
	return 0;
}

static int
fetch_status(const char *id, struct limit_cluster_status *st, char why[LIMIT_REDIS_WHY])
{
	const char *argv[] = { "EVAL", limit_redis_script, "0", "status", id, "0" };
	struct limit_redis *ctx;
	redisReply *r;
	int ret;

	ctx = limit_redis_open(&S.url, S.tls, S.have_pass ? S.pass : NULL, why);
	if (ctx == NULL)
		return -1;
	r = limit_redis_command(ctx, 6, argv, why);
	ret = limit_cluster_reply_status(r, st);
	if (r && ret < 0)
		snprintf(why, LIMIT_REDIS_WHY, "unexpected answer");
	freeReplyObject(r);
	limit_redis_close(ctx);
	return ret < 0 ? -1 : 0;
}

static void
print_hosts_json(const struct limit_cluster_host *h, size_t n, bool live, FILE *out)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s{\"id\":\"%s\",\"lease_live\":%s,\"%s\":%lld,\"sessions\":%lu}",
			i ? "," : "", h[i].id, live ? "true" : "false",
			live ? "lease_left_ms" : "gone_ms", h[i].lease_ms, h[i].sessions);
}

static void
print_json(const char *id, const struct limit_cluster_status *st, const char *why, FILE *out)
{
	fprintf(out, "{\"store\":\"%s/%u\",\"self\":\"%s\",\"reachable\":%s", S.url.where,
		S.url.db, id, why ? "false" : "true");
	if (why) {	/* the reason may quote the store: not for JSON */
		fputs("}", out);
		return;
	}
	fprintf(out, ",\"sessions\":%lu,\"addresses\":%lu,\"users\":%lu,\"hosts\":[",
		st->sessions, st->addresses, st->users);
	print_hosts_json(st->hosts, st->nhosts, true, out);
	fputs("],\"gone\":[", out);
	print_hosts_json(st->gone, st->ngone, false, out);
	fputs("]}", out);
}

static void
print_text(const char *id, const struct limit_cluster_status *st, const char *why, FILE *out)
{
	fprintf(out, "\ncluster store %s/%u, this host %s\n", S.url.where, S.url.db, id);
	if (why) {
		fprintf(out, "store unreachable: %s\n", why);
		return;
	}
	fprintf(out, "farm: %lu sessions, %lu addresses, %lu users\n", st->sessions,
		st->addresses, st->users);
	fprintf(out, "\n%-40s %-10s %-14s %s\n", "HOST", "LEASE", "LEFT/GONE (ms)", "SESSIONS");
	for (size_t i = 0; i < st->nhosts; i++)
		fprintf(out, "%-40s %-10s %-14lld %lu\n", st->hosts[i].id, "live",
			st->hosts[i].lease_ms, st->hosts[i].sessions);
	for (size_t i = 0; i < st->ngone; i++)
		fprintf(out, "%-40s %-10s %-14lld -\n", st->gone[i].id, "ran out",
			st->gone[i].lease_ms);
}

int
limit_cluster_status_print(const struct config *cfg, bool json, FILE *out)
{
	static struct limit_cluster_status st;
	char id[LIMIT_STORE_ID_MAX + 1], why[128], err[CFG_ERR_MAX];
	bool failed;

	if (limit_store_parse_url(cfg->limitd_cluster, &S.url) < 0 || limit_cluster_id(cfg, id) < 0)
		return -1;
	if (cfg->limitd_cluster_password_file[0] &&
	    limit_cluster_password(cfg, S.pass, sizeof(S.pass), err) < 0) {
		fprintf(stderr, "limitd: %s\n", err);
		return -1;
	}
	S.have_pass = cfg->limitd_cluster_password_file[0] != '\0';
	if (limit_redis_tls_ctx(cfg, &S.tls, err) < 0) {
		fprintf(stderr, "limitd: %s\n", err);
		explicit_bzero(S.pass, sizeof(S.pass));
		return -1;
	}
	sys_signal(SIGPIPE, SIG_IGN);	/* a store gone mid-write: an error, not a death */
	failed = fetch_status(id, &st, why) < 0;
	(json ? print_json : print_text)(id, &st, failed ? why : NULL, out);
	explicit_bzero(S.pass, sizeof(S.pass));
	SSL_CTX_free(S.tls);
	S.tls = NULL;
	return 0;
}
