/* test_sandbox.c - every role's seccomp filter: allowed calls run, others kill. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "sandbox.h"

#define PRE	(1u << SANDBOX_PRELOGIN)
#define POST	(1u << SANDBOX_POSTLOGIN)
#define HELP	(1u << SANDBOX_HELPER)
#define SIGN	(1u << SANDBOX_SIGNER)
#define ALL	(PRE | POST | HELP | SIGN)
#define NONE	0u

/* Each probe makes one system call; returning at all means "not killed". */
static void
p_getpid(void)
{
	(void)syscall(SYS_getpid);
}

static void
p_fork(void)
{
	if (fork() == 0)
		_exit(0);
}

static void
p_execve(void)
{
	char *argv[] = { (char *)"true", NULL };

	execve("/bin/true", argv, NULL);
}

static void
p_ptrace(void)
{
	(void)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
}

static void
p_kill_parent(void)
{
	(void)kill(getppid(), 0);
}

static void
p_openat(void)
{
	int fd = openat(AT_FDCWD, "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
}

static void
p_socket_inet(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0)
		close(fd);
}

/* AF_UNIX fails softly with EACCES where it is not allowed (log reconnects). */
static void
p_socket_unix(void)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd >= 0)
		close(fd);
	else if (errno != EACCES)
		_exit(3);
}

static void
p_socket_netlink(void)
{
	(void)socket(AF_NETLINK, SOCK_RAW, 0);
}

static void
p_mmap_exec(void)
{
	(void)mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void
p_mmap_rw(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED)
		munmap(p, 4096);
}

static void
p_mprotect_exec(void)
{
	static char page[8192] __attribute__((aligned(4096)));

	(void)mprotect(page, 4096, PROT_READ | PROT_EXEC);
}

static void
p_listen(void)
{
	(void)listen(0, 1);
}

static void
p_fchown(void)
{
	(void)syscall(SYS_fchown, 0, -1, -1);
}

static void
p_setuid(void)
{
	(void)syscall(SYS_setuid, 0);
}

static void
p_prctl(void)
{
	(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

static void
p_chroot(void)
{
	(void)syscall(SYS_chroot, "/");
}

static void
p_unshare(void)
{
	(void)syscall(SYS_unshare, 0);
}

static void
p_wait4(void)
{
	(void)syscall(SYS_wait4, -1, NULL, WNOHANG, NULL);
}

#ifdef __x86_64__
/* The x32 ABI: getpid with __X32_SYSCALL_BIT. */
static void
p_x32(void)
{
	(void)syscall(0x40000000 | SYS_getpid);
}

/* The i386 ABI through int $0x80 (getpid is 20 there). */
static void
p_int80(void)
{
	long ret = 20;

	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
}
#endif

static const struct {
	const char *name;
	void (*probe)(void);
	unsigned int survives;		/* roles in which the call is permitted */
} probes[] = {
	{ "getpid", p_getpid, ALL },
	{ "mmap rw", p_mmap_rw, ALL },
	{ "socket AF_UNIX", p_socket_unix, ALL },	/* EACCES or allowed: never a kill */
	{ "wait4", p_wait4, HELP },
	{ "fchown", p_fchown, HELP },
	{ "openat", p_openat, POST },
	{ "socket AF_INET", p_socket_inet, POST | HELP },
	{ "listen", p_listen, POST },
	{ "fork", p_fork, NONE },
	{ "execve", p_execve, NONE },
	{ "ptrace", p_ptrace, NONE },
	{ "kill", p_kill_parent, NONE },
	{ "socket AF_NETLINK", p_socket_netlink, NONE },
	{ "mmap PROT_EXEC", p_mmap_exec, NONE },
	{ "mprotect PROT_EXEC", p_mprotect_exec, NONE },
	{ "setuid", p_setuid, NONE },
	{ "prctl", p_prctl, NONE },
	{ "chroot", p_chroot, NONE },
	{ "unshare", p_unshare, NONE },
#ifdef __x86_64__
	{ "x32 getpid", p_x32, NONE },
	{ "i386 getpid", p_int80, NONE },
#endif
};

/*
 * Run PROBE in a child, confined to ROLE when CONFINE.  The child gets the
 * default action for the signals cmocka catches: a fault must end it, not
 * send it back into cmocka's test loop.  RETURNS the child's wait status.
 */
static int
run_child(bool confine, enum sandbox_role role, void (*probe)(void))
{
	static const int faults[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGSYS };
	static struct config cfg;
	int status;
	pid_t pid;

	cfg.seccomp_sandbox = true;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
			signal(faults[i], SIG_DFL);
		alarm(10);
		if (confine)
			sandbox_enter(&cfg, role);
		probe();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static int
run_confined(enum sandbox_role role, void (*probe)(void))
{
	return run_child(true, role, probe);
}

/*
 * A probe the kernel itself refuses says nothing about the filter: some
 * kernels fault on int $0x80 (no IA-32 emulation).  RETURNS whether PROBE
 * runs without a filter.
 */
static bool
kernel_runs(void (*probe)(void))
{
	int st = run_child(false, SANDBOX_PRELOGIN, probe);

	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void
check_role(enum sandbox_role role)
{
	if (!sandbox_available())
		skip();
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		bool want_alive = probes[i].survives & (1u << role);
		int st;

		if (!kernel_runs(probes[i].probe)) {
			printf("# %s role: %s fails without a filter on this kernel, not probed\n",
			       sandbox_role_name(role), probes[i].name);
			continue;
		}
		st = run_confined(role, probes[i].probe);

		if (want_alive && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
			fail_msg("%s role: %s should run, wait status 0x%x",
				 sandbox_role_name(role), probes[i].name, (unsigned int)st);
		if (!want_alive && !(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS))
			fail_msg("%s role: %s should be killed by SIGSYS, wait status 0x%x",
				 sandbox_role_name(role), probes[i].name, (unsigned int)st);
	}
}

/* abort() signals the process itself (tgkill with our pid): permitted. */
static void
check_abort(enum sandbox_role role)
{
	int st = run_confined(role, abort);

	if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT))
		fail_msg("%s role: abort() should end in SIGABRT, wait status 0x%x",
			 sandbox_role_name(role), (unsigned int)st);
}

/* The pre-login process; in an FTPS session also the TLS process (its
 * handshake, then the pump after login). */
static void
test_prelogin(void **state)
{
	(void)state;
	check_role(SANDBOX_PRELOGIN);
	check_abort(SANDBOX_PRELOGIN);
}

static void
test_postlogin(void **state)
{
	(void)state;
	check_role(SANDBOX_POSTLOGIN);
	check_abort(SANDBOX_POSTLOGIN);
}

static void
test_helper(void **state)
{
	(void)state;
	check_role(SANDBOX_HELPER);
	check_abort(SANDBOX_HELPER);
}

/* The listener's signing process: its descriptors, memory, clocks; no
 * open, no socket. */
static void
test_signer(void **state)
{
	(void)state;
	check_role(SANDBOX_SIGNER);
	check_abort(SANDBOX_SIGNER);
}

/* seccomp_sandbox=NO installs nothing: a forbidden call runs. */
static void
test_disabled(void **state)
{
	static struct config cfg;
	int status;
	pid_t pid;

	(void)state;
	cfg.seccomp_sandbox = false;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sandbox_enter(&cfg, SANDBOX_PRELOGIN);
		p_kill_parent();
		p_openat();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
test_role_names(void **state)
{
	(void)state;
	assert_string_equal(sandbox_role_name(SANDBOX_PRELOGIN), "pre-login");
	assert_string_equal(sandbox_role_name(SANDBOX_POSTLOGIN), "post-login");
	assert_string_equal(sandbox_role_name(SANDBOX_HELPER), "helper");
	assert_string_equal(sandbox_role_name(SANDBOX_SIGNER), "signer");
	assert_string_equal(sandbox_role_name(SANDBOX_NROLES), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prelogin),
		cmocka_unit_test(test_postlogin),
		cmocka_unit_test(test_helper),
		cmocka_unit_test(test_signer),
		cmocka_unit_test(test_disabled),
		cmocka_unit_test(test_role_names),
	};

	setvbuf(stdout, NULL, _IONBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
