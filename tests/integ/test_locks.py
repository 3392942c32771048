"""lock_upload_files: uploads hold a write lock, downloads a read lock;
a locked file waits, ends with 450 or ABOR; the lock is released before 226.
"""

import io
import os
import time

import pytest

from conftest import wait_until
from xfer import give_to_guest, login, pasv_data, read_code, recv_all, start


def test_lock_upload_files(ftpenv):
    """A download of a file being uploaded waits for the upload to end
    (lock_upload_files, as vsftpd waits for the lock), then sends it whole."""
    srv = start(ftpenv, data_connection_timeout="20")
    up = srv.login()
    data = pasv_data(up)
    assert up.cmd("STOR busy").code == 150
    data.sendall(b"x" * 100)
    assert wait_until(lambda: os.path.exists(os.path.join(ftpenv.root, "busy")), 5)
    other = srv.login()
    assert other.cmd("TYPE I").code == 200
    down = pasv_data(other)
    other.send(b"RETR busy\r\n")
    with pytest.raises(TimeoutError):           # waiting for the lock, no 450
        other.reply(timeout=1)
    data.sendall(b"y" * 100)
    data.close()
    assert up.reply().code == 226
    assert other.reply(timeout=5).code == 150
    assert recv_all(down) == b"x" * 100 + b"y" * 100
    down.close()
    assert other.reply().code == 226


def test_upload_lock_released_before_226(ftpenv):
    """Another session may read a file as soon as its upload got 226."""
    srv = start(ftpenv)
    up, down = login(srv), login(srv)
    for i in range(100):
        data = os.urandom(1000 + i)
        up.storbinary("STOR fresh", io.BytesIO(data))
        out = io.BytesIO()
        down.retrbinary("RETR fresh", out.write)      # never 450
        assert out.getvalue() == data


def lock_exclusive(path):
    """A write lock on the whole of PATH, an open-file-description lock
    like the server's (a POSIX lock would go with any close of the file in
    this process); RETURNS the fd: closing it unlocks."""
    import fcntl
    import struct
    fd = os.open(path, os.O_RDWR)
    # struct flock on Linux: l_type, l_whence, l_start, l_len, l_pid (0 for OFD)
    fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET,
                                                   0, 0, 0))
    return fd


@pytest.mark.parametrize("verb", ["STOR", "RETR"])
def test_locked_file_waits_for_the_lock(ftpenv, verb):
    """lock_upload_files: a transfer of a file another holds locked waits
    for the lock (vsftpd) and goes on as soon as it is released."""
    path = os.path.join(ftpenv.root, "locked")
    with open(path, "wb") as fp:
        fp.write(b"old content")
    give_to_guest(ftpenv, path)
    srv = start(ftpenv, data_connection_timeout="30")
    c = srv.login()
    assert c.cmd("TYPE I").code == 200
    data = pasv_data(c)
    lock = lock_exclusive(path)
    try:
        c.send(("%s locked\r\n" % verb).encode())
        with pytest.raises(TimeoutError):       # no 450: it waits
            c.reply(timeout=1.5)
        assert open(path, "rb").read() == b"old content"    # not truncated yet
    finally:
        os.close(lock)
    assert read_code(c) == 150
    if verb == "STOR":
        data.sendall(b"new content")
        data.close()
    else:
        assert recv_all(data) == b"old content"
        data.close()
    assert read_code(c) == 226
    want = b"new content" if verb == "STOR" else b"old content"
    assert open(path, "rb").read() == want


def test_locked_file_wait_ends_with_450_or_abor(ftpenv):
    """The wait for a lock ends after data_connection_timeout with 450 (the
    file untouched), or at once with an ABOR (426 then 226)."""
    path = os.path.join(ftpenv.root, "locked")
    with open(path, "wb") as fp:
        fp.write(b"old content")
    give_to_guest(ftpenv, path)
    srv = start(ftpenv, data_connection_timeout="2", accept_timeout="60")
    c = srv.login()
    lock = lock_exclusive(path)
    try:
        for verb in ("STOR", "RETR"):
            pasv_data(c).close()
            t0 = time.monotonic()
            assert c.cmd(verb + " locked", timeout=10).code == 450
            assert 1.8 < time.monotonic() - t0 < 5
        assert open(path, "rb").read() == b"old content"
        c.send(b"PASV\r\nSTOR locked\r\n")
        assert read_code(c) == 227
        time.sleep(0.5)
        t0 = time.monotonic()
        c.send(b"ABOR\r\n")
        assert read_code(c, 1.5) == 426
        assert read_code(c, 1.5) == 226
        assert time.monotonic() - t0 < 1.5
    finally:
        os.close(lock)
    assert c.cmd("NOOP").code == 200
    assert open(path, "rb").read() == b"old content"
