/*
 * sysutil.h - every system call the project makes goes through the
 * wrappers declared here, grouped by subject in the sys_*.h headers
 * (one sys_*.c each):
 *
 *   sys_mem.h    memory: xmalloc, xcalloc, xreallocarray, xstrdup
 *   sys_io.h     descriptors: read, write, close, pipes, splice, sendfile, flags
 *   sys_file.h   files and directories: open, stat, directory entries, links, locks
 *   sys_net.h    sockets: create, bind, listen, accept, connect, send, fd passing
 *   sys_event.h  waiting: poll, ppoll, epoll
 *   sys_proc.h   processes and signals: fork, wait, kill, handlers, masks, exit
 *   sys_cred.h   identity and privilege: users, groups, ids, chroot, no_new_privs, seccomp
 *   sys_time.h   clocks, sleeping, random bytes
 *
 * Wrappers retry on EINTR, create every descriptor close-on-exec, and
 * return -errno on failure (0 or a count on success) unless the name
 * starts with x, which dies instead.
 * Used by every process of both binaries.  A module may include just the
 * subject headers it uses; this one includes them all.
 *
 * The claim is checked: tools/rawcalls.py, run by `make unit`, fails on
 * a direct system call in a src file outside the sys_ ones, but for the
 * calls its commented allowlist names, each a debt to pay.
 */
#ifndef MINIFTPD_SYSUTIL_H
#define MINIFTPD_SYSUTIL_H

#include "sys_cred.h"
#include "sys_event.h"
#include "sys_file.h"
#include "sys_io.h"
#include "sys_mem.h"
#include "sys_net.h"
#include "sys_proc.h"
#include "sys_time.h"

#endif
