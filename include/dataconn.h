/*
 * dataconn.h - data connections: PASV/EPSV, PORT/EPRT, and opening the
 * connection a transfer command runs over.
 *
 * Passive: the service process listens on a port of pasv_min_port ..
 * pasv_max_port (when both are 0, of the kernel's ephemeral range, less
 * its reserved ports) at the address the client reached us on, tried from
 * a random start, with SO_REUSEADDR, and accepts only
 * a connection from the control peer (unless pasv_promiscuous); others
 * are closed and the wait goes on, for at most accept_timeout.  Active:
 * the target must be the control peer and a port >= 1024 (unless
 * port_promiscuous); the service process connects itself, or, with
 * connect_from_port_20, the helper binds ftp_data_port and passes the
 * connected socket back (priv_port_sock).  connect_timeout bounds it.
 *
 * The parsers and checks are pure (unit-tested and fuzzed) and shared
 * with the helper, which re-checks every target it is asked to connect.
 */
#ifndef MINIFTPD_DATACONN_H
#define MINIFTPD_DATACONN_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "session.h"

/* Verbs: rows of the command table (ftpproto.c).  Service, post-login. */
void ftp_pasv(struct session *s, const char *arg);
void ftp_epsv(struct session *s, const char *arg);
void ftp_port(struct session *s, const char *arg);
void ftp_eprt(struct session *s, const char *arg);

/*
 * data_parse_port - parse a PORT argument "h1,h2,h3,h4,p1,p2" (decimal
 * numbers 0..255, nothing else) into an AF_INET address in OUT.
 * RETURNS 0, or -EINVAL when malformed or the port is 0.  Pure.
 */
int data_parse_port(const char *arg, struct sockaddr_storage *out);

/*
 * data_parse_eprt - parse an EPRT argument (RFC 2428) "<d>1<d>addr<d>port<d>"
 * where <d> is any printable ASCII but a digit; protocol 1 is IPv4 and 2
 * IPv6.  RETURNS 0 with OUT filled, -EAFNOSUPPORT for another protocol
 * number (reply 522), or -EINVAL when malformed.  Pure.
 */
int data_parse_eprt(const char *arg, struct sockaddr_storage *out);

/* data_parse_epsv's answer for "EPSV ALL" (not an address family). */
#define DATA_EPSV_ALL 0x10000

/*
 * data_parse_epsv - parse an EPSV argument: "" (any family), "1", "2"
 * or "ALL" (case-insensitive).  RETURNS AF_UNSPEC, AF_INET, AF_INET6,
 * DATA_EPSV_ALL, -EAFNOSUPPORT for another number, or -EINVAL.  Pure.
 */
int data_parse_epsv(const char *arg);

/*
 * data_same_addr - A and B are the same host address (an IPv4-mapped
 * IPv6 address equals its IPv4 address); ports are ignored.  Pure.
 */
bool data_same_addr(const struct sockaddr_storage *a,
		    const struct sockaddr_storage *b);

/*
 * data_unmap - turn an IPv4-mapped AF_INET6 address into AF_INET in place
 * (port kept); any other address is left alone.  Pure.
 */
void data_unmap(struct sockaddr_storage *sa);

/*
 * data_default_host - an unspecified TARGET address (0.0.0.0 or ::, which
 * lftp sends in EPRT over IPv6) means "where you see me": it becomes
 * PEER's address, the port kept.  Other targets are left alone.  Pure.
 */
void data_default_host(struct sockaddr_storage *target,
		       const struct sockaddr_storage *peer);

/*
 * data_check_target - the FTP bounce check for an active-mode TARGET:
 * same host as PEER and port >= 1024, both waived when PROMISCUOUS.
 * RETURNS 0, -EAFNOSUPPORT (not AF_INET/AF_INET6), -EACCES (another
 * host) or -EPERM (a reserved port).  Pure; service and helper.
 */
int data_check_target(const struct sockaddr_storage *target,
		      const struct sockaddr_storage *peer, bool promiscuous);

/*
 * data_session_init - a post-login session without a data connection.
 * Called once by ftp_postlogin.
 */
void data_session_init(struct session *s);

/*
 * data_ready - PASV/EPSV/PORT/EPRT came first, and PROT P when the
 * session's data must be encrypted (ftptls_data_allowed).  Otherwise
 * replies "425 Use PORT or PASV first." or 522 and RETURNS false.
 */
bool data_ready(struct session *s);

/*
 * data_start - after the 150 reply: with PROT P, the TLS handshake on FD
 * (it must resume the control connection's session, tlsdata.h).
 * RETURNS 0, or -1 after replying 522 and closing FD.
 */
int data_start(struct session *s, int fd);

/*
 * data_close - close the data connection FD, a TLS one after its
 * close_notify.  RETURNS -1, for assignment.
 */
int data_close(int fd);

/*
 * data_send / data_recv - one send / recv on the data connection FD
 * (non-blocking), through TLS when data_start made it a TLS connection.
 * RETURN the count (recv: 0 at the end), -EAGAIN, or -errno.
 */
ssize_t data_send(int fd, const void *buf, size_t len);
ssize_t data_recv(int fd, void *buf, size_t len);

/* data_is_tls - FD is a TLS data connection: no sendfile or splice. */
bool data_is_tls(int fd);

/*
 * data_open - the data connection for the current transfer command:
 * accept (passive) or connect (active) with the configured timeout.
 * RETURNS the connected socket, non-blocking, or -1 after replying 425.
 * The PASV/PORT state is kept until data_reset().
 */
int data_open(struct session *s);

/*
 * data_poll - wait up to TIMEOUT_MS for FD (-1: none) to have EVENTS and
 * for a command line on the control connection (unless ftp_hold_full);
 * the session ends if the helper goes away meanwhile.  RETURNS
 * DATA_READY_FD | DATA_READY_CTL bits, 0 when the time ran out or a signal
 * came (SIGTERM is let in while it waits: ftp_term_requested() then says so).
 */
enum { DATA_READY_FD = 1, DATA_READY_CTL = 2 };
int data_poll(struct session *s, int fd, short events, int timeout_ms);

/*
 * data_wait - wait until FD (-1: none) has EVENTS, watching the control
 * connection meanwhile (data_poll): an ABOR there ends the wait (RFC 959
 * 4.1.3: the command in progress is aborted), any other command is held
 * for after it (ftp_hold_line).  RETURNS 1 when FD is ready, -ETIMEDOUT at
 * DEADLINE (sys_now_ms() clock), or -ECONNABORTED after an ABOR, which
 * the caller answers with data_reply_aborted().
 */
int data_wait(struct session *s, int fd, short events, long long deadline);

/*
 * data_reply_aborted - the replies to an ABOR that ended a transfer
 * command before its data moved: 426 for the command, 226 for ABOR.
 */
void data_reply_aborted(struct session *s);

/*
 * data_reset - forget PASV/PORT (close a passive listener).  Every
 * transfer command ends with it, whatever the outcome, and ABOR.
 */
void data_reset(struct session *s);

/*
 * data_write_all - write LEN bytes to the data socket FD (non-blocking),
 * waiting at most data_connection_timeout for any progress.
 * RETURNS 0, -ETIMEDOUT or -errno.  For listings.
 */
int data_write_all(struct session *s, int fd, const void *buf, size_t len);

/*
 * data_parse_port_range - "LO HI" (net.ipv4.ip_local_port_range: two
 * numbers 1..65535 separated by blanks, LO <= HI) into OUT's lo and hi.
 * RETURNS 0 or -EINVAL.  Pure.
 */
int data_parse_port_range(const char *text, struct port_ranges *out);

/*
 * data_parse_reserved_ports - "P,LO-HI,..." (net.ipv4.ip_local_reserved_ports,
 * empty when none) into OUT's reserved list.  RETURNS 0, or -EINVAL for
 * malformed text, or -E2BIG for more than MAX_RESERVED_RANGES ranges.
 * Pure.
 */
int data_parse_reserved_ports(const char *text, struct port_ranges *out);

/* data_port_reserved - PORT is in one of R's reserved ranges. Pure. */
bool data_port_reserved(const struct port_ranges *r, unsigned int port);

/*
 * data_load_pasv_ports - read the kernel's ephemeral port range and
 * reserved ports into OUT for PASV without pasv_min_port/pasv_max_port,
 * as vsftpd picks a port itself rather than leave it to the kernel.  On
 * any failure OUT->lo is 0: the kernel picks.  Called by runtime_init, at
 * start, before any chroot (/proc).
 */
void data_load_pasv_ports(struct port_ranges *out);

/*
 * data_resolve_pasv_address - resolve NAME (an IPv4 address or a host
 * name) for pasv_address into OUT.  RETURNS 0, or -1 with ERR set.
 * Called by runtime_init at start, before any chroot (NSS, DNS).
 */
int data_resolve_pasv_address(const char *name, struct in_addr *out,
			      char *err, size_t errlen);

#endif
