/* privdrop.c - the one place privileges are given up; see privdrop.h. */
#include <errno.h>
#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "defs.h"
#include "log.h"
#include "privdrop.h"
#include "sysutil.h"

static void
set_ids(const struct drop_spec *d)
{
	bool keep = d->keep_net_bind || d->keep_chown;

	if (sys_setgroups(d->ngroups, d->groups) < 0)
		die_errno("Failed to set supplementary groups");
	if (d->chroot_dir) {
		if (sys_chdir(d->chroot_dir) < 0 || sys_chroot(".") < 0 || sys_chdir("/") < 0)
			die_errno("Failed to chroot to %s", d->chroot_dir);
	}
	if (keep && sys_set_keepcaps(true) < 0)
		die_errno("Failed to keep capabilities");
	if (sys_setresgid(d->gid) < 0)
		die_errno("Failed to set group id %u", (unsigned int)d->gid);
	if (sys_setresuid(d->uid) < 0)
		die_errno("Failed to set user id %u", (unsigned int)d->uid);
	if (keep && sys_set_keepcaps(false) < 0)
		die_errno("Failed to reset keep-capabilities");
}

/* Exactly the capabilities D keeps (permitted+effective), or nothing at all. */
static cap_t
wanted_caps(const struct drop_spec *d)
{
	cap_value_t keep[2];
	int n = 0;
	cap_t caps = cap_init();

	if (caps == NULL)
		die_errno("Failed to allocate capability set");
	if (d->keep_net_bind)
		keep[n++] = CAP_NET_BIND_SERVICE;
	if (d->keep_chown)
		keep[n++] = CAP_CHOWN;
	if (n > 0 &&
	    (cap_set_flag(caps, CAP_PERMITTED, n, keep, CAP_SET) < 0 ||
	     cap_set_flag(caps, CAP_EFFECTIVE, n, keep, CAP_SET) < 0))
		die_errno("Failed to build capability set");
	return caps;
}

static void
set_caps(cap_t want)
{
	if (cap_set_proc(want) < 0)
		die_errno("Failed to set capabilities");
}

static void
verify_ids(const struct drop_spec *d)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;

	if (sys_getresuid(&r, &e, &s) < 0 || sys_getresgid(&rg, &eg, &sg) < 0)
		die_errno("Failed to read back credentials");
	if (r != d->uid || e != d->uid || s != d->uid ||
	    rg != d->gid || eg != d->gid || sg != d->gid)
		bug("credentials not dropped: uid %u/%u/%u gid %u/%u/%u", r, e, s,
		    rg, eg, sg);
}

static void
verify_caps(cap_t want)
{
	cap_t have = cap_get_proc();

	if (have == NULL)
		die_errno("Failed to read back capabilities");
	if (cap_compare(want, have) != 0)
		bug("capabilities not dropped as asked");
	cap_free(have);
}

/* Soft and hard: a dropped process cannot raise them again.  NPROC 0: no
 * process of a session forks after its drop (root's own forks are exempt,
 * and the count is per user, so only new processes are refused).  Lowering
 * a limit cannot fail on Linux, except under valgrind, which keeps the top
 * descriptors for itself and refuses RLIMIT_NOFILE below them: a warning
 * there, as NOFILE is only a bound on leaks. */
static const struct {
	int resource;
	rlim_t max;
	const char *name;
	bool required;
} limits[] = {
	{ RLIMIT_CORE, 0, "RLIMIT_CORE", true },
#ifndef BUILT_WITH_ASAN		/* LeakSanitizer clones a tracer at exit */
	{ RLIMIT_NPROC, 0, "RLIMIT_NPROC", true },
#endif
	{ RLIMIT_NOFILE, SESSION_MAX_FDS, "RLIMIT_NOFILE", false },
};

static void
set_limits(void)
{
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		if (sys_setrlimit(limits[i].resource, limits[i].max) == 0)
			continue;
		if (limits[i].required)
			die_errno("Failed to set %s to %lu", limits[i].name,
				  (unsigned long)limits[i].max);
		log_warning("Failed to set %s to %lu: %m, ignoring", limits[i].name,
			    (unsigned long)limits[i].max);
	}
}

void
drop_to(const struct drop_spec *d)
{
	if (d->change_ids) {
		cap_t want = wanted_caps(d);	/* one set, to set and to compare */

		set_ids(d);
		set_caps(want);
		verify_ids(d);
		verify_caps(want);
		cap_free(want);
	} else if (d->chroot_dir) {
		bug("drop_to: chroot without changing ids");
	}
	if (sys_no_new_privs() < 0)
		die_errno("Failed to set no_new_privs");
	if (d->change_ids && sys_set_dumpable(false) < 0)
		die_errno("Failed to clear the dumpable flag");
	set_limits();
}
