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

/* vsftpd 3.0.3's options (vsftpd.conf(5) and parseconf.c) that miniftpd lacks. */
static const struct {
	const char *name;
	const char *advice;
} vsf_options[] = {
	{ "async_abor_enable", "ABOR is always understood; remove the line" },
	{ "background", "miniftpd stays in the foreground with listen=YES (run it from a systemd unit or use ftp.socket)" },
	{ "banned_email_file", NO_ANON_PW },
	{ "ca_certs_file", NO_CLIENT_CERT },
	{ "chmod_enable", "SITE CHMOD follows write_enable; remove the line" },
	{ "chown_upload_mode", "anonymous uploads get file_open_mode less anon_umask" },
	{ "chroot_list_enable", CHROOT_PER_USER },
	{ "chroot_list_file", CHROOT_PER_USER },
	{ "cmds_allowed", "not supported: write_enable, port_enable and pasv_enable switch groups of commands" },
	{ "cmds_denied", "not supported: write_enable, port_enable and pasv_enable switch groups of commands" },
	{ "debug_ssl", "TLS handshake failures are always logged; log_ftp_protocol logs commands" },
	{ "delay_successful_login", "not supported; remove the line" },
	{ "deny_email_enable", NO_ANON_PW },
	{ "dirlist_enable", "listings are always allowed; use hide_file to hide names" },
	{ "download_enable", "downloads are always allowed; use deny_file to refuse names" },
	{ "dsa_cert_file", "use rsa_cert_file (it also takes an ECDSA certificate)" },
	{ "dsa_private_key_file", "use rsa_private_key_file (it also takes an ECDSA key)" },
	{ "dual_log_enable", LOGS },
	{ "email_password_file", NO_ANON_PW },
	{ "force_dot_files", "not supported; remove the line" },
	{ "guest_enable", "virtual users come from user_db_file and run as guest_username (drop the pam_service_name line that served them: it applies to local users)" },
	{ "isolate", ALWAYS_SEPARATED },
	{ "isolate_network", ALWAYS_SEPARATED },
	{ "ls_recurse_enable", "LIST -R is not supported; remove the line" },
	{ "mdtm_write", "MDTM cannot set times in miniftpd; remove the line" },
	{ "no_anon_password", NO_ANON_PW },
	{ "no_log_lock", "not needed; remove the line" },
	{ "one_process_model", ALWAYS_SEPARATED },
	{ "passwd_chroot_enable", CHROOT_PER_USER },
	{ "ptrace_sandbox", "use seccomp_sandbox" },
	{ "require_cert", NO_CLIENT_CERT },
	{ "reverse_lookup_enable", "miniftpd never looks client addresses up; remove the line" },
	{ "secure_email_list_enable", NO_ANON_PW },
	{ "session_support", "with pam_service_name a login always opens a PAM session; no utmp/wtmp (sessions are in limitd --status and the journal); remove the line" },
	{ "setproctitle_enable", "not supported; remove the line" },
	{ "ssl_ecdh_curve", TLS_VERSIONS },
	{ "ssl_request_cert", NO_CLIENT_CERT },
	{ "ssl_tlsv1_1", TLS_VERSIONS },
	{ "strict_ssl_read_eof", "not supported; remove the line" },
	{ "strict_ssl_write_shutdown", "not supported; remove the line" },
	{ "text_userdb_names", "not supported; hide_ids shows ftp instead of names" },
	{ "tilde_user_enable", "~user paths are not supported; remove the line" },
	{ "trans_chunk_size", "rates are set with local_max_rate and anon_max_rate; remove the line" },
	{ "upload_file", "not supported; use deny_file to refuse names" },
	{ "download_file", "not supported; use deny_file to refuse names" },
	{ "user_sub_token", "give each virtual user a home in user_db_file, or local_root in a user_config_dir file" },
	{ "utf8_filesystem", "names are sent as they are (OPTS UTF8 ON is accepted); remove the line" },
	{ "validate_cert", NO_CLIENT_CERT },
	{ "virtual_use_local_privs", "virtual users get the local users' rights (write_enable, local_umask)" },
	{ "vsftpd_log_file", LOGS },
	{ "xferlog_std_format", LOGS },
};

const char *
vsf_advice(const char *key)
{
	for (size_t i = 0; i < sizeof(vsf_options) / sizeof(vsf_options[0]); i++)
		if (strcmp(vsf_options[i].name, key) == 0)
			return vsf_options[i].advice;
	return NULL;
}
