/*
 * fuzz_main.c - replay a fuzz target over a corpus without libFuzzer.
 *
 * usage: fuzz_NAME DIR|FILE...
 * Every regular file named (or found directly in a named directory) is
 * read and fed to LLVMFuzzerTestOneInput in a child process of its own,
 * so that one crashing input is reported by name and the others still
 * run.  Prints "fuzz_NAME: N inputs, K crashes" and exits 1 when K > 0
 * (or when nothing could be read).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FUZZ_MAX_INPUT (1 << 20)
#define MAX_FILES 100000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long n_inputs, n_crashes, n_errors;
static const char *prog;

/* Read PATH into a malloc'ed buffer; RETURNS its length or -1. */
static long
read_input(const char *path, uint8_t **out)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (f == NULL)
		return -1;
	buf = malloc(FUZZ_MAX_INPUT + 1);
	if (buf == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, FUZZ_MAX_INPUT + 1, f);
	fclose(f);
	if (n > FUZZ_MAX_INPUT) {
		free(buf);
		errno = EFBIG;
		return -1;
	}
	*out = buf;
	return (long)n;
}

static void
run_one(const char *path)
{
	uint8_t *data;
	long n = read_input(path, &data);
	pid_t pid;
	int status;

	if (n < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		n_errors++;
		return;
	}
	n_inputs++;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* an exact-size copy, so that ASan sees reads past the end */
		uint8_t *copy = malloc(n ? (size_t)n : 1);

		if (copy == NULL)
			_exit(3);
		memcpy(copy, data, (size_t)n);
		LLVMFuzzerTestOneInput(copy, (size_t)n);
		free(copy);
		free(data);
		exit(0);	/* exit(), not _exit(): LeakSanitizer runs here */
	}
	free(data);
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		fprintf(stderr, "%s: %s: cannot run: %s\n", prog, path, strerror(errno));
		n_errors++;
		return;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		n_crashes++;
		if (WIFSIGNALED(status))
			fprintf(stderr, "%s: CRASH on %s: signal %d\n", prog, path,
				WTERMSIG(status));
		else
			fprintf(stderr, "%s: CRASH on %s: exit status %d\n", prog, path,
				WEXITSTATUS(status));
	}
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file directly in DIR, in name order. */
static void
run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	if (d == NULL) {
		fprintf(stderr, "%s: %s: %s\n", prog, dir, strerror(errno));
		n_errors++;
		return;
	}
	while ((e = readdir(d)) != NULL && n < MAX_FILES) {
		char path[4096];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path) ||
		    stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		if (names == NULL || (names[n] = strdup(path)) == NULL) {
			fprintf(stderr, "%s: out of memory\n", prog);
			exit(1);
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		run_one(names[i]);
		free(names[i]);
	}
	free(names);
}

int
main(int argc, char **argv)
{
	const char *slash = strrchr(argv[0], '/');

	prog = slash ? slash + 1 : argv[0];
	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", prog);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			run_dir(argv[i]);
		else
			run_one(argv[i]);
	}
	printf("%s: %lu inputs, %lu crashes\n", prog, n_inputs, n_crashes);
	if (n_inputs == 0 && n_errors == 0)
		fprintf(stderr, "%s: no inputs found\n", prog);
	return n_crashes || n_errors || n_inputs == 0 ? 1 : 0;
}
