/*
 * sandbox.h - seccomp system-call allowlists, one per process role.
 *
 * Each role gets a filter right after drop_to(): a system call that is
 * not on its list kills the whole process (SCMP_ACT_KILL_PROCESS, SIGSYS),
 * and the other process of the session sees the socketpair close:
 *
 *   role                   after                 its peer on death
 *   SANDBOX_PRELOGIN       prelogin drop_to()    helper: 421 to the client
 *   SANDBOX_POSTLOGIN      postlogin drop_to()   helper exits
 *   SANDBOX_HELPER         helper drop_to()      service process: 421
 *   SANDBOX_SIGNER         signer drop_to()      listener: logs it, starts another
 *
 * The helper before login gets no filter: it runs as root on purpose
 * (shadow, crypt, NSS modules that may talk to nscd/sssd/LDAP, fork and
 * setuid of the post-login process), so an allowlist would have to hold
 * nearly everything; it parses only framed, length-checked messages.
 *
 * Why libseccomp and not raw BPF: the filter must check the audit
 * architecture and refuse the x32 and i386 entry points on x86-64 (a
 * classic hole in hand-written filters), compare arguments (socket
 * families, fcntl commands, no PROT_EXEC mappings) and name system calls
 * portably; libseccomp (Debian libseccomp2, already a dependency of
 * systemd) does all three and keeps the lists readable tables
 * (src/sandbox_policy.c).  It runs at build time (sandbox_policy.h):
 * miniftpd only loads the programs, patching in its pid.
 *
 * Beyond the lists, two properties hold in every role: nothing can be
 * mapped executable after the drop (so no NSS module or other library can
 * be loaded from a chroot the user can write to), and no process can fork
 * or exec (RLIMIT_NPROC 0 says the same without seccomp, privdrop.c).
 *
 * Sanitizer builds (SANITIZE=1, libFuzzer) have no filter: ASan and LSan
 * need clone, ptrace, /proc and executable mappings at run time.  There
 * sandbox_available() is false and sandbox_enter() does nothing; the
 * release build is the one the integration tests check for "Seccomp: 2".
 * Building with -DSANDBOX_DEBUG traps instead of killing and writes the
 * offending system call's name to stderr, for extending the lists.
 */
#ifndef MINIFTPD_SANDBOX_H
#define MINIFTPD_SANDBOX_H

#include <stdbool.h>

#include "config.h"

enum sandbox_role {
	SANDBOX_PRELOGIN,	/* service process before login: FTP parsing only */
	SANDBOX_POSTLOGIN,	/* service process after login: files, data sockets */
	SANDBOX_HELPER,		/* helper after login: port-20 sockets, limitd */
	SANDBOX_SIGNER,		/* the listener's signing process (tlssign.h) */
	SANDBOX_NROLES
};

/*
 * sandbox_enter - install ROLE's filter in the calling process when
 * CFG->seccomp_sandbox is YES and the build has the sandbox.  Call after
 * drop_to() and before touching client input.  Dies when the filter
 * cannot be installed: a process that was meant to be confined must not
 * run unconfined.  Service processes and the helper.
 */
void sandbox_enter(const struct config *cfg, enum sandbox_role role);

/*
 * sandbox_available - false in builds without a filter (sanitizers).
 */
bool sandbox_available(void);

/*
 * sandbox_role_name - "pre-login", "post-login", "helper", "signer"; for
 * logs and tests.
 */
const char *sandbox_role_name(enum sandbox_role role);

#endif
