"""Launch modes with real clients (ftplib, curl, lftp), and the command line."""

import os
import shutil
import socket
import subprocess

import pytest

from conftest import (DEMO_PASSWORD, HOST, MODES, free_port, miniftpd_bin, proc_alive,
                      run_cmd, terminate, wait_until)


@pytest.mark.parametrize("mode", MODES)
def test_ftplib_session(ftpd, ftpenv, mode):
    s = ftpd(mode)
    f = s.ftplib()
    assert f.getwelcome().startswith("220 ")
    assert f.pwd() == "/"
    assert f.sendcmd("SYST") == "215 UNIX Type: L8"
    assert f.mkd("made by ftplib") == "/made by ftplib"
    assert os.path.isdir(os.path.join(ftpenv.root, "made by ftplib"))
    f.cwd("made by ftplib")
    assert f.pwd() == "/made by ftplib"
    f.cwd("..")
    assert f.size("hello.txt") == 6
    f.rmd("made by ftplib")
    assert not os.path.exists(os.path.join(ftpenv.root, "made by ftplib"))
    assert f.quit().startswith("221")


@pytest.mark.parametrize("mode", MODES)
def test_raw_session_ends_cleanly(ftpd, mode):
    s = ftpd(mode)
    c = s.connect()
    assert c.login().code == 230
    assert c.cmd("NOOP").code == 200
    assert c.cmd("QUIT").code == 221
    assert c.wait_closed(10) == b""


@pytest.mark.parametrize("mode", MODES)
def test_curl(ftpd, ftpenv, mode):
    if not shutil.which("curl"):
        pytest.skip("curl not installed")
    s = ftpd(mode)
    # -I: SIZE and MDTM of a file, no data connection
    r = run_cmd(["curl", "-sS", "--max-time", "20", "--user", "demo:" + DEMO_PASSWORD,
                 "-I", s.url("/hello.txt")])
    assert r.returncode == 0, r.stderr
    assert "Content-Length: 6" in r.stdout
    assert "Last-Modified:" in r.stdout
    # -Q: commands before the (header-only) request
    r = run_cmd(["curl", "-sS", "--max-time", "20", "--user", "demo:" + DEMO_PASSWORD,
                 "-I", "-Q", "MKD curl dir", s.url("/hello.txt")])
    assert r.returncode == 0, r.stderr
    assert os.path.isdir(os.path.join(ftpenv.root, "curl dir"))
    r = run_cmd(["curl", "-sS", "--max-time", "20", "--user", "demo:" + DEMO_PASSWORD,
                 "-I", "-Q", "RMD curl dir", s.url("/hello.txt")])
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(os.path.join(ftpenv.root, "curl dir"))
    # wrong password: curl reports the login failure (67)
    r = run_cmd(["curl", "-sS", "--max-time", "20", "--user", "demo:wrong",
                 "-I", s.url("/hello.txt")])
    assert r.returncode == 67, (r.returncode, r.stderr)
    # a missing file: curl sees 550 from SIZE/MDTM or fails the request
    r = run_cmd(["curl", "-sS", "--max-time", "20", "--user", "demo:" + DEMO_PASSWORD,
                 "-I", s.url("/no-such-file")])
    assert r.returncode != 0


@pytest.mark.parametrize("mode", MODES)
def test_lftp(ftpd, ftpenv, mode):
    if not shutil.which("lftp"):
        pytest.skip("lftp not installed")
    s = ftpd(mode)
    script = ("set net:max-retries 1; set net:timeout 10; set cmd:fail-exit yes; "
              "open -u demo,%s ftp://%s:%d; mkdir lftp-dir; cd lftp-dir; pwd; cd ..; "
              "quote SYST; rmdir lftp-dir" % (DEMO_PASSWORD, HOST, s.port))
    r = run_cmd(["lftp", "-c", script], timeout=60,
                env=dict(os.environ, HOME=ftpenv.dir))
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "lftp-dir" in r.stdout
    assert "215 UNIX Type: L8" in r.stdout
    assert not os.path.exists(os.path.join(ftpenv.root, "lftp-dir"))
    r = run_cmd(["lftp", "-c", "set net:max-retries 1; set net:timeout 10; "
                 "set cmd:fail-exit yes; open -u demo,wrong ftp://%s:%d; mkdir nope"
                 % (HOST, s.port)], timeout=60, env=dict(os.environ, HOME=ftpenv.dir))
    assert r.returncode != 0
    assert not os.path.exists(os.path.join(ftpenv.root, "nope"))


def test_standalone_serves_many(server):
    """Each connection gets a session of its own; they run side by side."""
    ctls = [server.connect() for _ in range(5)]
    for i, c in enumerate(ctls):
        assert c.login().code == 230
        assert c.cmd("MKD d%d" % i).code == 257
    for i, c in enumerate(ctls):
        assert c.cmd("CWD d%d" % i).code == 250
        assert c.cmd("PWD").lines == ['257 "/d%d" is the current directory' % i]
        assert c.cmd("CWD /").code == 250
        assert c.cmd("RMD d%d" % i).code == 250
        assert c.cmd("QUIT").code == 221


def test_standalone_sigterm(ftpd):
    s = ftpd("standalone")
    c = s.connect()
    assert c.login().code == 230
    s.proc.terminate()
    assert s.proc.wait(10) == 0
    # an idle session is told and closed; one in a transfer finishes it first
    # (test_reliability.py)
    assert c.wait_closed().decode() == "421 Server shutting down.\r\n"


def test_config_check_ok(ftpenv):
    r = run_cmd([miniftpd_bin(), ftpenv.config, "-t"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == "configuration OK\n"


def test_config_dump(ftpenv):
    r = run_cmd([miniftpd_bin(), ftpenv.config, "-olisten_port=2121", "-T"])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) > 50
    for ln in lines:
        assert "=" in ln, ln
    kv = dict(ln.split("=", 1) for ln in lines)
    assert len(kv) == len(lines)        # every option once
    assert kv["listen_port"] == "2121"  # -o applied
    assert kv["user_db_file"] == ftpenv.users_file
    assert kv["write_enable"] == "YES"
    assert kv["anonymous_enable"] == "NO"
    assert kv["local_umask"] == "077"
    assert kv["max_login_fails"] == "3"


def test_dump_is_a_valid_config(ftpenv):
    """miniftpd -T output, used as a configuration file, gives the same output."""
    r = run_cmd([miniftpd_bin(), ftpenv.config, "-olocal_umask=022", "-T"])
    assert r.returncode == 0, r.stderr
    path = os.path.join(ftpenv.dir, "dumped.conf")
    with open(path, "w") as f:
        f.write(r.stdout)
    r2 = run_cmd([miniftpd_bin(), path, "-T"])
    assert r2.returncode == 0, r2.stderr
    assert r2.stdout == r.stdout


def test_no_connection_usage(ftpenv):
    """No socket on fd 0 or 3 and listen=NO: usage on stderr, exit 2."""
    r = run_cmd([miniftpd_bin(), ftpenv.config])
    assert r.returncode == 2
    assert "usage: miniftpd" in r.stderr
    # a pipe on fd 0 is no connection either
    p = subprocess.run([miniftpd_bin(), ftpenv.config], input=b"USER x\r\n",
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert p.returncode == 2
    assert b"usage: miniftpd" in p.stderr
    assert p.stdout == b""


def test_bad_argument_usage(ftpenv):
    r = run_cmd([miniftpd_bin(), ftpenv.config, "--bogus"])
    assert r.returncode == 2
    assert "usage: miniftpd" in r.stderr


def test_version(ftpenv):
    r = run_cmd([miniftpd_bin(), "-v"])
    assert r.returncode == 0
    assert r.stdout.startswith("miniftpd ")


def test_listener_stops_by_pid(ftpd):
    """The fixture's stop() ends the launcher; nothing of it is left."""
    s = ftpd("standalone")
    pid = s.pid
    s.stop()
    assert wait_until(lambda: not proc_alive(pid), 5)


def test_standalone_ipv6(ftpenv):
    """listen_ipv6=YES on ::1: the listener, a login, PWD and the peer shown in STAT."""
    import re
    import socket
    import time
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    errpath = os.path.join(ftpenv.dir, "ipv6.log")
    with open(errpath, "wb") as err:
        p = subprocess.Popen([miniftpd_bin(), ftpenv.config,
                              "-olisten_ipv6=YES", "-olisten_address6=::1",
                              "-olisten_port=0"], stdin=subprocess.DEVNULL,
                             stdout=err, stderr=err)
    try:
        def port():
            with open(errpath) as f:
                m = re.search(r"Listening on ::1 port (\d+)", f.read())
            return int(m.group(1)) if m else (p.poll() is not None and -1)
        n = wait_until(port, 10)
        assert n and n > 0, open(errpath).read()
        s = socket.create_connection(("::1", n), timeout=10)
        f = s.makefile("rb")
        assert f.readline().startswith(b"220 ")
        s.sendall(b"USER demo\r\nPASS " + DEMO_PASSWORD.encode() + b"\r\nSTAT\r\nQUIT\r\n")
        deadline = time.monotonic() + 10
        lines = []
        while time.monotonic() < deadline:
            ln = f.readline()
            if not ln:
                break
            lines.append(ln.decode())
        s.close()
        text = "".join(lines)
        assert "230 " in text and "221 " in text, text
        assert "::1" in text, text
    finally:
        p.terminate()
        p.wait(10)


def test_inetd_stderr_is_the_connection(ftpenv):
    """Like xinetd: fds 0, 1 and 2 are all the client; no log line may reach it."""
    from conftest import Server

    class StderrToClient(Server):
        def argv(self):
            return ["/bin/sh", "-c", 'exec "$0" "$@" 2>&1'] + super().argv()

    s = StderrToClient(ftpenv, "inetd", {"log_ftp_protocol": "YES"})
    ftpenv.servers.append(s)
    s.start()
    c = s.connect()
    c.send("USER demo\r\nPASS wrong\r\nUSER demo\r\nPASS %s\r\nPWD\r\nFOO\r\nQUIT\r\n"
           % DEMO_PASSWORD)
    data = c.wait_closed(20)
    lines = data.decode("utf-8", "replace").split("\r\n")
    assert lines[-1] == ""
    codes = [ln[:3] for ln in lines[:-1]]
    assert codes == ["331", "530", "331", "230", "257", "500", "221"], lines


# ---- a socket unit with Accept=no: one listening socket, listen=YES

def activate(ftpenv, argv, ports, accept=False):
    """systemd-socket-activate listening on PORTS, started by a first
    connection; without --accept it then execs ARGV in its own place with
    the listening socket(s) as fd 3 (and 4 ...).  RETURNS (exit status,
    log), the status None when ARGV keeps running."""
    log = os.path.join(ftpenv.dir, "activate-%d.log" % ports[0])
    cmd = ["systemd-socket-activate"] + (["--accept"] if accept else [])
    for port in ports:
        cmd += ["-l", "%s:%d" % (HOST, port)]
    with open(log, "wb") as err:
        p = subprocess.Popen(cmd + argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err)
    try:
        assert wait_until(lambda: "Listening on" in open(log).read(), 10), open(log).read()
        with socket.create_connection((HOST, ports[0]), timeout=10) as c:
            try:
                assert c.recv(100) == b""      # closed, no banner
            except ConnectionResetError:       # or reset: never accepted
                pass
        wait_until(lambda: p.poll() is not None, 10)
        return p.poll(), open(log).read()
    finally:
        terminate(p)


def test_listening_socket_needs_listen_yes(ftpenv):
    rc, log = activate(ftpenv, [miniftpd_bin(), ftpenv.config, "-olisten=NO"], [free_port()])
    assert rc == 2, log
    assert "Accept=no with listen=YES" in log, log


def test_listen_yes_refuses_two_sockets(ftpenv):
    rc, log = activate(ftpenv, [miniftpd_bin(), ftpenv.config, "-olisten=YES"],
                       [free_port(), free_port()])
    assert rc == 1, log
    assert "listen=YES, but systemd passed several sockets" in log, log


def test_listen_yes_refuses_a_connection(ftpenv):
    """Accept=yes hands over a connection, not a listening socket."""
    rc, log = activate(ftpenv, [miniftpd_bin(), ftpenv.config, "-olisten=YES"],
                       [free_port()], accept=True)
    assert rc is None, log                     # the launcher itself goes on
    assert "a socket that is not listening" in log, log


TCACHE_OFF = b"glibc.malloc.tcache_count=0"
USER_TUNABLE = b"glibc.malloc.trim_threshold=131072"


def raw_environ(pid):
    """The bytes of PID's environment block as exec left it.  glibc 2.36
    cuts the GLIBC_TUNABLES entry there at its first ':' (a NUL written
    in place), so look for each tunable in the raw bytes."""
    with open("/proc/%d/environ" % pid, "rb") as f:
        return f.read()


@pytest.mark.parametrize("mode", ["standalone", "listenfd"])
def test_listener_reexecs_without_tcache(ftpd, monkeypatch, mode):
    """listen_malloc_tcache_off (default YES): the listener executes itself
    once more with glibc.malloc.tcache_count=0 added to GLIBC_TUNABLES
    (the user's tunables kept), under the same pid (the pid the test
    started; with systemd-socket-activate, LISTEN_PID's), with its
    descriptors (listenfd: the listening socket, fd 3), and its sessions
    inherit the variable.  listenfd: the listener found its socket after
    the re-exec, so LISTEN_PID still named it."""
    monkeypatch.setenv("GLIBC_TUNABLES", USER_TUNABLE.decode())
    s = ftpd(mode)
    c = s.login()     # listenfd: systemd-socket-activate execs miniftpd now
    # the session's helper is a child of the pid the test started: the
    # re-exec kept it
    helpers = wait_until(lambda: s.helpers(), 10)
    assert helpers, s.log()
    assert os.path.realpath("/proc/%d/exe" % s.pid) == os.path.realpath(miniftpd_bin())
    env = raw_environ(s.pid)
    if mode == "standalone":  # systemd-socket-activate passes few variables
        assert b"\0GLIBC_TUNABLES=" + USER_TUNABLE in env
    assert env.count(TCACHE_OFF) == 1
    assert TCACHE_OFF in raw_environ(helpers[0])
    # still named after its binary, not "exe" (/proc/self/exe): ps, pgrep,
    # killall and the journal's _COMM see the listener and its sessions
    name = os.path.basename(os.path.realpath(miniftpd_bin()))[:15]
    for p in (s.pid, helpers[0]):
        with open("/proc/%d/comm" % p) as f:
            assert f.read().strip() == name, p
    assert c.cmd("QUIT").code == 221
    assert "cannot re-execute" not in s.log()


def test_listener_tcache_reexec_off(ftpd, monkeypatch):
    """listen_malloc_tcache_off=NO: no re-exec, the environment as given."""
    monkeypatch.setenv("GLIBC_TUNABLES", USER_TUNABLE.decode())
    s = ftpd("standalone", listen_malloc_tcache_off="NO")
    env = raw_environ(s.pid)
    assert b"\0GLIBC_TUNABLES=" + USER_TUNABLE in env
    assert TCACHE_OFF not in env
    assert s.login().cmd("QUIT").code == 221
