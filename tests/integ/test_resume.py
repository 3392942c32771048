"""Resumed transfers: curl -C -, lftp get -c / put -c, REST + STOR and
APPE after a killed upload, the rules of REST with STOR, STOU and APPE.
"""

import io
import os
import shutil
import subprocess
import sys

import pytest

from conftest import DEMO_PASSWORD, HOST, wait_until
from xfer import (curl, give_to_guest, lftp, login, pasv_data, raw_transfer, sha, sources,
                  start, url)


def test_curl_resume_both_ways(ftpenv):
    srv = start(ftpenv)
    src, = sources(ftpenv, (3 * 1024 * 1024 + 11,))
    data = open(src, "rb").read()
    # download: a partial local copy completed with -C -
    part = os.path.join(ftpenv.dir, "part")
    shutil.copy(src, os.path.join(ftpenv.root, "full"))
    give_to_guest(ftpenv, os.path.join(ftpenv.root, "full"))
    with open(part, "wb") as f:
        f.write(data[:1234567])
    curl(srv, "EPSV", "-C", "-", "-o", part, url(srv, "full"))
    assert sha(part) == sha(src)
    # upload: a partial remote copy completed with -C -
    remote = os.path.join(ftpenv.root, "up")
    with open(remote, "wb") as f:
        f.write(data[:2000001])
    give_to_guest(ftpenv, remote)
    curl(srv, "EPSV", "-C", "-", "-T", src, url(srv, "up"))
    assert sha(remote) == sha(src)


def test_lftp_get_c_put_c(ftpenv):
    srv = start(ftpenv)
    src, = sources(ftpenv, (2 * 1024 * 1024 + 5,))
    data = open(src, "rb").read()
    shutil.copy(src, os.path.join(ftpenv.root, "full"))
    give_to_guest(ftpenv, os.path.join(ftpenv.root, "full"))
    local = os.path.join(ftpenv.dir, "local")
    with open(local, "wb") as f:
        f.write(data[:700000])
    remote = os.path.join(ftpenv.root, "up")
    with open(remote, "wb") as f:
        f.write(data[:900001])
    give_to_guest(ftpenv, remote)
    lftp(srv, "PASV", "get -c full -o %s; put -c %s -o up" % (local, src))
    assert sha(local) == sha(src)
    assert sha(remote) == sha(src)


KILLED_CHILD = r"""
import ftplib, sys, time
host, port, pw, src, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
f = ftplib.FTP(timeout=30); f.connect(host, port); f.login("demo", pw)
conn = f.transfercmd("STOR killed")
conn.sendall(open(src, "rb").read()[:n])
print("sent", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("how", ["REST", "APPE"])
def test_killed_upload_resumed(ftpenv, how):
    srv = start(ftpenv)
    src, = sources(ftpenv, (3 * 1024 * 1024 + 3,))
    data = open(src, "rb").read()
    half = 1500000
    child = subprocess.Popen([sys.executable, "-c", KILLED_CHILD, HOST, str(srv.port),
                              DEMO_PASSWORD, src, str(half)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert child.stdout.readline().strip() == "sent"
        target = os.path.join(ftpenv.root, "killed")
        assert wait_until(lambda: os.path.exists(target) and
                          os.path.getsize(target) == half, 10)
    finally:
        child.kill()
        child.wait(10)
    # the killed session ends on its own and releases its lock on the file
    assert wait_until(lambda: not srv.session_pids(), 10), srv.session_pids()
    assert os.path.getsize(target) == half
    f = login(srv)
    f.voidcmd("TYPE I")
    got = f.size("killed")
    assert got == half
    rest = io.BytesIO(data[got:])
    if how == "REST":
        f.storbinary("STOR killed", rest, rest=got)
    else:
        f.storbinary("APPE killed", rest)
    assert sha(target) == sha(src)


def test_rest_stor_keeps_the_head_and_rest_rules(ftpenv):
    c = start(ftpenv).login()
    assert c.cmd("TYPE I").code == 200           # no REST + RETR in TYPE A (vsftpd)
    raw_transfer(c, "STOR f", b"0123456789")
    assert c.cmd("REST 4").code == 350
    raw_transfer(c, "STOR f", b"ab")
    assert open(os.path.join(ftpenv.root, "f"), "rb").read() == b"0123ab6789"
    assert c.cmd("REST x").code == 501
    assert c.cmd("REST -1").code == 501
    assert c.cmd("REST 3").code == 350
    _, got = raw_transfer(c, "RETR f")
    assert got == b"3ab6789"
    _, got = raw_transfer(c, "RETR f")           # REST applies once
    assert got == b"0123ab6789"
    assert c.cmd("RETR f").code == 425           # no PASV/PORT
    pasv_data(c).close()
    assert c.cmd("RETR pub").code == 550         # a directory


HUGE_REST = 9223372036854775000


def fs_refuses_offset(directory, off):
    """The file system of DIRECTORY refuses to seek a file to OFF (ext4
    does; tmpfs, xfs and btrfs accept up to 2^63 - 1)."""
    probe = os.path.join(directory, ".seekprobe")
    fd = os.open(probe, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.lseek(fd, off, os.SEEK_SET)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)
        os.unlink(probe)


def test_refused_rest_upload_creates_and_truncates_nothing(ftpenv):
    """REST past what the file system allows, then STOR / STOU: 553, and no
    file is left behind; an existing file keeps its content.  APPE ignores
    REST (vsftpd) and appends."""
    if not fs_refuses_offset(ftpenv.root, HUGE_REST):
        pytest.skip("this file system accepts the offset %d" % HUGE_REST)
    c = start(ftpenv).login()
    assert c.cmd("TYPE I").code == 200
    for verb, name in (("STOR", "new.bin"), ("STOU", "unique.bin")):
        assert c.cmd("REST %d" % HUGE_REST).code == 350
        pasv_data(c).close()
        assert c.cmd("%s %s" % (verb, name)).code == 553, verb
        assert not os.path.exists(os.path.join(ftpenv.root, name)), verb
    assert c.cmd("REST %d" % HUGE_REST).code == 350
    pasv_data(c).close()
    assert c.cmd("STOR hello.txt").code == 553
    assert open(os.path.join(ftpenv.root, "hello.txt"), "rb").read() == b"hello\n"
    assert c.cmd("REST %d" % HUGE_REST).code == 350
    raw_transfer(c, "APPE hello.txt", b"more\n")
    assert open(os.path.join(ftpenv.root, "hello.txt"), "rb").read() == b"hello\nmore\n"
    assert sorted(os.listdir(ftpenv.root)) == ["hello.txt", "pub"]
