/*
 * path.h - from a client's path to a file descriptor, never outside the
 * client's root.
 *
 * Client paths are first normalised (pure, fuzzed): joined to the working
 * directory, "." and ".." collapsed, "//" squeezed; ".." at "/" stays at
 * "/".  The result is opened beneath the session's root directory fd with
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so symlinks cannot
 * lead out either, with or without chroot.  Service process only.
 */
#ifndef MINIFTPD_PATH_H
#define MINIFTPD_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * path_normalize - absolute, clean client path for ARG seen from CWD
 * (itself absolute and clean).  Empty ARG means CWD.
 * RETURNS 0, or -ENAMETOOLONG when the result does not fit OUTLEN.
 */
int path_normalize(const char *cwd, const char *arg, char *out, size_t outlen);

/*
 * path_split - split a normalised path into its parent and last name
 * ("/a/b" -> "/a", "b").  RETURNS 0, -EINVAL for "/" (no last name).
 */
int path_split(const char *path, char *parent, size_t plen, char *name,
	       size_t nlen);

/*
 * path_ends_in_dot - whether client argument ARG names "." or ".." as its
 * last component ("x/.", "..", "a/../", ...), which rmdir(2) refuses:
 * normalisation would otherwise turn "RMD ." into removing the current
 * directory.
 */
bool path_ends_in_dot(const char *arg);

/*
 * path_open - open normalised client PATH beneath ROOT_FD with FLAGS
 * (O_CLOEXEC added) and MODE.  Without openat2 (ENOSYS: an old kernel,
 * valgrind) it falls back to openat() only when ROOT_FD is the process's
 * root directory, where that is just as confined, and otherwise fails
 * with -ENOSYS.  RETURNS fd or -errno.
 */
int path_open(int root_fd, const char *path, int flags, mode_t mode);

/*
 * path_open_parent - open PATH's parent directory (O_PATH) beneath
 * ROOT_FD and copy the last name into NAME, for the *at() calls
 * (mkdirat, unlinkat, renameat...).  RETURNS fd or -errno (-EINVAL for "/").
 */
int path_open_parent(int root_fd, const char *path, char *name, size_t nlen);

/*
 * path_filter_match - whether NAME matches vsftpd-style filter PATTERNS
 * (deny_file, hide_file): fnmatch(3) globs, '*' also matching '/', where
 * one {a,b,...} group gives alternatives ("{*.mp3,*.iso}", "x{1,2}.txt").
 * An empty PATTERNS matches nothing; a malformed one (unclosed '{', more
 * than one group, an alternative too long) matches everything, so that a
 * deny_file typo refuses rather than allows.  Pure; both roles.
 */
bool path_filter_match(const char *patterns, const char *name);

/*
 * path_filter_denies - whether normalised PATH, or any of its components,
 * matches PATTERNS (path_filter_match): what deny_file refuses.
 */
bool path_filter_denies(const char *patterns, const char *path);

#endif
