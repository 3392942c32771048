"""Security probes: each asserts the refusal AND that the session
or the server lives on.

  confinement   seccomp filter per role and resource limits read from /proc;
                a process killed like a seccomp violation ends the session
                cleanly; a writable chroot root with hostile etc/, lib/ and
                time zone files that nothing reads (strace proves it)
  paths         traversal (.., absolute, %2e%2e, long chains, backslashes,
                overlong UTF-8) and symlinks pointing out, with chroot and
                without (run_as_launching_user, and every run as nobody)
  data          FTP bounce the helper re-checks (port 20 to a reserved port),
                IPv4-mapped EPRT targets
  login         unknown user and wrong password alike in reply and time;
                pipelined brute force cut off; per-address failed-login
                tracking in limitd (max_login_fails_per_ip)
  control       Telnet IAC floods, invalid and overlong UTF-8, slowloris
  limitd        random garbage on its socket drops only that client

Existing probes elsewhere are not repeated: 100 KB lines, NUL bytes and 2000
pipelined commands (test_badinput.py), bounce and passive theft
(test_pasv_port.py), max_login_fails (test_login.py), a malformed limitd
request (test_limitd.py), helper and service death (test_privsep.py).
The compromised service process speaking garbage on the socketpair is
tests/unit/test_privhelper.c.  Loopback only; every loop is bounded; only
processes started here are signalled, by PID.
"""

import io
import ftplib
import os
import random
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time

import pytest

from conftest import (DEMO_PASSWORD, GUEST, HOST, IS_ROOT, Server, needs_root, proc_alive,
                      proc_children, proc_descendants, proc_status, sanitized, wait_until)
from limitdkit import VERSION, ftp_needed
from refusaltiming import assert_alike, pass_times, yescrypt_and_locked_twin

SECRET = b"TOP-SECRET-OUTSIDE-THE-ROOT\n"
HAVE_STRACE = shutil.which("strace") is not None


needs_sandbox = pytest.mark.skipif(sanitized(), reason="seccomp is compiled out under ASan")


# ---------------------------------------------------------------- helpers

def session_pids(server, logged_in):
    """(helper, service) of the one session; after login the post-login service."""
    def find():
        helpers = proc_children(server.pid)
        if len(helpers) != 1:
            return None
        kids = [k for k in proc_children(helpers[0]) if proc_alive(k)]
        return (helpers[0], kids[0]) if len(kids) == 1 else None
    pair = wait_until(find, 10)
    assert pair, "no session below %d" % server.pid
    if logged_in:
        # the helper drops right after it forked the post-login process
        assert wait_until(lambda: proc_status(pair[0])["Uid"].split()[0] !=
                          "0" or not IS_ROOT, 5)
    return pair


def seccomp_mode(pid):
    return int(proc_status(pid)["Seccomp"])


def limits(pid):
    """{name: (soft, hard)} from /proc/PID/limits."""
    out = {}
    with open("/proc/%d/limits" % pid) as f:
        for line in f.read().splitlines()[1:]:
            m = re.match(r"(.+?)\s{2,}(\S+)\s+(\S+)", line)
            if m:
                out[m.group(1).strip()] = (m.group(2), m.group(3))
    return out


def pasv(c):
    """Open a passive data connection for the next transfer on C."""
    r = c.cmd("PASV")
    assert r.code == 227, r
    n = [int(x) for x in re.search(r"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", r.text).groups()]
    return socket.create_connection(("%d.%d.%d.%d" % tuple(n[:4]), n[4] * 256 + n[5]),
                                    timeout=10)


def transfer(c, line, payload=None):
    """Run a data command: RETURNS (first reply, data received, final reply or None)."""
    data = pasv(c)
    try:
        r = c.cmd(line)
        if r.code != 150:
            return r, b"", None
        got = b""
        if payload is not None:
            data.sendall(payload)
        else:
            for _ in range(1000):
                chunk = data.recv(65536)
                if not chunk:
                    break
                got += chunk
        data.close()
        return r, got, c.reply()
    finally:
        data.close()


def alive(c):
    assert c.cmd("NOOP").code == 200


def names_listed(data):
    """Entry names in a LIST/NLST/MLSD answer (link targets left out)."""
    out = set()
    for line in data.split(b"\r\n"):
        line = line.split(b" -> ")[0]
        if line:
            out.add(line.rsplit(b" ", 1)[-1].rsplit(b"/", 1)[-1])
    return out


# ---------------------------------------------------------------- confinement: /proc

@needs_sandbox
def test_seccomp_filter_per_role(ftpd):
    """Pre-login service and, after login, service and helper are filtered; the
    pre-auth helper is not (it is root and must fork and setuid)."""
    s = ftpd()
    c = s.connect()
    helper, pre = session_pids(s, False)
    assert seccomp_mode(pre) == 2
    assert seccomp_mode(helper) == 0
    assert c.login().code == 230
    helper, post = session_pids(s, True)
    assert post != pre
    assert seccomp_mode(post) == 2
    assert wait_until(lambda: seccomp_mode(helper) == 2, 5)
    # and the session works under the filters: listing, upload, download
    f = s.ftplib()
    f.storbinary("STOR sandboxed.bin", io.BytesIO(b"s" * 100000))
    got = io.BytesIO()
    f.retrbinary("RETR sandboxed.bin", got.write)
    assert got.getvalue() == b"s" * 100000
    assert "sandboxed.bin" in f.nlst()
    alive(c)


def test_seccomp_sandbox_no(ftpd):
    s = ftpd(seccomp_sandbox="NO")
    c = s.connect()
    helper, pre = session_pids(s, False)
    assert seccomp_mode(pre) == 0
    assert c.login().code == 230
    helper, post = session_pids(s, True)
    assert seccomp_mode(post) == 0 and seccomp_mode(helper) == 0
    alive(c)


def test_session_resource_limits(ftpd):
    """Every dropped process: no core, no new process, at most 64 descriptors.
    (ASan builds keep RLIMIT_NPROC: LeakSanitizer clones a tracer at exit.)"""
    s = ftpd()
    c = s.connect()
    helper, pre = session_pids(s, False)
    want = {"Max core file size": ("0", "0"), "Max open files": ("64", "64")}
    if not sanitized():
        want["Max processes"] = ("0", "0")
    for k, v in want.items():
        assert limits(pre)[k] == v, (k, limits(pre)[k])
    assert c.login().code == 230
    helper, post = session_pids(s, True)
    for pid in (post, helper):
        got = wait_until(lambda: limits(pid)["Max open files"] == ("64", "64") and limits(pid), 5)
        assert got, limits(pid)
        for k, v in want.items():
            assert got[k] == v, (pid, k, got[k])
    alive(c)


@pytest.mark.parametrize("victim", ["prelogin", "postlogin", "helper"])
def test_sigsys_death_ends_session_cleanly(ftpd, victim):
    """SIGSYS is how a seccomp violation kills: the survivor ends the session,
    the client gets one 421 line where a process still holds its connection,
    nothing is left behind, and the server takes the next client."""
    s = ftpd()
    c = s.connect()
    helper, service = session_pids(s, False)
    if victim != "prelogin":
        assert c.login().code == 230
        helper, service = session_pids(s, True)
    os.kill(helper if victim == "helper" else service, signal.SIGSYS)
    data = c.wait_closed(10)
    if victim == "postlogin":
        assert data == b""          # only the dead process held the connection
    else:
        assert data.startswith(b"421 ") and data.count(b"\r\n") == 1, data
    assert wait_until(lambda: not proc_alive(helper) and not proc_alive(service), 10)
    assert wait_until(lambda: proc_children(s.pid) == [], 5)
    if victim != "helper":
        assert "killed by signal %d" % signal.SIGSYS in s.log()
    alive(s.login())


# ---------------------------------------------------------------- writable chroot root

EVIL_NSS = r"""
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void pwned(void)
{
	int fd = open("/PWNED-by-nss-module", O_WRONLY | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
}
int _nss_evil_getpwuid_r(void) { pwned(); return 0; }
int _nss_evil_getgrgid_r(void) { pwned(); return 0; }
"""

KIRITIMATI = "/usr/share/zoneinfo/Pacific/Kiritimati"      # UTC+14: easy to spot


def plant_hostile_root(root):
    """What a user of a writable chroot root could place there for libc to find."""
    def put(rel, data, mode=0o644):
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, mode)
    put("etc/nsswitch.conf", b"passwd: evil\ngroup: evil\nhosts: evil\nshadow: evil\n")
    put("etc/passwd", b"PWNED:x:%d:%d::/:/bin/sh\n" % (os.getuid(), os.getgid()))
    put("etc/group", b"PWNEDGRP:x:%d:\n" % os.getgid())
    put("etc/ld.so.preload", b"/lib/libevil.so\n")
    put("etc/shells", b"/bin/sh\n")
    if os.path.exists(KIRITIMATI):
        with open(KIRITIMATI, "rb") as f:
            put("etc/localtime", f.read())
    put("usr/lib/locale/locale-archive", b"garbage")
    put("usr/lib/x86_64-linux-gnu/gconv/gconv-modules", b"module EVIL// INTERNAL evil 1\n")
    src = os.path.join(os.path.dirname(root), "evil.c")
    with open(src, "w") as f:
        f.write(EVIL_NSS)
    so = os.path.join(os.path.dirname(root), "libnss_evil.so.2")
    r = subprocess.run(["cc", "-shared", "-fPIC", "-o", so, src], capture_output=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    with open(so, "rb") as f:
        lib = f.read()
    for d in ("lib", "lib64", "lib/x86_64-linux-gnu", "usr/lib", "usr/lib/x86_64-linux-gnu"):
        put(d + "/libnss_evil.so.2", lib, 0o755)
    put("lib/libevil.so", lib, 0o755)


class StracedServer(Server):
    """A standalone server under strace -f: file and exec system calls logged."""

    def __init__(self, env, trace, **opts):
        super().__init__(env, "standalone", opts)
        self.trace = trace

    def argv(self):
        return (["strace", "-f", "-qq", "-o", self.trace,
                 "-e", "trace=%file,execve,connect"] + super().argv())


def post_chroot_calls(trace):
    """{pid: [syscall lines after that pid's chroot(".")]}."""
    out, jailed = {}, set()
    with open(trace, errors="replace") as f:
        for line in f:
            m = re.match(r"(\d+)\s+(.*)", line)
            if not m:
                continue
            pid, call = int(m.group(1)), m.group(2)
            if call.startswith('chroot(".")') and call.rstrip().endswith("= 0"):
                jailed.add(pid)
                continue
            if pid in jailed:
                out.setdefault(pid, []).append(call)
    return out


@needs_root
def test_writable_root_with_hostile_files(ftpenv):
    """The virtual user's chroot root is writable by that user (nobody owns
    it).  Files planted there for libc (NSS config and modules, passwd,
    ld.so.preload, a UTC+14 localtime, locales, gconv) are never read: names
    come from tables loaded before the chroot, the time zone is pinned, and
    no code can be mapped afterwards.  Without strace the planted files are
    still detectable: owner names, MDTM in local time, the module's marker."""
    root = ftpenv.root
    plant_hostile_root(root)
    ftpenv.chown_guest(root)
    assert os.stat(root).st_uid == os.stat(os.path.join(root, "etc")).st_uid != 0
    trace = os.path.join(ftpenv.dir, "strace.out")
    opts = {"use_localtime": "YES", "hide_ids": "NO", "xferlog_enable": "YES",
            "xferlog_file": os.path.join(ftpenv.dir, "xferlog")}
    if HAVE_STRACE:
        s = StracedServer(ftpenv, trace, **opts)
        ftpenv.servers.append(s)
        s.start()
    else:
        s = ftpenv.server(**opts)
    f = s.ftplib()
    lines = []
    f.retrlines("LIST", lines.append)
    f.retrlines("LIST -a etc", lines.append)
    f.retrlines("MLSD", lines.append)
    f.storbinary("STOR up.txt", io.BytesIO(b"upload"))
    f.retrbinary("RETR up.txt", lambda b: None)
    mdtm = f.sendcmd("MDTM hello.txt")
    f.sendcmd("STAT hello.txt")
    f.sendcmd("SITE CHMOD 644 up.txt")
    f.mkd("newdir")
    f.rename("newdir", "newdir2")
    f.rmd("newdir2")
    f.delete("up.txt")
    f.sendcmd("MFMT 20200102030405 hello.txt")
    f.quit()
    listing = "\n".join(lines)
    assert "PWNED" not in listing, listing
    assert GUEST in listing, listing
    assert re.fullmatch(r"213 \d{14}", mdtm), mdtm
    assert not os.path.exists(os.path.join(root, "PWNED-by-nss-module"))
    s.stop()
    if not HAVE_STRACE:
        return
    calls = post_chroot_calls(trace)
    assert calls, "no chrooted process in the trace"
    # After chroot a process may name a path only relative to a directory fd
    # (openat2 beneath the root fd, *at on the fds it returned: the client's
    # own requests).  Anything libc looks up by itself - relative to the
    # working directory or absolute - would be the user's file: only the root
    # itself is opened that way.
    by_name = re.compile(r'\w+\((AT_FDCWD, )?"')
    for pid, lines in calls.items():
        for call in lines:
            assert not call.startswith("execve"), (pid, call)
            if by_name.match(call):
                assert re.match(r'(openat\(AT_FDCWD, "/", |chdir\("/"\))', call), (pid, call)


@needs_root
def test_localtime_not_taken_from_the_root(ftpenv):
    """use_localtime=YES: MDTM is in the server's zone, not the planted UTC+14."""
    if not os.path.exists(KIRITIMATI):
        pytest.skip("no tzdata")
    plant_hostile_root(ftpenv.root)
    ftpenv.chown_guest(ftpenv.root)
    s = ftpenv.server(use_localtime="YES")
    c = s.login()
    mtime = os.stat(os.path.join(ftpenv.root, "hello.txt")).st_mtime
    r = c.cmd("MDTM hello.txt")
    assert r.lines == ["213 " + time.strftime("%Y%m%d%H%M%S", time.localtime(mtime))]
    # the zone also survives a long session with many listings
    for _ in range(3):
        assert c.cmd("STAT hello.txt").code == 213
    assert c.cmd("MDTM hello.txt").lines == r.lines


# ---------------------------------------------------------------- paths

# Where a test's server keeps the client: "chroot" (root, the default) or
# "beneath" (no chroot: openat2 RESOLVE_IN_ROOT alone; run_as_launching_user
# as root, and every run as an ordinary user).
CONFINEMENT = ["chroot", "beneath"] if IS_ROOT else ["beneath"]


@pytest.fixture(params=CONFINEMENT)
def confined(request, ftpenv):
    """A server whose demo root has links pointing out, and a secret outside."""
    env = ftpenv
    outside = os.path.join(env.dir, "outside")
    os.mkdir(outside)
    with open(os.path.join(outside, "secret.txt"), "wb") as f:
        f.write(SECRET)
    links = {
        "link-abs": os.path.join(outside, "secret.txt"),
        "link-rel": "../outside/secret.txt",
        "link-dir": outside,
        "link-dir-rel": "../outside",
        "link-etc": "/etc",
        "link-root": "/",
        "link-loop": "link-loop",
        "pub/deep-rel": "../../outside/secret.txt",
        "pub/up": "../..",
    }
    for name, target in links.items():
        os.symlink(target, os.path.join(env.root, name))
    if IS_ROOT:
        env.chown_guest(env.root)
    opts = {"run_as_launching_user": "YES"} if request.param == "beneath" and IS_ROOT else {}
    s = env.server(**opts)
    s.outside = outside
    s.confinement = request.param
    return s


TRAVERSALS = [
    "../outside/secret.txt", "../../outside/secret.txt", "/../outside/secret.txt",
    "/../../../../../../../../../../etc/passwd", "../" * 300 + "etc/passwd",
    "/".join([".."] * 1000) + "/etc/passwd", "/etc/passwd", "/etc/shadow",
    "%2e%2e/outside/secret.txt", "..%2foutside%2fsecret.txt", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "....//outside/secret.txt", "..\\outside\\secret.txt", ".../outside/secret.txt",
    "\xc0\xae\xc0\xae/outside/secret.txt", "./../outside/./secret.txt",
    "pub/../../outside/secret.txt", "link-abs", "link-rel", "link-dir/secret.txt",
    "link-dir-rel/secret.txt", "pub/deep-rel", "pub/up/outside/secret.txt",
    "link-etc/passwd", "link-root/etc/passwd", "link-loop", "link-root/../outside/secret.txt",
]


def test_retr_never_leaves_the_root(confined):
    c = confined.login()
    for path in TRAVERSALS:
        r, data, end = transfer(c, "RETR " + path)
        assert SECRET not in data and b"root:" not in data, (path, data[:80])
        if path in ("link-root/etc/passwd",):
            continue                    # link-root is "/" of the root: no etc there
        assert r.code in (550, 553), (path, r)
    for path in TRAVERSALS:
        for verb in ("SIZE", "MDTM", "MLST"):
            r = c.cmd("%s %s" % (verb, path))
            assert r.code in (550, 553) and "TOP-SECRET" not in str(r.lines), (verb, path, r)
    alive(c)
    # the server takes the next client
    alive(confined.login())


def test_cwd_and_listings_stay_inside(confined):
    c = confined.login()
    for path in ("../../..", "/../../..", "/".join([".."] * 2000)[:4000], "%2e%2e", "..\\.."):
        r = c.cmd("CWD " + path)
        pwd = c.cmd("PWD")
        assert pwd.code == 257
        assert r.code in (250, 550), (path, r)
        assert pwd.lines[0].startswith('257 "/'), pwd
        r, data, end = transfer(c, "NLST")
        assert r.code == 150 and b"secret.txt" not in data, (path, data)
        assert c.cmd("CWD /").code == 250
    assert c.cmd("CWD ..").code == 250 and c.cmd("PWD").lines[0].startswith('257 "/"')
    for path in ("link-dir", "link-dir-rel", "link-etc", "link-loop"):
        assert c.cmd("CWD " + path).code == 550, path
        assert c.cmd("PWD").lines[0].startswith('257 "/"'), path
    # "../.." from pub resolves to the root itself (RESOLVE_IN_ROOT), never above
    assert c.cmd("CWD pub/up").code == 250
    r, data, end = transfer(c, "NLST")
    assert b"hello.txt" in data and b"secret.txt" not in data, data
    assert c.cmd("CWD /").code == 250
    for verb in ("LIST", "NLST", "MLSD", "LIST -a"):
        for path in ("link-dir", "link-dir-rel", "link-etc", "link-root/../outside",
                     "../outside", "pub/up", "link-dir/*", "../outside/*"):
            r, data, end = transfer(c, "%s %s" % (verb, path))
            leaked = names_listed(data) & {b"secret.txt", b"passwd", b"shadow"}
            assert not leaked, (verb, path, data)
    r = c.cmd("STAT link-dir")
    assert "secret.txt" not in "\n".join(r.lines), r
    alive(c)


def test_writes_through_links_refused(confined):
    outside = confined.outside
    before = sorted(os.listdir(outside))
    secret = os.path.join(outside, "secret.txt")
    mtime = os.stat(secret).st_mtime
    c = confined.login()
    for path in ("link-dir/planted.txt", "link-dir-rel/planted.txt",
                 "../outside/planted.txt", "pub/up/outside/planted.txt", "link-abs",
                 "link-rel", "pub/deep-rel"):
        for verb in ("STOR", "APPE"):
            r, _, end = transfer(c, "%s %s" % (verb, path), payload=b"evil")
            assert r.code in (550, 553), (verb, path, r)
    for line in ("MKD link-dir/newdir", "MKD ../outside/newdir", "RMD link-dir",
                 "DELE link-dir/secret.txt", "DELE ../outside/secret.txt",
                 "RNFR link-dir/secret.txt", "SITE CHMOD 777 link-abs",
                 "SITE CHMOD 777 link-dir/secret.txt", "MFMT 20000101000000 link-dir/secret.txt"):
        assert c.cmd(line).code in (550, 553), line
    assert c.cmd("RNFR hello.txt").code == 350
    assert c.cmd("RNTO link-dir/moved.txt").code in (550, 553)
    # renaming a link moves the link, never its target
    assert c.cmd("RNFR link-abs").code == 350
    assert c.cmd("RNTO pub/renamed-link").code == 250
    # MFMT on a link sets the link's own time (AT_SYMLINK_NOFOLLOW)
    c.cmd("MFMT 20000101000000 pub/renamed-link")
    assert sorted(os.listdir(outside)) == before
    with open(secret, "rb") as f:
        assert f.read() == SECRET
    assert os.stat(secret).st_mtime == mtime
    assert stat.S_IMODE(os.stat(secret).st_mode) != 0o777
    assert os.path.exists(os.path.join(confined.env.root, "hello.txt"))
    alive(c)


@needs_root
def test_local_user_beneath_chroot(ftpd, system_user):
    """chroot_local_user=YES: a link in the home pointing at /etc/shadow is refused."""
    os.symlink("/etc/shadow", os.path.join(system_user.home, "shadow-link"))
    os.symlink("/", os.path.join(system_user.home, "slash"))
    s = ftpd(local_enable="YES", chroot_local_user="YES")
    c = s.connect()
    assert c.login(system_user.name, system_user.password).code == 230
    for path in ("shadow-link", "slash/etc/shadow", "../../etc/shadow", "/etc/shadow"):
        r, data, _ = transfer(c, "RETR " + path)
        assert r.code == 550 and data == b"", (path, r)
    assert c.cmd("CWD slash/etc").code == 550
    alive(c)


# ---------------------------------------------------------------- data connections

@needs_root
def test_helper_rechecks_port20_target(ftpd):
    """connect_from_port_20 with port_promiscuous=YES: the service process lets a
    reserved target port through, the helper (which binds port 20) refuses it,
    as it would refuse a compromised service process."""
    s = ftpd(connect_from_port_20="YES", port_promiscuous="YES", ftp_data_port="2020",
             log_ftp_protocol="YES")
    victim = socket.socket()
    victim.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    victim.bind(("127.0.0.2", 1000))
    victim.listen(1)
    victim.settimeout(0.5)
    try:
        c = s.login()
        assert c.cmd("PORT 127,0,0,2,3,232").code == 200     # port 1000
        r = c.cmd("RETR hello.txt")
        assert r.code == 425, r
        with pytest.raises(socket.timeout):
            victim.accept()
        assert "Refused a data connection to port 1000" in s.log()
        alive(c)
    finally:
        victim.close()


def test_eprt_mapped_and_odd_targets_refused(server):
    c = server.login()
    for line in ("EPRT |2|::ffff:127.0.0.2|2121|", "EPRT |2|::ffff:127.0.0.1|21|",
                 "EPRT |1|127.0.0.1|0|", "EPRT |1|127.0.0.1|65536|",
                 "EPRT |1|255.255.255.255|2121|", "EPRT |1|127.0.0.2|2121|",
                 "EPRT |1|127.0.0.1|-1|", "PORT 127,0,0,1,256,1", "PORT 127,0,0,1,0,20",
                 "PORT 127,0,0,1,4,0,0", "EPRT |3|x|1|", "EPRT ||||", "EPRT " + "|" * 500):
        r = c.cmd(line)
        assert r.code in (500, 501, 504, 522), (line, r)
        assert c.cmd("RETR hello.txt").code == 425, line
    alive(c)


# ---------------------------------------------------------------- login

def test_unknown_user_and_wrong_password_alike(ftpd):
    """Same reply, and the same delay within a loose margin (the dummy hash makes
    unknown users cost a crypt() too)."""
    s = ftpd(delay_failed_login="1", max_login_fails="10")
    c = s.connect()
    times = {}
    for user in ("demo", "nosuchuser", "root", "bad name/..", "a" * 129):
        assert c.cmd("USER " + user).code == 331
        t0 = time.monotonic()
        r = c.cmd("PASS wrong-password", timeout=30)
        times[user] = time.monotonic() - t0
        assert r.lines == ["530 Login incorrect."], (user, r)
    assert all(1.0 - 0.05 <= t < 3.0 for t in times.values()), times
    assert max(times.values()) - min(times.values()) < 1.0, times
    alive(c)


@needs_root
def test_local_refusals_cost_a_real_check(system_user, ftpenv, ftpd):
    """A local user of the system's method (yescrypt here) with a wrong
    password, an unknown name, a locked account ('!' before its hash),
    system accounts ('*': daemon, bin, root): each costs one crypt() of the
    system's default method."""
    with yescrypt_and_locked_twin(system_user, ftpenv) as locked:
        s = ftpd(local_enable="YES", max_login_fails="1000", delay_failed_login="0")
        c = s.connect()
        users = [system_user.name, "nosuchuser19", locked, "daemon", "bin", "root"]
        assert_alike(pass_times(c, users), system_user.name)
        assert c.login(system_user.name, system_user.password).code == 230


def test_virtual_refusals_cost_a_real_check(ftpenv, ftpd):
    """Virtual users with SHA-512 hashes of 20000 rounds: an unknown name,
    an invalid one, a locked entry ('!' before its hash) and a name
    userlist_file refuses each cost a crypt() of the same method and cost
    (the dummy is made from the file's first hash at start), not the
    system's yescrypt."""
    import crypt
    setting = crypt.mksalt(crypt.METHOD_SHA512, rounds=20000)
    users = os.path.join(ftpenv.dir, "users-sha512")
    with open(users, "w") as f:
        for name, lock in (("vreal", ""), ("vlisted", ""), ("vlocked", "!")):
            f.write("%s:%s%s:%s\n" % (name, lock, crypt.crypt(DEMO_PASSWORD, setting),
                                       ftpenv.root))
    userlist = os.path.join(ftpenv.dir, "userlist")
    with open(userlist, "w") as f:
        f.write("vlisted\n")
    s = ftpd(user_db_file=users, local_enable="NO", max_login_fails="1000",
             delay_failed_login="0", userlist_enable="YES", userlist_file=userlist)
    c = s.connect()
    assert_alike(pass_times(c, ["vreal", "nosuchuser19", "bad name/..", "vlisted", "vlocked"]),
                 "vreal")
    assert c.login("vlocked", DEMO_PASSWORD).code == 530
    assert c.login("vreal", DEMO_PASSWORD).code == 230
    c.cmd("QUIT")
    c.wait_closed()
    assert 'Login failed for "vlocked": account locked' in s.log()


def test_pipelined_brute_force_cut_off(ftpd):
    s = ftpd(max_login_fails="3", delay_failed_login="0")
    c = s.connect()
    c.send(b"".join(b"USER demo\r\nPASS guess%d\r\n" % i for i in range(200)))
    replies = []
    for _ in range(400):
        try:
            replies.append(c.reply(timeout=10).code)
        except EOFError:
            break
    assert replies.count(530) == 3, replies
    assert c.wait_closed(10) == b""
    assert s.log().count("Login failed") == 3
    alive(s.login())


@ftp_needed
def test_failed_logins_tracked_per_address(make_limitd, make_ftpd):
    """max_login_fails_per_ip=4: four failures from 127.0.0.1 across sessions
    block that address (new connections get 421, a session already open is cut
    at its next login) until login_fail_block_time passes; 127.0.0.2 is not
    affected."""
    ld = make_limitd(max_clients=0, max_per_ip=0, max_login_fails_per_ip=4,
                     login_fail_block_time=3)
    ftpd = make_ftpd(ld, max_login_fails=2, delay_failed_login=0)
    early = make_ftpd.track(ftpd.connect("127.0.0.1"))      # opened before the block
    for _ in range(2):
        f = make_ftpd.track(ftpd.connect("127.0.0.1"))
        for _ in range(2):
            with pytest.raises(ftplib.error_perm):
                f.login("nosuchuser", "guess")
    with pytest.raises(ftplib.error_temp) as e:
        ftpd.connect("127.0.0.1")
    assert str(e.value) == "421 Too many failed logins from your internet address, please try later."
    # a session admitted earlier cannot log in either, not even correctly
    with pytest.raises((ftplib.error_perm, EOFError)):
        early.login()
    other = make_ftpd.track(ftpd.connect("127.0.0.2"))
    other.login()
    assert other.voidcmd("NOOP").startswith("200")
    assert "Blocking 127.0.0.1 for 3s: 4 failed logins" in ld.log()
    # the block ends on its own
    deadline = time.monotonic() + 8
    while True:
        try:
            f = make_ftpd.track(ftpd.connect("127.0.0.1"))
            break
        except ftplib.error_temp:
            assert time.monotonic() < deadline, "still blocked"
            time.sleep(0.5)
    f.login()
    assert f.voidcmd("NOOP").startswith("200")


@ftp_needed
def test_failed_logins_not_tracked_by_default(make_limitd, make_ftpd):
    ld = make_limitd(max_clients=0, max_per_ip=0)
    ftpd = make_ftpd(ld, max_login_fails=1, delay_failed_login=0)
    for _ in range(6):
        f = make_ftpd.track(ftpd.connect("127.0.0.1"))
        with pytest.raises(ftplib.error_perm):
            f.login("nosuchuser", "guess")
    f = make_ftpd.track(ftpd.connect("127.0.0.1"))
    f.login()


@ftp_needed
def test_right_password_over_max_per_user_is_no_failed_login(make_limitd, make_ftpd):
    """A user (anonymous here: every anonymous login is one user) at
    max_per_user whose client logs in again with the right password
    (FileZilla does, for each parallel transfer) gets 530 each
    time, but those are no failed logins: neither max_login_fails (2) ends
    the session nor max_login_fails_per_ip (3) blocks the address (before:
    the third such login blocked 127.0.0.1, the fourth connection got 421).
    Wrong passwords still count; the reply and the delay are those of a
    failure."""
    ld = make_limitd(max_clients=0, max_per_ip=0, max_per_user=1, max_login_fails_per_ip=3)
    ftpd = make_ftpd(ld, max_login_fails=2, delay_failed_login=0)
    first = make_ftpd.track(ftpd.connect("127.0.0.1"))
    first.login()
    extra = make_ftpd.track(ftpd.connect("127.0.0.1"))
    for _ in range(4):
        with pytest.raises(ftplib.error_perm) as e:
            extra.login()
        assert str(e.value) == "530 Login incorrect."
    assert extra.voidcmd("NOOP").startswith("200")      # the session goes on
    for _ in range(2):
        f = make_ftpd.track(ftpd.connect("127.0.0.1"))  # never 421
        with pytest.raises(ftplib.error_perm):
            f.login()
    assert "Blocking" not in ld.log()
    assert ftpd.log().count('Login failed for "anonymous": max_per_user reached') == 6
    first.quit()
    assert wait_until(lambda: ld.status_json()["totals"]["users"] == 0)
    extra.login()
    assert extra.voidcmd("NOOP").startswith("200")
    # wrong passwords from the address are still counted
    for _ in range(3):
        f = make_ftpd.track(ftpd.connect("127.0.0.1"))
        with pytest.raises(ftplib.error_perm):
            f.login("nosuchuser", "guess")
    with pytest.raises(ftplib.error_temp) as e:
        ftpd.connect("127.0.0.1")
    assert str(e.value).startswith("421 Too many failed logins")


# ---------------------------------------------------------------- control channel

def test_telnet_iac_floods(server):
    c = server.connect()
    # 100 KB of IAC NOP / IAC WILL x on one line: over the limit, one 500
    c.send(b"\xff\xf1\xff\xfb\x01" * 20000 + b"\r\n")
    assert c.reply().lines == ["500 Input line too long."]
    # a thousand short lines, each wrapped in negotiation, pipelined
    c.send(b"\xff\xfd\x18NO\xff\xf1OP\xff\xfe\x01\r\n" * 1000)
    assert [c.reply(timeout=30).code for _ in range(1000)] == [200] * 1000
    # dangling IAC at the end of a line, IAC at the end of a packet
    assert c.cmd(b"NOOP\xff").code == 200
    c.send(b"NO\xff")
    time.sleep(0.1)
    c.send(b"\xf1OP\r\n")
    assert c.reply().code == 200
    assert c.login().code == 230
    alive(c)


def test_invalid_and_overlong_utf8(server):
    c = server.connect()
    assert c.cmd(b"USER \xc3\x28\xff\xfe").code == 331
    assert c.cmd(b"PASS \xed\xa0\x80").lines == ["530 Login incorrect."]
    assert c.cmd(b"N\xc0\x80OOP").code == 500          # overlong NUL is not a NUL
    assert c.login().code == 230
    root = server.env.root.encode()
    for name in (b"bad\xc3\x28name", b"\xfe\xfd\xfc", b"a\xc0\xafb", b"\xe2\x82",
                 b"\xf4\x90\x80\x80", b"\xed\xa0\x80"):
        assert c.cmd(b"MKD " + name).code == 257, name
        assert os.path.isdir(os.path.join(root, name)), name
    # overlong "/" and ".." are plain bytes: no directory above is reached
    assert not os.path.exists(os.path.join(root, b"a", b"b"))
    assert c.cmd(b"CWD \xc0\xae\xc0\xae").code == 550
    assert c.cmd("PWD").lines == ['257 "/" is the current directory']
    r, data, end = transfer(c, "NLST")
    assert b"bad\xc3\x28name" in data
    alive(c)


@pytest.mark.parametrize("when", ["prelogin", "postlogin"])
def test_slowloris_bounded_by_idle_timeout(ftpd, when):
    """One byte a second never completes a line: idle_session_timeout (3 s) ends
    it, counted from the start of the line, not from the last byte."""
    s = ftpd(idle_session_timeout="3")
    c = s.connect()
    if when == "postlogin":
        assert c.login().code == 230
    t0 = time.monotonic()
    closed = False
    for i in range(12):
        try:
            c.send(b"NOOP"[i % 4:i % 4 + 1])
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        time.sleep(1)
        if b"421" in c.buf or c.eof:
            break
        try:
            c.sock.settimeout(0.01)
            chunk = c.sock.recv(4096)
            c.buf += chunk
            if not chunk:
                c.eof = True
        except (socket.timeout, BlockingIOError):
            pass
        except ConnectionResetError:
            closed = True
            break
    elapsed = time.monotonic() - t0
    if not closed:
        data = c.buf + c.wait_closed(10)
        assert data.startswith(b"421 Timeout."), data
    assert elapsed < 3 + 3, elapsed
    alive(s.login())


@pytest.mark.parametrize("when", ["prelogin", "postlogin"])
def test_client_that_reads_no_reply_bounded_by_idle_timeout(ftpd, when):
    """The other half of a slowloris: a client that sends commands and reads
    none of the replies.  The control connection's send timeout
    (idle_session_timeout) ends the session once the server could write
    nothing for that long; before, the session blocked in write for ever,
    before login too (any client could keep max_clients sessions)."""
    s = ftpd(idle_session_timeout="2")
    before = set(proc_descendants(s.pid))
    c = s.connect()
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    if when == "postlogin":
        assert c.login().code == 230
    c.sock.settimeout(3)
    try:
        for _ in range(500):            # until the server stops reading
            c.send(b"HELP\r\n" * 1000)
    except (socket.timeout, BrokenPipeError, ConnectionResetError):
        pass
    assert wait_until(lambda: not [p for p in proc_descendants(s.pid) if p not in before],
                      15), proc_descendants(s.pid)
    log = s.log()
    assert "The client took no reply for idle_session_timeout, closing" in log, log
    c.close()
    alive(s.login())


# ---------------------------------------------------------------- limitd

@ftp_needed
def test_limitd_survives_random_garbage(make_limitd):
    """200 clients each send one random packet (some with a valid header and a
    random body): each is answered FAIL or dropped, a held session stays
    counted, and a new client is admitted."""
    ld = make_limitd(max_clients=0, max_per_ip=0)
    held = ld.client()
    assert held.admit("192.0.2.1") == 0
    rnd = random.Random(4711)
    for i in range(200):
        cl = ld.client()
        n = rnd.randrange(0, 600)
        body = bytes(rnd.randrange(256) for _ in range(n))
        if i % 2:
            mtype = rnd.choice([2, 4, 6, 8, 1, 3, 99, 0xffff])
            body = (8 + len(body)).to_bytes(4, "big") + mtype.to_bytes(2, "big") + \
                VERSION.to_bytes(2, "big") + body[8:]
        try:
            cl.sock.send(body)
            for _ in range(20):
                if not cl.sock.recv(4096):
                    break
        except (socket.timeout, OSError):
            pass
        cl.close()
    assert ld.proc.poll() is None, ld.log()
    assert ld.sessions() == 1
    fresh = ld.client()
    assert fresh.admit("192.0.2.2") == 0
    assert ld.sessions() == 2
    held.close()
    fresh.close()


# ---------------------------------------------------------------- valgrind

class ValgrindServer(Server):
    """A standalone server under valgrind memcheck, every process of it traced
    (fork children are; seccomp is off: valgrind's own system calls are not
    on any allowlist)."""

    def __init__(self, env, **opts):
        opts.setdefault("seccomp_sandbox", "NO")
        # no re-exec: under valgrind /proc/self/exe is valgrind's tool, which
        # refuses to run alone (and valgrind's malloc has no tcache anyway)
        opts.setdefault("listen_malloc_tcache_off", "NO")
        super().__init__(env, "standalone", opts)
        self.vglog = os.path.join(env.dir, "valgrind.%p.log")

    def argv(self):
        return (["valgrind", "--vgdb=no", "--leak-check=full",
                 "--show-leak-kinds=definite,indirect",
                 "--errors-for-leak-kinds=definite,indirect",
                 "--log-file=" + self.vglog] + super().argv())


# Exec the command in argv[3:] (same process) with the file argv[1] open on
# fd 9; argv[2] >= 0: that socket moved to fd 3 with LISTEN_PID/LISTEN_FDS.
LEAKY_LAUNCHER = """
import os, sys
leak, sock, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
if sock >= 0:
    os.dup2(sock, 3)
    os.close(sock)
    os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS="1")
fd = os.open(leak, os.O_RDONLY)
os.dup2(fd, 9)
os.close(fd)
os.execv(argv[0], argv)
"""


class InheritingServer(Server):
    """Started by a launcher that leaves a file open on fd 9 (as a shell's
    `9<FILE` would).  Mode "listenfd": the launcher passes a listening
    socket on fd 3 with LISTEN_PID and LISTEN_FDS, as systemd does."""

    leaked = None

    def start(self, timeout=10.0):
        lsock = None
        if self.mode == "listenfd":
            lsock = socket.socket()
            lsock.bind((HOST, 0))
            lsock.listen(64)
        n = lsock.fileno() if lsock else -1
        with open(self.errpath, "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", LEAKY_LAUNCHER, self.leaked, str(n)] + self.argv(),
                stdin=subprocess.DEVNULL, stdout=err, stderr=err, cwd=self.env.dir,
                pass_fds=(n,) if lsock else ())
        if lsock:
            lsock.close()
        return self.await_listening(timeout)


def fds_to(pid, path):
    """The descriptors of PID open on PATH."""
    out = []
    try:
        names = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return out
    for fd in names:
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == path:
                out.append(int(fd))
        except OSError:
            pass
    return out


@pytest.mark.parametrize("mode", ["standalone", "listenfd"])
def test_inherited_descriptors_closed(ftpenv, mode):
    """A descriptor its launcher leaked (fd 9, as `9<FILE` leaves it) reaches no process of
    miniftpd: not the listener, not the helper, the pre-login or the
    post-login process of a logged-in (non-root) user.  The socket passed
    the systemd way (fd 3, LISTEN_FDS=1) is kept: the sessions prove it."""
    secret = os.path.join(ftpenv.dir, "inherited-secret")
    with open(secret, "wb") as f:
        f.write(SECRET)
    s = InheritingServer(ftpenv, mode, {})
    s.leaked = secret
    ftpenv.servers.append(s)
    s.start()
    logged_in = s.login()
    waiting = s.connect()                  # a session before login too
    assert logged_in.cmd("PWD").code == 257

    def processes():
        kids = proc_descendants(s.pid)
        return kids if len(kids) >= 4 else None
    pids = wait_until(processes, 10)
    assert pids, "expected two sessions below %d" % s.pid
    leaks = {p: fds_to(p, secret) for p in [s.pid] + pids}
    assert not any(leaks.values()), "inherited descriptor open in %r" % leaks
    alive(logged_in)
    alive(waiting)


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not installed")
@pytest.mark.skipif(sanitized(), reason="ASan builds do not run under valgrind")
@needs_root
def test_valgrind_full_session(ftpenv):
    """One whole session (login, listing, upload, download, directories) under
    memcheck: no invalid access, no uninitialised use, nothing leaked, in the
    listener, the helper and both service processes.  Root only: valgrind
    3.19 has no openat2, and path_open falls back to openat only beneath a
    chroot; without one it fails closed and the session could not work."""
    s = ValgrindServer(ftpenv)
    ftpenv.servers.append(s)
    s.start(timeout=60)
    f = s.ftplib(timeout=60)
    f.retrlines("LIST", lambda line: None)
    f.storbinary("STOR vg.bin", io.BytesIO(b"v" * 300000))
    got = io.BytesIO()
    f.retrbinary("RETR vg.bin", got.write)
    assert got.getvalue() == b"v" * 300000
    f.mkd("vgdir")
    f.rmd("vgdir")
    f.sendcmd("MDTM vg.bin")
    f.sendcmd("STAT vg.bin")
    f.rename("vg.bin", "vg2.bin")
    f.delete("vg2.bin")
    f.quit()
    assert wait_until(lambda: proc_children(s.pid) == [], 30)
    s.stop()
    logs = [n for n in os.listdir(ftpenv.dir) if n.startswith("valgrind.")]
    assert len(logs) >= 4, logs             # listener, helper, pre- and post-login
    for name in logs:
        with open(os.path.join(ftpenv.dir, name)) as fh:
            text = fh.read()
        assert "ERROR SUMMARY: 0 errors" in text, text[-4000:]
        assert re.search(r"definitely lost: 0 bytes|All heap blocks were freed", text), \
            text[-4000:]
