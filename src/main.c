/* main.c - argv, configuration, launcher; wiring only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "defs.h"
#include "listen.h"
#include "log.h"
#include "privhelper.h"
#include "runtime.h"
#include "tls.h"

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

/* SIGHUP in the standalone listener: the same file and overrides again. */
static int
reload(struct config *cfg, struct runtime *rt)
{
	char err[CFG_ERR_MAX];

	if (cfg_load(cfg, arg_config, arg_config_named, arg_overrides,
		     arg_noverrides, err) < 0 || tls_check_config(cfg, err, sizeof(err)) < 0) {
		log_err("Failed to reload the configuration: %s; keeping the old one", err);
		cfg_free(cfg);
		return -1;
	}
	if (runtime_init(cfg, rt, err, sizeof(err)) < 0) {
		log_err("Failed to reload the configuration: %s: %s; keeping the old one",
			arg_config, err);
		cfg_free(cfg);
		return -1;
	}
	return 0;
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
	char err[CFG_ERR_MAX];

	listen_close_inherited();	/* before anything of ours is open */
	if (parse_argv(argc, argv) < 0)
		return 2;
	if (cfg_load(&cfg, arg_config, arg_config_named, arg_overrides,
		     arg_noverrides, err) < 0 || tls_check_config(&cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "miniftpd: %s\n", err);
		return 2;
	}
	if (arg_dump)
		cfg_dump(&cfg, stdout);
	if (arg_test)
		printf("configuration OK\n");
	if (arg_dump || arg_test)
		return 0;
	return run(&cfg);
}
