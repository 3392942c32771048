/*
 * options.h - the one table that describes every configuration option.
 *
 * Each line is one option.  The macros are expanded by config.c to build
 * struct config, the defaults, the key=value / -oKEY=VALUE parser, the
 * `miniftpd -T` dump, and by tools/genopts.c, which generates the option
 * lists of etc/miniftpd.conf and man/miniftpd.conf.5 (`make docs`; `make
 * check` fails when the committed files differ from its output).
 *
 *   OPT_BOOL(name, default, doc)              YES/NO (also TRUE/FALSE, 1/0)
 *   OPT_UINT(name, default, min, max, doc)    decimal, range-checked
 *   OPT_MODE(name, default, doc)              octal permission bits, <= 07777
 *   OPT_STR (name, default, doc)              free text (may be empty)
 *
 * Nothing else belongs in this header.
 */
#ifndef MINIFTPD_OPTIONS_H
#define MINIFTPD_OPTIONS_H

#define OPTIONS(OPT_BOOL, OPT_UINT, OPT_MODE, OPT_STR) \
	/* launch and network */ \
	OPT_BOOL(listen, 0, "Run standalone on IPv4: bind listen_address:listen_port (or use the listening socket a systemd unit with Accept=no passes as fd 3) and fork a session per connection. NO (with listen_ipv6=NO) means the connection comes from systemd (fd 3, Accept=yes) or inetd (fd 0). As in vsftpd, listen and listen_ipv6 exclude each other: both YES is an error.") \
	OPT_STR (listen_address, "", "IPv4 address the standalone listener binds (empty: all addresses).") \
	OPT_UINT(listen_port, 21, 0, 65535, "TCP port of the standalone listener (0: pick a free port and print it).") \
	OPT_BOOL(listen_ipv6, 0, "Run standalone on IPv6, as vsftpd's listen_ipv6: one dual-stack listener (also accepts IPv4) on listen_address6:listen_port; implies standalone, with listen=NO (Debian's stock vsftpd.conf form).") \
	OPT_STR (listen_address6, "", "IPv6 address the standalone listener binds when listen_ipv6=YES (empty: all).") \
	OPT_BOOL(listen_malloc_tcache_off, 1, "The standalone listener executes itself once more at start with glibc.malloc.tcache_count=0 added to GLIBC_TUNABLES (other tunables kept; nothing when GLIBC_TUNABLES already sets tcache_count), so that its sessions do not copy the pages of chunks the listener freed: an idle FTPS session's memory (PSS) is some 12-25 KiB smaller (bench/NOTES.md). Same pid, same descriptors. Sessions that systemd (Accept=yes) or inetd starts get the variable from ftp@.service or the xinetd entry instead. NO: no re-exec (set it to run the listener under valgrind, where /proc/self/exe is valgrind's own tool).") \
	/* limits (enforced by limitd) */ \
	OPT_UINT(max_clients, 2000, 0, 1000000, "Most sessions at once, all addresses together (0: no limit).") \
	OPT_UINT(max_per_ip, 50, 0, 1000000, "Most sessions at once from one client address (0: no limit).") \
	OPT_UINT(max_per_ip_prefix6, 64, 1, 128, "Leading bits of an IPv6 client address that max_per_ip and max_login_fails_per_ip count as one address (64: a /64, the usual size of one site's network; 128: every address alone). IPv4 addresses are always counted alone; limitd reads it at start only.") \
	OPT_UINT(max_per_user, 0, 0, 1000000, "Most sessions at once logged in as one user name (0: no limit). A login over it gets 530, and is no failed login for max_login_fails and max_login_fails_per_ip.") \
	OPT_UINT(max_login_fails_per_ip, 0, 0, 1000000, "Failed logins from one client address, counted by limitd across sessions, after which that address is refused (0: not counted).") \
	OPT_UINT(login_fail_block_time, 600, 1, 86400, "Seconds after its last failed login that an address blocked by max_login_fails_per_ip stays refused (and its failures are remembered).") \
	OPT_BOOL(limitd_enable, 1, "Ask limitd for admission of every session.") \
	OPT_STR (limitd_socket, "/run/miniftpd/limitd.sock", "UNIX socket of limitd.") \
	OPT_STR (limitd_fail, "open", "When limitd cannot be reached: open (admit, log a warning) or closed (refuse a new session with 421, and the login of a session that has lost limitd with 530).") \
	OPT_STR (limitd_cluster, "", "Redis store shared by the limitd of several hosts, as redis://HOST:PORT/DB, or rediss://HOST:PORT/DB for TLS (needs limitd_cluster_tls_ca_file) (empty: limitd counts alone). Every limitd naming the same store enforces max_clients, max_per_ip, max_per_user and max_login_fails_per_ip for the whole farm; with the store unreachable each counts alone, or refuses new sessions and logins when limitd_fail=closed. limitd reads it at start only.") \
	OPT_STR (limitd_cluster_password_file, "", "File holding the store's password (its first line, sent with AUTH), read by limitd as its own user at start; refused when others may read it (empty: no AUTH).") \
	OPT_STR (limitd_cluster_tls_ca_file, "", "With rediss:// (required there): PEM file of the CA(s) the store's certificate must chain to; the certificate must also name the URL's host (or its address). Read by limitd as its own user at start.") \
	OPT_STR (limitd_cluster_tls_cert_file, "", "With rediss://: PEM file of limitd's client certificate (and chain), for a store with tls-auth-clients; needs limitd_cluster_tls_key_file (empty: no client certificate).") \
	OPT_STR (limitd_cluster_tls_key_file, "", "With rediss://: PEM file of the private key of limitd_cluster_tls_cert_file, read by limitd as its own user at start; refused when others may read it or when it does not match the certificate.") \
	OPT_UINT(limitd_cluster_lease, 30, 2, 3600, "Seconds after which the store forgets the sessions of a limitd that stopped renewing its lease (a dead host); each limitd renews it every third of that. limitd reads it at start only.") \
	OPT_STR (limitd_cluster_id, "", "This limitd's name in the store, unique in the farm and stable across restarts (empty: the host name, a colon and limitd_socket; when that is longer than 64 characters or not printable, the host name, a colon, a # and 16 hex digits of a hash of both, the same on every start). At most 64 printable characters, no spaces.") \
	/* timeouts, seconds */ \
	OPT_UINT(idle_session_timeout, 300, 1, 86400, "Seconds a client may stay silent on the control connection before 421 Timeout, and a reply may wait for the client to read it (then the session ends; after login the value of the main configuration file); with FTPS also the seconds a TLS handshake or record may take.") \
	OPT_UINT(data_connection_timeout, 300, 1, 86400, "Seconds a data transfer may make no progress before it is dropped with 426.") \
	OPT_UINT(accept_timeout, 60, 1, 3600, "Seconds to wait for the client to connect to a passive data port.") \
	OPT_UINT(connect_timeout, 60, 1, 3600, "Seconds to wait for an active-mode data connection to the client.") \
	OPT_UINT(shutdown_timeout, 60, 0, 3600, "Seconds a transfer or listing in progress (or the wait for its data connection) may go on after the session got SIGTERM (systemctl stop of the listener or of a session's unit, the standalone listener's shutdown); then the session aborts it with 426 (425 before the data connection), logs it incomplete and ends (0: at once). The listener kills a session still there 2 s later.") \
	/* data connections */ \
	OPT_BOOL(pasv_enable, 1, "Allow passive data connections (PASV, EPSV).") \
	OPT_UINT(pasv_min_port, 0, 0, 65535, "Lowest passive port (0, with pasv_max_port 0: a random port of the kernel's ephemeral range, net.ipv4.ip_local_port_range, less net.ipv4.ip_local_reserved_ports, picked by miniftpd as vsftpd does; where /proc/sys cannot be read, any port the kernel picks).") \
	OPT_UINT(pasv_max_port, 0, 0, 65535, "Highest passive port (0: 65535 when pasv_min_port is set, as in vsftpd; see pasv_min_port). Below pasv_min_port is an error.") \
	OPT_STR (pasv_address, "", "Address (or host name, resolved at start) advertised in PASV replies, for servers behind NAT.") \
	OPT_BOOL(pasv_addr_resolve, 0, "pasv_address is a dynamic-DNS host name: the standalone listener resolves it again for new sessions once its last answer is pasv_addr_ttl seconds old (a process started per connection resolves it at its start); never a chrooted or sandboxed process (SECURITY.md). NO: resolved once at start.") \
	OPT_UINT(pasv_addr_ttl, 60, 0, 86400, "Seconds a pasv_addr_resolve answer is reused before the listener asks again (0: for every new session).") \
	OPT_BOOL(pasv_promiscuous, 0, "Accept passive data connections from any address, not only the control peer.") \
	OPT_BOOL(port_enable, 1, "Allow active data connections (PORT, EPRT).") \
	OPT_BOOL(port_promiscuous, 0, "Allow PORT/EPRT to any address and port (disables FTP bounce protection).") \
	OPT_BOOL(connect_from_port_20, 0, "Active data connections leave from ftp_data_port (the helper binds it).") \
	OPT_UINT(ftp_data_port, 20, 1, 65535, "Source port of active data connections when connect_from_port_20=YES.") \
	/* users */ \
	OPT_BOOL(local_enable, 0, "Let system users (passwd/shadow) log in; needs miniftpd started as root.") \
	OPT_BOOL(write_enable, 0, "Allow any command that changes the file system.") \
	OPT_MODE(local_umask, 077, "umask for files and directories that local and virtual users create.") \
	OPT_MODE(anon_umask, 077, "umask for files and directories that anonymous users create.") \
	OPT_MODE(file_open_mode, 0666, "Permission bits for uploaded files, before the umask.") \
	OPT_STR (local_root, "", "Directory local users start in (and are chrooted to with chroot_local_user); empty: their home.") \
	OPT_BOOL(chroot_local_user, 0, "Confine local users to their root directory (chroot).") \
	OPT_STR (user_sub_token, "", "As in vsftpd: this text (e.g. $USER) in local_root, a user_db_file home or the home directory is replaced by the login name, for local and virtual users (empty: nothing replaced). Login names hold no / and do not start with a dot.") \
	OPT_BOOL(chroot_list_enable, 0, "As in vsftpd: a local user named in chroot_list_file gets the opposite of chroot_local_user (YES: the listed users are not chrooted; NO: only they are), after the user's user_config_dir file. Virtual users are always chrooted, anonymous users always confined to anon_root. The list must be readable: -t and the start refuse one that is not, and a login that cannot read it is refused.") \
	OPT_STR (chroot_list_file, "/etc/miniftpd.chroot_list", "User list for chroot_list_enable, one name a line (vsftpd's default was /etc/vsftpd.chroot_list).") \
	OPT_BOOL(allow_writeable_chroot, 0, "Accepted for vsftpd compatibility, no effect: miniftpd's chroot is safe with a writable root too (the post-login process has no privilege to exploit one, and paths resolve beneath the root fd).") \
	OPT_STR (user_config_dir, "", "Directory of per-user files named after the user, read by the helper at login: local_root, write_enable, chroot_local_user, local_umask, file_open_mode, local_max_rate, upload_max_rate, download_max_rate, idle_session_timeout, data_connection_timeout, hide_ids, use_localtime, dirmessage_enable, deny_file, hide_file. A file must be owned by root and not writable by group or others (else the login is refused).") \
	OPT_BOOL(root_login_enable, 0, "Let uid 0 log in as a local user.") \
	OPT_BOOL(check_shell, 1, "Refuse local users whose shell is not listed in /etc/shells.") \
	OPT_STR (ftpusers_file, "/etc/ftpusers", "Users listed here (one per line) may never log in.") \
	OPT_STR (pam_service_name, "", "PAM service (a file in /etc/pam.d or /usr/lib/pam.d; -t checks it) that checks local users' passwords, account (expiry, aging) and opens their session; empty: /etc/shadow directly, with pam_unix's aging rules. Anonymous and virtual users never go through PAM.") \
	OPT_BOOL(userlist_enable, 0, "Consult userlist_file at login. The list must be readable, as in vsftpd: -t and the start refuse one that is not, and a list that cannot be read at a login refuses that login.") \
	OPT_BOOL(userlist_deny, 1, "YES: users in userlist_file are refused; NO: only they may log in.") \
	OPT_STR (userlist_file, "/etc/miniftpd.user_list", "User list for userlist_enable, one name a line (vsftpd's default was /etc/vsftpd.user_list).") \
	OPT_STR (user_db_file, "", "Virtual users file, lines name:crypt-hash[:home] (empty: no virtual users); # comment lines and blank lines are skipped, CRLF line ends and a UTF-8 byte-order mark ignored.") \
	OPT_STR (guest_username, "ftp", "System user that virtual users' sessions run as.") \
	OPT_BOOL(anonymous_enable, 0, "Let USER anonymous / ftp log in with any password.") \
	OPT_STR (anon_root, "", "Directory anonymous users are chrooted to (empty: ftp_username's home).") \
	OPT_BOOL(anon_world_readable_only, 1, "Anonymous users may download only files that others may read (mode o+r), as in vsftpd: what they upload (0600 under anon_umask=077, owned by ftp_username) cannot be fetched until you chmod o+r it, so an upload directory is no drop box. NO: whatever ftp_username may read.") \
	OPT_BOOL(anon_upload_enable, 0, "Let anonymous users upload (needs write_enable).") \
	OPT_BOOL(anon_mkdir_write_enable, 0, "Let anonymous users create directories (needs write_enable).") \
	OPT_BOOL(anon_other_write_enable, 0, "Let anonymous users delete and rename (needs write_enable).") \
	OPT_STR (ftp_username, "ftp", "System user that anonymous sessions run as.") \
	OPT_STR (nopriv_user, "miniftpd", "Unprivileged user for the pre-login process and the helper, and the one user besides root that limitd serves: a system account of its own, no shell, no home (make install creates miniftpd).") \
	OPT_BOOL(run_as_launching_user, 0, "Never change user or chroot, even as root; only virtual and anonymous users can log in.") \
	OPT_STR (secure_chroot_dir, "/run/miniftpd/empty", "Empty, root-owned directory the pre-login process is chrooted to (created at start if missing).") \
	OPT_UINT(max_login_fails, 3, 1, 1000, "Failed logins after which the session is closed.") \
	OPT_UINT(delay_failed_login, 1, 0, 60, "Seconds to wait before answering a failed login.") \
	/* transfers */ \
	OPT_UINT(local_max_rate, 0, 0, 4294967295, "Bytes per second for local and virtual users' transfers (0: unlimited).") \
	OPT_UINT(anon_max_rate, 0, 0, 4294967295, "Bytes per second for anonymous transfers (0: unlimited).") \
	OPT_UINT(upload_max_rate, 0, 0, 4294967295, "Bytes per second for uploads; overrides local_max_rate/anon_max_rate (0: unset).") \
	OPT_UINT(download_max_rate, 0, 0, 4294967295, "Bytes per second for downloads; overrides local_max_rate/anon_max_rate (0: unset).") \
	OPT_BOOL(ascii_upload_enable, 0, "Convert CRLF to LF on uploads in TYPE A.") \
	OPT_BOOL(ascii_download_enable, 0, "Send a lone LF as CRLF on downloads in TYPE A (a CRLF goes as it is).") \
	OPT_BOOL(chown_uploads, 0, "Give anonymously uploaded files to chown_username.") \
	OPT_STR (chown_username, "root", "Owner of anonymous uploads when chown_uploads=YES.") \
	OPT_BOOL(delete_failed_uploads, 0, "Remove a file whose upload did not complete.") \
	OPT_BOOL(use_sendfile, 1, "Send downloads with sendfile(2): no copy through the server's memory. NO reads and writes in 256 KiB blocks instead, which a client on the same machine can receive faster (bench/README.md, RETR).") \
	OPT_BOOL(lock_upload_files, 1, "Hold a write lock on a file while it is uploaded (and a read lock while downloaded); a transfer of a locked file waits for the lock up to data_connection_timeout, then answers 450.") \
	OPT_BOOL(hide_ids, 0, "Show owner and group as ftp in listings.") \
	OPT_STR (deny_file, "", "vsftpd glob patterns, e.g. {*.mp3,secret*}: any command on a name that matches (the last component or the whole path) gets 550.") \
	OPT_STR (hide_file, "", "vsftpd glob patterns, e.g. {.*,*.tmp}: names that match are left out of listings but can still be used.") \
	OPT_BOOL(dirmessage_enable, 0, "On CWD into a directory that holds message_file, show its first lines in the 250 reply.") \
	OPT_STR (message_file, ".message", "Name of the directory message file for dirmessage_enable (at most 4 KiB and 50 lines are shown).") \
	OPT_STR (names_cache_file, "/run/miniftpd/names", "Where a process started per connection (socket activation with Accept=yes, inetd) keeps what it asked the name service before the chroot (the user and group names of listings, ftp_username's ids and groups) for the next ones, so that only one in a minute asks (empty: every session does).") \
	OPT_BOOL(use_localtime, 0, "Listings and MDTM in local time instead of UTC.") \
	/* logging */ \
	OPT_BOOL(xferlog_enable, 0, "Write one wu-ftpd xferlog line per transfer to xferlog_file.") \
	OPT_STR (xferlog_file, "/var/log/xferlog", "Transfer log file.") \
	OPT_BOOL(log_ftp_protocol, 0, "Log every command and reply (PASS arguments redacted).") \
	OPT_BOOL(syslog_enable, 0, "Log to syslog even when stderr or the journal could be used.") \
	OPT_STR (syslog_socket, "/dev/log", "Datagram socket of the syslog daemon, connected once before any chroot.") \
	OPT_STR (journal_socket, "/run/systemd/journal/socket", "Native socket of systemd-journald (a journal namespace has its own), connected once before any chroot.") \
	OPT_STR (ftpd_banner, "", "Text of the 220 greeting (empty: a default).") \
	OPT_STR (banner_file, "", "File whose text is the 220 greeting, overriding ftpd_banner; read at start (and on reload), at most 4 KiB and 50 lines.") \
	OPT_BOOL(tcp_wrappers, 0, "vsftpd's TCP wrappers switch: only NO is accepted (miniftpd has no TCP wrappers support; use a firewall or the socket unit's IPAddressDeny=).") \
	/* FTPS (TLS, RFC 4217) */ \
	OPT_BOOL(ssl_enable, 0, "Offer FTPS: AUTH TLS (and AUTH SSL), PBSZ, PROT; needs rsa_cert_file. The TLS state of the control connection lives in the unprivileged pre-login process, which after login only carries bytes between the client and the user's process, and the private key only in the root helper, which makes each handshake's one signature (SECURITY.md).") \
	OPT_BOOL(implicit_ssl, 0, "Start TLS at once on every connection, before the greeting (implicit FTPS, usually port 990); needs ssl_enable=YES.") \
	OPT_STR (rsa_cert_file, "", "PEM file with the server's certificate (RSA or ECDSA) followed by its chain. Loaded at start and on SIGHUP (a bad file on SIGHUP keeps the one loaded before); checked by -t: readable, not expired.") \
	OPT_STR (rsa_private_key_file, "", "PEM file with the private key of rsa_cert_file (empty: read it from rsa_cert_file). Read at start and on SIGHUP by a short-lived child that checks it against the certificate (so does -t) and copies it into a memory file; each handshake's one signature is made from that copy by a child of the root helper.") \
	OPT_BOOL(require_ssl_reuse, 1, "Accept a TLS data connection only if it resumes the control connection's TLS session (a ticket of this session). NO is refused at start: the post-login process, which serves data connections, never holds the private key.") \
	OPT_BOOL(force_local_logins_ssl, 1, "With ssl_enable=YES, local and virtual users must send AUTH TLS before USER (530 otherwise).") \
	OPT_BOOL(force_local_data_ssl, 1, "With ssl_enable=YES, local and virtual users' data connections must be encrypted (PROT P): PROT C gets 534, a transfer without PROT P 522.") \
	OPT_BOOL(force_anon_logins_ssl, 0, "With ssl_enable=YES and allow_anon_ssl=YES, anonymous users must send AUTH TLS before USER.") \
	OPT_BOOL(force_anon_data_ssl, 0, "With ssl_enable=YES and allow_anon_ssl=YES, anonymous users' data connections must be encrypted.") \
	OPT_BOOL(allow_anon_ssl, 0, "Let anonymous users log in over TLS (NO: USER anonymous after AUTH TLS gets 530).") \
	OPT_BOOL(ssl_allow_ccc, 0, "Let a client that has logged in over TLS send CCC (RFC 4217): after the 200 reply and an exchange of close_notify the control connection goes on in clear text (so that a NAT or firewall can read PORT and PASV), while data connections keep their protection (PROT P still needs TLS). NO: CCC gets 534. Before login CCC always gets 534.") \
	OPT_BOOL(ssl_tlsv1_2, 1, "Offer TLS 1.2.") \
	OPT_BOOL(ssl_tlsv1_3, 1, "Offer TLS 1.3.") \
	OPT_BOOL(ssl_tlsv1, 1, "Accepted for vsftpd compatibility, no effect: TLS 1.0 and 1.1 are never offered (ssl_tlsv1_2, ssl_tlsv1_3 choose).") \
	OPT_BOOL(ssl_sslv2, 0, "vsftpd's SSL 2 switch: only NO is accepted.") \
	OPT_BOOL(ssl_sslv3, 0, "vsftpd's SSL 3 switch: only NO is accepted.") \
	OPT_STR (ssl_ciphers, "", "OpenSSL cipher list for TLS 1.2 (empty: OpenSSL's default); TLS 1.3 uses OpenSSL's default suites.") \
	OPT_STR (ssl_sni_hostname, "", "When set, refuse a control connection's TLS handshake unless its ClientHello names this host (SNI, compared without case); a client that sends no name, as most do when given an IP address, is refused too. Data connections are bound to the control session by resumption instead (empty: any name, or none).") \
	/* confinement */ \
	OPT_BOOL(seccomp_sandbox, 1, "Confine each process to a system call allowlist.")

#endif
