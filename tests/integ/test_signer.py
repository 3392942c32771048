"""The listener's one signing process (issue 17, FTPS sessions/s; SECURITY.md,
"One signing process per listener"): it signs every full handshake of the
listener's sessions, one signature per socket; its sockets reach only the
listener and a helper before login; killed, it is logged and replaced, and
a session whose signer is gone signs in a child as before.  Processes
started per connection keep the child (test_ftps.py covers them).
"""
import os
import signal
import subprocess

import pytest

from conftest import (GUEST, IS_ROOT, proc_alive, proc_children, proc_descendants,
                      proc_status, sanitized, wait_until)
from ftpskit import retr, tls_login, tls_server
from sessionprocs import socket_inodes


def the_signer(s):
    """The pid of S's one signing process (alive), from its log."""
    def find():
        alive = [p for p in s.signers() if proc_alive(p) and p in proc_children(s.pid)]
        return alive[0] if len(alive) == 1 else None
    pid = wait_until(find, 10)
    assert pid, (s.signers(), s.log())
    return pid


def unix_peers():
    """{socket inode: its peer's inode} for every UNIX socket (ss -x)."""
    out = subprocess.run(["ss", "-xanH"], capture_output=True, text=True, timeout=10,
                         check=True).stdout
    peers = {}
    for row in out.splitlines():
        col = row.split()
        # Netid State Recv-Q Send-Q Local-Address Port Peer-Address Port
        if len(col) >= 8 and col[5].isdigit() and col[7].isdigit():
            peers[int(col[5])] = int(col[7])
    return peers


def plain_connection(s):
    c = s.connect()
    assert c.cmd("NOOP").code == 200
    return c


def test_one_signing_process_for_every_handshake(ftpd, ftpenv, certs):
    s = tls_server(ftpd, certs)
    signer = the_signer(s)
    for _ in range(3):
        f = tls_login(s)
        assert retr(f, "hello.txt") == b"hello\n"
        f.quit()
    assert the_signer(s) == signer
    assert len(s.signers()) == 1, s.log()
    log = s.log()
    assert "did not answer" not in log and "Refused" not in log, log
    # the key's memory file stays with the listener: the signer decoded
    # it and closed it
    fds = [os.readlink("/proc/%d/fd/%s" % (signer, fd))
           for fd in os.listdir("/proc/%d/fd" % signer)]
    assert not [l for l in fds if "miniftpd-key" in l], fds
    st = proc_status(signer)
    assert st["NoNewPrivs"] == "1"
    assert st["Seccomp"] == ("0" if sanitized() else "2")
    if IS_ROOT:
        import pwd
        nobody = pwd.getpwnam(GUEST)
        assert [int(x) for x in st["Uid"].split()] == [nobody.pw_uid] * 4
        assert st["CapEff"] == st["CapPrm"] == "0000000000000000"
        assert os.readlink("/proc/%d/root" % signer) == ftpenv.empty


def test_signer_sockets_reach_no_session_process(ftpd, certs):
    """The control socket: the listener and the signer only.  A session's
    end: its helper before login only, and not after the TLS handshake;
    never the pre-login, TLS or post-login process."""
    s = tls_server(ftpd, certs)
    signer = the_signer(s)
    logged_in = tls_login(s)                                  # TLS, logged in
    assert retr(logged_in, "hello.txt") == b"hello\n"
    from test_ftps import auth_tls
    tls_pre = auth_tls(s.connect())                            # TLS, before login
    assert tls_pre.cmd("NOOP").code == 200
    plain = plain_connection(s)                                # no TLS yet
    helpers = wait_until(lambda: len(s.helpers()) == 3 and s.helpers(), 10)
    assert helpers, proc_descendants(s.pid)

    def held():
        peers = unix_peers()
        ends = {peers[i] for i in socket_inodes(signer) if i in peers}
        others = [p for p in proc_descendants(s.pid) + [s.pid] if p != signer]
        return {p: socket_inodes(p) & ends for p in others}
    # finished handshakes' sockets are closed by the signer when their
    # helpers close them: wait for the three sessions' state to settle
    def settled():
        h = held()
        holders = {p: i for p, i in h.items() if i}
        return holders if len(holders) == 2 else None
    holders = wait_until(settled, 10)
    assert holders, held()
    # the listener: the control socket; one helper: the plain session's end
    assert len(holders.pop(s.pid)) == 1
    [(helper, ends)] = holders.items()
    assert helper in helpers and len(ends) == 1
    # that helper is the plain session's: it starts TLS now and signs once
    # through the signer, after which it holds nothing
    auth_tls(plain)
    assert plain.cmd("NOOP").code == 200
    assert wait_until(lambda: not held().get(helper), 10), held()
    assert "did not answer" not in s.log()


def test_killed_signer_is_logged_and_replaced(ftpd, certs):
    s = tls_server(ftpd, certs)
    signer = the_signer(s)
    waiting = plain_connection(s)      # holds a socket to the signer about to die
    os.kill(signer, signal.SIGKILL)
    assert wait_until(lambda: "Signing process %d ended" % signer in s.log(), 10), s.log()
    # that session signs in a child instead, and says so
    from test_ftps import auth_tls
    auth_tls(waiting)
    assert waiting.cmd("NOOP").code == 200
    assert "did not answer; signing in a child" in s.log()
    # new connections: a new signer (at most one start a second), every
    # handshake succeeding meanwhile
    for _ in range(20):
        f = tls_login(s)
        assert retr(f, "hello.txt") == b"hello\n"
        f.quit()
        if len(s.signers()) == 2:
            break
        wait_until(lambda: False, 0.2)
    new = the_signer(s)
    assert new != signer and len(s.signers()) == 2, s.log()
    f = tls_login(s)
    assert retr(f, "hello.txt") == b"hello\n"


@pytest.mark.parametrize("mode", ["accept", "inetd"])
def test_per_connection_launch_has_no_signing_process(ftpd, certs, mode):
    s = tls_server(ftpd, certs, mode)
    f = tls_login(s)
    assert retr(f, "hello.txt") == b"hello\n"
    assert not s.signers(), s.log()
