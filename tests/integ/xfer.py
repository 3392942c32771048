"""Helpers of the transfer tests (test_retr_stor, test_resume, test_abor,
test_pasv_port, test_rates, test_listing, test_ascii, test_upload_rules,
test_locks): servers on ::1 or under strace, the curl and lftp command
lines, a raw PASV data connection, random files and their digests.
"""

import ftplib
import hashlib
import os
import re
import shutil
import socket
import subprocess
import time

import pytest

from conftest import DEMO_PASSWORD, HOST, IS_ROOT, Server, miniftpd_bin, run_cmd, wait_until


HOST6 = "::1"


SIZES = (0, 1, 4095, 1024 * 1024 + 7)
BIG = 64 * 1024 * 1024


DATA_VERBS = ("PASV", "EPSV", "PORT", "EPRT")
XFER_OPTS = {"log_ftp_protocol": "YES"}


def have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind((HOST6, 0))
        return True
    except OSError:
        return False


needs_ipv6 = pytest.mark.skipif(not have_ipv6_loopback(), reason="no IPv6 loopback")


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_random(path, size):
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 1 << 20)
            f.write(os.urandom(n))
            left -= n
    return path


def give_to_guest(env, path):
    if IS_ROOT:
        env.chown_guest(path) if os.path.isdir(path) else shutil.chown(path, "nobody")


class V6Server(Server):
    """A standalone server on [::1] (conftest's Server listens on 127.0.0.1)."""

    host = HOST6

    def argv(self):
        return ([miniftpd_bin(), self.config, "-olisten_ipv6=YES",
                 "-olisten_address6=" + HOST6, "-olisten_port=0"] +
                ["-o%s=%s" % kv for kv in self.opts.items()])

    def start(self, timeout=10.0):
        with open(self.errpath, "ab") as err:
            self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=err,
                                         stderr=err, cwd=self.env.dir)
        want = re.compile(r"Listening on ::1 port (\d+)")
        m = wait_until(lambda: want.search(self.log()) or self.proc.poll() is not None,
                       timeout)
        if not isinstance(m, re.Match):
            self._kill_main()
            raise AssertionError("IPv6 server did not start:\n" + self.log())
        self.port = int(m.group(1))
        return self


def traced_server(calls):
    """A Server class whose standalone server runs under strace -f, logging
    the system calls CALLS ("a,b") to the file named by its trace attribute."""
    class Traced(Server):
        trace = None

        def argv(self):
            return (["strace", "-f", "-qq", "-o", self.trace, "-e", "trace=" + calls] +
                    super().argv())
    return Traced


def start(env, cls=Server, **opts):
    s = cls(env, "standalone", opts)
    env.servers.append(s)
    return s.start()


def host_of(srv):
    return getattr(srv, "host", HOST)


def url(srv, path):
    h = host_of(srv)
    return "ftp://%s:%d/%s" % ("[%s]" % h if ":" in h else h, srv.port, path)


def login(srv, timeout=20):
    f = ftplib.FTP(timeout=timeout)
    f.connect(host_of(srv), srv.port)
    srv.ctls.append(f)
    f.login("demo", DEMO_PASSWORD)
    return f


CURL_MODE = {
    "PASV": ["--disable-epsv"],
    "EPSV": ["--ftp-pasv"],
    "PORT": ["-P", "-", "--disable-eprt"],
    "EPRT": ["-P", "-"],
}


def curl(srv, mode, *args):
    argv = ["curl", "-sS", "-g", "--max-time", "60", "-u", "demo:" + DEMO_PASSWORD]
    r = run_cmd(argv + CURL_MODE[mode] + list(args), timeout=90)
    assert r.returncode == 0, (args, r.stderr)
    return r


LFTP_MODE = {
    "PASV": "set ftp:passive-mode on; set ftp:prefer-epsv no",
    "EPSV": "set ftp:passive-mode on; set ftp:prefer-epsv yes",
    "PORT": "set ftp:passive-mode off",
    "EPRT": "set ftp:passive-mode off",
}


def lftp(srv, mode, script, timeout=120):
    h = host_of(srv)
    pre = ("set cmd:fail-exit yes; set net:max-retries 1; set net:timeout 20; "
           "set net:reconnect-interval-base 1; set ftp:ssl-allow no; set xfer:clobber on; "
           "%s; open -u demo,%s -p %d %s; " % (LFTP_MODE[mode], DEMO_PASSWORD, srv.port,
                                               "[%s]" % h if ":" in h else h))
    r = run_cmd(["lftp", "-c", pre + script], timeout=timeout)
    assert r.returncode == 0, (script, r.stdout, r.stderr)
    return r


def sources(env, sizes):
    d = os.path.join(env.dir, "src")
    os.makedirs(d, exist_ok=True)
    return [write_random(os.path.join(d, "f%d" % n), n) for n in sizes]


def pasv_addr(c):
    """PASV on control connection C; RETURNS the (host, port) it names."""
    r = c.cmd("PASV")
    assert r.code == 227, r
    n = [int(x) for x in re.search(r"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", r.text).groups()]
    return "%d.%d.%d.%d" % tuple(n[:4]), n[4] * 256 + n[5]


def pasv_data(c):
    return socket.create_connection(pasv_addr(c), timeout=10)


def recv_all(sock):
    """Everything SOCK sends until it closes."""
    got = b""
    while True:
        b = sock.recv(65536)
        if not b:
            return got
        got += b


def big_file(env, name="big", size=BIG // 2):
    p = os.path.join(env.root, name)
    with open(p, "wb") as f:
        f.truncate(size)
    give_to_guest(env, p)
    return p


def raw_transfer(c, cmd, payload=None):
    data = pasv_data(c)
    r = c.cmd(cmd)
    assert r.code == 150, r
    got = b""
    if payload is not None:
        data.sendall(payload)
    else:
        got = recv_all(data)
    data.close()
    assert c.reply().code == 226
    return r, got


def read_code(c, timeout=5):
    return c.reply(timeout=timeout).code


def full_listener():
    """A loopback listener whose accept queue is full: a connect to it
    waits for the SYN retries. RETURNS (listener, port, sockets to close)."""
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen(0)
    p = listener.getsockname()[1]
    fill = []
    for _ in range(3):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect((HOST, p))
        except BlockingIOError:
            pass
        fill.append(s)
    time.sleep(0.2)
    return listener, p, fill
