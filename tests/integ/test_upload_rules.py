"""What happens to uploads: write errors (file too large, disk full),
delete_failed_uploads, chown_uploads.
"""

import ftplib
import io
import os
import re
import resource
import stat
import subprocess

import pytest

from conftest import HOST, Server, needs_root, run_cmd, wait_until
from xfer import login, pasv_data, start


class LimitedServer(Server):
    """A standalone server started with RLIMIT_FSIZE (write errors)."""

    fsize = None

    def start(self, timeout=10.0):
        def limit():
            resource.setrlimit(resource.RLIMIT_FSIZE, (self.fsize, self.fsize))
        with open(self.errpath, "ab") as err:
            self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=err,
                                         stderr=err, cwd=self.env.dir, preexec_fn=limit)
        return self.await_listening(timeout)


def test_write_error_file_too_large(ftpenv):
    limit = 100000
    s = LimitedServer(ftpenv, "standalone", {})
    s.fsize = limit
    ftpenv.servers.append(s)
    srv = s.start()
    c = srv.login()
    data = pasv_data(c)
    assert c.cmd("STOR huge").code == 150
    try:
        data.sendall(os.urandom(3 * limit))
    except OSError:
        pass
    data.close()
    assert c.reply().code == 552
    assert os.path.getsize(os.path.join(ftpenv.root, "huge")) == limit
    assert c.cmd("NOOP").code == 200


def test_delete_failed_uploads(ftpenv):
    srv = start(ftpenv, delete_failed_uploads="YES")
    c = srv.login()
    data = pasv_data(c)
    assert c.cmd("STOR partial").code == 150
    data.sendall(b"x" * 1000)
    assert wait_until(lambda: os.path.exists(os.path.join(ftpenv.root, "partial")) and
                      os.path.getsize(os.path.join(ftpenv.root, "partial")) == 1000, 5)
    c.send(b"ABOR\r\n")
    assert c.reply().code == 426 and c.reply().code == 226
    data.close()
    assert not os.path.exists(os.path.join(ftpenv.root, "partial"))


@needs_root
def test_chown_uploads_anonymous(ftpenv):
    daemon = __import__("pwd").getpwnam("daemon").pw_uid
    srv = start(ftpenv, anonymous_enable="YES", anon_root=ftpenv.anon_root,
                anon_upload_enable="YES", chown_uploads="YES", chown_username="daemon")
    f = ftplib.FTP(timeout=20)
    f.connect(HOST, srv.port)
    srv.ctls.append(f)
    f.login("anonymous", "test@example.org")
    f.storbinary("STOR given", io.BytesIO(b"x" * 300000))
    p = os.path.join(ftpenv.anon_root, "given")
    assert os.stat(p).st_uid == daemon
    assert os.path.getsize(p) == 300000
    with pytest.raises(ftplib.error_perm):        # no overwrite for anonymous users
        f.storbinary("STOR given", io.BytesIO(b"y"))
    with pytest.raises(ftplib.error_perm):        # nor append
        f.storbinary("APPE given", io.BytesIO(b"y"))
    assert os.path.getsize(p) == 300000
    assert "Refused or failed to chown" not in srv.log()


@needs_root
def test_write_error_no_space(ftpenv):
    small = os.path.join(ftpenv.root, "small")
    os.mkdir(small)
    r = run_cmd(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0777", "tmpfs", small])
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs: " + r.stderr.strip())
    try:
        c = start(ftpenv).login()
        data = pasv_data(c)
        assert c.cmd("STOR small/full").code == 150
        try:
            data.sendall(os.urandom(3 * 1024 * 1024))
        except OSError:
            pass
        data.close()
        assert c.reply().code == 452
        assert 0 < os.path.getsize(os.path.join(small, "full")) <= 1024 * 1024
        assert c.cmd("NOOP").code == 200
        c.close()
    finally:
        for s in ftpenv.servers:
            s.stop()
        run_cmd(["umount", "-l", small])


@pytest.mark.parametrize("mode,umask,want", [("0666", "077", 0o600), ("0640", "022", 0o640),
                                             ("0604", "000", 0o604)],
                         ids=["0666-077", "0640-022", "0604-000"])
def test_file_open_mode(ftpenv, mode, umask, want):
    """An upload's permission bits are file_open_mode less local_umask."""
    f = login(start(ftpenv, file_open_mode=mode, local_umask=umask))
    f.storbinary("STOR moded.bin", io.BytesIO(b"x" * 10))
    assert stat.S_IMODE(os.stat(os.path.join(ftpenv.root, "moded.bin")).st_mode) == want
