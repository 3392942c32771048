/*
 * dataaddr.h - the addresses of data connections: the PORT, EPRT and
 * EPSV parsers and the FTP bounce check.  Pure (unit-tested and fuzzed)
 * and shared by the service process (datacmd.h) and the helper, which
 * re-checks every target it is asked to connect (priv_port_sock).
 */
#ifndef MINIFTPD_DATAADDR_H
#define MINIFTPD_DATAADDR_H

#include <stdbool.h>
#include <netinet/in.h>
#include <sys/socket.h>

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
 * data_parse_uint - a decimal number of 1..MAXDIGITS digits at *P (not
 * followed by another digit), at most MAX, into *OUT; advances *P.
 * RETURNS 0 or -EINVAL.  Pure; also for datasetup.c's /proc texts.
 */
int data_parse_uint(const char **p, unsigned long max, unsigned int maxdigits,
		    unsigned long *out);

/* data_set_port - set SA's port (AF_INET or AF_INET6) to PORT. Pure. */
void data_set_port(struct sockaddr_storage *sa, unsigned int port);

#endif
