"""Hostile and malformed input: control lines, protocol confusion, configuration."""

import os
import time

import pytest

from conftest import miniftpd_bin, run_cmd

MAX_CMD_LINE = 4096


def test_overlong_line(server):
    c = server.connect()
    c.send(b"NOOP " + b"x" * 100_000 + b"\r\n")
    assert c.reply().lines == ["500 Input line too long."]
    # exactly one reply for the whole line, and the session goes on
    assert c.cmd("NOOP").code == 200
    assert c.login().code == 230
    c.send(b"MKD " + b"y" * 100_000 + b"\r\n")
    assert c.reply().code == 500
    assert c.cmd("PWD").code == 257
    assert not os.path.exists(os.path.join(server.env.root, "y" * 100))


def test_line_length_boundary(server):
    c = server.login()
    # MAX_CMD_LINE bytes including CRLF: accepted
    line = b"NOOP " + b"x" * (MAX_CMD_LINE - 7)
    assert len(line) + 2 == MAX_CMD_LINE
    assert c.cmd(line).code == 200
    # one byte more: refused
    assert c.cmd(line + b"x").code == 500
    assert c.cmd("NOOP").code == 200


def test_overlong_line_in_pieces(server):
    c = server.login()
    for _ in range(20):
        c.send(b"z" * 1000)
        time.sleep(0.01)
    c.send(b"\r\nNOOP\r\n")
    assert c.reply().code == 500
    assert c.reply().code == 200


def test_nul_byte(server):
    c = server.connect()
    assert c.cmd(b"NO\0OP").code == 500
    assert c.cmd(b"USER de\0mo").code == 500
    assert c.login().code == 230
    assert c.cmd(b"MKD a\0b").code == 500
    assert not os.path.exists(os.path.join(server.env.root, "a"))
    assert c.cmd("NOOP").code == 200


def test_telnet_iac_stripped(server):
    c = server.connect()
    assert c.cmd(b"\xff\xfb\x01NOOP").code == 200            # IAC WILL ECHO
    assert c.cmd(b"NO\xff\xfd\x03OP").code == 200            # IAC DO SGA inside
    assert c.cmd(b"\xff\xf4\xff\xf2NOOP").code == 200        # IAC IP, IAC DM
    assert c.cmd(b"SY\xff\xf1ST").lines == ["215 UNIX Type: L8"]   # IAC NOP
    assert c.login().code == 230
    # IAC IAC is a literal 0xff: a file name byte
    r = c.cmd(b"MKD ab\xff\xffcd")
    assert r.code == 257
    assert os.path.isdir(os.path.join(server.env.root.encode(), b"ab\xffcd"))


def test_bare_lf_and_crlf(server):
    c = server.connect()
    c.send(b"NOOP\nSYST\r\nNOOP\n")
    assert c.reply().code == 200
    assert c.reply().code == 215
    assert c.reply().code == 200


def test_pipelined_commands(server):
    c = server.login()
    cycle = [(b"NOOP", 200), (b"SYST", 215), (b"PWD", 257), (b"TYPE I", 200),
             (b"BOGUS", 500), (b"SIZE hello.txt", 213), (b"CWD /pub", 250),
             (b"CDUP", 250)]
    expect = []
    batch = b""
    for i in range(2000):
        line, code = cycle[i % len(cycle)]
        batch += line + b"\r\n"
        expect.append(code)
    c.send(batch)
    got = [c.reply(timeout=30).code for _ in range(2000)]
    assert got == expect
    assert c.cmd("QUIT").code == 221


def test_pipelined_before_login(server):
    c = server.connect()
    c.send(b"USER demo\r\nPASS " + server.env.passwords["demo"].encode() +
           b"\r\nPWD\r\nQUIT\r\n")
    assert c.reply().code == 331
    assert c.reply().code == 230
    assert c.reply().code == 257
    assert c.reply().code == 221
    assert c.wait_closed() == b""


@pytest.mark.parametrize("request_line", [
    b"GET / HTTP/1.0", b"POST /x HTTP/1.1", b"HEAD / HTTP/1.0", b"PUT /a HTTP/1.1",
    b"OPTIONS * HTTP/1.1", b"CONNECT example.org:443 HTTP/1.1"])
def test_http_closes(server, request_line):
    c = server.connect()
    c.send(request_line + b"\r\nHost: example.org\r\n\r\n")
    assert c.wait_closed(10) == b""


def test_http_after_login_is_unknown(server):
    c = server.login()
    assert c.cmd("GET / HTTP/1.0").code == 500
    assert c.cmd("NOOP").code == 200


def test_too_many_unknown_before_login(server):
    c = server.connect()
    got = []
    for i in range(10):
        c.send(b"JUNK%d\r\n" % i)
        r = c.readline()
        if r is None:
            break
        got.append(r)
    assert all(g.startswith(b"500 ") for g in got)
    assert c.wait_closed(10) == b""
    assert len(got) <= 10


def test_unknown_after_login_tolerated(server):
    c = server.login()
    for i in range(50):
        assert c.cmd("JUNK%d" % i).code == 500
    assert c.cmd("NOOP").code == 200


def test_idle_timeout(ftpd):
    s = ftpd(idle_session_timeout="2")
    c = s.connect()
    t0 = time.monotonic()
    data = c.wait_closed(20)
    assert data == b"421 Timeout.\r\n"
    assert time.monotonic() - t0 >= 1.9
    c = s.login()
    assert c.cmd("NOOP").code == 200
    assert c.wait_closed(20) == b"421 Timeout.\r\n"


def test_idle_timeout_reset_by_commands(ftpd):
    s = ftpd(idle_session_timeout="2")
    c = s.login()
    for _ in range(3):
        time.sleep(1)
        assert c.cmd("NOOP").code == 200


def test_client_closes_mid_line(server):
    c = server.connect()
    c.send(b"USER dem")
    c.close()
    c = server.connect()
    assert c.login().code == 230


# ---------------------------------------------------------------- configuration

def write(env, name, text):
    path = os.path.join(env.dir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


@pytest.mark.parametrize("text,line,words", [
    ("listen=NO\nno_such_key=1\n", 2, "unknown option"),
    ("# c\n\nwrite_enable=maybe\n", 3, "write_enable"),
    ("listen_port=65536\n", 1, "out of range"),
    ("idle_session_timeout=0\n", 1, "out of range"),
    ("max_login_fails=-1\n", 1, "not a number"),
    ("local_umask=0999\n", 1, "octal"),
    ("listen=NO\nwrite_enable=YES\nlisten=YES\n", 3, "set twice"),
    ("just some words\n", 1, "key=value"),
])
def test_bad_config_file(ftpenv, text, line, words):
    path = write(ftpenv, "bad.conf", text)
    for extra in ([], ["-t"], ["-T"]):
        r = run_cmd([miniftpd_bin(), path] + extra)
        assert r.returncode == 2, (extra, r.stderr)
        assert "%s:%d: " % (path, line) in r.stderr, r.stderr
        assert words in r.stderr, r.stderr
        assert r.stdout == ""


@pytest.mark.parametrize("opt,words", [
    ("-ono_such_key=1", "unknown option"),
    ("-olisten_port=99999", "out of range"),
    ("-olisten=perhaps", "listen"),
    ("-olisten", "KEY=VALUE"),
])
def test_bad_override(ftpenv, opt, words):
    r = run_cmd([miniftpd_bin(), ftpenv.config, opt, "-t"])
    assert r.returncode == 2
    assert words in r.stderr, r.stderr


def test_override_beats_file(ftpenv):
    path = write(ftpenv, "p.conf", "listen_port=2121\n")
    r = run_cmd([miniftpd_bin(), path, "-olisten_port=2222", "-olisten_port=2323", "-T"])
    assert r.returncode == 0, r.stderr
    assert "listen_port=2323\n" in r.stdout


def test_missing_config_file(ftpenv):
    path = os.path.join(ftpenv.dir, "missing.conf")
    r = run_cmd([miniftpd_bin(), path, "-t"])
    assert r.returncode == 2
    assert path in r.stderr


def test_cross_option_check(ftpenv):
    path = write(ftpenv, "x.conf", "pasv_min_port=6000\npasv_max_port=5000\n")
    r = run_cmd([miniftpd_bin(), path, "-t"])
    assert r.returncode == 2
    assert "pasv_min_port" in r.stderr


def test_missing_system_user(ftpenv):
    """A user the configuration names but the system lacks is a start-up error."""
    from conftest import IS_ROOT
    if not IS_ROOT:
        pytest.skip("users are only resolved when privileged")
    r = run_cmd([miniftpd_bin(), ftpenv.config, "-onopriv_user=no-such-user-xyz",
                 "-olisten=YES", "-olisten_address=127.0.0.1", "-olisten_port=0"])
    assert r.returncode == 2
    assert 'nopriv_user: user "no-such-user-xyz" does not exist' in r.stderr
    assert "adduser --system" in r.stderr          # and how to create it


@pytest.mark.parametrize("inetd", [False, True])
def test_listening_socket_refused(ftpenv, inetd):
    """A socket unit without Accept=yes passes the listening socket: refused, exit 2."""
    import re
    import socket
    import subprocess
    from conftest import HOST, free_port, wait_until
    port = free_port()
    errpath = os.path.join(ftpenv.dir, "noaccept.log")
    cmd = ["systemd-socket-activate", "-l", "%s:%d" % (HOST, port)]
    if inetd:
        cmd.append("--inetd")
    with open(errpath, "wb") as err:
        p = subprocess.Popen(cmd + [miniftpd_bin(), ftpenv.config], stdin=subprocess.DEVNULL,
                             stdout=err, stderr=err)
    try:
        assert wait_until(lambda: re.search(r"Listening on", open(errpath).read()), 10), \
            open(errpath).read()
        s = socket.create_connection((HOST, port), timeout=10)
        try:
            data = s.recv(100)
        except ConnectionResetError:
            data = b""
        s.close()
        assert data == b""
        assert p.wait(10) == 2
        log = open(errpath).read()
        assert "not a connected stream socket" in log, log
        assert "usage: miniftpd" in log
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(5)
