/* prelogin.c - the pre-login service process's life; see prelogin.h. */
#include "ftpcmd.h"
#include "ftpproto.h"
#include "log.h"
#include "prelogin.h"
#include "privdrop.h"
#include "runtime.h"
#include "sandbox.h"
#include "session.h"

static void
drop(const struct session *s)
{
	const struct runtime *rt = s->rt;
	struct drop_spec d = {
		.change_ids = rt->privileged,
		.uid = rt->nopriv_uid, .gid = rt->nopriv_gid,
		.groups = &rt->nopriv_gid, .ngroups = 1,
		.chroot_dir = rt->privileged ? s->cfg->secure_chroot_dir : NULL,
	};

	drop_to(&d);
}

void
prelogin_main(struct session *s, int priv_fd)
{
	s->priv_fd = priv_fd;
	s->root_fd = -1;
	ftp_set_session_for_die(s);
	log_set_prefix("session %s", s->peer_str);
	drop(s);
	sandbox_enter(s->cfg, SANDBOX_PRELOGIN);
	ftp_prelogin(s);
}
