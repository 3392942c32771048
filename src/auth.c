/* auth.c - who may log in, and as whom; see auth.h. */
#include <crypt.h>
#include <errno.h>
#include <pwd.h>
#include <shadow.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "idnames.h"
#include "str.h"
#include "sysutil.h"
#include "userdb.h"

#define USERDB_MAX (16 << 20)

/* One attempt in progress: the hash to check and why it must fail anyway. */
struct attempt {
	const char *user;
	const char *pass;
	char hash[256];
	const char *deny;	/* non-NULL: refuse even if the hash matches */
};

int
auth_is_anonymous(const char *user)
{
	return strcasecmp(user, "anonymous") == 0 || strcasecmp(user, "ftp") == 0;
}

/*
 * Checked for users that do not exist, so that they cost one crypt(3) of
 * the system's default method (yescrypt) like everyone else.  Any fixed
 * hash does: such attempts are refused whatever it matches.  A constant,
 * not one made at start: making one costs a hash per socket-activated
 * process.
 */
static const char dummy_hash[] =
	"$y$j9T$OstbGuRwkqOMjIqAn6.y11$eMjEQfL4UzCw3ADK620S7d900D9oTgEyqOVaKiq2iS3";

static int
hash_matches(const char *pass, const char *hash)
{
	static struct crypt_data cd;
	const char *h = crypt_r(pass, hash, &cd);
	size_t n;
	unsigned char diff = 0;

	if (h == NULL || h[0] == '*' || (n = strlen(h)) != strlen(hash))
		return 0;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(h[i] ^ hash[i]);
	return diff == 0;
}

/* NAME appears as a whole line (comments '#') in FILE. */
static int
listed_in(const char *file, const char *name)
{
	char *text;
	ssize_t n = sys_read_file(file, 1 << 20, &text);
	size_t want = strlen(name);
	int found = 0;

	if (n < 0)
		return 0;
	for (char *line = strtok(text, "\n"); line && !found; line = strtok(NULL, "\n")) {
		size_t len = strcspn(line, " \t\r#");

		found = len == want && memcmp(line, name, len) == 0;
	}
	free(text);
	return found;
}

static int
shell_allowed(const char *shell)
{
	const char *s;
	int ok = 0;

	setusershell();
	while (!ok && (s = getusershell()) != NULL)
		ok = strcmp(s, shell) == 0;
	endusershell();
	return ok;
}

static void
fill_ids(struct login *out, const struct passwd *pw)
{
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	out->ngroups = sys_user_groups(pw->pw_name, pw->pw_gid, out->groups, MAX_GROUPS);
}

/* Where the client lives: ROOT is "/" for it, with or without chroot. */
static const char *
set_root(struct login *out, const struct runtime *rt, const char *dir,
	 bool chroot_it)
{
	struct stat st;

	if (dir == NULL || dir[0] != '/')
		return "no root directory configured";
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return "root directory missing";
	out->chroot = rt->privileged && chroot_it;
	if (!rt->privileged || chroot_it) {
		str_lcpy(out->home, "/", sizeof(out->home));
		return str_lcpy(out->root, dir, sizeof(out->root)) < 0 ?
		       "root directory name too long" : NULL;
	}
	str_lcpy(out->root, "/", sizeof(out->root));
	return str_lcpy(out->home, dir, sizeof(out->home)) < 0 ?
	       "home directory name too long" : NULL;
}

int
auth_cache_anon(const struct config *cfg, struct runtime *rt)
{
	if (idnames_account("", cfg->ftp_username, &rt->anon) < 0)
		return -ENOENT;
	rt->have_anon = true;
	return 0;
}

static void
copy_anon_ids(struct login *out, const struct anon_ids *a)
{
	out->uid = a->uid;
	out->gid = a->gid;
	out->ngroups = a->ngroups;
	memcpy(out->groups, a->groups, sizeof(out->groups));
}

/* ftp_username's ids from the listener's copy, else from the name service
 * (a process started per connection: through names_cache_file). */
static const char *
anon_login(const struct config *cfg, const struct runtime *rt, struct login *out)
{
	struct anon_ids looked_up;
	const struct anon_ids *a = &rt->anon;
	const char *root = cfg->anon_root;

	out->kind = LOGIN_ANON;
	if (!rt->have_anon) {
		a = &looked_up;
		if (idnames_account(cfg->names_cache_file, cfg->ftp_username, &looked_up) < 0) {
			if (rt->privileged || !root[0])
				return "ftp_username does not exist";
			a = NULL;
		}
	}
	if (!root[0])
		root = a->home;
	if (rt->privileged)
		copy_anon_ids(out, a);
	return set_root(out, rt, root, true);
}

static const char *
virtual_login(const struct config *cfg, const struct runtime *rt,
	      const struct userdb_entry *e, struct login *out)
{
	struct passwd *pw = getpwnam(cfg->guest_username);
	const char *root = e->home[0] ? e->home :
			   cfg->local_root[0] ? cfg->local_root :
			   pw ? pw->pw_dir : NULL;

	out->kind = LOGIN_VIRTUAL;
	if (rt->privileged) {
		if (pw == NULL)
			return "guest_username does not exist";
		fill_ids(out, pw);
	}
	return set_root(out, rt, root, true);
}

/* Look the user up in the virtual users file. RETURNS 1 found, 0 not, <0 error. */
static int
virtual_lookup(const struct config *cfg, const char *user, struct userdb_entry *e,
	       struct attempt *a)
{
	char *text;
	size_t bad = 0;
	ssize_t n;
	int r;

	if (cfg->user_db_file[0] == '\0')
		return 0;
	n = sys_read_file(cfg->user_db_file, USERDB_MAX, &text);
	if (n < 0) {
		a->deny = "user_db_file unreadable";
		return (int)n;
	}
	r = userdb_find(text, (size_t)n, user, e, &bad);
	free(text);
	if (r < 0)
		a->deny = "user_db_file malformed";
	if (r == 1)
		str_lcpy(a->hash, e->hash, sizeof(a->hash));
	return r;
}

static bool
account_expired(const struct spwd *sp)
{
	long today = (long)(time(NULL) / 86400);

	return sp->sp_expire > 0 && today >= sp->sp_expire;
}

/* Fill A's hash and deny reason for a local user; OUT's ids and root. */
static void
local_prepare(const struct config *cfg, const struct runtime *rt,
	      struct attempt *a, struct login *out)
{
	struct passwd *pw = getpwnam(a->user);
	struct spwd *sp;

	if (!rt->privileged || !cfg->local_enable || pw == NULL) {
		a->deny = !rt->privileged && pw ? "local users need a privileged server" :
			  !cfg->local_enable && pw ? "local users are disabled" :
			  "unknown user";
		return;
	}
	sp = getspnam(a->user);
	str_lcpy(a->hash, sp ? sp->sp_pwdp : pw->pw_passwd, sizeof(a->hash));
	if (a->hash[0] == '!' || a->hash[0] == '*' || a->hash[0] == '\0')
		a->deny = "account locked";
	else if (sp && account_expired(sp))
		a->deny = "account expired";
	else if (pw->pw_uid == 0 && !cfg->root_login_enable)
		a->deny = "root login disabled";
	else if (listed_in(cfg->ftpusers_file, a->user))
		a->deny = "listed in ftpusers_file";
	else if (cfg->check_shell && !shell_allowed(pw->pw_shell))
		a->deny = "shell not in /etc/shells";
	out->kind = LOGIN_LOCAL;
	fill_ids(out, pw);
	if (a->deny == NULL)
		a->deny = set_root(out, rt, cfg->local_root[0] ? cfg->local_root :
				   pw->pw_dir, cfg->chroot_local_user);
}

static const char *
userlist_denies(const struct config *cfg, const char *user)
{
	if (!cfg->userlist_enable)
		return NULL;
	if (listed_in(cfg->userlist_file, user) == cfg->userlist_deny)
		return cfg->userlist_deny ? "listed in userlist_file" :
		       "not listed in userlist_file";
	return NULL;
}

int
auth_check(const struct config *cfg, const struct runtime *rt,
	   const char *user, const char *pass, struct login *out,
	   char *reason, size_t reasonlen)
{
	struct attempt a = { .user = user, .pass = pass };
	struct userdb_entry e;
	const char *fail;

	memset(out, 0, sizeof(*out));
	str_lcpy(a.hash, dummy_hash, sizeof(a.hash));
	if (!userdb_valid_name(user))
		a.deny = "invalid user name";
	else if ((a.deny = userlist_denies(cfg, user)) != NULL)
		;
	else if (cfg->anonymous_enable && auth_is_anonymous(user)) {
		fail = anon_login(cfg, rt, out);
		str_lcpy(out->user, cfg->ftp_username, sizeof(out->user));
		str_lcpy(reason, fail ? fail : "", reasonlen);
		return fail ? -EACCES : 0;
	} else if (virtual_lookup(cfg, user, &e, &a) == 1) {
		fail = hash_matches(pass, a.hash) ? virtual_login(cfg, rt, &e, out) :
		       "wrong password";
		str_lcpy(out->user, user, sizeof(out->user));
		str_lcpy(reason, fail ? fail : "", reasonlen);
		return fail ? -EACCES : 0;
	} else if (a.deny == NULL)
		local_prepare(cfg, rt, &a, out);

	if (!hash_matches(pass, a.hash) && a.deny == NULL)
		a.deny = "wrong password";
	if (a.deny) {
		str_lcpy(reason, a.deny, reasonlen);
		return -EACCES;
	}
	str_lcpy(out->user, user, sizeof(out->user));
	return 0;
}
