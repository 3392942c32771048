/*
 * limitd_cluster_bench.c - the price of limitd_cluster (issue 21): limitd
 * alone against limitd counting in a Redis store on loopback.
 *
 * usage: limitd_cluster_bench [--seconds S] [--limitd PATH] [--redis PATH]
 *
 * Starts a private redis-server (default /usr/bin/redis-server, loopback,
 * a free port, no persistence) and, in turn, a limitd alone and a limitd
 * with limitd_cluster naming that store (no limits, lease 30 s).  For 8
 * and 32 concurrent workers (processes, each looping connect, ADMIT,
 * verdict, close, as sessions' helpers would) it measures for S seconds
 * (default 3):
 *   admissions_per_s   admissions answered per second, all workers
 *   p50_us, p99_us     one admission's latency: connect to verdict
 *   store_lost         times limitd logged losing the store so far (a
 *                      reply later than LIMIT_REDIS_TIMEOUT_MS)
 *   limitd_cpu_us_per_admission, redis_cpu_us_per_admission
 *                      CPU time (user + system) each used per admission
 *                      (and its release): what a CPU of its own would
 *                      sustain, 10^6 / that
 *   redis_evalsha_per_admission, redis_cmds_per_admission
 *                      script calls, and commands the scripts ran, per
 *                      admission (INFO commandstats): counts, not timings
 *   redis_script_us_per_admission
 *                      time redis-server spent inside the scripts
 * and prints one line per (mode, workers) of KEY=VALUE pairs on stdout.
 * On a machine with few CPUs the workers, limitd and redis-server compete
 * for them: the figures are what this machine did, not what limitd
 * needs.  Not a test: nothing here decides pass or fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchproc.h"
#include "limitproto.h"
#include "str.h"
#include "sysutil.h"

#define MAX_SAMPLES	400000	/* per worker */

static char dir_path[64], sock_path[128], log_path[128];

static void
fatal(const char *what)
{
	fprintf(stderr, "limitd_cluster_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int
free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		fatal("free port");
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* Start ARGV with its output to LOG (or /dev/null). */
static pid_t
spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();

	if (pid < 0)
		fatal("fork");
	if (pid == 0) {
		int out = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(out, STDOUT_FILENO);
		dup2(out, STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static bool
tcp_up(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool up = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

	if (fd >= 0)
		close(fd);
	return up;
}

static pid_t
start_redis(const char *redis, int port)
{
	char p[16];
	char *argv[] = { (char *)(uintptr_t)redis, "--bind", "127.0.0.1", "--port", p, "--save", "",
			 "--appendonly", "no", "--dir", dir_path, NULL };
	pid_t pid;

	snprintf(p, sizeof(p), "%d", port);
	pid = spawn(argv, NULL);
	for (int i = 0; i < 500; i++) {
		if (tcp_up(port))
			return pid;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	fprintf(stderr, "limitd_cluster_bench: %s did not start\n", redis);
	exit(1);
}

static pid_t
start_limitd(const char *limitd, int redis_port)
{
	char conf[160], sock[192], cluster[128], id[] = "-olimitd_cluster_id=bench";
	char *argv[] = { (char *)(uintptr_t)limitd, conf, sock, cluster, id, NULL };
	FILE *f;
	pid_t pid;

	str_fmt(conf, sizeof(conf), "%s/limitd.conf", dir_path);
	f = fopen(conf, "w");
	if (f == NULL)
		fatal("writing the configuration");
	fprintf(f, "max_clients=0\nmax_per_ip=0\nmax_per_user=0\n");
	fclose(f);
	str_fmt(sock, sizeof(sock), "-olimitd_socket=%s", sock_path);
	if (redis_port)
		str_fmt(cluster, sizeof(cluster), "-olimitd_cluster=redis://127.0.0.1:%d/0", redis_port);
	else
		str_fmt(cluster, sizeof(cluster), "-olimitd_cluster=");
	pid = spawn(argv, log_path);
	return bench_await_limitd(pid, sock_path, "limitd_cluster_bench", limitd);
}

static void
stop(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* One admission from address number I; RETURNS 0 when admitted. */
static int
admit_one(unsigned int i)
{
	struct limit_msg m = { .type = LIMIT_REQ_ADMIT }, ans;
	uint8_t pkt[LIMIT_MAX_MSG];
	struct buf b;
	ssize_t n;
	int ok, fd = sys_unix_connect(sock_path, SOCK_SEQPACKET);

	if (fd < 0)
		return -1;
	m.u.admit.addr.family = LIMIT_AF_INET;
	m.u.admit.addr.bytes[0] = 10;
	m.u.admit.addr.bytes[1] = (uint8_t)(i >> 16);
	m.u.admit.addr.bytes[2] = (uint8_t)(i >> 8);
	m.u.admit.addr.bytes[3] = (uint8_t)i;
	ok = limit_encode(&m, &b) == 0 && sys_send(fd, b.data, b.len, 0) > 0 &&
	     (n = sys_recv_packet(fd, pkt, sizeof(pkt), 0)) > 0 &&
	     limit_decode(pkt, (size_t)n, &ans) == 0 && ans.type == LIMIT_ANS_VERDICT &&
	     ans.u.verdict == LIMIT_V_ADMIT;
	sys_close(fd);
	return ok ? 0 : -1;
}

/* Worker W: admissions until DEADLINE (us), latencies into SAMPLES. */
static void
worker(unsigned int w, double deadline, float *samples, unsigned long *count,
       unsigned long *failed)
{
	unsigned long n = 0, bad = 0;

	while (now_us() < deadline) {
		double t0 = now_us();

		if (admit_one(w * 1000003u + (unsigned int)n) < 0)
			bad++;
		else if (n < MAX_SAMPLES)
			samples[n++] = (float)(now_us() - t0);
		else
			n++;
	}
	*count = n;
	*failed = bad;
	_exit(0);
}

/* (B - A) per admission when PID is a store that answered, else -1. */
static double
delta(double a, double b, unsigned long admitted, pid_t pid)
{
	return pid <= 0 || a < 0 || b < 0 || admitted == 0 ? -1.0 : (b - a) / (double)admitted;
}

static int
cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

/* Times limitd logged losing the store so far. */
static unsigned int
store_losses(void)
{
	char line[512];
	unsigned int n = 0;
	FILE *f = fopen(log_path, "r");

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "Lost the cluster store") || strstr(line, "forgot this host")) {
			fprintf(stderr, "limitd_cluster_bench: limitd said: %s", line);
			n += strstr(line, "Lost") != NULL;
		}
	if (f)
		fclose(f);
	return n;
}

/* What redis-server has run so far (INFO commandstats). */
struct rstats {
	double evalsha, cmds, script_us;
};

static struct rstats
redis_stats(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static char data[1 << 16];
	struct rstats st = { -1, -1, -1 };
	size_t len = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    write(fd, "INFO commandstats\r\n", 19) != 19) {
		if (fd >= 0)
			close(fd);
		return st;
	}
	/* A bulk reply: "$LEN\r\n", LEN bytes, "\r\n". */
	while (len < sizeof(data) - 1 && (n = read(fd, data + len, sizeof(data) - 1 - len)) > 0) {
		char *eol;

		len += (size_t)n;
		data[len] = '\0';
		eol = strchr(data, '\n');
		if (eol && (size_t)(eol + 1 - data) + (size_t)atol(data + 1) + 2 <= len)
			break;
	}
	close(fd);
	st.evalsha = st.cmds = st.script_us = 0;
	for (char *l = strstr(data, "cmdstat_"); l; l = strstr(l + 1, "cmdstat_")) {
		char name[64];
		double calls = 0, usec = 0;

		if (sscanf(l, "cmdstat_%63[^:]:calls=%lf,usec=%lf", name, &calls, &usec) != 3 ||
		    strcmp(name, "info") == 0)
			continue;
		if (strcmp(name, "evalsha") == 0) {
			st.evalsha = calls;
			st.script_us = usec;
		} else
			st.cmds += calls;
	}
	return st;
}

/* CPU microseconds per admission of PID since CPU0 (-1: unknown). */
static double
per_admission(pid_t pid, long long cpu0, unsigned long admitted)
{
	long long now = bench_cpu_us(pid);

	return pid <= 0 || cpu0 < 0 || now < 0 || admitted == 0 ? -1.0 :
		(double)(now - cpu0) / (double)admitted;
}

static void
measure(const char *mode, unsigned int workers, int seconds, pid_t limitd, pid_t redis, int port)
{
	long long lcpu0 = bench_cpu_us(limitd), rcpu0 = redis > 0 ? bench_cpu_us(redis) : -1;
	struct rstats r0 = redis_stats(port), r1;
	size_t size = (size_t)workers * MAX_SAMPLES * sizeof(float) + 2 * workers * sizeof(long);
	float *samples = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned long *counts, *fails, total = 0, failed = 0;
	double start = now_us(), deadline = start + seconds * 1e6, took;
	size_t kept = 0;

	if (samples == MAP_FAILED)
		fatal("mmap");
	counts = (unsigned long *)(samples + (size_t)workers * MAX_SAMPLES);
	fails = counts + workers;
	for (unsigned int w = 0; w < workers; w++)
		if (xfork() == 0)
			worker(w, deadline, samples + (size_t)w * MAX_SAMPLES, &counts[w], &fails[w]);
	for (unsigned int w = 0; w < workers; w++)
		while (wait(NULL) < 0 && errno == EINTR)
			;
	took = now_us() - start;
	usleep(100000);		/* let limitd finish the workers' closes */
	for (unsigned int w = 0; w < workers; w++) {
		size_t k = counts[w] < MAX_SAMPLES ? counts[w] : MAX_SAMPLES;

		memmove(samples + kept, samples + (size_t)w * MAX_SAMPLES, k * sizeof(float));
		kept += k;
		total += counts[w];
		failed += fails[w];
	}
	qsort(samples, kept, sizeof(float), cmp_float);
	r1 = redis_stats(port);
	printf("mode=%s workers=%u admissions_per_s=%.0f p50_us=%.0f p99_us=%.0f failed=%lu "
	       "store_lost=%u limitd_cpu_us_per_admission=%.1f redis_cpu_us_per_admission=%.1f "
	       "redis_evalsha_per_admission=%.3f redis_cmds_per_admission=%.2f "
	       "redis_script_us_per_admission=%.2f\n",
	       mode, workers, (double)total * 1e6 / took,
	       kept ? samples[kept / 2] : 0.0, kept ? samples[kept * 99 / 100] : 0.0, failed,
	       store_losses(), per_admission(limitd, lcpu0, total),
	       per_admission(redis, rcpu0, total), delta(r0.evalsha, r1.evalsha, total, redis),
	       delta(r0.cmds, r1.cmds, total, redis), delta(r0.script_us, r1.script_us, total, redis));
	fflush(stdout);
	munmap(samples, size);
}

int
main(int argc, char **argv)
{
	char limitd[PATH_MAX], self[PATH_MAX], redis[PATH_MAX] = "/usr/bin/redis-server", path[192];
	static const unsigned int concurrency[] = { 8, 32 };
	int seconds = 3, port;
	pid_t rpid, lpid;

	if (str_lcpy(self, argv[0], sizeof(self)) < 0 ||
	    str_fmt(limitd, sizeof(limitd), "%s/limitd", dirname(self)) < 0)
		return 2;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc &&
		    (seconds = atoi(argv[i + 1])) > 0)
			i++;
		else if (strcmp(argv[i], "--limitd") == 0 && i + 1 < argc &&
			 str_lcpy(limitd, argv[i + 1], sizeof(limitd)) == 0)
			i++;
		else if (strcmp(argv[i], "--redis") == 0 && i + 1 < argc &&
			 str_lcpy(redis, argv[i + 1], sizeof(redis)) == 0)
			i++;
		else {
			fprintf(stderr, "usage: limitd_cluster_bench [--seconds S] [--limitd PATH] "
				"[--redis PATH]\n");
			return 2;
		}
	}
	if (access(redis, X_OK) < 0) {
		fprintf(stderr, "limitd_cluster_bench: %s: not installed (Debian redis-server)\n", redis);
		return 1;
	}
	str_lcpy(dir_path, "/tmp/limitd-cbench-XXXXXX", sizeof(dir_path));
	if (mkdtemp(dir_path) == NULL)
		fatal("mkdtemp");
	str_fmt(sock_path, sizeof(sock_path), "%s/limitd.sock", dir_path);
	str_fmt(log_path, sizeof(log_path), "%s/limitd.log", dir_path);
	signal(SIGPIPE, SIG_IGN);
	port = free_port();
	rpid = start_redis(redis, port);
	for (int with_store = 0; with_store < 2; with_store++) {
		lpid = start_limitd(limitd, with_store ? port : 0);
		for (size_t i = 0; i < sizeof(concurrency) / sizeof(concurrency[0]); i++)
			measure(with_store ? "store" : "alone", concurrency[i], seconds, lpid,
				with_store ? rpid : 0, port);
		stop(lpid);
	}
	stop(rpid);
	str_fmt(path, sizeof(path), "%s/limitd.conf", dir_path);
	unlink(path);
	unlink(sock_path);
	unlink(log_path);
	rmdir(dir_path);
	return 0;
}
