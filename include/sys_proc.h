/*
 * sys_proc.h - system-call wrappers: processes and signals.
 * Processes and signals: fork, wait and reap, kill, process groups,
 * signal handlers and masks, exit, resource limits.
 * The conventions of sysutil.h hold: EINTR retried, every descriptor
 * close-on-exec, -errno returned (x* functions die instead).
 */
#ifndef MINIFTPD_SYS_PROC_H
#define MINIFTPD_SYS_PROC_H

#include <signal.h>
#include <sys/types.h>

/* sys_exit_session - end a session process now: _exit(2), without the
 * exit handlers and the destructors of every library (a tenth of a short
 * session's exit), which have nothing to do here: replies, logs and the
 * xferlog are written unbuffered.  ASan builds exit() for LeakSanitizer. */
void sys_exit_session(int status) __attribute__((noreturn));

/* xfork - fork or die. */
pid_t xfork(void);

/* sys_wait_child - waitpid(PID) with EINTR retry. RETURNS status or -errno. */
int sys_wait_child(pid_t pid);

/* sys_wait_child_ms - waitpid(PID) for at most TIMEOUT_MS.
 * RETURNS its status, -ETIMEDOUT when it still runs, or -errno. */
int sys_wait_child_ms(pid_t pid, int timeout_ms);

/* sys_kill - kill(2) one process PID (> 0: never a group). RETURNS 0 or -errno. */
int sys_kill(pid_t pid, int sig);

/* sys_pidfd_open - a descriptor (close-on-exec) that polls readable once
 * the child PID has exited (Linux 5.3).  RETURNS it or -errno. */
int sys_pidfd_open(pid_t pid);

/* sys_reap_children - reap every exited child without blocking; RETURNS count. */
int sys_reap_children(void);

/* sys_signal - install HANDLER for SIG with SA_RESTART (SIG_IGN/SIG_DFL ok). */
void sys_signal(int sig, void (*handler)(int));

/* sys_sigmask - sigprocmask(HOW, SET, OLD); dies on failure (a bad HOW). */
void sys_sigmask(int how, const sigset_t *set, sigset_t *old);

/* sys_raise_nofile - raise the soft RLIMIT_NOFILE to the hard limit.
 * RETURNS the new soft limit, or -errno. */
long sys_raise_nofile(void);

/* sys_fork - fork(2). RETURNS the child's pid, 0 in the child, or -errno. */
pid_t sys_fork(void);

/* sys_setpgid - setpgid(2): put PID (0: the caller) into group PGID (0: its own).
 * RETURNS 0 or -errno. */
int sys_setpgid(pid_t pid, pid_t pgid);

/* sys_kill_group - send SIG to every process of group PGID. RETURNS 0 or -errno. */
int sys_kill_group(pid_t pgid, int sig);

/* sys_reap_one - reap one exited child without blocking.
 * RETURNS its pid, 0 when none has exited, or -errno (-ECHILD: no children). */
pid_t sys_reap_one(void);

/* sys_getpid - the caller's pid. */
pid_t sys_getpid(void);
/* sys_exit_now - _exit(2): no exit handlers, in every build (compare
 * sys_exit_session). */
void sys_exit_now(int status) __attribute__((noreturn));
/* sys_umask - umask(2). RETURNS the previous mask. */
mode_t sys_umask(mode_t mask);
/* sys_raise - raise(3) SIG in the calling thread. Async-signal-safe. */
void sys_raise(int sig);
/* sys_signal_default - SIG back to SIG_DFL, no flags. Async-signal-safe
 * (for a handler that re-raises its signal). */
void sys_signal_default(int sig);
/* sys_signal_info - install the SA_SIGINFO HANDLER for SIG.
 * RETURNS 0 or -errno. */
int sys_signal_info(int sig, void (*handler)(int, siginfo_t *, void *));
/* sys_wait_any - one wait(2) for any child; its status in *STATUS.
 * RETURNS its pid, or -errno (-EINTR is returned: the caller loops). */
pid_t sys_wait_any(int *status);
/* sys_exec_self - execve(2) of this very binary with ARGV and ENVP: by
 * its path (so that the process keeps its name) while the path still
 * names it, else /proc/self/exe (the path changed); the pid and every
 * descriptor without close-on-exec stay.  RETURNS -errno (only on
 * failure). */
int sys_exec_self(char **argv, char **envp);

#endif
