/* main.c - argv, configuration, launcher; wiring only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "authpam.h"
#include "config.h"
#include "defs.h"
#include "listen.h"
#include "log.h"
#include "privhelper.h"
#include "runtime.h"
#include "str.h"
#include "tls.h"
#include "tunables.h"

#define MAX_OVERRIDES 256

static const char *arg_config = DEFAULT_CONFIG_FILE;
static bool arg_config_named;
static char *arg_overrides[MAX_OVERRIDES];
static size_t arg_noverrides;
static bool arg_test, arg_dump;

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: miniftpd [CONFIG] [-oKEY=VALUE]... [-t] [-T] [-v]\n"
		"  CONFIG       configuration file (default %s)\n"
		"  -oKEY=VALUE  set an option, overriding the file\n"
		"  -t           check the configuration and exit\n"
		"  -T           print the effective configuration and exit\n"
		"  -v           print the version and exit\n"
		"Serves one connection from systemd (fd 3) or inetd (fd 0), or listens\n"
		"itself with listen=YES.  See miniftpd(8) and miniftpd.conf(5).\n",
		DEFAULT_CONFIG_FILE);
}

static int
parse_argv(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strncmp(a, "-o", 2) == 0 && a[2] && arg_noverrides < MAX_OVERRIDES)
			arg_overrides[arg_noverrides++] = argv[i] + 2;
		else if (strcmp(a, "-t") == 0)
			arg_test = true;
		else if (strcmp(a, "-T") == 0)
			arg_dump = true;
		else if (strcmp(a, "-v") == 0) {
			printf("miniftpd %s\n", MINIFTPD_VERSION);
			exit(0);
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(0);
		} else if (a[0] != '-' && !arg_config_named) {
			arg_config = a;
			arg_config_named = true;
		} else {
			usage(stderr);
			return -1;
		}
	}
	return 0;
}

/* The file and overrides into CFG, checked.  RETURNS 0, or -1 with ERR
 * set (CFG to be freed). */
static int
load_settings(struct config *cfg, char err[CFG_ERR_MAX])
{
	return cfg_load(cfg, arg_config, arg_config_named, arg_overrides, arg_noverrides,
			err) < 0 || authpam_check_config(cfg, err, CFG_ERR_MAX) < 0 ||
	       auth_check_config(cfg, err, CFG_ERR_MAX) < 0 ? -1 : 0;
}

/* load_settings, then the TLS material for CFG built aside (*TLS). */
static int
load_config(struct config *cfg, struct tls_material **tls, char err[CFG_ERR_MAX])
{
	*tls = NULL;
	if (load_settings(cfg, err) < 0)
		return -1;
	return tls_prepare(cfg, tls, err, CFG_ERR_MAX);
}

/*
 * SIGHUP in the standalone listener: the same file and overrides again.
 * All or nothing: the configuration, its runtime facts and its TLS
 * material are all built aside first; only then does the TLS material
 * replace the old (the listener swaps the rest as we return).
 */
static int
reload(struct config *cfg, struct runtime *rt)
{
	struct tls_material *tls = NULL;
	char err[CFG_ERR_MAX], why[CFG_ERR_MAX];

	if (load_config(cfg, &tls, err) < 0)
		goto fail;
	if (runtime_init(cfg, rt, why, sizeof(why)) < 0) {
		str_fmt(err, sizeof(err), "%s: %s", arg_config, why);
		goto fail;
	}
	tls_commit(tls);
	return 0;
fail:
	log_err("Failed to reload the configuration: %s; keeping the old one", err);
	tls_discard(tls);
	cfg_free(cfg);
	return -1;
}

static int
run(struct config *cfg)
{
	struct runtime rt;
	char err[512];
	int fd;

	log_set_sockets(cfg->journal_socket, cfg->syslog_socket);
	log_open("miniftpd", cfg->syslog_enable);
	if (runtime_init(cfg, &rt, err, sizeof(err)) < 0) {
		log_err("%s: %s", arg_config, err);
		return 2;
	}
	if (cfg_standalone(cfg))
		return listen_standalone(cfg, &rt, reload);
	fd = listen_inherited(err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "miniftpd: %s\n", err);
		usage(stderr);
		return 2;
	}
	helper_main(cfg, &rt, fd);
}

int
main(int argc, char **argv)
{
	static struct config cfg;
	struct tls_material *tls;
	char err[CFG_ERR_MAX];

	listen_close_inherited();	/* before anything of ours is open */
	if (parse_argv(argc, argv) < 0)
		return 2;
	/* the settings say whether to re-execute; the TLS material is loaded
	 * once, by the process that stays */
	if (load_settings(&cfg, err) < 0)
		goto fail;
	if (cfg_standalone(&cfg) && cfg.listen_malloc_tcache_off && !arg_dump && !arg_test)
		tunables_reexec(argv);	/* returns only without the exec */
	if (tls_prepare(&cfg, &tls, err, CFG_ERR_MAX) < 0)
		goto fail;
	tls_commit(tls);
	if (arg_dump)
		cfg_dump(&cfg, stdout);
	if (arg_test)
		printf("configuration OK\n");
	if (arg_dump || arg_test)
		return 0;
	return run(&cfg);
fail:
	fprintf(stderr, "miniftpd: %s\n", err);
	return 2;
}
