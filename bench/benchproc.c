/* benchproc.c - see benchproc.h. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "benchproc.h"
#include "sysutil.h"

long long
bench_cpu_us(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* fields 14 and 15 follow the command name */
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
				&ut, &st) != 2)
		return -1;
	return (long long)((ut + st) * 1000000ULL / (unsigned long long)sysconf(_SC_CLK_TCK));
}

pid_t
bench_await_limitd(pid_t pid, const char *sock_path, const char *who, const char *limitd)
{
	for (int i = 0; i < 500; i++) {
		int fd = sys_unix_connect(sock_path, SOCK_SEQPACKET);

		if (fd >= 0) {
			sys_close(fd);
			return pid;
		}
		usleep(10000);
	}
	kill(pid, SIGKILL);
	fprintf(stderr, "%s: %s did not start\n", who, limitd);
	exit(1);
}
