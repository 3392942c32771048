/* sandbox_policy.c - the seccomp allowlists of every role, as libseccomp
 * rules; compiled to BPF at build time by tools/genseccomp.c.  See
 * sandbox_policy.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "sandbox_policy.h"

#define PRE	(1u << SANDBOX_PRELOGIN)
#define POST	(1u << SANDBOX_POSTLOGIN)
#define HELP	(1u << SANDBOX_HELPER)
#define SIGN	(1u << SANDBOX_SIGNER)
/* The listener's signing process gets these too: its whole job is reading
 * and writing descriptors it holds (requests in, signatures out, the log),
 * with OpenSSL's memory, clocks and getrandom.  The pre-login process of an
 * FTPS session is also its TLS process (tlsproc.h): PRE is enough for it. */
#define ALL	(PRE | POST | HELP | SIGN)

/* System calls allowed with any arguments. */
static const struct {
	int nr;
	unsigned int roles;
} plain[] = {
	/* process life, signals, time */
	{ SCMP_SYS(exit_group),		ALL },
	{ SCMP_SYS(exit),		ALL },
	{ SCMP_SYS(rt_sigreturn),	ALL },
	{ SCMP_SYS(restart_syscall),	ALL },
	{ SCMP_SYS(rt_sigprocmask),	ALL },
	{ SCMP_SYS(rt_sigaction),	ALL },
	{ SCMP_SYS(getpid),		ALL },
	{ SCMP_SYS(gettid),		ALL },
	{ SCMP_SYS(clock_gettime),	ALL },
	{ SCMP_SYS(gettimeofday),	ALL },
	{ SCMP_SYS(time),		ALL },
	{ SCMP_SYS(nanosleep),		ALL },
	{ SCMP_SYS(clock_nanosleep),	ALL },
	{ SCMP_SYS(getrandom),		ALL },
	/* memory (mmap and mprotect: see exec_rules) */
	{ SCMP_SYS(brk),		ALL },
	{ SCMP_SYS(munmap),		ALL },
	{ SCMP_SYS(mremap),		ALL },
	{ SCMP_SYS(madvise),		ALL },
	/* descriptors the process already holds */
	{ SCMP_SYS(read),		ALL },
	{ SCMP_SYS(write),		ALL },
	{ SCMP_SYS(readv),		ALL },
	{ SCMP_SYS(writev),		ALL },
	{ SCMP_SYS(close),		ALL },
	{ SCMP_SYS(fstat),		ALL },
	{ SCMP_SYS(newfstatat),		ALL },	/* glibc's fstat(); paths: POST only by chroot */
	{ SCMP_SYS(lseek),		ALL },
	{ SCMP_SYS(poll),		ALL },
	{ SCMP_SYS(ppoll),		ALL },
	{ SCMP_SYS(recvfrom),		ALL },
	{ SCMP_SYS(sendto),		ALL },
	{ SCMP_SYS(recvmsg),		ALL },
	{ SCMP_SYS(sendmsg),		ALL },
	/* sockets: data connections (POST), port-20 sockets and limitd (HELP) */
	{ SCMP_SYS(bind),		POST | HELP },
	{ SCMP_SYS(connect),		POST | HELP },
	{ SCMP_SYS(getsockopt),		POST | HELP },
	{ SCMP_SYS(setsockopt),		POST | HELP },
	{ SCMP_SYS(getsockname),	POST | HELP },
	{ SCMP_SYS(getpeername),	POST | HELP },
	{ SCMP_SYS(shutdown),		POST | HELP },
	{ SCMP_SYS(listen),		POST },
	{ SCMP_SYS(accept),		POST },
	{ SCMP_SYS(accept4),		POST },
	/* the file system beneath the user's root */
	{ SCMP_SYS(openat),		POST },
	{ SCMP_SYS(openat2),		POST },
	{ SCMP_SYS(getdents64),		POST },
	{ SCMP_SYS(statx),		POST },
	{ SCMP_SYS(readlinkat),		POST },
	{ SCMP_SYS(mkdirat),		POST },
	{ SCMP_SYS(unlinkat),		POST },
	{ SCMP_SYS(renameat),		POST },
	{ SCMP_SYS(renameat2),		POST },
	{ SCMP_SYS(utimensat),		POST },
	{ SCMP_SYS(fchmod),		POST },
	{ SCMP_SYS(ftruncate),		POST },
	{ SCMP_SYS(pread64),		POST },
	{ SCMP_SYS(sendfile),		POST },
	{ SCMP_SYS(splice),		POST },
	{ SCMP_SYS(pipe2),		POST },
	{ SCMP_SYS(umask),		POST },
	{ SCMP_SYS(sysinfo),		POST },	/* glibc qsort() sizes its buffer */
	/* the helper: reaps the post-login process, log socket reconnects,
	 * chown_uploads */
	{ SCMP_SYS(wait4),		HELP },
	{ SCMP_SYS(dup3),		HELP },
	{ SCMP_SYS(fchown),		HELP },	/* chown_uploads: CAP_CHOWN only then */
};

/* System calls allowed (or failed softly) only with these arguments. */
struct arg_rule {
	int nr;
	unsigned int roles;
	uint32_t action;		/* SCMP_ACT_ALLOW or SCMP_ACT_ERRNO(e) */
	unsigned int arg;		/* argument index */
	scmp_datum_t value;
};

#define ALLOW		SCMP_ACT_ALLOW
/* A log daemon restart makes log.c reconnect; inside a chroot that is refused. */
#define NO_UNIX		SCMP_ACT_ERRNO(EACCES)

static const struct arg_rule arg_rules[] = {
	{ SCMP_SYS(socket), POST | HELP, ALLOW, 0, AF_INET },
	{ SCMP_SYS(socket), POST | HELP, ALLOW, 0, AF_INET6 },
	{ SCMP_SYS(socket), HELP, ALLOW, 0, AF_UNIX },		/* limitd, log */
	{ SCMP_SYS(socket), PRE | POST | SIGN, NO_UNIX, 0, AF_UNIX },
	{ SCMP_SYS(fcntl), ALL, ALLOW, 1, F_GETFL },
	{ SCMP_SYS(fcntl), ALL, ALLOW, 1, F_SETFL },
	{ SCMP_SYS(fcntl), ALL, ALLOW, 1, F_GETFD },
	{ SCMP_SYS(fcntl), ALL, ALLOW, 1, F_SETFD },
	{ SCMP_SYS(fcntl), POST, ALLOW, 1, F_OFD_SETLK },
	{ SCMP_SYS(fcntl), POST, ALLOW, 1, F_OFD_SETLKW },
	{ SCMP_SYS(fcntl), POST, ALLOW, 1, F_OFD_GETLK },
	{ SCMP_SYS(fcntl), POST, ALLOW, 1, F_SETLK },
	{ SCMP_SYS(fcntl), POST, ALLOW, 1, F_SETLKW },
	{ SCMP_SYS(fcntl), POST, ALLOW, 1, F_SETPIPE_SZ },	/* uploads: sys_pipe */
	{ SCMP_SYS(fcntl), POST, ALLOW, 1, F_GETLK },
};

/* mmap and mprotect never with PROT_EXEC: no code is loaded after the drop. */
static const int exec_rules[] = { SCMP_SYS(mmap), SCMP_SYS(mprotect) };

static int
add_plain(scmp_filter_ctx ctx, unsigned int role_bit)
{
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		int r;

		if (!(plain[i].roles & role_bit) || plain[i].nr < 0)
			continue;	/* < 0: not a system call on this architecture */
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, plain[i].nr, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
add_arg_rules(scmp_filter_ctx ctx, unsigned int role_bit)
{
	for (size_t i = 0; i < sizeof(arg_rules) / sizeof(arg_rules[0]); i++) {
		const struct arg_rule *a = &arg_rules[i];
		int r;

		if (!(a->roles & role_bit) || a->nr < 0)
			continue;
		r = seccomp_rule_add(ctx, a->action, a->nr, 1,
				     SCMP_CMP(a->arg, SCMP_CMP_EQ, a->value));
		if (r < 0)
			return r;
	}
	return 0;
}

static int
add_exec_rules(scmp_filter_ctx ctx)
{
	for (size_t i = 0; i < sizeof(exec_rules) / sizeof(exec_rules[0]); i++) {
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, exec_rules[i], 1,
					 SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));

		if (r < 0)
			return r;
	}
	/* abort() signals itself; no other process */
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)SANDBOX_PID_PLACEHOLDER));
}

int
sandbox_policy_build(scmp_filter_ctx ctx, enum sandbox_role role)
{
	unsigned int bit = 1u << role;
	/* system calls of another ABI (x32, i386 on x86-64) kill too */
	int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);

	/* a binary search, not a chain of 90 comparisons: every system call
	 * runs the filter, and the kernel runs it ~900 times at load to build
	 * its per-syscall cache, with interrupts off */
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r == 0)
		r = add_plain(ctx, bit);
	if (r == 0)
		r = add_arg_rules(ctx, bit);
	if (r == 0)
		r = add_exec_rules(ctx);
	return r;
}
