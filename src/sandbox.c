/* sandbox.c - seccomp allowlists per role; see sandbox.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
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

int
sandbox_prepare(void)
{
	return 0;
}

void
sandbox_enter(const struct config *cfg, enum sandbox_role role)
{
	(void)cfg;
	(void)role;
}

#else

#include <linux/filter.h>
#include <seccomp.h>
#include <stdlib.h>

#include "sysutil.h"

#define PRE	(1u << SANDBOX_PRELOGIN)
#define POST	(1u << SANDBOX_POSTLOGIN)
#define HELP	(1u << SANDBOX_HELPER)
#define ALL	(PRE | POST | HELP)

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
	{ SCMP_SYS(socket), PRE | POST, NO_UNIX, 0, AF_UNIX },
	{ SCMP_SYS(fcntl), ALL, ALLOW, 1, F_GETFL },
	{ SCMP_SYS(fcntl), ALL, ALLOW, 1, F_SETFL },
	{ SCMP_SYS(fcntl), ALL, ALLOW, 1, F_GETFD },
	{ SCMP_SYS(fcntl), ALL, ALLOW, 1, F_SETFD },
	{ SCMP_SYS(fcntl), POST, ALLOW, 1, F_OFD_SETLK },
	{ SCMP_SYS(fcntl), POST, ALLOW, 1, F_OFD_SETLKW },
	{ SCMP_SYS(fcntl), POST, ALLOW, 1, F_OFD_GETLK },
	{ SCMP_SYS(fcntl), POST, ALLOW, 1, F_SETLK },
	{ SCMP_SYS(fcntl), POST, ALLOW, 1, F_SETLKW },
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

/*
 * Filters are compiled once per process image (sandbox_prepare) and only
 * loaded by each role: libseccomp's compile costs more than the rest of a
 * session's setup.  The one per-process value, our pid in the tgkill rule,
 * is compiled as PID_PLACEHOLDER and patched in at load time.
 */
#define PID_PLACEHOLDER	0x5eccf11du
/* A filter is a few hundred instructions; the kernel's own limit is 4096. */
#define MAX_FILTER_BYTES	(4096 * sizeof(struct sock_filter))

static struct {
	struct sock_filter *insns;
	unsigned short len;
} compiled[SANDBOX_NROLES];

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
				SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)PID_PLACEHOLDER));
}

#ifdef SANDBOX_DEBUG
/* Developer builds: name the system call that would have killed us. */
static void
on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, si->si_syscall);
	char msg[128];
	int n;

	(void)ctx;
	n = snprintf(msg, sizeof(msg), "sandbox: system call %d (%s) not permitted\n",
		     si->si_syscall, name ? name : "?");
	if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0)
		n = 0;
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
catch_violations(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

	sigaction(SIGSYS, &sa, NULL);
}
#define VIOLATION_ACTION	SCMP_ACT_TRAP
#else
static void
catch_violations(void)
{
}
#define VIOLATION_ACTION	SCMP_ACT_KILL_PROCESS
#endif

static int
build(scmp_filter_ctx ctx, enum sandbox_role role)
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

/* Compile ROLE's filter into compiled[ROLE], through a memfd. */
static int
compile(enum sandbox_role role)
{
	scmp_filter_ctx ctx = seccomp_init(VIOLATION_ACTION);
	char *bpf = NULL;
	ssize_t n = -ENOMEM;
	int fd;

	if (ctx == NULL)
		return -ENOMEM;
	fd = sys_memfd("seccomp-bpf");
	n = fd < 0 ? fd : build(ctx, role);
	if (n == 0)
		n = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	if (n == 0)
		n = sys_read_fd_all(fd, MAX_FILTER_BYTES, &bpf);
	sys_close(fd);
	if (n >= 0 && (n == 0 || n % (ssize_t)sizeof(struct sock_filter) != 0))
		n = -EINVAL;
	if (n < 0) {
		free(bpf);
		return (int)n;
	}
	compiled[role].insns = (struct sock_filter *)(void *)bpf;
	compiled[role].len = (unsigned short)((size_t)n / sizeof(struct sock_filter));
	return 0;
}

int
sandbox_prepare(void)
{
	for (int role = 0; role < SANDBOX_NROLES; role++) {
		int r = compiled[role].insns ? 0 : compile((enum sandbox_role)role);

		if (r < 0)
			return r;
	}
	return 0;
}

/* ROLE's compiled filter with our pid in place of the placeholder. */
static struct sock_filter *
instantiate(enum sandbox_role role)
{
	size_t len = compiled[role].len, hits = 0;
	struct sock_filter *f = xreallocarray(NULL, len, sizeof(*f));

	memcpy(f, compiled[role].insns, len * sizeof(*f));
	for (size_t i = 0; i < len; i++)
		if (f[i].code == (BPF_JMP | BPF_JEQ | BPF_K) && f[i].k == PID_PLACEHOLDER) {
			f[i].k = (uint32_t)getpid();
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
	r = compiled[role].insns ? 0 : compile(role);
	if (r < 0)
		die("Failed to compile the %s seccomp filter: %s", role_names[role],
		    strerror(-r));
	catch_violations();
	prog.len = compiled[role].len;
	prog.filter = instantiate(role);
	r = sys_seccomp_filter(&prog);
	free(prog.filter);
	if (r < 0)
		die("Failed to install the %s seccomp filter: %s", role_names[role],
		    strerror(-r));
}

#endif
