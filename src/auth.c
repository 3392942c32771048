/* auth.c - who may log in, and as whom; see auth.h. */
#include <crypt.h>
#include <errno.h>
#include <pwd.h>
#include <shadow.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "authpam.h"
#include "defs.h"
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
	const char *rhost;	/* the client's address (PAM_RHOST) */
	bool pam;		/* PAM checks the password (pam_service_name) */
	bool pad;		/* PAM refused: check the dummy too (no usable own hash) */
	const char *pad_why;	/* locked in /etc/shadow ('!'): the reason */
	char pam_reason[384];
};

int
auth_is_anonymous(const char *user)
{
	return strcasecmp(user, "anonymous") == 0 || strcasecmp(user, "ftp") == 0;
}

/*
 * An attempt with no usable hash (unknown user, locked or system account,
 * any refusal) is checked against a dummy setting instead, so that it
 * costs one crypt(3) like a real one: refused whatever it matches.  A
 * setting, not a hash: making one (crypt_gensalt) is cheap, making a hash
 * would cost a crypt per socket-activated process.  This one (yescrypt at
 * libcrypt's default cost, Debian's method) only when libcrypt gives none.
 */
static const char fallback_dummy[] = "$y$j9T$OstbGuRwkqOMjIqAn6.y11";

/* Why a local account's password aging refuses it (auth_shadow_aging). */
static const char *const aging_reasons[] = {
	[AUTH_AGING_ACCOUNT_EXPIRED] = "account expired",
	[AUTH_AGING_MUST_CHANGE] = "password must be changed (last change 0), "
				   "which FTP cannot do",
	[AUTH_AGING_PASSWORD_EXPIRED] = "password expired (a change is required, "
					"which FTP cannot do)",
	[AUTH_AGING_INACTIVE] = "password expired and inactive (past the grace days)",
};

/* SETTING names a method libcrypt will run (not disabled, not malformed). */
static bool
usable_setting(const char *setting)
{
	int r = crypt_checksalt(setting);

	return r == CRYPT_SALT_OK || r == CRYPT_SALT_METHOD_LEGACY;
}

/* The setting of the first usable hash in the virtual users file FILE. */
static void
virtual_dummy(const char *file, char *out, size_t outlen)
{
	struct userdb_entry e;
	size_t pos = 0, lineno = 0;
	char *text;
	ssize_t n = sys_read_file(file, USERDB_MAX, &text);

	out[0] = '\0';
	if (n < 0)
		return;
	while (out[0] == '\0' && userdb_next(text, (size_t)n, &pos, &lineno, &e) == 1)
		if (userdb_hash_setting(e.hash, out, outlen) < 0 || !usable_setting(out))
			out[0] = '\0';
	free(text);
}

void
auth_init(const struct config *cfg, struct runtime *rt)
{
	/* NULL prefix: libcrypt's default method and cost (yescrypt on
	 * Debian, as PAM's pam_unix writes it: login.defs' ENCRYPT_METHOD
	 * there says SHA512 but passwd(1) goes through PAM) */
	if (crypt_gensalt_rn(NULL, 0, NULL, 0, rt->dummy_local,
			     (int)sizeof(rt->dummy_local)) == NULL ||
	    !usable_setting(rt->dummy_local))
		str_lcpy(rt->dummy_local, fallback_dummy, sizeof(rt->dummy_local));
	rt->dummy_virtual[0] = '\0';
	if (cfg->user_db_file[0])
		virtual_dummy(cfg->user_db_file, rt->dummy_virtual, sizeof(rt->dummy_virtual));
}

static const char *
local_dummy(const struct runtime *rt)
{
	return rt->dummy_local[0] ? rt->dummy_local : fallback_dummy;
}

/* The dummy of the kind of user whose lookup comes last: local users when
 * they may log in, else virtual users. */
static const char *
dummy_for(const struct config *cfg, const struct runtime *rt)
{
	if (!(rt->privileged && cfg->local_enable) && rt->dummy_virtual[0])
		return rt->dummy_virtual;
	return local_dummy(rt);
}

/* pam_unix's check_shadow_expiry, to the letter (-1: field empty). */
enum auth_aging
auth_shadow_aging(const struct spwd *sp, long today)
{
	long since = today - sp->sp_lstchg;

	if (sp->sp_expire != -1 && today >= sp->sp_expire)
		return AUTH_AGING_ACCOUNT_EXPIRED;
	if (sp->sp_lstchg == 0)
		return AUTH_AGING_MUST_CHANGE;
	if (since < 0)
		return AUTH_AGING_OK;		/* changed "in the future" */
	if (sp->sp_max != -1 && sp->sp_inact != -1 && since > sp->sp_max &&
	    since > sp->sp_inact && since > sp->sp_max + sp->sp_inact)
		return AUTH_AGING_INACTIVE;
	if (sp->sp_max != -1 && since > sp->sp_max)
		return AUTH_AGING_PASSWORD_EXPIRED;
	return AUTH_AGING_OK;
}

void
auth_release(struct login *l)
{
	free(l->groups);
	l->groups = NULL;
	l->ngroups = 0;
}

static int
hash_matches(const char *pass, const char *hash)
{
	static struct crypt_data cd LARGE_BSS;
	const char *h = crypt_r(pass, hash, &cd);
	size_t n;
	unsigned char diff = 0;

	if (h == NULL || h[0] == '*' || (n = strlen(h)) != strlen(hash))
		return 0;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(h[i] ^ hash[i]);
	return diff == 0;
}

/* NAME appears as a whole line (comments '#') in FILE: 1, 0, or -errno
 * when FILE cannot be read. */
static int
listed_in(const char *file, const char *name)
{
	char *text;
	ssize_t n = sys_read_file(file, USER_LIST_MAX, &text);
	size_t want = strlen(name);
	int found = 0;

	if (n < 0)
		return (int)n;
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

/* PW's ids and all its groups into OUT. RETURNS NULL, or why not. */
static const char *
fill_ids(struct login *out, const struct passwd *pw)
{
	int n = sys_user_groups(pw->pw_name, pw->pw_gid, &out->groups);

	if (n < 0)
		return "in more groups than a process may have (NGROUPS_MAX)";
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	out->ngroups = n;
	return NULL;
}

#define SUB_TOKEN_FAIL "user_sub_token: login name unusable in a path, or path too long"

/* DIR with each TOKEN replaced by USER (vsftpd's user_sub_token).  RETURNS
 * DIR when there is no token, OUT, or NULL when USER could be more than
 * one plain path component ('/', a leading '.') or the result does not fit. */
static const char *
sub_token(const char *token, const char *dir, const char *user, char out[PATH_MAX])
{
	size_t tlen = strlen(token), ulen = strlen(user), n = 0;

	if (dir == NULL || tlen == 0 || strstr(dir, token) == NULL)
		return dir;
	if (user[0] == '.' || strchr(user, '/'))
		return NULL;
	for (const char *p = dir; *p; ) {
		bool tok = strncmp(p, token, tlen) == 0;
		size_t len = tok ? ulen : 1;

		if (n + len >= PATH_MAX)
			return NULL;
		memcpy(out + n, tok ? user : p, len);
		n += len;
		p += tok ? tlen : 1;
	}
	out[n] = '\0';
	return out;
}

/* Where the client lives: ROOT is "/" for it, with or without chroot. */
static const char *
set_root(struct login *out, const struct runtime *rt, const char *dir,
	 bool chroot_it)
{
	struct stat st;

	if (dir == NULL || dir[0] != '/')
		return "no root directory configured";
	if (sys_stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
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

/* vsftpd's chroot_list: a listed local user gets the opposite of
 * CHROOT_LOCAL_USER.  RETURNS 1 (chroot), 0, or -errno: the list cannot
 * be read (the login is refused, as vsftpd ends the session). */
static int
local_chroot(const struct config *cfg, bool chroot_local_user, const char *user)
{
	int listed;

	if (!cfg->chroot_list_enable)
		return chroot_local_user;
	listed = listed_in(cfg->chroot_list_file, user);
	return listed < 0 ? listed : chroot_local_user != (listed == 1);
}

const char *
auth_apply_user_config(const struct config *global, const struct config *user,
		       const struct runtime *rt, struct login *l)
{
	char dir[PATH_MAX], subbed[PATH_MAX];
	const char *root;
	int chroot_it;

	if (l->kind == LOGIN_ANON ||
	    (strcmp(global->local_root, user->local_root) == 0 &&
	     global->chroot_local_user == user->chroot_local_user))
		return NULL;
	/* set_root() put the directory in home only for a privileged login
	 * without chroot, else in root */
	if (str_lcpy(dir, strcmp(global->local_root, user->local_root) != 0 ?
		     user->local_root : rt->privileged && !l->chroot ? l->home : l->root,
		     sizeof(dir)) < 0)
		return "local_root too long";
	chroot_it = l->kind == LOGIN_VIRTUAL ? 1 : local_chroot(user, user->chroot_local_user,
								 l->user);
	if (chroot_it < 0)
		return "cannot read chroot_list_file";
	if ((root = sub_token(user->user_sub_token, dir, l->user, subbed)) == NULL)
		return SUB_TOKEN_FAIL;
	return set_root(l, rt, root, chroot_it == 1);
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
	out->groups = xreallocarray(NULL, (size_t)a->ngroups, sizeof(*out->groups));
	memcpy(out->groups, a->groups, (size_t)a->ngroups * sizeof(*out->groups));
}

/* ftp_username's ids from the listener's copy, else from the name service
 * (a process started per connection: through names_cache_file). */
static const char *
anon_login(const struct config *cfg, const struct runtime *rt, struct login *out)
{
	struct anon_ids looked_up;
	const struct anon_ids *a = &rt->anon;
	const char *root = cfg->anon_root;
	int r;

	out->kind = LOGIN_ANON;
	if (!rt->have_anon) {
		a = &looked_up;
		r = idnames_account(cfg->names_cache_file, cfg->ftp_username, &looked_up);
		if (r < 0) {
			if (rt->privileged || !root[0])
				return r == -E2BIG ? "ftp_username is in more than 64 groups" :
				       "ftp_username does not exist";
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
	char subbed[PATH_MAX];
	const char *root = sub_token(cfg->user_sub_token, e->home[0] ? e->home :
				     cfg->local_root[0] ? cfg->local_root :
				     pw ? pw->pw_dir : NULL, e->name, subbed);
	const char *fail;

	out->kind = LOGIN_VIRTUAL;
	if (root == NULL && (e->home[0] || cfg->local_root[0] || pw))
		return SUB_TOKEN_FAIL;
	if (rt->privileged) {
		if (pw == NULL)
			return "guest_username does not exist";
		if ((fail = fill_ids(out, pw)) != NULL)
			return fail;
	}
	return set_root(out, rt, root, true);
}

/* Look the user up in the virtual users file. RETURNS 1 found, 0 not, <0 error.
 * A found user whose hash libcrypt cannot run ('!', '*') is refused, after
 * a check of the file's dummy. */
static int
virtual_lookup(const struct config *cfg, const struct runtime *rt, const char *user,
	       struct userdb_entry *e, struct attempt *a)
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
	if (r == 1 && usable_setting(e->hash))
		str_lcpy(a->hash, e->hash, sizeof(a->hash));
	else if (r == 1) {
		a->deny = "account locked (no usable password hash)";
		str_lcpy(a->hash, rt->dummy_virtual[0] ? rt->dummy_virtual : local_dummy(rt),
			 sizeof(a->hash));
	}
	return r;
}

/* Why the password of local account SP (may be NULL) with HASH may not
 * log in whatever the password, or NULL (the shadow path's rules). */
static const char *
hash_denies(const struct spwd *sp, const char *hash)
{
	enum auth_aging aging;

	if (hash[0] == '!' || hash[0] == '*' || hash[0] == '\0')
		return "account locked";
	if (!usable_setting(hash))
		return "password hash of an unknown or disabled method";
	if (sp && (aging = auth_shadow_aging(sp, (long)(sys_time() / 86400))) != AUTH_AGING_OK)
		return aging_reasons[aging];
	return NULL;
}

/* Why local account PW may not log in whatever the password, or NULL
 * (miniftpd's own rules, with or without PAM). */
static const char *
local_denies(const struct config *cfg, const struct passwd *pw)
{
	if (pw->pw_uid == 0 && !cfg->root_login_enable)
		return "root login disabled";
	if (listed_in(cfg->ftpusers_file, pw->pw_name) > 0)
		return "listed in ftpusers_file";
	if (cfg->check_shell && !shell_allowed(pw->pw_shell))
		return "shell not in /etc/shells";
	return NULL;
}

/* A local user's root: local_root or the home, chrooted as
 * chroot_local_user and chroot_list say. */
static const char *
local_user_root(const struct config *cfg, const struct runtime *rt,
		const struct passwd *pw, const char *user, struct login *out)
{
	int chroot_it = local_chroot(cfg, cfg->chroot_local_user, user);
	char subbed[PATH_MAX];
	const char *root = sub_token(cfg->user_sub_token, cfg->local_root[0] ?
				     cfg->local_root : pw->pw_dir, user, subbed);

	if (chroot_it < 0)
		return "cannot read chroot_list_file";
	return root ? set_root(out, rt, root, chroot_it == 1) : SUB_TOKEN_FAIL;
}

/* Fill A's hash and deny reason for a local user; OUT's ids and root.  A
 * refused account is checked against the dummy: it costs what a real one
 * of the system's method costs, whatever its own hash (none, "*", "!"). */
static void
local_prepare(const struct config *cfg, const struct runtime *rt,
	      struct attempt *a, struct login *out)
{
	struct passwd *pw = getpwnam(a->user);
	struct spwd *sp;
	const char *hash;

	if (!rt->privileged || !cfg->local_enable || pw == NULL) {
		a->deny = !rt->privileged && pw ? "local users need a privileged server" :
			  !cfg->local_enable && pw ? "local users are disabled" :
			  "unknown user";
		return;
	}
	sp = getspnam(a->user);
	hash = sp ? sp->sp_pwdp : pw->pw_passwd;
	out->kind = LOGIN_LOCAL;
	/* with PAM, the password and its aging are PAM's to judge */
	a->pam = cfg->pam_service_name[0] != '\0';
	a->pad = a->pam && !usable_setting(hash);
	/* locked in /etc/shadow itself (passwd -l, usermod -L): never a
	 * directory's placeholder ('*', 'x' of sssd, LDAP), whose users PAM
	 * checks elsewhere, a wrong password there being just that */
	a->pad_why = a->pad && sp && hash[0] == '!' ? hash_denies(NULL, hash) : NULL;
	a->deny = a->pam ? NULL : hash_denies(sp, hash);
	if (a->deny == NULL)
		a->deny = local_denies(cfg, pw);
	if (a->deny == NULL)
		a->deny = fill_ids(out, pw);
	if (a->deny == NULL)
		a->deny = local_user_root(cfg, rt, pw, a->user, out);
	str_lcpy(a->hash, a->deny || a->pad ? local_dummy(rt) : hash, sizeof(a->hash));
	a->pam = a->pam && a->deny == NULL;
}

/*
 * What a real check costs on the PAM path, in dummy checks: Debian 12's
 * pam_unix (Linux-PAM 1.5.2) calls crypt_r twice per password it verifies
 * (measured: two calls per pam_authenticate, ~2x the shadow path's time).
 */
#define PAM_UNIX_CRYPTS 2

/* A check against A's hash (the dummy when refused) costing what a real
 * one costs on this path. RETURNS whether it matched. */
static bool
check_like_real(const struct config *cfg, const struct runtime *rt, const struct attempt *a)
{
	bool pam_local = cfg->pam_service_name[0] && rt->privileged && cfg->local_enable;
	bool match = hash_matches(a->pass, a->hash);

	for (int i = 1; pam_local && i < PAM_UNIX_CRYPTS; i++)
		(void)hash_matches(a->pass, a->hash);
	return match;
}

/* The PAM path: PAM's verdict; when PAM refused an account whose own hash
 * libcrypt cannot run (pam_unix refuses those without a crypt), the dummy
 * too, so that the refusal costs a real check; an account locked in
 * /etc/shadow gets the reason the shadow path gives ("account locked")
 * rather than PAM's guess "wrong password". */
static const char *
pam_denies(const struct config *cfg, const struct runtime *rt, struct attempt *a)
{
	size_t n = sizeof(AUTHPAM_WRONG_PASSWORD) - 1;
	char tail[sizeof(a->pam_reason)];

	if (authpam_check(cfg->pam_service_name, a->user, a->pass, a->rhost,
			  a->pam_reason, sizeof(a->pam_reason)) == 0)
		return NULL;
	if (!a->pad)
		return a->pam_reason;
	(void)check_like_real(cfg, rt, a);
	if (a->pad_why && strncmp(a->pam_reason, AUTHPAM_WRONG_PASSWORD, n) == 0) {
		str_lcpy(tail, a->pam_reason + n, sizeof(tail));
		str_fmt(a->pam_reason, sizeof(a->pam_reason), "%s%s", a->pad_why, tail);
	}
	return a->pam_reason;
}

/* A list that cannot be read refuses, as vsftpd refuses the session. */
static const char *
userlist_denies(const struct config *cfg, const char *user)
{
	int listed;

	if (!cfg->userlist_enable)
		return NULL;
	listed = listed_in(cfg->userlist_file, user);
	if (listed < 0)
		return "cannot read userlist_file";
	if (listed == cfg->userlist_deny)
		return cfg->userlist_deny ? "listed in userlist_file" :
		       "not listed in userlist_file";
	return NULL;
}

/* An enabled list (userlist, chroot_list) that cannot be read, named at
 * the line of ENABLE; VSF_DEFAULT: vsftpd's default path of FILE_KEY. */
static int
check_list(bool enabled, const char *enable, const char *file_key, const char *file,
	   const char *vsf_default, char *err, size_t errlen)
{
	char *text, where[CFG_ERR_MAX];
	ssize_t n;

	if (!enabled)
		return 0;
	n = sys_read_file(file, USER_LIST_MAX, &text);
	if (n >= 0)
		return free(text), 0;
	cfg_origin(enable, where, sizeof(where));
	return str_fmt(err, errlen, "%s: %s=YES: cannot read %s %s: %s (vsftpd refuses "
		       "the sessions then; its default list was %s: name yours with %s)",
		       where, enable, file_key, file, strerror((int)-n), vsf_default,
		       file_key), -1;
}

int
auth_check_config(const struct config *cfg, char *err, size_t errlen)
{
	if (check_list(cfg->userlist_enable, "userlist_enable", "userlist_file",
		       cfg->userlist_file, "/etc/vsftpd.user_list", err, errlen) < 0)
		return -1;
	return check_list(cfg->chroot_list_enable, "chroot_list_enable", "chroot_list_file",
			  cfg->chroot_list_file, "/etc/vsftpd.chroot_list", err, errlen);
}

/* The end of an attempt: FAIL (NULL: success) into REASON; a refused
 * login keeps nothing allocated. */
static int
conclude(struct login *out, const char *user, const char *fail,
	 char *reason, size_t reasonlen)
{
	str_lcpy(reason, fail ? fail : "", reasonlen);
	if (fail) {
		auth_release(out);
		return -EACCES;
	}
	str_lcpy(out->user, user, sizeof(out->user));
	return 0;
}

int
auth_check(const struct config *cfg, const struct runtime *rt,
	   const char *user, const char *pass, const char *rhost,
	   struct login *out, char *reason, size_t reasonlen)
{
	struct attempt a = { .user = user, .pass = pass, .rhost = rhost };
	struct userdb_entry e;
	const char *fail;

	memset(out, 0, sizeof(*out));
	str_lcpy(a.hash, dummy_for(cfg, rt), sizeof(a.hash));
	if (!userdb_valid_name(user))
		a.deny = "invalid user name";
	else if ((a.deny = userlist_denies(cfg, user)) != NULL)
		;
	else if (cfg->anonymous_enable && auth_is_anonymous(user)) {
		fail = anon_login(cfg, rt, out);
		return conclude(out, cfg->ftp_username, fail, reason, reasonlen);
	} else if (virtual_lookup(cfg, rt, user, &e, &a) == 1) {
		bool matches = hash_matches(pass, a.hash);

		fail = a.deny ? a.deny : !matches ? "wrong password" :
		       virtual_login(cfg, rt, &e, out);
		return conclude(out, user, fail, reason, reasonlen);
	} else if (a.deny == NULL)
		local_prepare(cfg, rt, &a, out);

	if (a.pam)
		a.deny = pam_denies(cfg, rt, &a);
	else if (!check_like_real(cfg, rt, &a) && a.deny == NULL)
		a.deny = "wrong password";
	return conclude(out, user, a.deny, reason, reasonlen);
}
