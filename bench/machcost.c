/*
 * machcost.c - what this machine charges for the things a session is
 * made of, for RESULTS.md's machine description (bench/README.md, "The
 * machine's prices").
 *
 *   build/machcost [ROUNDS]
 *
 *   syscall_us     one system call that does nothing (getppid), the cost
 *                  of entering and leaving the kernel: page-table isolation
 *                  without PCID, or a hypervisor that intercepts it, can
 *                  make it ten times that of bare metal
 *   fork_us        fork + _exit in the child + waitpid, from this small
 *                  process (a session makes three)
 *   fault_us       the first write to a page of fresh anonymous memory
 *   touch_us       the first read, in a child just forked, of a page its
 *                  parent had already filled: no page fault in the child
 *                  (its page table entry was copied), so on bare metal a
 *                  cache miss, but where a hypervisor keeps shadow page
 *                  tables it is an exit per page; every page a session's
 *                  process touches pays it
 *
 * Each figure is the median of ROUNDS (default 21) rounds, wall time; one
 * line of KEY=VALUE words on stdout.  Not a test: nothing here decides
 * pass or fail.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROUNDS	101
#define CALLS		20000
#define FORKS		50
#define PAGES		1024
#define TOUCH_PAGES	256

static double
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static double
one_syscall(void)
{
	double t0 = now_us();

	for (int i = 0; i < CALLS; i++)
		(void)syscall(SYS_getppid);
	return (now_us() - t0) / CALLS;
}

static double
one_fork(void)
{
	double t0 = now_us();

	for (int i = 0; i < FORKS; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid < 0 || waitpid(pid, NULL, 0) != pid)
			return -1;
	}
	return (now_us() - t0) / FORKS;
}

/* Forks of this process with TOUCH_PAGES filled pages mapped; each child
 * reads the first N of them.  RETURNS us per fork, or -1. */
static double
forks_reading(const volatile char *p, size_t n)
{
	long page = sysconf(_SC_PAGESIZE);
	double t0 = now_us();

	for (int i = 0; i < FORKS; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			for (size_t k = 0; k < n; k++)
				(void)p[k * (size_t)page];
			_exit(0);
		}
		if (pid < 0 || waitpid(pid, NULL, 0) != pid)
			return -1;
	}
	return (now_us() - t0) / FORKS;
}

static double
one_touch(void)
{
	size_t len = (size_t)sysconf(_SC_PAGESIZE) * TOUCH_PAGES;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double none, all;

	if (p == MAP_FAILED)
		return -1;
	memset(p, 1, len);
	none = forks_reading(p, 0);
	all = forks_reading(p, TOUCH_PAGES);
	munmap(p, len);
	return none < 0 || all < 0 ? -1 : (all - none) / TOUCH_PAGES;
}

static double
one_fault(void)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (size_t)page * PAGES;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0, us;

	if (p == MAP_FAILED)
		return -1;
	t0 = now_us();
	for (size_t off = 0; off < len; off += (size_t)page)
		p[off] = 1;
	us = (now_us() - t0) / PAGES;
	munmap(p, len);
	return us;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double (*fn)(void), int rounds)
{
	double v[MAX_ROUNDS];

	for (int i = 0; i < rounds; i++)
		v[i] = fn();
	qsort(v, (size_t)rounds, sizeof(v[0]), cmp);
	return v[rounds / 2];
}

int
main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 21;

	if (rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: machcost [ROUNDS 1-%d]\n", MAX_ROUNDS);
		return 2;
	}
	printf("syscall_us=%.3f fork_us=%.1f fault_us=%.3f touch_us=%.3f\n",
	       median(one_syscall, rounds), median(one_fork, rounds), median(one_fault, rounds),
	       median(one_touch, rounds));
	return 0;
}
