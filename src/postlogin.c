/* postlogin.c - the post-login service process's life; see postlogin.h. */
#include "ftpcmd.h"
#include "ftpproto.h"
#include "idnames.h"
#include "log.h"
#include "postlogin.h"
#include "privdrop.h"
#include "runtime.h"
#include "sandbox.h"
#include "session.h"

static void
drop(const struct session *s, const struct login *l)
{
	struct drop_spec d = {
		.change_ids = s->rt->privileged,
		.uid = l->uid, .gid = l->gid,
		.groups = l->groups, .ngroups = l->ngroups,
		.chroot_dir = l->chroot ? l->root : NULL,
	};

	drop_to(&d);
}

void
postlogin_main(struct session *s, int priv_fd)
{
	s->priv_fd = priv_fd;
	s->root_fd = -1;
	ftp_set_session_for_die(s);
	if (!s->cfg->hide_ids)
		idnames_refresh(s->cfg->names_cache_file);	/* NSS is out of reach once chrooted */
	drop(s, &s->login);
	sandbox_enter(s->cfg, SANDBOX_POSTLOGIN);
	log_set_prefix("session %s %s", s->peer_str, s->login.user);
	log_set_user(s->login.user);
	ftp_postlogin(s);
}
