/*
 * limitd_bench.c - limitd micro-benchmark (issue 8, metric 6).
 *
 * usage: limitd_bench [--quick] [--workers N] [--limitd PATH]
 *
 * Starts a private limitd (PATH, default: the limitd next to this program)
 * on a temporary socket with no limits, then measures
 *   admissions_per_s          N worker processes (default 4 per CPU), each
 *                             looping connect, ADMIT, verdict, close, as
 *                             many helpers asking at once would; with one
 *                             per CPU the figure is the round trip of two
 *                             blocking clients, not what limitd sustains
 *   limitd_cpu_us_per_admission  limitd's own CPU time (user + system)
 *                             per admission, and the rate that makes on
 *                             a CPU of its own (limitd_capacity_per_s);
 *                             on a small machine the workers compete with
 *                             limitd for the CPUs
 *   syscall_floor_us_per_admission  the kernel's price of the six calls
 *                             limitd makes per admission (accept4,
 *                             SO_PEERCRED, EPOLL_CTL_ADD, recvmsg, send,
 *                             close), timed in this process with nothing
 *                             else around them: no user-space work, no
 *                             wake-up, no scheduling.  No design with one
 *                             connection per session does less per CPU.
 *   bytes_per_session_N       growth of limitd's proportional set size
 *                             (smaps_rollup Pss) while N sessions from N
 *                             distinct addresses are held, divided by N
 * and prints one line of KEY=VALUE pairs on stdout (bench/run.sh reads it);
 * a figure that could not be measured is "n/a".  Progress goes to stderr.
 * Holding 100,000 sessions needs 100,000 descriptors in limitd and as many
 * here: the hard RLIMIT_NOFILE is raised when we may (CAP_SYS_RESOURCE);
 * when it cannot be, that figure is n/a, stderr says why and nofile= gives
 * the limit we got.
 * Not a test: nothing here decides pass or fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchproc.h"
#include "limitproto.h"
#include "str.h"
#include "sysutil.h"

#define HELD_SMALL	10000
#define HELD_LARGE	100000
#define FD_SLACK	4096
#define WORKERS_PER_CPU	4
#define MAX_WORKERS	64
#define FLOOR_ROUNDS	20000

static char sock_path[128];
static char dir_path[64];

static void
fatal(const char *what)
{
	fprintf(stderr, "limitd_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The ADMIT request for address number I (10.a.b.c, all distinct). */
static void
admit_msg(unsigned int i, struct buf *b)
{
	struct limit_msg m = { .type = LIMIT_REQ_ADMIT };

	m.u.admit.addr.family = LIMIT_AF_INET;
	m.u.admit.addr.bytes[0] = 10;
	m.u.admit.addr.bytes[1] = (uint8_t)(i >> 16);
	m.u.admit.addr.bytes[2] = (uint8_t)(i >> 8);
	m.u.admit.addr.bytes[3] = (uint8_t)i;
	if (limit_encode(&m, b) < 0)
		abort();
}

/* Connect and be admitted. RETURNS the held fd, or -1. */
static int
admit_one(unsigned int i)
{
	uint8_t pkt[LIMIT_MAX_MSG];
	struct limit_msg ans;
	struct buf b;
	ssize_t n;
	int fd = sys_unix_connect(sock_path, SOCK_SEQPACKET);

	if (fd < 0)
		return -1;
	admit_msg(i, &b);
	if (sys_send(fd, b.data, b.len, 0) < 0 ||
	    (n = sys_recv_packet(fd, pkt, sizeof(pkt), 0)) <= 0 ||
	    limit_decode(pkt, (size_t)n, &ans) < 0 ||
	    ans.type != LIMIT_ANS_VERDICT || ans.u.verdict != LIMIT_V_ADMIT) {
		sys_close(fd);
		return -1;
	}
	return fd;
}

/*
 * Raise our descriptor limit to WANT (and the hard limit when allowed);
 * limitd inherits it.  RETURNS the soft limit we have; *ERR is the errno
 * of a refused raise of the hard limit (EPERM without CAP_SYS_RESOURCE),
 * else 0.
 */
static long
raise_nofile(long want, int *err)
{
	struct rlimit rl;

	*err = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if ((long)rl.rlim_max < want) {
		struct rlimit up = { .rlim_cur = (rlim_t)want, .rlim_max = (rlim_t)want };

		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			return want;
		*err = errno;
	}
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	return (long)rl.rlim_cur;
}

/* Microseconds since T0. */
static double
elapsed_us(struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e6 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e3;
}

/* One admission as limitd's kernel sees it. RETURNS the server-side us. */
static double
floor_round(int lfd, int ep, const char *path, struct buf *req)
{
	uint8_t pkt[LIMIT_MAX_MSG];
	struct epoll_event ev[4];
	struct timespec t0;
	double us;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	int s, c = sys_unix_connect(path, SOCK_SEQPACKET);

	if (c < 0 || sys_send(c, req->data, req->len, 0) < 0)
		fatal("floor: connect");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	s = sys_accept_nb(lfd);
	if (s < 0 || sys_peercred(s, &pid, &uid, &gid) < 0 ||
	    sys_epoll_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN | EPOLLRDHUP, NULL) < 0 ||
	    sys_recv_packet(s, pkt, sizeof(pkt), MSG_DONTWAIT) <= 0 ||
	    sys_send(s, pkt, 12, MSG_DONTWAIT) < 0)
		fatal("floor: serve");
	us = elapsed_us(&t0);
	sys_recv_packet(c, pkt, sizeof(pkt), 0);
	sys_close(c);
	sys_epoll_wait(ep, ev, 4, 0, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sys_close(s);
	return us + elapsed_us(&t0);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * The kernel's floor: limitd's six calls per admission, in a loop on one
 * listening socket of our own.  Wall time, so the median round: a round
 * in which another process took the CPU says nothing about the calls.
 * RETURNS microseconds per admission.
 */
static double
syscall_floor(unsigned int rounds)
{
	char path[128];
	struct buf req;
	double *us = xcalloc(rounds, sizeof(*us)), median;
	int lfd, ep;

	str_fmt(path, sizeof(path), "%s/floor.sock", dir_path);
	lfd = sys_unix_listen(path, SOCK_SEQPACKET, 128);
	ep = sys_epoll_create();
	if (lfd < 0 || ep < 0)
		fatal("floor: listen");
	admit_msg(0, &req);
	for (unsigned int i = 0; i < rounds; i++)
		us[i] = floor_round(lfd, ep, path, &req);
	sys_close(ep);
	sys_close(lfd);
	unlink(path);
	qsort(us, rounds, sizeof(*us), cmp_double);
	median = us[rounds / 2];
	free(us);
	return median;
}

static pid_t
start_limitd(const char *limitd)
{
	char conf[160], opt[192];
	FILE *f;
	pid_t pid;

	if (str_fmt(conf, sizeof(conf), "%s/limitd.conf", dir_path) < 0)
		abort();
	f = fopen(conf, "w");
	if (f == NULL)
		fatal("writing the configuration");
	fprintf(f, "max_clients=0\nmax_per_ip=0\nmax_per_user=0\n");
	fclose(f);
	if (str_fmt(opt, sizeof(opt), "-olimitd_socket=%s", sock_path) < 0)
		abort();
	pid = fork();
	if (pid < 0)
		fatal("fork");
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execl(limitd, limitd, conf, opt, (char *)NULL);
		_exit(127);
	}
	return bench_await_limitd(pid, sock_path, "limitd_bench", limitd);
}

/* A worker: admissions until DEADLINE_MS; writes its count to OUT. */
static void
worker(unsigned int id, long long deadline_ms, int out)
{
	unsigned long count = 0, failed = 0;

	while (sys_now_ms() < deadline_ms) {
		for (int k = 0; k < 64; k++) {
			int fd = admit_one(id * 1000003u + (unsigned int)count);

			if (fd < 0)
				failed++;
			else
				count++;
			sys_close(fd);
		}
	}
	dprintf(out, "%lu %lu\n", count, failed);
	_exit(0);
}

static double
admissions_per_s(unsigned int workers, int ms, unsigned long *admitted)
{
	long long start = sys_now_ms(), deadline = start + ms;
	unsigned long total = 0, failed = 0;
	int p[2];

	if (pipe(p) < 0)
		fatal("pipe");
	for (unsigned int w = 0; w < workers; w++)
		if (xfork() == 0) {
			close(p[0]);
			worker(w, deadline, p[1]);
		}
	close(p[1]);
	for (unsigned int w = 0; w < workers; w++)
		while (wait(NULL) < 0 && errno == EINTR)
			;
	{
		FILE *f = fdopen(p[0], "r");
		unsigned long c, fl;

		while (f && fscanf(f, "%lu %lu", &c, &fl) == 2) {
			total += c;
			failed += fl;
		}
		if (f)
			fclose(f);
	}
	if (failed)
		fprintf(stderr, "limitd_bench: %lu admissions failed\n", failed);
	*admitted = total;
	return (double)total * 1000.0 / (double)(sys_now_ms() - start);
}

/* limitd's proportional set size in bytes, or -1. */
static long long
pss_bytes(pid_t pid)
{
	char path[64], line[256];
	long long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Pss: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

/* Hold sessions until *HELD reaches N. RETURNS false when one failed. */
static bool
hold_until(int *fds, unsigned int *held, unsigned int n)
{
	for (; *held < n; (*held)++) {
		fds[*held] = admit_one(*held);
		if (fds[*held] < 0) {
			fprintf(stderr, "limitd_bench: admission %u failed: %s\n", *held,
				strerror(errno));
			return false;
		}
	}
	return true;
}

static void
fmt_per_session(char *out, size_t len, long long base, long long now, unsigned int n)
{
	if (base < 0 || now < 0)
		snprintf(out, len, "n/a");
	else
		snprintf(out, len, "%lld", (now - base) / (long long)n);
}

/* Say why N sessions cannot be held with NOFILE descriptors. */
static void
explain_nofile(long nofile, int err, unsigned int n)
{
	fprintf(stderr, "limitd_bench: not holding %u sessions: RLIMIT_NOFILE is %ld here "
		"and limitd needs %u descriptors for them%s%s%s\n", n, nofile, n,
		err ? "; raising the hard limit failed: " : "", err ? strerror(err) : "",
		err == EPERM ? " (needs CAP_SYS_RESOURCE, which this process lacks)" : "");
}

static unsigned int
default_workers(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return cpus < 1 ? WORKERS_PER_CPU : (unsigned int)cpus * WORKERS_PER_CPU;
}

int
main(int argc, char **argv)
{
	char limitd[PATH_MAX], self[PATH_MAX], conf[160], small[32] = "n/a", large[32] = "n/a";
	bool quick = false;
	unsigned int workers = 0, held = 0;
	long nofile;
	long long base;
	double rate, floor_us, us_per = -1;
	unsigned long admitted;
	long long cpu0;
	int *fds, nofile_err;
	pid_t pid;

	if (str_lcpy(self, argv[0], sizeof(self)) < 0 ||
	    str_fmt(limitd, sizeof(limitd), "%s/limitd", dirname(self)) < 0)
		return 2;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = true;
		else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc &&
			 (workers = (unsigned int)atoi(argv[i + 1])) > 0 && workers <= MAX_WORKERS)
			i++;
		else if (strcmp(argv[i], "--limitd") == 0 && i + 1 < argc &&
			 str_lcpy(limitd, argv[i + 1], sizeof(limitd)) == 0)
			i++;
		else {
			fprintf(stderr, "usage: limitd_bench [--quick] [--workers 1-%d] [--limitd PATH]\n",
				MAX_WORKERS);
			return 2;
		}
	}
	str_lcpy(dir_path, "/tmp/limitd-bench-XXXXXX", sizeof(dir_path));
	if (mkdtemp(dir_path) == NULL)
		fatal("mkdtemp");
	str_fmt(sock_path, sizeof(sock_path), "%s/limitd.sock", dir_path);
	nofile = raise_nofile(2L * HELD_LARGE + FD_SLACK, &nofile_err);
	signal(SIGPIPE, SIG_IGN);
	floor_us = syscall_floor(quick ? FLOOR_ROUNDS / 4 : FLOOR_ROUNDS);
	pid = start_limitd(limitd);

	if (workers == 0)
		workers = default_workers() > MAX_WORKERS ? MAX_WORKERS : default_workers();
	fprintf(stderr, "limitd_bench: %u workers, %s\n", workers, quick ? "quick" : "full");
	cpu0 = bench_cpu_us(pid);
	rate = admissions_per_s(workers, quick ? 500 : 3000, &admitted);
	usleep(100000);		/* let limitd finish the workers' closes */
	if (cpu0 >= 0 && bench_cpu_us(pid) >= 0 && admitted)
		us_per = (double)(bench_cpu_us(pid) - cpu0) / (double)admitted;

	fds = xcalloc(HELD_LARGE, sizeof(*fds));
	base = pss_bytes(pid);
	if (nofile >= HELD_SMALL + FD_SLACK && hold_until(fds, &held, HELD_SMALL))
		fmt_per_session(small, sizeof(small), base, pss_bytes(pid), HELD_SMALL);
	if (nofile >= HELD_LARGE + FD_SLACK && hold_until(fds, &held, HELD_LARGE))
		fmt_per_session(large, sizeof(large), base, pss_bytes(pid), HELD_LARGE);
	else if (nofile < HELD_LARGE + FD_SLACK)
		explain_nofile(nofile, nofile_err, HELD_LARGE);
	/* limitd's own CPU per admission: what it could do on a CPU of its own */
	printf("admissions_per_s=%.0f bytes_per_session_10000=%s bytes_per_session_100000=%s "
	       "limitd_cpu_us_per_admission=%.2f limitd_capacity_per_s=%.0f "
	       "syscall_floor_us_per_admission=%.2f syscall_floor_per_s=%.0f "
	       "workers=%u held=%u nofile=%ld\n",
	       rate, small, large, us_per, us_per > 0 ? 1e6 / us_per : 0.0,
	       floor_us, floor_us > 0 ? 1e6 / floor_us : 0.0, workers, held, nofile);
	fflush(stdout);

	for (unsigned int i = 0; i < held; i++)
		close(fds[i]);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	unlink(sock_path);
	str_fmt(conf, sizeof(conf), "%s/limitd.conf", dir_path);
	unlink(conf);
	rmdir(dir_path);
	free(fds);
	return 0;
}
