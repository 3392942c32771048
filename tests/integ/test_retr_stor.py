"""RETR and STOR byte-exact with real clients: round trips (sha256) for
several sizes through ftplib, curl and lftp in PASV, EPSV, PORT and EPRT
over 127.0.0.1 and ::1 (the server log, with log_ftp_protocol, proves which
verb each client used), 64 MiB, lftp mirror -R and back; use_sendfile and
splice; STOU; xferlog.  Loopback only; every wait is bounded; every process
started here is stopped by its PID.
"""

import ftplib
import os
import re
import shutil
import socket
import time

import pytest

from conftest import Server, wait_until
from xfer import (V6Server, XFER_OPTS, big_file, curl, give_to_guest, have_ipv6_loopback,
                  lftp, login, pasv_data, raw_transfer, sha, sources, start, traced_server,
                  url, write_random)


HOST6 = "::1"
SIZES = (0, 1, 4095, 1024 * 1024 + 7)


BIG = 64 * 1024 * 1024
V4_MODES = ("PASV", "EPSV", "PORT", "EPRT")


V4_MODES = ("PASV", "EPSV", "PORT", "EPRT")
V6_MODES = ("EPSV", "EPRT")


V6_MODES = ("EPSV", "EPRT")
DATA_VERBS = ("PASV", "EPSV", "PORT", "EPRT")


class LogMark:
    """What the server logged after a point: which data verbs were used."""

    def __init__(self, srv):
        self.srv = srv
        self.pos = len(srv.log())

    def verbs(self):
        new = self.srv.log()[self.pos:]
        return {v for v in DATA_VERBS if 'FTP command: "%s' % v in new}


def ftplib_client(srv, mode):
    f = login(srv)
    f.set_pasv(mode in ("PASV", "EPSV"))
    if f.af == socket.AF_INET and mode == "EPSV":
        f.makepasv = lambda: ftplib.parse229(f.sendcmd("EPSV"), f.sock.getpeername())
    if f.af == socket.AF_INET and mode == "EPRT":
        f.sendport = f.sendeprt
    return f


def ftplib_roundtrip(srv, mode, src, remote, dst):
    f = ftplib_client(srv, mode)
    with open(src, "rb") as fp:
        f.storbinary("STOR " + remote, fp)
    with open(dst, "wb") as fp:
        f.retrbinary("RETR " + remote, fp.write)
    f.quit()


def curl_roundtrip(srv, mode, src, remote, dst):
    curl(srv, mode, "-T", src, url(srv, remote))
    curl(srv, mode, "-o", dst, url(srv, remote))


def lftp_roundtrip(srv, mode, src, remote, dst):
    lftp(srv, mode, "put %s -o %s; get %s -o %s" % (src, remote, remote, dst))


ROUNDTRIP = {"ftplib": ftplib_roundtrip, "curl": curl_roundtrip, "lftp": lftp_roundtrip}


def check_roundtrips(env, srv, client, mode, sizes):
    mark = LogMark(srv)
    out = os.path.join(env.dir, "out")
    os.makedirs(out, exist_ok=True)
    for src in sources(env, sizes):
        remote = "%s-%s-%s" % (client, mode, os.path.basename(src))
        dst = os.path.join(out, remote)
        ROUNDTRIP[client](srv, mode, src, remote, dst)
        assert sha(os.path.join(env.root, remote)) == sha(src), remote
        assert sha(dst) == sha(src), remote
    assert mark.verbs() == {mode}


MATRIX = ([(c, "v4", m) for c in ("ftplib", "curl", "lftp") for m in V4_MODES
           if not (c == "lftp" and m == "EPRT")] +       # lftp sends PORT on IPv4
          [(c, "v6", m) for c in ("ftplib", "curl", "lftp") for m in V6_MODES])


@pytest.mark.parametrize("client,family,mode", MATRIX)
def test_roundtrip(ftpenv, client, family, mode):
    if family == "v6" and not have_ipv6_loopback():
        pytest.skip("no IPv6 loopback")
    if not shutil.which(client) and client != "ftplib":
        pytest.skip(client + " not installed")
    srv = start(ftpenv, V6Server if family == "v6" else Server, **XFER_OPTS)
    check_roundtrips(ftpenv, srv, client, mode, SIZES)


@pytest.mark.parametrize("client,family,mode", [("ftplib", "v4", "PASV"),
                                                ("curl", "v6", "EPRT")])
def test_roundtrip_64mib(ftpenv, client, family, mode):
    if family == "v6" and not have_ipv6_loopback():
        pytest.skip("no IPv6 loopback")
    srv = start(ftpenv, V6Server if family == "v6" else Server, **XFER_OPTS)
    check_roundtrips(ftpenv, srv, client, mode, (BIG,))


def make_tree(top, dirs=12, per_dir=25):
    """Nested directories with a few hundred files of varied sizes."""
    n = 0
    for i in range(dirs):
        d = os.path.join(top, *["d%d" % k for k in range(i % 4 + 1)], "leaf %d" % i)
        os.makedirs(d, exist_ok=True)
        for j in range(per_dir):
            write_random(os.path.join(d, "f%02d.bin" % j), (i * 7919 + j * 104729) % 70000)
            n += 1
    return n


def tree_digest(top):
    out = {}
    for d, dirs, files in os.walk(top):
        for name in files:
            p = os.path.join(d, name)
            out[os.path.relpath(p, top)] = sha(p)
        for name in dirs:
            out[os.path.relpath(os.path.join(d, name), top) + "/"] = "dir"
    return out


def test_lftp_mirror_tree_and_back(ftpenv):
    srv = start(ftpenv)
    tree = os.path.join(ftpenv.dir, "tree")
    assert make_tree(tree) >= 300
    back = os.path.join(ftpenv.dir, "back")
    t0 = time.monotonic()
    lftp(srv, "PASV", "mirror -R %s /mirror; mirror /mirror %s" % (tree, back), timeout=300)
    assert tree_digest(os.path.join(ftpenv.root, "mirror")) == tree_digest(tree)
    assert tree_digest(back) == tree_digest(tree)
    assert time.monotonic() - t0 < 60


SendTraced = traced_server("sendfile,read")


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace not installed")
@pytest.mark.parametrize("use_sendfile", ["YES", "NO"])
def test_use_sendfile(ftpenv, use_sendfile):
    """Downloads are byte-exact both ways (whole and after REST); sendfile(2)
    moves them only with use_sendfile=YES."""
    body = os.urandom(3 * 1024 * 1024 + 123)
    with open(os.path.join(ftpenv.root, "blob"), "wb") as fp:
        fp.write(body)
    give_to_guest(ftpenv, os.path.join(ftpenv.root, "blob"))
    SendTraced.trace = os.path.join(ftpenv.dir, "send.trace")
    srv = start(ftpenv, SendTraced, use_sendfile=use_sendfile)
    c = srv.login()
    assert c.cmd("TYPE I").code == 200
    assert raw_transfer(c, "RETR blob")[1] == body
    assert c.cmd("REST 1000001").code == 350
    assert raw_transfer(c, "RETR blob")[1] == body[1000001:]
    with open(SendTraced.trace, errors="replace") as f:
        trace = f.read()
    sent = re.findall(r"sendfile\(\d+, \d+, \[\d+\] => \[\d+\], \d+\) = [1-9]", trace)
    assert bool(sent) == (use_sendfile == "YES"), trace[-2000:]


SpliceTraced = traced_server("splice,recvfrom")


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace not installed")
def test_binary_uploads_are_spliced(ftpenv):
    """A binary STOR moves socket -> pipe -> file with splice(2) and stores
    every byte; REST + STOR and APPE (O_APPEND, which splice refuses: the
    bytes in the pipe are copied instead) and TYPE A uploads do too."""
    body = os.urandom(3 * 1024 * 1024 + 77)
    SpliceTraced.trace = os.path.join(ftpenv.dir, "splice.trace")
    c = start(ftpenv, SpliceTraced, ascii_upload_enable="YES").login()
    assert c.cmd("TYPE I").code == 200
    raw_transfer(c, "STOR up.bin", body)
    path = os.path.join(ftpenv.root, "up.bin")
    assert open(path, "rb").read() == body
    with open(SpliceTraced.trace, errors="replace") as f:
        trace = f.read()
    assert re.search(r"splice\(\d+, NULL, \d+, NULL, \d+, SPLICE_F_MOVE\) = [1-9]", trace), \
        trace[-2000:]
    patch, tail = b"X" * 100000, os.urandom(200000)
    assert c.cmd("REST 1000000").code == 350       # written over, not truncated
    raw_transfer(c, "STOR up.bin", patch)
    want = body[:1000000] + patch + body[1100000:]
    assert open(path, "rb").read() == want
    raw_transfer(c, "APPE up.bin", tail)
    assert open(path, "rb").read() == want + tail
    assert c.cmd("TYPE A").code == 200
    raw_transfer(c, "STOR t.txt", b"one\r\ntwo\r\n")
    assert open(os.path.join(ftpenv.root, "t.txt"), "rb").read() == b"one\ntwo\n"


def test_stou_and_unique_names(ftpenv):
    c = start(ftpenv).login()
    r, _ = raw_transfer(c, "STOU", b"first")
    assert r.text == "FILE: STOU"
    r, _ = raw_transfer(c, "STOU", b"second")
    assert r.text == "FILE: STOU.1"
    r, _ = raw_transfer(c, "STOU hello.txt", b"third")
    assert r.text == "FILE: hello.txt.1"
    assert open(os.path.join(ftpenv.root, "STOU.1"), "rb").read() == b"second"
    assert open(os.path.join(ftpenv.root, "hello.txt"), "rb").read() == b"hello\n"


def test_xferlog(ftpenv):
    xlog = os.path.join(ftpenv.dir, "xferlog")
    srv = start(ftpenv, xferlog_enable="YES", xferlog_file=xlog)
    big_file(ftpenv)
    c = srv.login()
    raw_transfer(c, "RETR hello.txt")
    raw_transfer(c, "STOR new file", b"12345")
    data = pasv_data(c)
    assert c.cmd("RETR big").code == 150
    data.recv(1000)
    c.send(b"ABOR\r\n")
    assert c.reply().code == 426 and c.reply().code == 226
    data.close()
    assert wait_until(lambda: os.path.exists(xlog) and
                      len(open(xlog).read().splitlines()) == 3, 5)
    lines = open(xlog).read().splitlines()
    pat = (r"^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} \d+ 127\.0\.0\.1 (\d+) (\S+) b _ "
           r"([io]) g demo ftp 0 \* ([ci])$")
    fields = [re.match(pat, ln) for ln in lines]
    assert all(fields), lines
    assert fields[0].groups() == ("6", "/hello.txt", "o", "c")
    assert fields[1].groups() == ("5", "/new_file", "i", "c")
    assert fields[2].group(2, 3, 4) == ("/big", "o", "i")
