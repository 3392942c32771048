/* sys_proc.c - system-call wrappers: processes and signals; see sys_proc.h. */
#include <errno.h>
#include <sys/stat.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sysutil.h"

void
sys_exit_session(int status)
{
#ifdef BUILT_WITH_ASAN
	exit(status);		/* LeakSanitizer checks at exit */
#else
	_exit(status);
#endif
}

pid_t
xfork(void)
{
	pid_t pid = fork();

	if (pid < 0)
		die_errno("Failed to fork");
	return pid;
}

int
sys_wait_child(pid_t pid)
{
	int status;
	pid_t r;

	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : status;
}

int
sys_wait_child_ms(pid_t pid, int timeout_ms)
{
	long long deadline = sys_now_ms() + timeout_ms;
	struct timespec tick = { .tv_sec = 0, .tv_nsec = 10 * 1000000 };
	int status;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (sys_now_ms() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&tick, NULL);
	}
}

int
sys_kill(pid_t pid, int sig)
{
	if (pid <= 0)
		return -EINVAL;		/* never a process group by accident */
	return kill(pid, sig) < 0 ? -errno : 0;
}

int
sys_reap_children(void)
{
	int n = 0, status;

	while (waitpid(-1, &status, WNOHANG) > 0)
		n++;
	return n;
}

int
sys_pidfd_open(pid_t pid)
{
	long fd = syscall(SYS_pidfd_open, pid, 0);	/* always close-on-exec */

	return fd < 0 ? -errno : (int)fd;
}

void
sys_signal(int sig, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) < 0)
		die_errno("Failed to install handler for signal %d", sig);
}

void
sys_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	if (sigprocmask(how, set, old) < 0)
		die_errno("Failed to change the signal mask");
}

long
sys_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return -errno;
	}
	return rl.rlim_cur > (rlim_t)LONG_MAX ? LONG_MAX : (long)rl.rlim_cur;
}

pid_t
sys_fork(void)
{
	pid_t pid = fork();

	return pid < 0 ? -errno : pid;
}

int
sys_setpgid(pid_t pid, pid_t pgid)
{
	return setpgid(pid, pgid) < 0 ? -errno : 0;
}

int
sys_kill_group(pid_t pgid, int sig)
{
	if (pgid <= 1)
		bug("sys_kill_group: process group %d", (int)pgid);
	return kill(-pgid, sig) < 0 ? -errno : 0;
}

pid_t
sys_reap_one(void)
{
	int status;
	pid_t pid = waitpid(-1, &status, WNOHANG);

	return pid < 0 ? -errno : pid;
}

pid_t
sys_getpid(void)
{
	return getpid();
}

void
sys_exit_now(int status)
{
	_exit(status);
}

mode_t
sys_umask(mode_t mask)
{
	return umask(mask);
}

void
sys_raise(int sig)
{
	(void)raise(sig);
}

void
sys_signal_default(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(sig, &sa, NULL);
}

int
sys_signal_info(int sig, void (*handler)(int, siginfo_t *, void *))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL) < 0 ? -errno : 0;
}

pid_t
sys_wait_any(int *status)
{
	pid_t pid = wait(status);

	return pid < 0 ? -errno : pid;
}

int
sys_exec_self(char **argv, char **envp)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	struct stat self, there;

	/* by its path while that is still this binary: the process keeps its
	 * name (comm, what ps and pgrep show), where /proc/self/exe would
	 * name it "exe" */
	if (n > 0 && stat("/proc/self/exe", &self) == 0) {
		path[n] = '\0';
		if (stat(path, &there) == 0 && there.st_dev == self.st_dev &&
		    there.st_ino == self.st_ino)
			execve(path, argv, envp);
	}
	execve("/proc/self/exe", argv, envp);
	return -errno;
}
