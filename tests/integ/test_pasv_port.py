"""Data connections: PASV, EPSV, PORT and EPRT; bounce and passive theft
refused (port_promiscuous, pasv_promiscuous); pasv_address and the passive
port range; connect_from_port_20; accept, connect and data timeouts.
"""

import ftplib
import os
import re
import shutil
import socket
import time

import pytest

from conftest import HOST, miniftpd_bin, needs_root, run_cmd
from xfer import (V6Server, big_file, full_listener, have_ipv6_loopback, login, pasv_data,
                  recv_all, start, traced_server)


def test_bounce_refused(ftpenv):
    srv = start(ftpenv)
    c = srv.login()
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen(1)
    p = listener.getsockname()[1]
    for line in ("PORT 127,0,0,2,%d,%d" % (p >> 8, p & 255),
                 "PORT 127,0,0,1,0,25",
                 "EPRT |1|127.0.0.2|%d|" % p,
                 "EPRT |1|127.0.0.1|21|",
                 "EPRT |2|::1|%d|" % p):
        r = c.cmd(line)
        assert r.code in (500, 504), (line, r)
        assert c.cmd("RETR hello.txt").code == 425     # nothing was set up
    assert c.cmd("PORT 1,2,3").code == 501
    assert c.cmd("EPRT |9|x|1|").code == 522
    listener.close()
    assert "Refused PORT to 127.0.0.2" in srv.log()


def test_port_promiscuous_allows_other_address(ftpenv):
    srv = start(ftpenv, port_promiscuous="YES")
    c = srv.login()
    listener = socket.socket()
    listener.bind(("127.0.0.2", 0))
    listener.listen(1)
    listener.settimeout(10)
    p = listener.getsockname()[1]
    assert c.cmd("PORT 127,0,0,2,%d,%d" % (p >> 8, p & 255)).code == 200
    c.send(b"RETR hello.txt\r\n")
    conn, _ = listener.accept()
    assert c.reply().code == 150
    assert conn.recv(100) == b"hello\n"
    conn.close()
    assert c.reply().code == 226


def test_passive_theft_refused(ftpenv):
    srv = start(ftpenv)
    c = srv.login()
    r = c.cmd("PASV")
    n = [int(x) for x in re.search(r"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", r.text).groups()]
    port = n[4] * 256 + n[5]
    thief = socket.socket()
    thief.bind(("127.0.0.2", 0))
    thief.settimeout(10)
    thief.connect((HOST, port))
    c.send(b"RETR hello.txt\r\n")
    try:
        stolen = thief.recv(100)
    except ConnectionResetError:
        stolen = b""
    assert stolen == b""
    real = socket.create_connection((HOST, port), timeout=10)
    assert c.reply().code == 150
    assert real.recv(100) == b"hello\n"
    real.close()
    thief.close()
    assert c.reply().code == 226
    assert "Refused a passive data connection from 127.0.0.2" in srv.log()


def test_epsv_all_and_pasv_on_ipv6(ftpenv):
    srv = start(ftpenv)
    c = srv.login()
    assert c.cmd("EPSV 2").code == 522
    assert c.cmd("EPSV x").code == 501
    assert c.cmd("EPSV ALL").code == 200
    assert c.cmd("PASV").code == 500
    assert c.cmd("PORT 127,0,0,1,4,1").code == 500
    assert c.cmd("EPSV 1").code == 229
    if have_ipv6_loopback():
        f = login(start(ftpenv, V6Server))
        with pytest.raises(ftplib.error_temp, match="EPSV"):
            f.sendcmd("PASV")
        assert f.sendcmd("EPSV").startswith("229")


def test_pasv_address_and_port_range(ftpenv):
    lo = 40000 + os.getpid() % 20000
    srv = start(ftpenv, pasv_address="localhost", pasv_min_port=str(lo),
                pasv_max_port=str(lo + 9))
    c = srv.login()
    for _ in range(3):
        r = c.cmd("PASV")
        n = [int(x) for x in re.search(r"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)",
                                       r.text).groups()]
        assert n[:4] == [127, 0, 0, 1]
        assert lo <= n[4] * 256 + n[5] <= lo + 9
    bad = run_cmd([miniftpd_bin(), ftpenv.config, "-olisten=YES",
                   "-olisten_address=127.0.0.1", "-olisten_port=0",
                   "-opasv_address=no-such-host.invalid"])
    assert bad.returncode == 2
    assert "pasv_address no-such-host.invalid" in bad.stderr


BindTraced = traced_server("bind")


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace not installed")
def test_pasv_without_range_picks_an_ephemeral_port_itself(ftpenv):
    """Without pasv_min_port/pasv_max_port the port comes from the kernel's
    ephemeral range, but miniftpd picks it (bind to that port with
    SO_REUSEADDR, as vsftpd does): the kernel's own pick (bind to port 0)
    searches its whole table, which gets slow once tens of thousands of
    data connections are in TIME_WAIT."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as fp:
        lo, hi = (int(x) for x in fp.read().split())
    BindTraced.trace = os.path.join(ftpenv.dir, "bind.trace")
    c = start(ftpenv, BindTraced).login()
    ports = []
    for _ in range(5):
        n = [int(x) for x in re.search(r"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)",
                                       c.cmd("PASV").text).groups()]
        ports.append(n[4] * 256 + n[5])
    assert all(max(lo, 1024) <= p <= hi for p in ports), ports
    with open(BindTraced.trace, errors="replace") as f:
        bound = [int(p) for p in re.findall(r"bind\(\d+, \{sa_family=AF_INET, "
                                            r"sin_port=htons\((\d+)\)", f.read())]
    # the first bind is the listener's (listen_port=0); a port another
    # process listens on makes a bind fail and the next port is tried
    assert bound[0] == 0 and 0 not in bound[1:], bound
    assert set(ports) <= set(bound[1:]), (ports, bound)


@needs_root
def test_connect_from_port_20(ftpenv):
    srv = start(ftpenv, connect_from_port_20="YES")
    c = srv.login()
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen(1)
    listener.settimeout(10)
    p = listener.getsockname()[1]
    assert c.cmd("PORT 127,0,0,1,%d,%d" % (p >> 8, p & 255)).code == 200
    c.send(b"RETR hello.txt\r\n")
    conn, peer = listener.accept()
    assert peer[1] == 20
    assert c.reply().code == 150
    assert conn.recv(100) == b"hello\n"
    conn.close()
    assert c.reply().code == 226


def test_accept_timeout(ftpenv):
    srv = start(ftpenv, accept_timeout="1")
    c = srv.login()
    c.cmd("PASV")
    t0 = time.monotonic()
    assert c.cmd("RETR hello.txt", timeout=10).code == 425
    assert 0.8 < time.monotonic() - t0 < 5
    assert c.cmd("NOOP").code == 200


def test_connect_timeout(ftpenv):
    srv = start(ftpenv, connect_timeout="1")
    c = srv.login()
    listener, p, fill = full_listener()   # a full accept queue: later SYNs are dropped
    assert c.cmd("PORT 127,0,0,1,%d,%d" % (p >> 8, p & 255)).code == 200
    t0 = time.monotonic()
    assert c.cmd("RETR hello.txt", timeout=10).code == 425
    assert 0.8 < time.monotonic() - t0 < 5
    assert c.cmd("NOOP").code == 200
    for s in fill:
        s.close()
    listener.close()


def test_data_timeout_download_and_upload(ftpenv):
    srv = start(ftpenv, data_connection_timeout="1")
    big_file(ftpenv)
    c = srv.login()
    data = pasv_data(c)
    assert c.cmd("RETR big").code == 150
    t0 = time.monotonic()
    assert c.reply(timeout=10).code == 426          # nobody reads
    assert time.monotonic() - t0 < 5
    data.close()
    assert c.cmd("NOOP").code == 200
    data = pasv_data(c)
    assert c.cmd("STOR stalled").code == 150
    assert c.reply(timeout=10).code == 426          # nobody writes
    data.close()
    assert c.cmd("PWD").code == 257


def test_pasv_promiscuous_accepts_another_address(ftpenv):
    """pasv_promiscuous=YES: the passive port takes a connection from an
    address other than the control connection's (127.0.0.2 here), which
    test_passive_theft_refused shows is refused by default."""
    srv = start(ftpenv, pasv_promiscuous="YES")
    c = srv.login()
    r = c.cmd("PASV")
    n = [int(x) for x in re.search(r"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", r.text).groups()]
    other = socket.socket()
    other.bind(("127.0.0.2", 0))
    other.settimeout(10)
    other.connect((HOST, n[4] * 256 + n[5]))
    assert c.cmd("RETR hello.txt").code == 150
    assert recv_all(other) == b"hello\n"
    other.close()
    assert c.reply().code == 226
    assert "Refused a passive data connection" not in srv.log()
