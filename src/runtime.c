/* runtime.c - start-up facts resolved before any chroot; see runtime.h. */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "auth.h"
#include "config.h"
#include "datasetup.h"
#include "ftpcmd.h"
#include "idnames.h"
#include "log.h"
#include "runtime.h"
#include "str.h"
#include "sysutil.h"

/* pasv_addr_resolve: a dynamic-DNS name may have moved since the last
 * answer; a failed lookup keeps the last address. */
static void
refresh_pasv_address(const struct config *cfg, struct runtime *rt)
{
	long long now = sys_time();
	struct in_addr a;
	char err[256], was[INET_ADDRSTRLEN], is[INET_ADDRSTRLEN];

	if (now >= rt->pasv_addr_time && now - rt->pasv_addr_time < (long long)cfg->pasv_addr_ttl)
		return;
	rt->pasv_addr_time = now;
	if (data_resolve_pasv_address(cfg->pasv_address, &a, err, sizeof(err)) < 0) {
		log_warning("%s; keeping %s", err,
			    inet_ntop(AF_INET, &rt->pasv_addr, was, sizeof(was)));
		return;
	}
	if (a.s_addr != rt->pasv_addr.s_addr)
		log_notice("pasv_address %s now resolves to %s (was %s)", cfg->pasv_address,
			   inet_ntop(AF_INET, &a, is, sizeof(is)),
			   inet_ntop(AF_INET, &rt->pasv_addr, was, sizeof(was)));
	rt->pasv_addr = a;
}

void
runtime_before_fork(const struct config *cfg, struct runtime *rt)
{
	if (!cfg->hide_ids)
		idnames_refresh(cfg->names_cache_file);
	if (cfg->pasv_addr_resolve && rt->have_pasv_addr)
		refresh_pasv_address(cfg, rt);
}

/* Create secure_chroot_dir if missing; refuse one others could write to. */
static int
secure_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	char parent[PATH_MAX];
	char *slash;
	int r;

	if (dir[0] != '/' || str_lcpy(parent, dir, sizeof(parent)) < 0)
		return str_fmt(err, errlen, "secure_chroot_dir %s: not an absolute path", dir), -1;
	if (sys_stat(dir, &st) == -ENOENT) {
		for (slash = strchr(parent + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			if ((r = sys_mkdir(parent, 0755)) < 0 && r != -EEXIST)
				break;
			*slash = '/';
		}
		if ((r = sys_mkdir(dir, 0755)) < 0 && r != -EEXIST)
			return str_fmt(err, errlen, "secure_chroot_dir %s: cannot create: %s",
				       dir, strerror(-r)), -1;
	}
	if (sys_stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return str_fmt(err, errlen, "secure_chroot_dir %s: not a directory", dir), -1;
	if (st.st_uid != 0 || (st.st_mode & 022))
		return str_fmt(err, errlen, "secure_chroot_dir %s: must be owned by root "
			       "and writable by nobody else", dir), -1;
	return 0;
}

/* User NAME of OPTION exists: its passwd entry (static, valid until the
 * next lookup), else NULL with ERR set. */
static const struct passwd *
need_user(const char *option, const char *name, char *err, size_t errlen)
{
	const struct passwd *pw = getpwnam(name);

	if (pw == NULL)
		str_fmt(err, errlen, "%s: user \"%s\" does not exist on this system",
			option, name);
	return pw;
}

/*
 * Load the time zone before any chroot, for good.  With TZ unset, glibc
 * re-reads /etc/localtime on every tzset() (mktime, localtime, strftime
 * %Z), and inside a chroot that is the user's file; with TZ naming the
 * same file, later calls see an unchanged TZ and read nothing.
 */
static void
pin_timezone(void)
{
	if (getenv("TZ") == NULL && setenv("TZ", ":/etc/localtime", 1) < 0)
		log_warning("Failed to set TZ: %m, ignoring");
	tzset();
}

/* banner_file, read before any chroot; a longer file is cut. */
static int
load_banner(const char *file, struct runtime *rt, char *err, size_t errlen)
{
	char *text = NULL;
	ssize_t n = sys_read_file(file, 1 << 20, &text);

	if (n < 0)
		return str_fmt(err, errlen, "banner_file %s: %s", file, strerror((int)-n)), -1;
	if ((size_t)n > MAX_MSG_FILE)
		n = MAX_MSG_FILE;
	memcpy(rt->banner, text, (size_t)n);
	free(text);
	ftp_text_clean(rt->banner, (size_t)n);
	return 0;
}

/* Everything of runtime_init that can fail, into RT only. */
static int
resolve(const struct config *cfg, struct runtime *rt, char *err, size_t errlen)
{
	const struct passwd *pw;

	memset(rt, 0, sizeof(*rt));
	rt->privileged = sys_geteuid() == 0 && !cfg->run_as_launching_user;
	rt->self_uid = sys_geteuid();
	rt->self_gid = sys_getegid();
	pin_timezone();
	auth_init(cfg, rt);
	if (cfg->pasv_enable && cfg->pasv_min_port == 0 && cfg->pasv_max_port == 0)
		data_load_pasv_ports(&rt->pasv_ports);
	if (cfg->banner_file[0] && load_banner(cfg->banner_file, rt, err, errlen) < 0)
		return -1;
	if (cfg->pasv_address[0]) {
		if (data_resolve_pasv_address(cfg->pasv_address, &rt->pasv_addr, err, errlen) < 0)
			return -1;
		rt->have_pasv_addr = true;
		rt->pasv_addr_time = sys_time();
	}
	if (!rt->privileged)
		return 0;
	pw = need_user("nopriv_user", cfg->nopriv_user, err, errlen);
	if (pw == NULL)
		return str_fmt(err, errlen, "nopriv_user: user \"%s\" does not exist on this "
			       "system (make install creates it: adduser --system --group "
			       "--no-create-home --home /nonexistent %s)",
			       cfg->nopriv_user, cfg->nopriv_user), -1;
	rt->nopriv_uid = pw->pw_uid;
	rt->nopriv_gid = pw->pw_gid;
	if ((cfg->anonymous_enable &&
	     need_user("ftp_username", cfg->ftp_username, err, errlen) == NULL) ||
	    (cfg->user_db_file[0] &&
	     need_user("guest_username", cfg->guest_username, err, errlen) == NULL))
		return -1;
	if (cfg_standalone(cfg) && cfg->anonymous_enable && auth_cache_anon(cfg, rt) < 0)
		return str_fmt(err, errlen, "ftp_username: user \"%s\" does not exist "
			       "on this system", cfg->ftp_username), -1;
	if (cfg->anonymous_enable && cfg->chown_uploads &&
	    sys_user_uid(cfg->chown_username, &rt->chown_uid) < 0)
		return str_fmt(err, errlen, "chown_username: user \"%s\" does not exist "
			       "on this system", cfg->chown_username), -1;
	return secure_dir(cfg->secure_chroot_dir, err, errlen);
}

int
runtime_init(const struct config *cfg, struct runtime *rt, char *err, size_t errlen)
{
	if (resolve(cfg, rt, err, errlen) < 0)
		return -1;
	/* the one process-wide state, changed only once all else succeeded */
	if (cfg_standalone(cfg) && !cfg->hide_ids)
		idnames_load(cfg->names_cache_file);	/* once for every session to inherit */
	return 0;
}
