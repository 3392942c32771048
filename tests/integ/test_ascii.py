"""TYPE A: line-end conversion both ways, the session's default type, and
clients (lftp put -a) that rely on it.
"""

import os
import re
import shutil

import pytest

from xfer import XFER_OPTS, give_to_guest, lftp, login, pasv_data, raw_transfer, start


def test_ascii_conversion(ftpenv):
    with open(os.path.join(ftpenv.root, "t.txt"), "wb") as fp:
        fp.write(b"one\ntwo\n")
    srv = start(ftpenv, ascii_download_enable="YES", ascii_upload_enable="YES")
    c = srv.login()
    assert c.cmd("TYPE A").code == 200
    assert raw_transfer(c, "RETR t.txt")[1] == b"one\r\ntwo\r\n"
    raw_transfer(c, "STOR u.txt", b"x\r\ny\r\nz\rw\r")
    assert open(os.path.join(ftpenv.root, "u.txt"), "rb").read() == b"x\ny\nz\rw\r"
    assert c.cmd("REST 3").code == 350
    pasv_data(c).close()
    assert c.cmd("RETR t.txt").code == 550        # no resume in ASCII (vsftpd)
    # without the options TYPE A moves the bytes unchanged, like vsftpd
    c2 = start(ftpenv).login()
    c2.cmd("TYPE A")
    assert raw_transfer(c2, "RETR t.txt")[1] == b"one\ntwo\n"


def test_session_starts_in_type_ascii(ftpenv):
    """RFC 959: TYPE A N until the client says otherwise; STAT says so,
    SIZE still answers the file's size (vsftpd), REST + RETR is refused
    as in any TYPE A (vsftpd) and works after TYPE I."""
    c = start(ftpenv).login()
    assert " TYPE: ASCII" in c.cmd("STAT").lines
    r = c.cmd("SIZE hello.txt")
    assert (r.code, r.text) == (213, "6")
    assert c.cmd("REST 2").code == 350
    pasv_data(c).close()
    assert c.cmd("RETR hello.txt").code == 550
    assert c.cmd("TYPE I").code == 200
    assert " TYPE: BINARY" in c.cmd("STAT").lines
    assert c.cmd("REST 2").code == 350
    assert raw_transfer(c, "RETR hello.txt")[1] == b"llo\n"
    assert c.cmd("TYPE A").code == 200
    assert " TYPE: ASCII" in c.cmd("STAT").lines


def test_ascii_upload_without_type_command(ftpenv):
    """A client that relies on the default type (no TYPE before STOR) gets
    its CRLF stored as LF with ascii_upload_enable=YES; without it TYPE A
    moves the bytes unchanged, as vsftpd does, and REST + STOR still works."""
    c = start(ftpenv, ascii_upload_enable="YES").login()
    raw_transfer(c, "STOR conv.txt", b"one\r\ntwo\r\nlone\rcr\r\n")
    assert open(os.path.join(ftpenv.root, "conv.txt"), "rb").read() == \
        b"one\ntwo\nlone\rcr\n"
    assert c.cmd("REST 3").code == 350          # no resume of a converted upload
    pasv_data(c).close()
    assert c.cmd("STOR conv.txt").code == 550
    c2 = start(ftpenv).login()
    raw_transfer(c2, "STOR raw.txt", b"one\r\ntwo\r\n")
    assert open(os.path.join(ftpenv.root, "raw.txt"), "rb").read() == b"one\r\ntwo\r\n"
    assert c2.cmd("REST 5").code == 350
    raw_transfer(c2, "STOR raw.txt", b"TWO")
    assert open(os.path.join(ftpenv.root, "raw.txt"), "rb").read() == b"one\r\nTWO\r\n"
    assert raw_transfer(c2, "RETR raw.txt")[1] == b"one\r\nTWO\r\n"


@pytest.mark.skipif(shutil.which("lftp") is None, reason="lftp not installed")
def test_lftp_put_a_relies_on_the_default_type(ftpenv):
    """lftp put -a sends no TYPE (TYPE A is the default) and sends CRLF line
    ends; get -a turns them back into LF."""
    srv = start(ftpenv, ascii_upload_enable="YES", ascii_download_enable="YES",
                **XFER_OPTS)
    src = os.path.join(ftpenv.dir, "unix.txt")
    with open(src, "wb") as fp:
        fp.write(b"one\ntwo\n\nfour\n")
    back = os.path.join(ftpenv.dir, "back.txt")
    mark = len(srv.log())
    lftp(srv, "PASV", "put -a %s -o text.txt; get -a text.txt -o %s" % (src, back))
    assert 'FTP command: "TYPE' not in srv.log()[mark:]
    assert open(os.path.join(ftpenv.root, "text.txt"), "rb").read() == b"one\ntwo\n\nfour\n"
    assert open(back, "rb").read() == b"one\ntwo\n\nfour\n"


def to_ascii(data):
    """What an ASCII download sends: a lone LF as CRLF, the rest as it is."""
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)


def test_ascii_download_keeps_existing_crlf(ftpenv):
    """CRLF already in a file is sent as it is (vsftpd), not as CR CR LF,
    also where CR ends one read block and LF starts the next: the file has
    CR LF across every 4 KiB boundary (so across the server's read buffer,
    whatever its power-of-two size), lone LFs, lone CRs and CR CR LF."""
    chunk = b"\n" + (b"dos\r\nunix\nmac\rboth\r\r\n" * 200)[:4094] + b"\r"
    body = b"first line\n" + chunk * 160 + b"\nlast\r\n"    # 640 KiB
    with open(os.path.join(ftpenv.root, "mixed.txt"), "wb") as fp:
        fp.write(body)
    give_to_guest(ftpenv, os.path.join(ftpenv.root, "mixed.txt"))
    srv = start(ftpenv, ascii_download_enable="YES")
    c = srv.login()
    got = raw_transfer(c, "RETR mixed.txt")[1]
    assert got == to_ascii(body)
    # Python's retrlines sees the file's lines, no empty ones in between
    with open(os.path.join(ftpenv.root, "dos.txt"), "wb") as fp:
        fp.write(b"one\r\ntwo\r\nthree\n")
    f = login(srv)
    lines = []
    f.retrlines("RETR dos.txt", lines.append)
    assert lines == ["one", "two", "three"]
