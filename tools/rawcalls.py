#!/usr/bin/env python3
"""rawcalls.py - check sysutil.h's claim: every system call goes through
the wrappers of src/sys_*.c.

Fails (exit 1) on a direct call to a system call below in any other
src/*.c, unless ALLOWED names that file and that call, and on an ALLOWED
entry that no longer occurs (so the list only shrinks).  Comments and
string literals are ignored.  Run by `make unit`; usage:
rawcalls.py [SRCDIR], or rawcalls.py --self-test (the check can fail).
"""
import os
import re
import sys
import tempfile

# libc functions that are one system call each (or a vDSO read of a
# clock).  Name-service lookups (getpwnam, getpwent, getgrouplist) are
# library code over files, not system calls: not listed.
SYSCALLS = set("""
    read write pread pwrite readv writev open openat openat2 creat close
    close_range dup dup2 dup3 fcntl ioctl pipe pipe2 splice sendfile
    lseek ftruncate truncate fsync fdatasync flock
    stat lstat fstat fstatat statx access faccessat readlink readlinkat
    mkdir mkdirat rmdir unlink unlinkat rename renameat renameat2 link
    linkat symlink symlinkat chmod fchmod fchmodat chown fchown lchown
    fchownat utimensat futimens getdents64 chdir fchdir chroot umask
    socket socketpair bind listen accept accept4 connect shutdown
    getsockname getpeername getsockopt setsockopt send recv sendto
    recvfrom sendmsg recvmsg
    poll ppoll select pselect epoll_create epoll_create1 epoll_ctl
    epoll_wait epoll_pwait eventfd signalfd timerfd_create
    fork vfork clone execve execv execvp waitpid wait wait4 waitid kill
    killpg raise _exit getpid getppid setpgid setsid prctl
    sigaction signal sigprocmask pthread_sigmask sigsuspend
    getuid geteuid getgid getegid getresuid getresgid setuid setgid
    seteuid setegid setresuid setresgid setgroups initgroups
    getrlimit setrlimit prlimit capset capget syscall
    time clock_gettime gettimeofday nanosleep sleep usleep alarm
    getrandom mmap munmap mprotect
""".split())

# file -> {call: why it is still raw}.  Each entry is a debt: convert the
# call to a sys_* wrapper, then delete the entry (a stale one fails).
ALLOWED = {
}

TOKEN = re.compile(r"""
      /\*.*?\*/                 # comment
    | //[^\n]*                  # comment
    | "(?:\\.|[^"\\\n])*"        # string
    | '(?:\\.|[^'\\\n])*'        # character
    """, re.S | re.X)
CALL = re.compile(r"(?<![\w.>])([A-Za-z_]\w*)\s*\(")


def blank(m):
    """Keep newlines (for line numbers), drop the rest."""
    return re.sub(r"[^\n]", " ", m.group(0))


def raw_calls(path):
    with open(path, encoding="utf-8") as f:
        text = TOKEN.sub(blank, f.read())
    for n, line in enumerate(text.split("\n"), 1):
        if line.lstrip().startswith("#"):
            continue                # preprocessor lines
        for m in CALL.finditer(line):
            if m.group(1) in SYSCALLS:
                yield n, m.group(1)


def check(srcdir):
    errors, seen = [], set()
    for name in sorted(os.listdir(srcdir)):
        if not name.endswith(".c") or name.startswith("sys_"):
            continue
        for line, call in raw_calls(os.path.join(srcdir, name)):
            if call in ALLOWED.get(name, {}):
                seen.add((name, call))
            else:
                errors.append(f"src/{name}:{line}: {call}() called directly: "
                              "use its sys_* wrapper (include/sysutil.h)")
    for name, calls in sorted(ALLOWED.items()):
        for call in sorted(calls):
            if (name, call) not in seen:
                errors.append(f"tools/rawcalls.py: ALLOWED[{name!r}] lists {call}(), "
                              "which the file no longer calls: remove the entry")
    return errors


SELF_TEST_C = r"""
/* read(fd) in a comment */ static const char *s = "write(1)";
int f(struct x *p) { p->close(1); p.open(2); sys_read(0, 0, 0);
  return read(0, 0, 0) + fork(); }
"""


def self_test():
    """A file with two raw calls among lookalikes: exactly those two."""
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "x.c"), "w") as f:
            f.write(SELF_TEST_C)
        with open(os.path.join(d, "sys_x.c"), "w") as f:
            f.write("int g(void) { return read(0, 0, 0); }\n")
        got = [e.split(": ")[1] for e in check(d) if e.startswith("src/x.c")]
    want = ["read() called directly", "fork() called directly"]
    if got != want:
        print("rawcalls self-test: got %r, want %r" % (got, want), file=sys.stderr)
        return 1
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    srcdir = sys.argv[1] if len(sys.argv) > 1 else "src"
    errors = check(srcdir)
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        return 1
    print(f"rawcalls: no direct system call outside src/sys_*.c but "
          f"{sum(len(v) for v in ALLOWED.values())} allowed in {len(ALLOWED)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
