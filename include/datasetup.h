/*
 * datasetup.h - what the data side reads once at start, before any
 * chroot: the kernel's ephemeral port range and reserved ports, for PASV
 * without pasv_min_port/pasv_max_port, and pasv_address.  Called by
 * runtime_init (session.c); the parsers are pure and unit-tested.
 */
#ifndef MINIFTPD_DATASETUP_H
#define MINIFTPD_DATASETUP_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>

#include "session.h"	/* struct port_ranges */

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
