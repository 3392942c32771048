/* tunables.c - the listener's re-exec without glibc's malloc cache; see tunables.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "defs.h"
#include "sys_proc.h"
#include "tunables.h"

#define VAR_EQ	TUNABLES_VAR "="

extern char **environ;

/* Does the colon-separated list S set tunable NAME (to anything)? */
static bool
sets(const char *s, const char *name)
{
	size_t n = strlen(name);

	for (;;) {
		if (strncmp(s, name, n) == 0 && s[n] == '=')
			return true;
		s = strchr(s, ':');
		if (!s)
			return false;
		s++;
	}
}

int
tunables_add_tcache_off(const char *old, char *out, size_t size)
{
	int n;

	if (old && sets(old, TUNABLES_TCACHE))
		return 0;
	if (old && *old)
		n = snprintf(out, size, "%s:%s", old, TUNABLES_TCACHE_OFF);
	else
		n = snprintf(out, size, "%s", TUNABLES_TCACHE_OFF);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 1;
}

/* exec ARGV again with the environment, its GLIBC_TUNABLES= entry
 * replaced by VAR.  RETURNS -errno (only on failure). */
static int
exec_with(char **argv, char *var)
{
	size_t n = 0, k = 0;
	char **env;
	int r;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], VAR_EQ, sizeof(VAR_EQ) - 1) != 0)
			env[k++] = environ[i];
	env[k] = var;
	r = sys_exec_self(argv, env);
	free(env);
	return r;
}

void
tunables_reexec(char **argv)
{
	static char var[sizeof(VAR_EQ) + TUNABLES_MAX] LARGE_BSS;
	const size_t pre = sizeof(VAR_EQ) - 1;
	int r;

	if (getauxval(AT_SECURE))
		return;
	memcpy(var, VAR_EQ, pre);
	r = tunables_add_tcache_off(getenv(TUNABLES_VAR), var + pre, sizeof(var) - pre);
	if (r == 0)
		return;
	if (r > 0)
		r = exec_with(argv, var);
	fprintf(stderr, "miniftpd: cannot re-execute with %s (%s); "
		"going on with glibc's malloc cache\n", TUNABLES_TCACHE_OFF, strerror(-r));
}
