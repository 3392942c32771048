/*
 * sandbox_policy.h - the seccomp allowlists of every role, as libseccomp
 * rules (sandbox.h says what each role may do and why).
 *
 * Build time only: tools/genseccomp.c turns each role's rules into a BPF
 * program with libseccomp and writes them to $(BUILD)/seccomp_bpf.h, which
 * sandbox.c loads.  Compiling with libseccomp at run time cost about
 * 0.4 ms of CPU per filter, three filters per session, and under socket
 * activation (one exec per connection) it cannot be shared; the filters do
 * not depend on the configuration, only on the architecture, which is the
 * build machine's as for every other object.
 */
#ifndef MINIFTPD_SANDBOX_POLICY_H
#define MINIFTPD_SANDBOX_POLICY_H

#include <seccomp.h>
#include <stdint.h>

#include "sandbox.h"

/*
 * The one per-process value of a filter: abort() may signal only its own
 * process (tgkill with our pid).  The rule is compiled with this constant,
 * which sandbox.c replaces with getpid() when it loads the filter; it must
 * occur exactly once in each program.
 */
#define SANDBOX_PID_PLACEHOLDER	0x5eccf11du

/*
 * What a system call outside the list gets: the whole process is killed
 * (SIGSYS), or, in -DSANDBOX_DEBUG builds, a trap that names the call.
 */
#ifdef SANDBOX_DEBUG
#define SANDBOX_VIOLATION_ACTION	SCMP_ACT_TRAP
#else
#define SANDBOX_VIOLATION_ACTION	SCMP_ACT_KILL_PROCESS
#endif

/*
 * sandbox_policy_build - add ROLE's rules to CTX (made with
 * seccomp_init(SANDBOX_VIOLATION_ACTION)): the allowlist, argument rules,
 * no PROT_EXEC mappings, a kill for foreign ABIs, binary-search layout.
 * RETURNS 0 or a negative errno from libseccomp.
 */
int sandbox_policy_build(scmp_filter_ctx ctx, enum sandbox_role role);

#endif
