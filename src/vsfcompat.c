/* vsfcompat.c - vsftpd options miniftpd lacks, and what to use instead; see vsfcompat.h. */
#include <stddef.h>
#include <string.h>

#include "vsfcompat.h"

static const char NO_ANON_PW[] =
	"anonymous passwords are not checked (any password logs in); remove the line";
static const char NO_CLIENT_CERT[] =
	"client certificates are not supported; remove the line";
static const char LOGS[] =
	"miniftpd writes the wu-ftpd format to xferlog_file (xferlog_enable) and the rest "
	"to the journal or syslog (log_ftp_protocol for every command)";
static const char CHROOT_PER_USER[] =
	"set chroot_local_user per user in a user_config_dir file";
static const char ALWAYS_SEPARATED[] =
	"miniftpd always runs privilege-separated processes; remove the line";
static const char TLS_VERSIONS[] =
	"miniftpd offers TLS 1.2 and 1.3 only (ssl_tlsv1_2, ssl_tlsv1_3)";

/* vsftpd 3.0.3's options (vsftpd.conf(5) and parseconf.c) that miniftpd lacks;
 * SAME: the value that asks for what miniftpd always does (NULL: none). */
static const struct {
	const char *name;
	const char *same;
	const char *advice;
} vsf_options[] = {
	{ "async_abor_enable", "YES", "ABOR is always understood; remove the line" },
	{ "background", "NO", "miniftpd stays in the foreground with listen=YES (run it from a systemd unit or use ftp.socket)" },
	{ "banned_email_file", NULL, NO_ANON_PW },
	{ "ca_certs_file", NULL, NO_CLIENT_CERT },
	{ "chmod_enable", "YES", "SITE CHMOD follows write_enable; remove the line" },
	{ "chown_upload_mode", NULL, "anonymous uploads get file_open_mode less anon_umask" },
	{ "cmds_allowed", NULL, "not supported: write_enable, port_enable and pasv_enable switch groups of commands" },
	{ "cmds_denied", NULL, "not supported: write_enable, port_enable and pasv_enable switch groups of commands" },
	{ "debug_ssl", "NO", "TLS handshake failures are always logged; log_ftp_protocol logs commands" },
	{ "delay_successful_login", NULL, "not supported; remove the line" },
	{ "deny_email_enable", "NO", NO_ANON_PW },
	{ "dirlist_enable", "YES", "listings are always allowed; use hide_file to hide names" },
	{ "download_enable", "YES", "downloads are always allowed; use deny_file to refuse names" },
	{ "dsa_cert_file", NULL, "use rsa_cert_file (it also takes an ECDSA certificate)" },
	{ "dsa_private_key_file", NULL, "use rsa_private_key_file (it also takes an ECDSA key)" },
	{ "dual_log_enable", "NO", LOGS },
	{ "email_password_file", NULL, NO_ANON_PW },
	{ "force_dot_files", NULL, "not supported; remove the line" },
	{ "guest_enable", "NO", "virtual users come from user_db_file and run as guest_username (drop the pam_service_name line that served them: it applies to local users)" },
	{ "isolate", NULL, ALWAYS_SEPARATED },
	{ "isolate_network", NULL, ALWAYS_SEPARATED },
	{ "ls_recurse_enable", "NO", "LIST -R is not supported; remove the line" },
	{ "mdtm_write", "NO", "MDTM cannot set times in miniftpd; remove the line" },
	{ "no_anon_password", "NO", NO_ANON_PW },
	{ "no_log_lock", NULL, "not needed; remove the line" },
	{ "one_process_model", "NO", ALWAYS_SEPARATED },
	{ "passwd_chroot_enable", "NO", CHROOT_PER_USER },
	{ "ptrace_sandbox", NULL, "use seccomp_sandbox" },
	{ "require_cert", "NO", NO_CLIENT_CERT },
	{ "reverse_lookup_enable", "NO", "miniftpd never looks client addresses up; remove the line" },
	{ "secure_email_list_enable", "NO", NO_ANON_PW },
	{ "session_support", NULL, "with pam_service_name a login always opens a PAM session; no utmp/wtmp (sessions are in limitd --status and the journal); remove the line" },
	{ "setproctitle_enable", "NO", "not supported; remove the line" },
	{ "ssl_ecdh_curve", NULL, TLS_VERSIONS },
	{ "ssl_request_cert", "NO", NO_CLIENT_CERT },
	{ "ssl_tlsv1_1", "NO", TLS_VERSIONS },
	{ "strict_ssl_read_eof", NULL, "not supported; remove the line" },
	{ "strict_ssl_write_shutdown", NULL, "not supported; remove the line" },
	{ "text_userdb_names", "YES", "not supported; hide_ids shows ftp instead of names" },
	{ "tilde_user_enable", "NO", "~user paths are not supported; remove the line" },
	{ "trans_chunk_size", NULL, "rates are set with local_max_rate and anon_max_rate; remove the line" },
	{ "upload_file", NULL, "not supported; use deny_file to refuse names" },
	{ "download_file", NULL, "not supported; use deny_file to refuse names" },
	{ "utf8_filesystem", "YES", "miniftpd always announces UTF8 in FEAT and sends names as they are, as vsftpd's utf8_filesystem=YES; remove the line" },
	{ "validate_cert", "NO", NO_CLIENT_CERT },
	{ "virtual_use_local_privs", "YES", "virtual users get the local users' rights (write_enable, local_umask)" },
	{ "vsftpd_log_file", NULL, LOGS },
	{ "xferlog_std_format", "YES", LOGS },
};

static int
find(const char *key)
{
	for (size_t i = 0; i < sizeof(vsf_options) / sizeof(vsf_options[0]); i++)
		if (strcmp(vsf_options[i].name, key) == 0)
			return (int)i;
	return -1;
}

const char *
vsf_advice(const char *key)
{
	int i = find(key);

	return i < 0 ? NULL : vsf_options[i].advice;
}

bool
vsf_same(const char *key, bool value)
{
	int i = find(key);

	return i >= 0 && vsf_options[i].same &&
	       strcmp(vsf_options[i].same, value ? "YES" : "NO") == 0;
}
