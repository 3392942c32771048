/* sandbox.c - seccomp allowlists per role; see sandbox.h. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "defs.h"
#include "log.h"
#include "sandbox.h"

#ifdef BUILT_WITH_ASAN
#define SANDBOX_COMPILED_OUT 1
#endif

static const char *const role_names[SANDBOX_NROLES] = {
	[SANDBOX_PRELOGIN] = "pre-login",
	[SANDBOX_POSTLOGIN] = "post-login",
	[SANDBOX_HELPER] = "helper",
	[SANDBOX_SIGNER] = "signer",
};

const char *
sandbox_role_name(enum sandbox_role role)
{
	return role < SANDBOX_NROLES ? role_names[role] : "?";
}

#ifdef SANDBOX_COMPILED_OUT

bool
sandbox_available(void)
{
	return false;
}

void
sandbox_enter(const struct config *cfg, enum sandbox_role role)
{
	(void)cfg;
	(void)role;
}

#else

#include <linux/filter.h>

#include "sandbox_policy.h"
#include "sysutil.h"
/* filters[role]: the BPF programs tools/genseccomp.c made at build time */
#include "seccomp_bpf.h"

#ifdef SANDBOX_DEBUG
/* Developer builds: name the system call that would have killed us
 * (by number: scmp_sys_resolver(1) names it). */
static void
on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	char msg[128];
	int n;

	(void)ctx;
	n = snprintf(msg, sizeof(msg), "sandbox: system call %d not permitted\n",
		     si->si_syscall);
	if (n > 0 && sys_write(STDERR_FILENO, msg, (size_t)n) < 0)
		n = 0;
	sys_signal_default(sig);
	sys_raise(sig);
}

static void
catch_violations(void)
{
	(void)sys_signal_info(SIGSYS, on_sigsys);
}
#else
static void
catch_violations(void)
{
}
#endif

/* ROLE's filter with our pid in place of the placeholder (xmalloc'ed). */
static struct sock_filter *
instantiate(enum sandbox_role role)
{
	size_t len = filters[role].len, hits = 0;
	struct sock_filter *f = xreallocarray(NULL, len, sizeof(*f));

	memcpy(f, filters[role].insns, len * sizeof(*f));
	for (size_t i = 0; i < len; i++)
		if (f[i].code == (BPF_JMP | BPF_JEQ | BPF_K) &&
		    f[i].k == SANDBOX_PID_PLACEHOLDER) {
			f[i].k = (uint32_t)sys_getpid();
			hits++;
		}
	if (hits != 1)
		bug("sandbox: %zu pid placeholders in the %s filter", hits, role_names[role]);
	return f;
}

bool
sandbox_available(void)
{
	return true;
}

void
sandbox_enter(const struct config *cfg, enum sandbox_role role)
{
	struct sock_fprog prog;
	int r;

	if (!cfg->seccomp_sandbox)
		return;
	if (role >= SANDBOX_NROLES)
		bug("sandbox_enter: role %d", (int)role);
	catch_violations();
	prog.len = filters[role].len;
	prog.filter = instantiate(role);
	r = sys_seccomp_filter(&prog);
	free(prog.filter);
	if (r < 0)
		die("Failed to install the %s seccomp filter: %s", role_names[role],
		    strerror(-r));
}

#endif
