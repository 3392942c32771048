/* config.c - the option table turned into a parser; see config.h. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "defs.h"
#include "limitstore.h"
#include "str.h"
#include "sysutil.h"
#include "vsfcompat.h"

enum opt_type { T_BOOL, T_UINT, T_MODE, T_STR };

struct opt_desc {
	const char *name;
	enum opt_type type;
	size_t offset;
	unsigned long lo, hi;
	unsigned long def_num;
	const char *def_str;
};

#define OFF(name) offsetof(struct config, name)
#define DESC_BOOL(name, def, doc)	  { #name, T_BOOL, OFF(name), 0, 1, def, NULL },
#define DESC_UINT(name, def, lo, hi, doc) { #name, T_UINT, OFF(name), lo, hi, def, NULL },
#define DESC_MODE(name, def, doc)	  { #name, T_MODE, OFF(name), 0, 07777, def, NULL },
#define DESC_STR(name, def, doc)	  { #name, T_STR, OFF(name), 0, 0, 0, def },

static const struct opt_desc options[] = {
	OPTIONS(DESC_BOOL, DESC_UINT, DESC_MODE, DESC_STR)
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

/* What a user_config_dir file may set (options.h: user_config_dir). */
static const char *const per_user[] = {
	"local_root", "write_enable", "chroot_local_user", "local_umask",
	"file_open_mode", "local_max_rate", "upload_max_rate", "download_max_rate",
	"idle_session_timeout", "data_connection_timeout", "hide_ids",
	"use_localtime", "dirmessage_enable", "deny_file", "hide_file",
};

/* Where each option got its value in the last cfg_load (cfg_origin). */
static struct {
	const char *file;
	size_t line[NOPTIONS];		/* 0: not set in the file */
	bool override[NOPTIONS];	/* set by -o */
} origin;

static void *
field(struct config *cfg, const struct opt_desc *d)
{
	return (char *)cfg + d->offset;
}

static const void *
cfield(const struct config *cfg, const struct opt_desc *d)
{
	return (const char *)cfg + d->offset;
}

static const struct opt_desc *
find_option(const char *name)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

void
cfg_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	memset(&origin, 0, sizeof(origin));
	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct opt_desc *d = &options[i];

		switch (d->type) {
		case T_BOOL: *(bool *)field(cfg, d) = d->def_num != 0; break;
		case T_UINT: *(unsigned long *)field(cfg, d) = d->def_num; break;
		case T_MODE: *(unsigned int *)field(cfg, d) = (unsigned int)d->def_num; break;
		case T_STR: *(char **)field(cfg, d) = xstrdup(d->def_str); break;
		}
	}
}

void
cfg_free(struct config *cfg)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (options[i].type == T_STR) {
			free(*(char **)field(cfg, &options[i]));
			*(char **)field(cfg, &options[i]) = NULL;
		}
}

static int
parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "YES", "TRUE", "1" };
	static const char *const no[] = { "NO", "FALSE", "0" };

	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = false, 0;
	}
	return -EINVAL;
}

/* Digits only (no sign, no spaces): strtoul alone would accept "-1". */
static int
parse_ulong(const char *v, int base, unsigned long *out)
{
	char *end;

	if (*v == '\0' || strlen(v) > 24)
		return -EINVAL;
	for (const char *p = v; *p; p++)
		if (!isdigit((unsigned char)*p) || (base == 8 && *p > '7'))
			return -EINVAL;
	errno = 0;
	*out = strtoul(v, &end, base);
	if (errno == ERANGE)
		return -ERANGE;
	return *end ? -EINVAL : 0;
}

/* vsftpd reads a number with a leading 0 as octal and any other as decimal
 * (parseconf.c), for every numeric option: a value its reading and ours would
 * make different (a mode without the 0, a count with one) is refused. */
static bool
vsftpd_reads_otherwise(const struct opt_desc *d, const char *value, unsigned long n)
{
	return n >= 8 && (d->type == T_MODE) != (value[0] == '0');
}

static int
vsftpd_reading(const struct opt_desc *d, const char *value, char *msg, size_t msglen)
{
	unsigned long theirs = strtoul(value, NULL, d->type == T_MODE ? 10 : 8);

	if (msg && d->type == T_MODE)
		snprintf(msg, msglen, "%s: \"%s\" needs a leading 0: vsftpd reads a number "
			 "without one as decimal (%s = octal 0%lo); write 0%s, or 0%lo for "
			 "what vsftpd did", d->name, value, value, theirs, value, theirs);
	else if (msg)
		snprintf(msg, msglen, "%s: \"%s\" has a leading 0: vsftpd reads it as "
			 "octal (%lu); write it without the 0s, or %lu for what vsftpd did",
			 d->name, value, theirs, theirs);
	return -EINVAL;
}

static int
set_number(struct config *cfg, const struct opt_desc *d, const char *value,
	   char *msg, size_t msglen)
{
	unsigned long n;
	int r = parse_ulong(value, d->type == T_MODE ? 8 : 10, &n);

	if (r == 0 && (n < d->lo || n > d->hi))
		r = -ERANGE;
	if (r == 0 && vsftpd_reads_otherwise(d, value, n))
		return vsftpd_reading(d, value, msg, msglen);
	if (r == -EINVAL) {
		if (msg)
			snprintf(msg, msglen, "%s: \"%s\" is not %s number", d->name,
				 value, d->type == T_MODE ? "an octal" : "a");
		return r;
	}
	if (r == -ERANGE) {
		if (msg)
			snprintf(msg, msglen, "%s: %s is out of range (%s%lo..%s%lo)",
				 d->name, value, d->type == T_MODE ? "0" : "",
				 d->lo, d->type == T_MODE ? "0" : "", d->hi);
		if (msg && d->type == T_UINT)
			snprintf(msg, msglen, "%s: %s is out of range (%lu..%lu)",
				 d->name, value, d->lo, d->hi);
		return r;
	}
	if (d->type == T_MODE)
		*(unsigned int *)field(cfg, d) = (unsigned int)n;
	else
		*(unsigned long *)field(cfg, d) = n;
	return 0;
}

int
cfg_set(struct config *cfg, const char *key, const char *value, char *msg,
	size_t msglen)
{
	const struct opt_desc *d = find_option(key);
	char **sp;
	bool b;

	if (d == NULL && parse_bool(value, &b) == 0 && vsf_same(key, b))
		return 0;
	if (d == NULL) {
		const char *advice = vsf_advice(key);

		if (msg && advice)
			snprintf(msg, msglen, "\"%.64s\" is a vsftpd option that miniftpd "
				 "does not implement: %s", key, advice);
		else if (msg)
			snprintf(msg, msglen, "unknown option \"%.64s\"", key);
		return -ENOENT;
	}
	switch (d->type) {
	case T_BOOL:
		if (parse_bool(value, (bool *)field(cfg, d)) < 0) {
			if (msg)
				snprintf(msg, msglen, "%s: \"%.64s\" is not YES or NO",
					 d->name, value);
			return -EINVAL;
		}
		return 0;
	case T_UINT:
	case T_MODE:
		return set_number(cfg, d, value, msg, msglen);
	case T_STR:
		sp = (char **)field(cfg, d);
		free(*sp);
		*sp = xstrdup(value);
		return 0;
	}
	return -EINVAL;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static bool
is_per_user(const char *key)
{
	for (size_t i = 0; i < sizeof(per_user) / sizeof(per_user[0]); i++)
		if (strcmp(per_user[i], key) == 0)
			return true;
	return false;
}

/* One "key=value" line; SEEN marks keys already given in this file;
 * USER: a user_config_dir file (only per_user[] keys). */
static int
parse_line(struct config *cfg, char *line, bool seen[NOPTIONS], bool user,
	   char *msg, size_t msglen)
{
	char *eq, *key, *value;
	const struct opt_desc *d;

	line = trim(line);
	if (*line == '\0' || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (eq == NULL) {
		snprintf(msg, msglen, "expected key=value, got \"%.64s\"", line);
		return -EINVAL;
	}
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	d = find_option(key);
	if (user && !is_per_user(key)) {
		snprintf(msg, msglen, "%s%.64s%s cannot be set per user (user_config_dir)",
			 d ? "" : "\"", key, d ? "" : "\" is not an option and");
		return -EINVAL;
	}
	if (d && seen[d - options]) {
		snprintf(msg, msglen, "option %s is set twice", key);
		return -EEXIST;
	}
	if (cfg_set(cfg, key, value, msg, msglen) < 0)
		return -EINVAL;
	if (d)
		seen[d - options] = true;
	return 0;
}

/* The UTF-8 byte-order mark some Windows editors put first (with CRLF line
 * ends, which trim() drops too): its length, or 0.  Left in, it made the
 * first key unknown with a message that looked right ("listen"). */
static size_t
utf8_bom(const char *text, size_t len)
{
	return len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

static int
parse_text(struct config *cfg, const char *name, const char *text, size_t len,
	   bool user, char err[CFG_ERR_MAX])
{
	bool seen[NOPTIONS] = { false };
	char line[MAX_CONFIG_LINE + 1], msg[CFG_ERR_MAX - 64];
	size_t pos = utf8_bom(text, len), lineno = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		lineno++;
		if (n > MAX_CONFIG_LINE || memchr(text + pos, '\0', n)) {
			snprintf(err, CFG_ERR_MAX, "%s:%zu: %s", name, lineno,
				 n > MAX_CONFIG_LINE ? "line too long" : "NUL byte in line");
			return -1;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + 1;
		if (parse_line(cfg, line, seen, user, msg, sizeof(msg)) < 0) {
			snprintf(err, CFG_ERR_MAX, "%s:%zu: %s", name, lineno, msg);
			return -1;
		}
		for (size_t i = 0; i < NOPTIONS && !user; i++)
			if (seen[i] && origin.line[i] == 0)
				origin.line[i] = lineno;
	}
	if (!user)
		origin.file = name;
	return 0;
}

int
cfg_parse_text(struct config *cfg, const char *name, const char *text,
	       size_t len, char err[CFG_ERR_MAX])
{
	return parse_text(cfg, name, text, len, false, err);
}

int
cfg_parse_user(struct config *cfg, const char *name, const char *text,
	       size_t len, char err[CFG_ERR_MAX])
{
	return parse_text(cfg, name, text, len, true, err);
}

void
cfg_copy(struct config *dst, const struct config *src)
{
	memcpy(dst, src, sizeof(*dst));
	for (size_t i = 0; i < NOPTIONS; i++)
		if (options[i].type == T_STR)
			*(char **)field(dst, &options[i]) =
				xstrdup(*(char *const *)cfield(src, &options[i]));
}

static int
check_enum(const char *name, const char *v, const char *a, const char *b,
	   char err[CFG_ERR_MAX])
{
	if (strcmp(v, a) == 0 || strcmp(v, b) == 0)
		return 0;
	snprintf(err, CFG_ERR_MAX, "%s: \"%.64s\" must be %s or %s", name, v, a, b);
	return -1;
}

/* vsftpd switches that miniftpd accepts only in their off position. */
static int
check_only_no(const struct config *cfg, char err[CFG_ERR_MAX])
{
	static const struct {
		size_t offset;
		const char *name, *why;
	} only_no[] = {
		{ OFF(tcp_wrappers), "tcp_wrappers", "TCP wrappers are not supported "
		  "(use a firewall, or IPAddressDeny= in the socket unit)" },
		{ OFF(ssl_sslv2), "ssl_sslv2", "SSL 2 is never offered" },
		{ OFF(ssl_sslv3), "ssl_sslv3", "SSL 3 is never offered" },
	};

	for (size_t i = 0; i < sizeof(only_no) / sizeof(only_no[0]); i++)
		if (*(const bool *)((const char *)cfg + only_no[i].offset)) {
			snprintf(err, CFG_ERR_MAX, "%s=YES: %s; only NO is accepted",
				 only_no[i].name, only_no[i].why);
			return -1;
		}
	return 0;
}

/* rediss:// needs a CA file; client certificate and key go together; no
 * TLS file without rediss:// (limitd reads the files themselves at start). */
static int
check_cluster_tls(const struct config *cfg, bool tls, char err[CFG_ERR_MAX])
{
	const char *tlsopt = cfg->limitd_cluster_tls_ca_file[0] ? "limitd_cluster_tls_ca_file"
			   : cfg->limitd_cluster_tls_cert_file[0] ? "limitd_cluster_tls_cert_file"
			   : cfg->limitd_cluster_tls_key_file[0] ? "limitd_cluster_tls_key_file" : NULL;

	if (!tls && tlsopt) {
		snprintf(err, CFG_ERR_MAX, "%s is set but limitd_cluster is not a rediss:// URL",
			 tlsopt);
		return -1;
	}
	if (tls && cfg->limitd_cluster_tls_ca_file[0] == '\0') {
		snprintf(err, CFG_ERR_MAX, "limitd_cluster: rediss:// needs "
			 "limitd_cluster_tls_ca_file (the CA of the store's certificate)");
		return -1;
	}
	if (!cfg->limitd_cluster_tls_cert_file[0] != !cfg->limitd_cluster_tls_key_file[0]) {
		snprintf(err, CFG_ERR_MAX, "limitd_cluster_tls_cert_file and "
			 "limitd_cluster_tls_key_file go together: set both or neither");
		return -1;
	}
	return 0;
}

/* limitd_cluster's URL and id, checked here so that -t refuses them too. */
static int
check_cluster(const struct config *cfg, char err[CFG_ERR_MAX])
{
	struct limit_store_url u = { .tls = false };

	if (cfg->limitd_cluster[0] != '\0' && limit_store_parse_url(cfg->limitd_cluster, &u) < 0) {
		snprintf(err, CFG_ERR_MAX, "limitd_cluster: \"%.64s\" is not "
			 "redis://HOST[:PORT][/DB] or rediss://HOST[:PORT][/DB]", cfg->limitd_cluster);
		return -1;
	}
	return check_cluster_tls(cfg, u.tls, err);
}

/* A limitd_cluster URL that is set, named where: FILE:LINE, as a malformed value. */
static int
check_cluster_url(const struct config *cfg, char err[CFG_ERR_MAX])
{
	struct limit_store_url u;
	char where[160];

	if (cfg->limitd_cluster[0] == '\0' || limit_store_parse_url(cfg->limitd_cluster, &u) == 0)
		return 0;
	cfg_origin("limitd_cluster", where, sizeof(where));
	snprintf(err, CFG_ERR_MAX, "%s: limitd_cluster: \"%.64s\" is not redis://HOST[:PORT][/DB] "
		 "or rediss://HOST[:PORT][/DB]", where, cfg->limitd_cluster);
	return -1;
}

/* A limitd_cluster_id that is set, named where (the default is never refused). */
static int
check_cluster_id(const struct config *cfg, char err[CFG_ERR_MAX])
{
	char where[160];

	if (cfg->limitd_cluster_id[0] == '\0' || limit_store_id_valid(cfg->limitd_cluster_id))
		return 0;
	cfg_origin("limitd_cluster_id", where, sizeof(where));
	snprintf(err, CFG_ERR_MAX, "%s: limitd_cluster_id: \"%.64s\" must be 1 to %d printable "
		 "characters without spaces", where, cfg->limitd_cluster_id, LIMIT_STORE_ID_MAX);
	return -1;
}

int
cfg_check(const struct config *cfg, char err[CFG_ERR_MAX])
{
	if (check_only_no(cfg, err) < 0)
		return -1;
	if (cfg->pasv_max_port != 0 && cfg->pasv_min_port > cfg->pasv_max_port) {
		snprintf(err, CFG_ERR_MAX,
			 "pasv_min_port (%lu) is above pasv_max_port (%lu)",
			 cfg->pasv_min_port, cfg->pasv_max_port);
		return -1;
	}
	if (check_cluster(cfg, err) < 0)
		return -1;
	return check_enum("limitd_fail", cfg->limitd_fail, "open", "closed", err);
}

/* ERR from cfg_check, which starts with the option it is about, prefixed
 * with where that option was set: FILE:LINE, -oKEY, or the file alone. */
static void
locate_check_error(char err[CFG_ERR_MAX])
{
	char key[80], where[160], tmp[CFG_ERR_MAX];
	size_t n = strcspn(err, "=: (");

	snprintf(key, sizeof(key), "%.*s", (int)(n < sizeof(key) ? n : 0), err);
	cfg_origin(key, where, sizeof(where));
	snprintf(tmp, sizeof(tmp), "%s: %s", where, err);
	memcpy(err, tmp, CFG_ERR_MAX);
}

int
cfg_load(struct config *cfg, const char *file, bool named,
	 char *const *overrides, size_t novr, char err[CFG_ERR_MAX])
{
	char *text = NULL, msg[256];
	ssize_t n;

	cfg_defaults(cfg);
	n = sys_read_file(file, 1 << 20, &text);
	if (n < 0 && !(n == -ENOENT && !named)) {
		snprintf(err, CFG_ERR_MAX, "%s:0: cannot read configuration: %s",
			 file, strerror((int)-n));
		return -1;
	}
	if (n >= 0) {
		int r = cfg_parse_text(cfg, file, text, (size_t)n, err);

		free(text);
		if (r < 0)
			return -1;
	}
	for (size_t i = 0; i < novr; i++) {
		char kv[MAX_CONFIG_LINE + 1], *eq;

		if (str_lcpy(kv, overrides[i], sizeof(kv)) < 0 ||
		    (eq = strchr(kv, '=')) == NULL) {
			snprintf(err, CFG_ERR_MAX, "-o%.64s: expected KEY=VALUE", overrides[i]);
			return -1;
		}
		*eq = '\0';
		if (cfg_set(cfg, kv, eq + 1, msg, sizeof(msg)) < 0) {
			snprintf(err, CFG_ERR_MAX, "-o%.64s: %s", overrides[i], msg);
			return -1;
		}
		if (find_option(kv))
			origin.override[find_option(kv) - options] = true;
	}
	if (origin.file == NULL)
		origin.file = file;
	if (cfg->listen && cfg->listen_ipv6) {
		char where4[160], where6[160];

		cfg_origin("listen", where4, sizeof(where4));
		cfg_origin("listen_ipv6", where6, sizeof(where6));
		snprintf(err, CFG_ERR_MAX, "%s: listen_ipv6=YES and listen=YES (%s) exclude "
			 "each other, as in vsftpd: listen_ipv6=YES alone is one dual-stack "
			 "listener", where6, where4);
		return -1;
	}
	if (check_cluster_url(cfg, err) < 0 || check_cluster_id(cfg, err) < 0)
		return -1;
	if (cfg_check(cfg, err) < 0)
		return locate_check_error(err), -1;
	return 0;
}

void
cfg_dump(const struct config *cfg, FILE *out)
{
	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct opt_desc *d = &options[i];
		const void *f = cfield(cfg, d);

		switch (d->type) {
		case T_BOOL: fprintf(out, "%s=%s\n", d->name, *(const bool *)f ? "YES" : "NO"); break;
		case T_UINT: fprintf(out, "%s=%lu\n", d->name, *(const unsigned long *)f); break;
		case T_MODE: fprintf(out, "%s=0%o\n", d->name, *(const unsigned int *)f); break;
		case T_STR: fprintf(out, "%s=%s\n", d->name, *(char *const *)f); break;
		}
	}
}

void
cfg_origin(const char *key, char *out, size_t outlen)
{
	const struct opt_desc *d = find_option(key);
	size_t i = d ? (size_t)(d - options) : 0;

	if (d && origin.override[i])
		snprintf(out, outlen, "-o%s", key);
	else if (d && origin.line[i])
		snprintf(out, outlen, "%s:%zu", origin.file, origin.line[i]);
	else
		snprintf(out, outlen, "%s", origin.file ? origin.file : "(defaults)");
}
