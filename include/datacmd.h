/*
 * datacmd.h - the verbs that choose the next data connection: PASV,
 * EPSV (and EPSV ALL), PORT, EPRT.  Rows of the command table
 * (ftpproto.c); service process, post-login.
 *
 * Passive: the service process listens on a port of pasv_min_port ..
 * pasv_max_port (when both are 0, of the kernel's ephemeral range, less
 * its reserved ports, datasetup.h) at the address the client reached us
 * on, tried from a random start, with SO_REUSEADDR; PASV answers
 * pasv_address when set.  Active: the target must be the control peer
 * and a port >= 1024 (unless port_promiscuous, dataaddr.h).  The
 * connection itself is opened by the transfer command (dataconn.h).
 */
#ifndef MINIFTPD_DATACMD_H
#define MINIFTPD_DATACMD_H

#include "session.h"

void ftp_pasv(struct session *s, const char *arg);
void ftp_epsv(struct session *s, const char *arg);
void ftp_port(struct session *s, const char *arg);
void ftp_eprt(struct session *s, const char *arg);

#endif
