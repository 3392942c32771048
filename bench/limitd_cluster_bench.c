/*
 * limitd_cluster_bench.c - the price of limitd_cluster (issue 21): limitd
 * alone against limitd counting in a Redis store on loopback.
 *
 * usage: limitd_cluster_bench [--seconds S] [--rate N [--queue]]
 *                             [--limitd PATH] [--redis PATH]
 *
 * Starts a private redis-server (default /usr/bin/redis-server, loopback,
 * a free port, no persistence) and, in turn, a limitd alone and a limitd
 * with limitd_cluster naming that store (no limits, lease 30 s).  For 8
 * and 32 concurrent workers (processes, each doing connect, ADMIT,
 * verdict, close, as sessions' helpers would) it measures for S seconds
 * (default 3, at most 60), in a closed loop (loop=closed: each worker
 * sends its next admission when the last is answered, so the rate is what
 * the workers reach and the latency includes their own queueing) and,
 * with --rate N, then in an open loop as well (loop=open rate_per_s=N: N
 * admissions a second in all; schedule=per_worker: worker W of WORKERS
 * sends its K-th at start + (K * WORKERS + W) / N s, or at once when it is
 * behind; with --queue also schedule=queue: admission J is due at start +
 * J / N s and goes to the first worker free, so at most WORKERS are in
 * flight but one late worker holds back only its own):
 *   admissions_per_s   admissions answered per second, all workers (open
 *                      loop: from the first due time to the last answer)
 *   p50_us, p99_us     one admission's latency: closed loop, connect to
 *                      verdict; open loop, from the time it was DUE to the
 *                      verdict, so a worker's backlog counts (no
 *                      coordinated omission)
 *   service_p50_us, service_p99_us
 *                      (open loop) connect to verdict, the backlog (and
 *                      the unsent) left out
 *   unsent             (open loop) admissions due that a worker had not
 *                      sent 1 s after the last due time; each counts in p99
 *                      with its lateness then (a lower bound)
 *   failed             admissions not answered ADMIT
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
 * and prints one line per (loop, mode, workers) of KEY=VALUE pairs on stdout.
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
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchproc.h"
#include "limitproto.h"
#include "str.h"
#include "sysutil.h"

#define MAX_SAMPLES	400000	/* per worker */
#define MAX_SECONDS	60
#define MAX_RATE	1000000		/* admissions/s, open loop */
#define OPEN_LEAD_US	50000.0		/* fork time before the schedule starts */
#define OPEN_GRACE_US	1000000.0	/* after the last due time, then unsent */

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

/* The redis-server and limitd running now (0: none), stopped at exit too. */
static pid_t running[2];

static void
stop(pid_t pid)
{
	for (size_t i = 0; i < sizeof(running) / sizeof(running[0]); i++)
		if (running[i] == pid)
			running[i] = 0;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* On exit() from a failure: no redis-server or limitd left behind. */
static void
stop_running(void)
{
	for (size_t i = 0; i < sizeof(running) / sizeof(running[0]); i++)
		if (running[i] > 0)
			stop(running[i]);
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

/*
 * One measurement's load.  Closed loop (rate 0): each worker sends its next
 * admission as soon as the last is answered, and latency runs from connect
 * to verdict.  Open loop: worker W of WORKERS sends admission K at START +
 * (K * WORKERS + W) / RATE seconds, whatever happened before, and latency
 * runs from that scheduled time: a worker that falls behind sends at once,
 * and its wait counts (no coordinated omission).  Admissions due before
 * DEADLINE and not sent by STOP are "unsent": each counts with the lateness
 * it had at STOP (a lower bound).  With QUEUE the schedule is one queue
 * instead: admission J is due at START + J / RATE and goes to whichever
 * worker is free first, so a late worker delays only what it holds.
 */
struct load {
	unsigned int workers;
	double rate, start, deadline, stop;
	unsigned long *queue;	/* one queue: the next admission's number (shared) */
};

/* What worker W writes for the parent (MAP_SHARED). */
struct tally {
	unsigned long count, failed, unsent;
	double last_us;		/* when its last answer came */
};

static void
sleep_until(double due_us)
{
	long long ns = (long long)(due_us * 1e3);
	struct timespec t = { .tv_sec = (time_t)(ns / 1000000000), .tv_nsec = (long)(ns % 1000000000) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
}

/* Closed loop: admissions until L's deadline, latencies into LAT (and SVC). */
static void
worker_closed(unsigned int w, const struct load *l, float *lat, float *svc, struct tally *t)
{
	unsigned long n = 0;

	while (now_us() < l->deadline) {
		double t0 = now_us();

		if (admit_one(w * 1000003u + (unsigned int)n) < 0) {
			t->failed++;
			continue;
		}
		if (n < MAX_SAMPLES)
			lat[n] = svc[n] = (float)(now_us() - t0);
		n++;
	}
	t->count = n;
	t->last_us = now_us();
}

/* The number J of worker W's K-th admission (from 0) in L's open-loop
 * schedule, due at L's start + J / rate. */
static unsigned long
next_admission(const struct load *l, unsigned int w, unsigned long k)
{
	if (l->queue)
		return __atomic_fetch_add(l->queue, 1, __ATOMIC_RELAXED);
	return k * l->workers + w;
}

/* Open loop: each admission sent when due, or at once if late; what is
 * due and not sent by the stop waits at least until then. */
static void
worker_open(unsigned int w, const struct load *l, float *lat, float *svc, struct tally *t)
{
	unsigned long n = 0;

	for (unsigned long k = 0; k < MAX_SAMPLES; k++) {
		double due = l->start + (double)next_admission(l, w, k) * 1e6 / l->rate, t0, t1;

		if (due >= l->deadline)
			break;
		if ((t0 = now_us()) >= l->stop) {	/* from here on all unsent */
			lat[n++] = (float)(l->stop - due);
			t->unsent++;
			continue;
		}
		if (t0 < due) {
			sleep_until(due);
			t0 = now_us();
		}
		if (admit_one(w * 1000003u + (unsigned int)k) < 0) {
			t->failed++;
			continue;
		}
		t1 = now_us();
		lat[n] = (float)(t1 - due);
		svc[n++] = (float)(t1 - t0);
		t->last_us = t1;
	}
	t->count = n - t->unsent;
}

static void
worker(unsigned int w, const struct load *l, float *lat, float *svc, struct tally *t)
{
	prctl(PR_SET_TIMERSLACK, 1UL);	/* wake when due, not up to 50 us later */
	if (l->rate > 0)
		worker_open(w, l, lat, svc, t);
	else
		worker_closed(w, l, lat, svc, t);
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

/* Gather each worker's first COUNT (and UNSENT, with WITH_UNSENT: they come
 * last) of MAX_SAMPLES floats at A into one sorted run; RETURNS how many. */
static size_t
gather(float *a, unsigned int workers, const struct tally *t, bool with_unsent)
{
	size_t kept = 0;

	for (unsigned int w = 0; w < workers; w++) {
		unsigned long k = t[w].count + (with_unsent ? t[w].unsent : 0);

		k = k < MAX_SAMPLES ? k : MAX_SAMPLES;
		memmove(a + kept, a + (size_t)w * MAX_SAMPLES, k * sizeof(float));
		kept += k;
	}
	qsort(a, kept, sizeof(float), cmp_float);
	return kept;
}

static double
pct(const float *a, size_t n, unsigned int p)
{
	return n ? a[n * p / 100] : 0.0;
}

/* Fork L's workers and wait for them; their samples and tallies into the
 * shared LAT, SVC and T. */
static void
run_workers(const struct load *l, float *lat, float *svc, struct tally *t)
{
	for (unsigned int w = 0; w < l->workers; w++)
		if (xfork() == 0)
			worker(w, l, lat + (size_t)w * MAX_SAMPLES, svc + (size_t)w * MAX_SAMPLES, &t[w]);
	for (unsigned int w = 0; w < l->workers; w++)
		while (wait(NULL) < 0 && errno == EINTR)
			;
}

/* One row: what is measured, against which processes. */
struct row {
	const char *mode;
	unsigned int workers;
	int seconds;
	double rate;		/* 0: the closed loop */
	bool queue;		/* open loop: one queue, not a schedule per worker */
	pid_t limitd, redis;	/* redis 0: limitd alone */
	int port;
};

/* What the workers of one row did, summed. */
struct sums {
	unsigned long answered, failed, unsent;
	double took_us;
};

/* The schedule of row R, its queue (open loop, one queue) at QUEUE. */
static struct load
load_plan(const struct row *r, unsigned long *queue)
{
	struct load l = { .workers = r->workers, .rate = r->rate, .start = now_us(),
			  .queue = r->rate > 0 && r->queue ? queue : NULL };

	if (r->rate > 0)
		l.start += OPEN_LEAD_US;	/* every worker forked before its first due time */
	l.deadline = l.start + r->seconds * 1e6;
	l.stop = l.deadline + (r->rate > 0 ? OPEN_GRACE_US : 0);
	return l;
}

/* Sum the WORKERS tallies T of a run of L that ended at END. */
static struct sums
sum_up(const struct load *l, const struct tally *t, double end)
{
	struct sums s = { 0 };
	double last = l->start;

	for (unsigned int w = 0; w < l->workers; w++) {
		s.answered += t[w].count;
		s.failed += t[w].failed;
		s.unsent += t[w].unsent;
		last = t[w].last_us > last ? t[w].last_us : last;
	}
	/* Open loop: from the first due time to the last answer. */
	s.took_us = (l->rate > 0 ? last : end) - l->start;
	return s;
}

static void
print_row(const struct row *r, const struct sums *s, const float *lat, size_t n_lat,
	  const float *svc, size_t n_svc)
{
	double rate = s->took_us > 0 ? (double)s->answered * 1e6 / s->took_us : 0.0;

	if (r->rate > 0)
		printf("loop=open rate_per_s=%.0f schedule=%s mode=%s workers=%u admissions_per_s=%.0f "
		       "p50_us=%.0f p99_us=%.0f service_p50_us=%.0f service_p99_us=%.0f unsent=%lu ",
		       r->rate, r->queue ? "queue" : "per_worker", r->mode, r->workers, rate,
		       pct(lat, n_lat, 50), pct(lat, n_lat, 99), pct(svc, n_svc, 50),
		       pct(svc, n_svc, 99), s->unsent);
	else
		printf("loop=closed mode=%s workers=%u admissions_per_s=%.0f p50_us=%.0f p99_us=%.0f ",
		       r->mode, r->workers, rate, pct(lat, n_lat, 50), pct(lat, n_lat, 99));
}

static void
measure(const struct row *r)
{
	long long lcpu0 = bench_cpu_us(r->limitd), rcpu0 = r->redis > 0 ? bench_cpu_us(r->redis) : -1;
	struct rstats r0 = redis_stats(r->port), r1;
	size_t per = (size_t)r->workers * MAX_SAMPLES, size = 2 * per * sizeof(float) +
		r->workers * sizeof(struct tally) + sizeof(unsigned long), n_lat, n_svc;
	float *lat = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0), *svc;
	struct tally *t;
	struct load l;
	struct sums s;

	if (lat == MAP_FAILED)
		fatal("mmap");
	svc = lat + per;
	t = (struct tally *)(svc + per);
	l = load_plan(r, (unsigned long *)(t + r->workers));
	run_workers(&l, lat, svc, t);
	s = sum_up(&l, t, now_us());
	usleep(100000);		/* let limitd finish the workers' closes */
	n_lat = gather(lat, r->workers, t, true);
	n_svc = gather(svc, r->workers, t, false);	/* served ones only */
	r1 = redis_stats(r->port);
	print_row(r, &s, lat, n_lat, svc, n_svc);
	printf("failed=%lu store_lost=%u limitd_cpu_us_per_admission=%.1f "
	       "redis_cpu_us_per_admission=%.1f redis_evalsha_per_admission=%.3f "
	       "redis_cmds_per_admission=%.2f redis_script_us_per_admission=%.2f\n",
	       s.failed, store_losses(), per_admission(r->limitd, lcpu0, s.answered),
	       per_admission(r->redis, rcpu0, s.answered),
	       delta(r0.evalsha, r1.evalsha, s.answered, r->redis),
	       delta(r0.cmds, r1.cmds, s.answered, r->redis),
	       delta(r0.script_us, r1.script_us, s.answered, r->redis));
	fflush(stdout);
	munmap(lat, size);
}

/* Row R closed, then open at RATE (0: no open rows) with a schedule per
 * worker, then with one queue when QUEUE. */
static void
measure_all(struct row r, double rate, bool queue)
{
	measure(&r);
	r.rate = rate;
	if (rate > 0)
		measure(&r);
	r.queue = true;
	if (rate > 0 && queue)
		measure(&r);
}

static void
usage(void)
{
	fprintf(stderr, "usage: limitd_cluster_bench [--seconds S] [--rate N [--queue]] "
		"[--limitd PATH] [--redis PATH]\n");
	exit(2);
}

/* A whole number in [1, MAX], or usage. */
static long
arg_num(const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > max)
		usage();
	return v;
}

int
main(int argc, char **argv)
{
	char limitd[PATH_MAX], self[PATH_MAX], redis[PATH_MAX] = "/usr/bin/redis-server", path[192];
	static const unsigned int concurrency[] = { 8, 32 };
	int seconds = 3, port;
	double rate = 0;
	bool queue = false;
	pid_t rpid, lpid;

	if (str_lcpy(self, argv[0], sizeof(self)) < 0 ||
	    str_fmt(limitd, sizeof(limitd), "%s/limitd", dirname(self)) < 0)
		return 2;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--queue") == 0) {
			queue = true;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--seconds") == 0)
			seconds = (int)arg_num(argv[++i], MAX_SECONDS);
		else if (strcmp(argv[i], "--rate") == 0)
			rate = (double)arg_num(argv[++i], MAX_RATE);
		else if (strcmp(argv[i], "--limitd") == 0) {
			if (str_lcpy(limitd, argv[++i], sizeof(limitd)) < 0)
				usage();
		} else if (strcmp(argv[i], "--redis") == 0) {
			if (str_lcpy(redis, argv[++i], sizeof(redis)) < 0)
				usage();
		} else
			usage();
	}
	if (queue && rate == 0)
		usage();
	if (rate * seconds > (double)concurrency[0] * MAX_SAMPLES) {
		fprintf(stderr, "limitd_cluster_bench: --rate x --seconds above %lu admissions\n",
			(unsigned long)concurrency[0] * MAX_SAMPLES);
		return 2;
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
	atexit(stop_running);
	running[0] = rpid = start_redis(redis, port);
	for (int with_store = 0; with_store < 2; with_store++) {
		struct row r = { .mode = with_store ? "store" : "alone", .seconds = seconds,
				 .redis = with_store ? rpid : 0, .port = port };

		r.limitd = running[1] = lpid = start_limitd(limitd, with_store ? port : 0);
		for (size_t i = 0; i < sizeof(concurrency) / sizeof(concurrency[0]); i++) {
			r.workers = concurrency[i];
			measure_all(r, rate, queue);
		}
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
