"""Issue 3: data connections and transfers, with real clients, byte-exact.

Round trips (sha256) for several sizes through ftplib, curl and lftp in
PASV, EPSV, PORT and EPRT over 127.0.0.1 and ::1 (the server log, with
log_ftp_protocol, proves which verb each client used); resume with
curl -C -, lftp get -c / put -c, REST and APPE after a killed upload;
lftp mirror -R and back; ABOR in every client style; bounce and passive
theft refused; accept, connect and data timeouts; rate limits; listings;
ASCII; STOU; MFMT; xferlog; write errors.  Loopback only; every wait is
bounded; every process started here is stopped by its PID.
"""

import calendar
import ftplib
import hashlib
import io
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from conftest import (DEMO_PASSWORD, HOST, IS_ROOT, Server, miniftpd_bin, needs_root,
                      run_cmd, wait_until)

HOST6 = "::1"
SIZES = (0, 1, 4095, 1024 * 1024 + 7)
BIG = 64 * 1024 * 1024
V4_MODES = ("PASV", "EPSV", "PORT", "EPRT")
V6_MODES = ("EPSV", "EPRT")
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


# ---------------------------------------------------------------- servers

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


class LimitedServer(Server):
    """A standalone server started with RLIMIT_FSIZE (write errors)."""

    fsize = None

    def start(self, timeout=10.0):
        def limit():
            resource.setrlimit(resource.RLIMIT_FSIZE, (self.fsize, self.fsize))
        with open(self.errpath, "ab") as err:
            self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=err,
                                         stderr=err, cwd=self.env.dir, preexec_fn=limit)
        want = re.compile(r"Listening on 127\.0\.0\.1 port (\d+)")
        m = wait_until(lambda: want.search(self.log()) or self.proc.poll() is not None,
                       timeout)
        if not isinstance(m, re.Match):
            self._kill_main()
            raise AssertionError("server did not start:\n" + self.log())
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


class LogMark:
    """What the server logged after a point: which data verbs were used."""

    def __init__(self, srv):
        self.srv = srv
        self.pos = len(srv.log())

    def verbs(self):
        new = self.srv.log()[self.pos:]
        return {v for v in DATA_VERBS if 'FTP command: "%s' % v in new}


# ---------------------------------------------------------------- clients

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


def curl_roundtrip(srv, mode, src, remote, dst):
    curl(srv, mode, "-T", src, url(srv, remote))
    curl(srv, mode, "-o", dst, url(srv, remote))


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


def lftp_roundtrip(srv, mode, src, remote, dst):
    lftp(srv, mode, "put %s -o %s; get %s -o %s" % (src, remote, remote, dst))


ROUNDTRIP = {"ftplib": ftplib_roundtrip, "curl": curl_roundtrip, "lftp": lftp_roundtrip}


def sources(env, sizes):
    d = os.path.join(env.dir, "src")
    os.makedirs(d, exist_ok=True)
    return [write_random(os.path.join(d, "f%d" % n), n) for n in sizes]


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


# ---------------------------------------------------------------- resume

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


# ---------------------------------------------------------------- ABOR and STAT

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


def test_abor_ftplib_urgent(ftpenv):
    srv = start(ftpenv)
    big_file(ftpenv)
    f = login(srv)
    conn = f.transfercmd("RETR big")
    assert len(conn.recv(65536)) > 0
    resp = f.abort()                    # "ABOR" sent with MSG_OOB
    conn.close()
    assert resp.startswith("426"), resp
    assert f.getresp().startswith("226")
    assert f.pwd() == "/"
    assert f.size("big") == BIG // 2


@pytest.mark.parametrize("style", ["plain", "telnet"])
def test_abor_raw(ftpenv, style):
    srv = start(ftpenv)
    big_file(ftpenv)
    c = srv.login()
    data = pasv_data(c)
    assert c.cmd("RETR big").code == 150
    assert len(data.recv(65536)) > 0
    if style == "telnet":                # Telnet IP, then Synch: IAC as urgent data, DM
        c.send(b"\xff\xf4\xff")
        c.sock.send(b"\xf2", socket.MSG_OOB)
        c.send(b"ABOR\r\n")
    else:
        c.send(b"ABOR\r\n")
    assert c.reply().code == 426
    assert c.reply().code == 226
    data.close()
    assert c.cmd("NOOP").code == 200
    assert c.cmd("ABOR").code == 225    # nothing left to abort


@pytest.mark.parametrize("verb", ["RETR hello.txt", "LIST", "STOR aborted.bin"])
def test_abor_while_waiting_for_the_data_connection(ftpenv, verb):
    """ABOR before the client opens the data connection ends the wait at once
    (426 for the command, 226 for ABOR), not when accept_timeout runs out."""
    srv = start(ftpenv, accept_timeout=120)
    c = srv.login()
    assert c.cmd("PASV").code == 227     # and no connection is ever made
    c.send((verb + "\r\n").encode())
    time.sleep(0.2)                      # the server is in its wait now
    c.send(b"ABOR\r\n")
    assert c.reply(timeout=5).code == 426
    assert c.reply(timeout=5).code == 226
    assert c.cmd("NOOP").code == 200


def test_command_while_waiting_for_the_data_connection_is_held(ftpenv):
    srv = start(ftpenv)
    c = srv.login()
    addr = pasv_addr(c)
    c.send(b"RETR hello.txt\r\n")
    time.sleep(0.2)
    c.send(b"PWD\r\n")                  # answered after the transfer
    data = socket.create_connection(addr, timeout=10)
    assert c.reply().code == 150
    got = recv_all(data)
    data.close()
    with open(os.path.join(ftpenv.root, "hello.txt"), "rb") as f:
        assert got == f.read()
    assert c.reply().code == 226
    assert c.reply().code == 257


def test_stat_during_transfer_and_held_commands(ftpenv):
    srv = start(ftpenv)
    big_file(ftpenv, size=8 * 1024 * 1024)
    c = srv.login()
    data = pasv_data(c)
    assert c.cmd("RETR big").code == 150
    data.recv(65536)
    r = c.cmd("STAT")
    assert r.code == 213 and "bytes sent" in r.text, r
    c.send(b"PWD\r\n")                  # answered after the transfer
    total = 65536
    while True:
        b = data.recv(1 << 20)
        if not b:
            break
        total += len(b)
    assert c.reply().code == 226
    assert c.reply().code == 257
    assert total >= 8 * 1024 * 1024 - 65536


# ---------------------------------------------------------------- bounce and theft

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


# ---------------------------------------------------------------- timeouts

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
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen(0)
    p = listener.getsockname()[1]
    fill = []
    for _ in range(3):                  # a full accept queue: later SYNs are dropped
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect((HOST, p))
        except BlockingIOError:
            pass
        fill.append(s)
    time.sleep(0.2)
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


# ---------------------------------------------------------------- rate limits

def test_rate_limit_both_directions(ftpenv):
    rate, size = 1000000, 2000000
    srv = start(ftpenv, local_max_rate=str(rate))
    src, = sources(ftpenv, (size,))
    f = login(srv)
    t0 = time.monotonic()
    with open(src, "rb") as fp:
        f.storbinary("STOR rated", fp)
    up = time.monotonic() - t0
    t0 = time.monotonic()
    out = io.BytesIO()
    f.retrbinary("RETR rated", out.write)
    down = time.monotonic() - t0
    want = size / rate
    assert abs(up - want) <= 0.1 * want, up
    assert abs(down - want) <= 0.1 * want, down
    assert hashlib.sha256(out.getvalue()).hexdigest() == sha(src)


def test_direction_rate_overrides(ftpenv):
    srv = start(ftpenv, local_max_rate="500000", download_max_rate="4000000")
    write_random(os.path.join(ftpenv.root, "r"), 2000000)
    give_to_guest(ftpenv, os.path.join(ftpenv.root, "r"))
    f = login(srv)
    t0 = time.monotonic()
    f.retrbinary("RETR r", lambda b: None)
    assert 0.4 < time.monotonic() - t0 < 0.8


# ---------------------------------------------------------------- listings

def listing(f, cmd):
    lines = []
    f.retrlines(cmd, lines.append)
    return lines


def test_list_nlst_paths_globs_options(ftpenv):
    srv = start(ftpenv)
    d = os.path.join(ftpenv.root, "sub dir")
    os.makedirs(os.path.join(d, "inner"))
    for n in ("a.txt", "b.txt", "c.bin", ".hidden"):
        with open(os.path.join(d, n), "w") as fp:
            fp.write(n)
    os.symlink("a.txt", os.path.join(d, "link"))
    give_to_guest(ftpenv, d)
    f = login(srv)
    lines = listing(f, "LIST sub dir")
    names = [ln.split(None, 8)[8] for ln in lines]
    assert names == ["a.txt", "b.txt", "c.bin", "inner", "link -> a.txt"]
    assert re.match(r"^-rw-r--r-- +1 \S+ +\S+ +5 [A-Z][a-z]{2} \d\d \d\d:\d\d a\.txt$",
                    lines[0]), lines[0]
    assert lines[3].startswith("d")
    assert lines[4].startswith("l")
    assert ".hidden" in [ln.split(None, 8)[8] for ln in listing(f, "LIST -la sub dir")]
    assert listing(f, "NLST sub dir") == ["a.txt", "b.txt", "c.bin", "inner", "link"]
    assert listing(f, "NLST sub dir/*.txt") == ["sub dir/a.txt", "sub dir/b.txt"]
    assert len(listing(f, "LIST sub dir/a.txt")) == 1
    f.cwd("sub dir")
    assert listing(f, "NLST *.bin") == ["c.bin"]
    assert listing(f, "NLST") == ["a.txt", "b.txt", "c.bin", "inner", "link"]
    with pytest.raises(ftplib.error_perm, match="550"):
        listing(f, "LIST /no/such")


def test_list_sorts_like_strcmp_and_formats_like_ls(ftpenv):
    # names sharing 8, 16 and 40 bytes, prefixes of one another, bytes
    # above 0x7f: the byte order of strcmp in every case
    d = os.path.join(ftpenv.root, "order").encode()
    os.mkdir(d)
    names = {"a", "ab", "abcdefgh", "abcdefg", "abcdefghi", "abcdefgh0", "B", "~", "_x",
             "\xe9t\xe9", "\xff", "z z", "-dash"}
    for i in range(40):
        names.add("common_prefix_%03d" % (i * 37 % 40))
        names.add("common_prefix_longer_than_sixteen_%s" % "xyz"[i % 3] * (i % 5 + 1))
        names.add("p%d" % i)
    for n in names:
        with open(os.path.join(d, n.encode("latin-1")), "wb") as fp:
            fp.write(b"x" * (len(n) * 1000003 % 100000))
    os.mkdir(os.path.join(d, b"dir"))
    os.symlink(b"common_prefix_000", os.path.join(d, b"link"))
    give_to_guest(ftpenv, d.decode())
    f = login(start(ftpenv))
    f.encoding = "latin-1"
    want = sorted(names | {"dir", "link"}, key=lambda n: n.encode("latin-1"))
    assert listing(f, "NLST order") == want
    lines = listing(f, "LIST order")
    assert [ln.split(None, 8)[8] for ln in lines] == \
        [n + (" -> common_prefix_000" if n == "link" else "") for n in want]
    for ln, n in zip(lines, want):
        st = os.lstat(os.path.join(d, n.encode("latin-1")))
        mode, links, _, _, size = ln.split()[:5]
        assert (int(links), int(size)) == (st.st_nlink, st.st_size), ln
        assert re.match(r"^[-dl][-rwx]{9} +\d+ \S+ +\S+ +\d+ [A-Z][a-z]{2} \d\d "
                        r"(\d\d:\d\d|  \d{4}) ", ln + " "), ln
    assert [ln.split(" ", 1)[1] for ln in listing(f, "MLSD order")] == want


def test_list_owner_names_and_hide_ids(ftpenv):
    with open(os.path.join(ftpenv.root, "x"), "w") as fp:
        fp.write("x")
    give_to_guest(ftpenv, os.path.join(ftpenv.root, "x"))
    owner = "nobody" if IS_ROOT else __import__("pwd").getpwuid(os.geteuid()).pw_name
    f = login(start(ftpenv))
    line = [ln for ln in listing(f, "LIST") if ln.endswith(" x")][0]
    assert line.split()[2] == owner
    f = login(start(ftpenv, hide_ids="YES"))
    line = [ln for ln in listing(f, "LIST") if ln.endswith(" x")][0]
    assert line.split()[2:4] == ["ftp", "ftp"]


def owner_of_x(srv):
    f = login(srv)
    line = [ln for ln in listing(f, "LIST") if ln.endswith(" x")][0]
    f.quit()
    return line.split()[2]


def test_names_cache_of_per_connection_processes(ftpenv):
    """Accept=yes: the first session writes names_cache_file, the next ones
    trust it only while it is fresh, matches /etc/passwd and /etc/group and
    nobody else may write it."""
    with open(os.path.join(ftpenv.root, "x"), "w") as fp:
        fp.write("x")
    give_to_guest(ftpenv, os.path.join(ftpenv.root, "x"))
    uid = os.stat(os.path.join(ftpenv.root, "x")).st_uid
    owner = __import__("pwd").getpwuid(uid).pw_name
    cache = os.path.join(ftpenv.dir, "names")
    srv = ftpenv.server("accept")
    assert owner_of_x(srv) == owner
    st = os.stat(cache)
    assert (st.st_uid, st.st_mode & 0o777) == (os.geteuid(), 0o644)
    with open(cache) as fp:
        text = fp.read()
    assert text.startswith("miniftpd-idnames 1\npasswd ")
    assert "\nu %d %s\n" % (uid, owner) in text
    assert not [n for n in os.listdir(ftpenv.dir) if n.startswith("names.")]

    def write(body, mode=0o644, age=0):
        with open(cache, "w") as fp:
            fp.write(body)
        os.chmod(cache, mode)
        t = time.time() - age
        os.utime(cache, (t, t))

    fake = text.replace("\nu %d %s\n" % (uid, owner), "\nu %d cachedname\n" % uid)
    write(fake)
    assert owner_of_x(srv) == "cachedname"          # read, not enumerated
    write(fake, mode=0o664)
    assert owner_of_x(srv) == owner                 # others may write it: ignored
    assert os.stat(cache).st_mode & 0o777 == 0o644  # and replaced
    write(fake, age=120)
    assert owner_of_x(srv) == owner                 # over a minute old
    write(re.sub(r"\npasswd \d+", "\npasswd 1", fake))
    assert owner_of_x(srv) == owner                 # /etc/passwd changed since
    write(fake.replace("\nu 0 ", "\nu 0 a b "))
    assert owner_of_x(srv) == owner                 # malformed
    write(fake)
    assert owner_of_x(srv) == "cachedname"
    srv2 = ftpenv.server("accept", names_cache_file="")
    assert owner_of_x(srv2) == owner                # no cache: enumerated


def test_list_old_file_shows_year_and_localtime_option(ftpenv):
    p = os.path.join(ftpenv.root, "old")
    open(p, "w").close()
    os.utime(p, (946684800, 946684800))           # 2000-01-01 00:00 UTC
    f = login(start(ftpenv))
    line = [ln for ln in listing(f, "LIST") if ln.endswith(" old")][0]
    assert " Jan 01  2000 old" in line
    assert f.sendcmd("MDTM old") == "213 20000101000000"


def test_mlsd_mlst_stat_path(ftpenv):
    srv = start(ftpenv)
    f = login(srv)
    facts = {}
    for ln in listing(f, "MLSD"):
        fact, _, name = ln.partition(" ")
        facts[name] = dict(kv.split("=", 1) for kv in fact.rstrip(";").split(";"))
    assert facts["hello.txt"]["type"] == "file"
    assert facts["hello.txt"]["size"] == "6"
    assert facts["pub"]["type"] == "dir"
    assert re.match(r"^\d{14}$", facts["hello.txt"]["modify"])
    assert "r" in facts["hello.txt"]["perm"] and "w" in facts["hello.txt"]["perm"]
    assert facts["hello.txt"]["UNIX.mode"] == "0644"
    r = f.sendcmd("MLST hello.txt")
    lines = r.splitlines()
    assert lines[0].startswith("250-") and lines[-1].startswith("250 ")
    assert lines[1].startswith(" type=file;size=6;") and lines[1].endswith(" /hello.txt")
    r = f.sendcmd("STAT /")
    assert r.startswith("213-") and "hello.txt" in r and "pub" in r
    feat = f.sendcmd("FEAT")
    for line in ("EPSV", "EPRT", "REST STREAM", "MFMT", "TVFS",
                 "MLST type*;size*;modify*;perm*;unique*;UNIX.mode;"):
        assert "\n " + line + "\r" in feat or "\n " + line + "\n" in feat, line


def test_large_directory_lists_quickly(ftpenv):
    d = os.path.join(ftpenv.root, "many")
    os.mkdir(d)
    for i in range(10000):
        os.close(os.open(os.path.join(d, "file-%05d" % i), os.O_CREAT | os.O_WRONLY, 0o644))
    f = login(start(ftpenv))
    t0 = time.monotonic()
    lines = listing(f, "LIST many")
    assert len(lines) == 10000
    assert time.monotonic() - t0 < 3
    assert len(listing(f, "MLSD many")) == 10000


# ---------------------------------------------------------------- ASCII, STOU, MFMT

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


def test_mfmt(ftpenv):
    f = login(start(ftpenv))
    assert f.sendcmd("MFMT 20210304050607 hello.txt") == \
        "213 Modify=20210304050607; hello.txt"
    assert f.sendcmd("MDTM hello.txt") == "213 20210304050607"
    assert os.stat(os.path.join(ftpenv.root, "hello.txt")).st_mtime == \
        calendar.timegm((2021, 3, 4, 5, 6, 7))
    for bad in ("MFMT 20211304050607 hello.txt", "MFMT 2021 hello.txt", "MFMT hello.txt"):
        with pytest.raises(ftplib.error_perm, match="501"):
            f.sendcmd(bad)
    with pytest.raises(ftplib.error_perm, match="550"):
        f.sendcmd("MFMT 20210304050607 missing")


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


# ---------------------------------------------------------------- logs and errors

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


def test_opts_mlst_selects_facts(ftpenv):
    f = login(start(ftpenv))
    assert f.sendcmd("OPTS MLST Type;size;UNIX.owner;") == "200 MLST OPTS type;size;"
    line = [ln for ln in listing(f, "MLSD") if ln.endswith(" hello.txt")][0]
    assert line == "type=file;size=6; hello.txt"
    assert f.sendcmd("MLST hello.txt").splitlines()[1] == " type=file;size=6; /hello.txt"
    assert f.sendcmd("OPTS MLST") == "200 MLST OPTS "
    assert [ln for ln in listing(f, "MLSD") if ln.endswith(" hello.txt")] == [" hello.txt"]


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


# ---------------------------------------------------------------- issue 19

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


def read_code(c, timeout=5):
    return c.reply(timeout=timeout).code


@pytest.mark.parametrize("verb", ["RETR hello.txt", "LIST", "STOR piped.bin"])
@pytest.mark.parametrize("held", [[], ["NOOP"], ["PWD", "SYST", "NOOP"]])
def test_pipelined_abor_while_waiting_for_the_data_connection(ftpenv, verb, held):
    """PASV, the transfer command, maybe other commands, then ABOR, all in
    one write and no data connection ever: ABOR ends the wait at once (426
    then 226), not when accept_timeout (60 s) runs out; the commands sent
    before ABOR are answered after it, in order."""
    srv = start(ftpenv, accept_timeout="60")
    c = srv.login()
    t0 = time.monotonic()
    c.send("".join(x + "\r\n" for x in ["PASV", verb] + held + ["ABOR"]))
    assert read_code(c) == 227
    assert read_code(c) == 426
    assert read_code(c) == 226
    want = {"NOOP": 200, "PWD": 257, "SYST": 215}
    assert [read_code(c) for _ in held] == [want[h] for h in held]
    assert time.monotonic() - t0 < 5
    assert c.cmd("NOOP").code == 200


def test_abor_after_a_held_command_during_a_transfer(ftpenv):
    """During a transfer, a command is held for after it; an ABOR behind it
    still ends the transfer at once."""
    srv = start(ftpenv)
    big_file(ftpenv)
    c = srv.login()
    data = pasv_data(c)
    assert c.cmd("RETR big").code == 150
    assert len(data.recv(65536)) > 0
    c.send(b"PWD\r\nABOR\r\n")          # nobody reads the data connection any more
    assert read_code(c) == 426
    assert read_code(c) == 226
    assert read_code(c) == 257
    data.close()
    assert c.cmd("NOOP").code == 200


def helper_and_service(srv, before):
    """The helper (child of the standalone listener) and its service process
    of the session that started after BEFORE (the listener's children then)."""
    from conftest import proc_children
    helper = wait_until(lambda: set(proc_children(srv.pid)) - before, 5)
    assert len(helper) == 1, helper
    helper = helper.pop()
    service = wait_until(lambda: proc_children(helper), 5)
    assert len(service) == 1, service
    return helper, service[0]


@pytest.mark.parametrize("held", [False, True])
def test_helper_death_ends_the_wait_for_the_data_connection(ftpenv, held):
    from conftest import proc_alive, proc_children
    srv = start(ftpenv, accept_timeout="60")
    before = set(proc_children(srv.pid))
    c = srv.login()
    helper, service = helper_and_service(srv, before)
    c.send(b"PASV\r\nRETR hello.txt\r\n" + (b"NOOP\r\n" if held else b""))
    assert read_code(c) == 227
    time.sleep(0.3)                     # the service process waits in accept now
    t0 = time.monotonic()
    os.kill(helper, signal.SIGKILL)
    r = c.reply(timeout=5)
    assert r.lines == ["421 Service not available, closing control connection."]
    assert c.wait_closed(5) == b""
    assert time.monotonic() - t0 < 3
    assert wait_until(lambda: not proc_alive(service), 3)


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


@pytest.mark.parametrize("port20", [
    "NO", pytest.param("YES", marks=needs_root)])
def test_abor_while_connecting_to_the_client(ftpenv, port20):
    """Active mode, the client's port does not answer: ABOR ends the wait
    for the connection at once (426 then 226), also when the helper makes
    the connection from port 20 (connect_from_port_20), not when
    connect_timeout (60 s) runs out."""
    srv = start(ftpenv, connect_from_port_20=port20, connect_timeout="60")
    c = srv.login()
    listener, p, fill = full_listener()
    try:
        assert c.cmd("PORT 127,0,0,1,%d,%d" % (p >> 8, p & 255)).code == 200
        c.send(b"RETR hello.txt\r\nNOOP\r\n")
        time.sleep(0.5)                 # the server waits for the connection now
        t0 = time.monotonic()
        c.send(b"ABOR\r\n")
        assert read_code(c) == 426
        assert read_code(c) == 226
        assert read_code(c) == 200
        assert time.monotonic() - t0 < 3
        assert c.cmd("NOOP").code == 200
    finally:
        for s in fill:
            s.close()
        listener.close()
