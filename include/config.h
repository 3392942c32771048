/*
 * config.h - the effective configuration, built from options.h.
 *
 * Pure module: returns -errno / -1 with a message, never logs or exits.
 * Used by miniftpd (main, session, every role) and by limitd.
 */
#ifndef MINIFTPD_CONFIG_H
#define MINIFTPD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "options.h"

#define CFG_FIELD_BOOL(name, def, doc)			bool name;
#define CFG_FIELD_UINT(name, def, lo, hi, doc)		unsigned long name;
#define CFG_FIELD_MODE(name, def, doc)			unsigned int name;
#define CFG_FIELD_STR(name, def, doc)			char *name;

/* One member per option in options.h; strings are owned (cfg_free). */
struct config {
	OPTIONS(CFG_FIELD_BOOL, CFG_FIELD_UINT, CFG_FIELD_MODE, CFG_FIELD_STR)
};

/* Room for "FILE:LINE: message". */
#define CFG_ERR_MAX 512

/*
 * cfg_defaults - fill CFG with every option's default.
 */
void cfg_defaults(struct config *cfg);

/*
 * cfg_free - release the strings CFG owns; CFG may then be refilled.
 */
void cfg_free(struct config *cfg);

/*
 * cfg_load - build the effective configuration.
 * PARAMETERS: FILE the configuration file; NAMED false when FILE is only
 *   the default path (then a missing file means defaults); OVERRIDES the
 *   NOVR "KEY=VALUE" strings from -o, applied after the file (they may
 *   repeat a key of the file; a key repeated inside the file is an error).
 * RETURNS 0, or -1 with ERR holding "FILE:LINE: message" (or
 *   "-o KEY=VALUE: message").  CFG is filled with defaults first.
 */
int cfg_load(struct config *cfg, const char *file, bool named,
	     char *const *overrides, size_t novr, char err[CFG_ERR_MAX]);

/*
 * cfg_parse_text - parse configuration text (the body of a file) named
 * NAME into CFG, which already holds defaults.  Used by cfg_load and by
 * the fuzzer.  RETURNS 0 or -1 with ERR set.
 */
int cfg_parse_text(struct config *cfg, const char *name, const char *text,
		   size_t len, char err[CFG_ERR_MAX]);

/*
 * cfg_copy - DST becomes a copy of SRC that owns its own strings.
 */
void cfg_copy(struct config *dst, const struct config *src);

/*
 * cfg_parse_user - apply a user_config_dir file: TEXT (LEN bytes, the body
 * of file NAME) into CFG, a copy of the global configuration.  Only the
 * per-user options listed in user_config_dir's description may appear,
 * each at most once.  RETURNS 0 or -1 with ERR "NAME:LINE: message".
 */
int cfg_parse_user(struct config *cfg, const char *name, const char *text,
		   size_t len, char err[CFG_ERR_MAX]);

/*
 * cfg_set - set one option from its text value.  A vsftpd option that
 * miniftpd lacks, set to what miniftpd always does (vsf_same), is accepted
 * and changes nothing.
 * RETURNS 0, -ENOENT (unknown key), -EINVAL (malformed) or -ERANGE;
 * MSG (may be NULL) receives a short English explanation.
 */
int cfg_set(struct config *cfg, const char *key, const char *value,
	    char *msg, size_t msglen);

/*
 * cfg_origin - where option KEY got its value in the last cfg_load, for a
 * message about that value: "FILE:LINE" when the file set it, "-oKEY"
 * when an override did, else the file's name (the default applies).
 */
void cfg_origin(const char *key, char *out, size_t outlen);

/*
 * cfg_dump - print every option as key=value, in table order (miniftpd -T).
 */
void cfg_dump(const struct config *cfg, FILE *out);

/*
 * cfg_standalone - whether CFG asks for the standalone listener: listen=YES
 * (IPv4) or listen_ipv6=YES (dual-stack), vsftpd's two exclusive switches.
 */
static inline bool
cfg_standalone(const struct config *cfg)
{
	return cfg->listen || cfg->listen_ipv6;
}

/*
 * cfg_check - cross-option checks (pasv range order, enum values, vsftpd
 * switches accepted only as NO).  cfg_load also refuses listen=YES with
 * listen_ipv6=YES, and a limitd_cluster_id that is no valid id, naming
 * the lines.
 * RETURNS 0 or -1 with ERR set.
 */
int cfg_check(const struct config *cfg, char err[CFG_ERR_MAX]);

#endif
