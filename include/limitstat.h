/*
 * limitstat.h - `limitd --status`: ask a running limitd for its tables
 * and print them for an operator, as text or JSON.
 *
 * Runs in the limitd binary, in its own short-lived process (never in the
 * daemon).  Only root and limitd's own uid may ask (limitd checks
 * SO_PEERCRED).
 */
#ifndef MINIFTPD_LIMITSTAT_H
#define MINIFTPD_LIMITSTAT_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"

/*
 * limit_status_run - connect to limitd at CFG->limitd_socket, fetch its
 * status (waiting at most TIMEOUT_MS for each message) and print it to
 * OUT: totals against the limits, per-address and per-user counts, and
 * every session (pid, uid, address, user, since); with limitd_cluster
 * set, then the farm as the store holds it (limitcluster.h; JSON: a
 * "cluster" member).  JSON: one object on one line.  Errors go to
 * stderr.
 * RETURNS the process exit status: 0, or 1 when limitd could not be
 * asked or answered badly.
 */
int limit_status_run(const struct config *cfg, bool json, int timeout_ms, FILE *out);

#endif
