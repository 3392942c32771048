/*
 * listfloor.c - the kernel's share of a LIST: what any server must do for
 * `ls -l` lines of a directory, and nothing else (bench/README.md, LIST).
 *
 *   cc -O2 -o build/listfloor bench/listfloor.c
 *   build/listfloor DIR [REPEATS]
 *
 * Each repeat opens DIR, reads every name with getdents64 (32 KiB, as
 * glibc's readdir), then fstatat(dirfd, name, AT_SYMLINK_NOFOLLOW) for
 * each, as miniftpd and Pure-FTPd do: no sorting, formatting or sending.
 * Prints the median and minimum of REPEATS (default 20) in ms.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_NAMES	(1 << 20)

struct dirent64_raw {
	unsigned long long ino;
	long long off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One listing's system calls; RETURNS the entries stat'ed, or -1. */
static long
one_pass(const char *dir, char *names, size_t size, char **v)
{
	static char buf[32768];
	size_t used = 0;
	long n = 0, got;
	struct stat st;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
		for (long o = 0; o < got; ) {
			struct dirent64_raw *d = (struct dirent64_raw *)(buf + o);
			size_t len = strlen(d->name) + 1;

			o += d->reclen;
			if (d->name[0] == '.' || n == MAX_NAMES || size - used < len)
				continue;
			v[n++] = memcpy(names + used, d->name, len);
			used += len;
		}
	for (long i = 0; i < n; i++)
		fstatat(fd, v[i], &st, AT_SYMLINK_NOFOLLOW);
	close(fd);
	return n;
}

int
main(int argc, char **argv)
{
	int reps = argc > 2 ? atoi(argv[2]) : 20;
	size_t size = 64u << 20;
	char *names = malloc(size), **v = calloc(MAX_NAMES, sizeof(*v));
	double *ms = calloc(reps > 0 ? (size_t)reps : 1, sizeof(*ms));
	long n = 0;

	if (argc < 2 || reps < 1 || !names || !v || !ms) {
		fprintf(stderr, "usage: listfloor DIR [REPEATS]\n");
		return 2;
	}
	for (int r = 0; r < reps; r++) {
		double t0 = now_ms();

		n = one_pass(argv[1], names, size, v);
		if (n < 0) {
			perror(argv[1]);
			return 1;
		}
		ms[r] = now_ms() - t0;
	}
	qsort(ms, (size_t)reps, sizeof(*ms), cmp_double);
	printf("entries=%ld repeats=%d median_ms=%.3f min_ms=%.3f\n", n, reps, ms[reps / 2], ms[0]);
	return 0;
}
