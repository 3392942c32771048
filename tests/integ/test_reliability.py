"""Reliability under load and faults.

Load: ftpload (bench/ftpload.c) runs hundreds of concurrent sessions
through the standalone listener and through systemd-socket-activate
--accept, with limitd admitting; every transfer is byte-checked, and the
server's processes and descriptors are counted before and after.

Faults, each injected for real: clients that vanish (RST) or go silent,
SIGKILL to either session process, limitd killed and restarted, a full
disk (a small tmpfs, root only), RLIMIT_FSIZE, a listener out of file
descriptors, SIGTERM and SIGHUP to the listener and to limitd.

tests/README.md records every scenario, what it asserts and its last
result.  Every wait is bounded; only processes started here are
signalled, by PID; mounts, files and users are removed in teardown.
"""

import hashlib
import os
import re
import resource
import signal
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest

import conftest
from conftest import (DEMO_PASSWORD, HOST, IS_ROOT, proc_alive, proc_children, run_cmd,
                      wait_until)
from limitdkit import LIMITD, Limitd
from xfer import full_listener, pasv_addr

TOP = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BUILD", TOP / "build" / "rel"))
if not BUILD.is_absolute():
    BUILD = TOP / BUILD
FTPLOAD = BUILD / "ftpload"

LOAD_CLIENTS = int(os.environ.get("MINIFTPD_LOAD_CLIENTS", "500"))


def load_clients():
    """LOAD_CLIENTS, but a tenth of it for a SANITIZE=1 build.  There every
    process is dear: an ASan miniftpd's exec costs 25 times a release one's
    (68 against 2.9 ms of CPU on a 2-CPU VM with dear page tables), and as an
    ordinary user LeakSanitizer stops and scans every session process as it
    exits.  On such a machine 500 clients at once queue past ftpload's 30 s
    wait for the banner (3-6 sessions/s).  What is tested (all served, none
    refused, nothing left behind, under concurrency) is the same."""
    if conftest.sanitized():
        return max(LOAD_CLIENTS // 10, 1)
    return LOAD_CLIENTS


needs_limitd = pytest.mark.skipif(not LIMITD.exists(), reason="limitd not built")
needs_ftpload = pytest.mark.skipif(not FTPLOAD.exists(),
                                   reason="ftpload not built (make ftpload)")


# ---------------------------------------------------------------- helpers

def raise_nofile(need):
    """Raise our soft RLIMIT_NOFILE (inherited by what we start) to NEED;
    skip when the hard limit is lower."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip("RLIMIT_NOFILE hard limit %d < %d needed" % (hard, need))
    if soft != resource.RLIM_INFINITY and soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def start_limitd(env, **options):
    d = Path(env.dir) / ("limitd%d" % len(getattr(env, "limitds", [])))
    d.mkdir()
    os.chmod(d, 0o755)
    ld = Limitd(d, **options)
    env.limitds = getattr(env, "limitds", []) + [ld]
    return ld.start()


@pytest.fixture
def limitds(ftpenv):
    """Factory: limitds(**options) -> a started limitd; stopped at the end."""
    yield lambda **o: start_limitd(ftpenv, **o)
    for ld in getattr(ftpenv, "limitds", []):
        ld.stop(signal.SIGKILL)


def with_limitd(ld, **opts):
    opts.update(limitd_enable="YES", limitd_socket=str(ld.sock))
    return opts


def guest_dir(env, name):
    """A directory under the demo root the session user may write."""
    d = os.path.join(env.root, name)
    os.mkdir(d)
    os.chmod(d, 0o777)
    if IS_ROOT:
        env.chown_guest(d)
    return d


def parse_kv(line):
    return dict(re.findall(r'(\w+)=("[^"]*"|\S+)', line))


def ftpload(port, *args, timeout=150):
    cmd = [str(FTPLOAD), "-h", HOST, "-p", str(port), "-u", "demo", "-w", DEMO_PASSWORD]
    r = run_cmd(cmd + [str(a) for a in args], timeout=timeout)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("mode=")]
    return r, parse_kv(lines[-1]) if lines else {}


def pattern(n, seed=0):
    """N deterministic bytes (sha256 counter blocks)."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(b"%d:%d" % (seed, i)).digest()
        i += 1
    return bytes(out[:n])


def pasv(c):
    """PASV on the raw control connection C; RETURNS a connected data socket."""
    r = c.cmd("PASV")
    assert r.code == 227, r
    nums = [int(x) for x in re.search(r"(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)", r.text).groups()]
    return socket.create_connection((HOST, nums[4] * 256 + nums[5]), timeout=10)


def rst_close(sock):
    """Close SOCK with a TCP RST (SO_LINGER 0), as a client that vanishes."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def new_session(srv, login=True):
    """Connect (and log in) one client; RETURNS (ctl, helper pid, service pid)."""
    before = set(proc_children(srv.pid))
    c = srv.connect()
    if login:
        r = c.login()
        assert r.code == 230, r
    helper = wait_until(lambda: set(proc_children(srv.pid)) - before, 5)
    assert len(helper) == 1, helper
    helper = helper.pop()
    service = wait_until(lambda: proc_children(helper), 5)
    assert len(service) == 1, service
    return c, helper, service[0]


def gone(*pids):
    return not any(proc_alive(p) for p in pids)


def recv_all(sock, limit=None):
    out = bytearray()
    while limit is None or len(out) < limit:
        chunk = sock.recv(65536 if limit is None else min(65536, limit - len(out)))
        if not chunk:
            break
        out += chunk
    return bytes(out)


def stor(c, verb, name, data, rest=None):
    """Upload DATA with VERB (STOR/APPE), after REST REST; RETURNS the final reply."""
    if rest is not None:
        r = c.cmd("REST %d" % rest)
        assert r.code == 350, r
    d = pasv(c)
    r = c.cmd("%s %s" % (verb, name))
    assert r.code == 150, r
    try:
        d.sendall(data)
    except OSError:
        pass            # the server gave up: its reply says why
    d.close()
    return c.reply(30)


def retr(c, name):
    d = pasv(c)
    r = c.cmd("RETR " + name)
    assert r.code == 150, r
    data = recv_all(d)
    d.close()
    r = c.reply(30)
    assert r.code == 226, r
    return data


def file_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def put_file(env, name, data):
    path = os.path.join(env.root, name)
    with open(path, "wb") as f:
        f.write(data)
    if IS_ROOT:
        env.chown_guest(env.root)
    return path


@pytest.fixture(autouse=True)
def server_logs(ftpenv):
    """After each test: a process killed by seccomp (SIGSYS) fails the test
    with its log line; MINIFTPD_SHOW_LOGS=1 prints every log (pytest -s)."""
    yield
    logs = [("miniftpd " + s.mode, s.log()) for s in ftpenv.servers]
    logs += [("limitd", ld.log()) for ld in getattr(ftpenv, "limitds", [])]
    for name, text in logs:
        if os.environ.get("MINIFTPD_SHOW_LOGS") == "1":
            print("==== %s log\n%s" % (name, text))
        bad = [ln for ln in text.splitlines()
               if "signal %d " % signal.SIGSYS in ln or "seccomp" in ln.lower()]
        assert not bad, "%s: a process was killed by its seccomp filter:\n%s" % (
            name, "\n".join(bad))


# ---------------------------------------------------------------- load

@needs_limitd
@needs_ftpload
@pytest.mark.parametrize("mode", ["standalone", "accept"])
def test_load_concurrent_sessions(ftpenv, limitds, mode):
    """LOAD_CLIENTS concurrent sessions (logins, listings, uploads,
    downloads), byte-checked; nothing refused, nothing left behind."""
    raise_nofile(LOAD_CLIENTS * 4 + 256)
    ld = limitds(max_clients=LOAD_CLIENTS * 4, max_per_ip=LOAD_CLIENTS * 4)
    size = 256 * 1024
    r = run_cmd([str(FTPLOAD), "--gen", os.path.join(ftpenv.root, "load.bin"),
                 "--size", str(size)])
    assert r.returncode == 0, r.stderr
    up = guest_dir(ftpenv, "up")
    srv = ftpenv.server(mode, **with_limitd(ld, idle_session_timeout=120))
    before = {"launcher fds": fd_count(srv.pid), "limitd fds": fd_count(ld.proc.pid),
              "sessions": len(srv.session_pids())}
    clients = load_clients()
    sessions = clients * (3 if mode == "standalone" else 2)
    t0 = time.monotonic()
    r, res = ftpload(srv.port, "-c", clients, "-n", sessions, "-t", 100, "-T", 30000,
                     "-d", "pub", "--retr", "load.bin", "--retr-size", size, "--retr-check",
                     "--stor", "up/f", "--size", 64 * 1024 + 7, "--verify", "--delete", "--mix")
    took = time.monotonic() - t0
    print("ftpload %s: %s (%.1f s)" % (mode, r.stdout.strip(), took))
    assert r.returncode == 0 and res.get("ok") == str(sessions), (r.stdout, r.stderr)
    assert res["fail"] == "0" and res["refused"] == "0"
    # nothing left: processes, descriptors, limitd slots, files
    assert wait_until(lambda: not srv.session_pids() and ld.sessions() == 0, 30)
    after = {"launcher fds": fd_count(srv.pid), "limitd fds": fd_count(ld.proc.pid),
             "sessions": len(srv.session_pids())}
    assert after == before
    assert ld.sessions() == 0
    assert os.listdir(up) == []


# ---------------------------------------------------------------- clients that vanish

FAST = {"data_connection_timeout": 2, "idle_session_timeout": 3}


def pasv_small(c):
    """PASV with a small receive buffer, so that a client that stops reading
    stalls the server soon."""
    r = c.cmd("PASV")
    assert r.code == 227, r
    nums = [int(x) for x in re.search(r"(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)", r.text).groups()]
    d = socket.socket()
    d.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    d.settimeout(10)
    d.connect((HOST, nums[4] * 256 + nums[5]))
    return d


def start_transfer(c, direction):
    """Begin a transfer of 32 MiB in DIRECTION; RETURNS the data socket."""
    assert c.cmd("TYPE I").code == 200
    if direction == "download":
        d = pasv_small(c)
        assert c.cmd("RETR big.bin").code == 150
        assert len(d.recv(4096)) > 0
    else:
        d = pasv(c)
        assert c.cmd("STOR up.bin").code == 150
        d.sendall(pattern(256 << 10))
    return d


@pytest.fixture
def big_file(ftpenv):
    put_file(ftpenv, "big.bin", pattern(32 << 20, 9))


@needs_limitd
@pytest.mark.parametrize("direction", ["download", "upload"])
def test_client_rst_mid_transfer(ftpenv, limitds, big_file, direction):
    ld = limitds()
    srv = ftpenv.server("standalone", **with_limitd(ld, **FAST))
    c, helper, service = new_session(srv)
    assert ld.sessions() == 1
    d = start_transfer(c, direction)
    t0 = time.monotonic()
    rst_close(d)
    rst_close(c.sock)
    assert wait_until(lambda: gone(helper, service), FAST["data_connection_timeout"])
    assert wait_until(lambda: ld.sessions() == 0, 3)
    print("session gone %.2f s after the RST" % (time.monotonic() - t0))


@needs_limitd
@pytest.mark.parametrize("direction", ["download", "upload"])
def test_client_silent_mid_transfer(ftpenv, limitds, big_file, direction):
    """The client stops reading or sending but keeps both connections open."""
    ld = limitds()
    srv = ftpenv.server("standalone", **with_limitd(ld, **FAST))
    c, helper, service = new_session(srv)
    d = start_transfer(c, direction)
    t0 = time.monotonic()
    r = c.reply(FAST["data_connection_timeout"] + 3)
    assert r.code == 426, r
    r = c.reply(FAST["idle_session_timeout"] + 2)
    assert r.lines == ["421 Timeout."]
    budget = FAST["data_connection_timeout"] + FAST["idle_session_timeout"] + 3
    assert wait_until(lambda: gone(helper, service), budget - (time.monotonic() - t0))
    assert wait_until(lambda: ld.sessions() == 0, 3)
    d.close()


@needs_limitd
@pytest.mark.parametrize("how", ["rst", "silent"])
def test_client_vanishes_mid_command(ftpenv, limitds, how):
    ld = limitds()
    srv = ftpenv.server("standalone", **with_limitd(ld, **FAST))
    c, helper, service = new_session(srv)
    c.send(b"RETR hel")          # half a command, no line end
    t0 = time.monotonic()
    if how == "rst":
        rst_close(c.sock)
        assert wait_until(lambda: gone(helper, service), 2)
    else:
        assert c.reply(FAST["idle_session_timeout"] + 2).lines == ["421 Timeout."]
        assert c.wait_closed(3) == b""
        assert wait_until(lambda: gone(helper, service),
                          FAST["idle_session_timeout"] + 3 - (time.monotonic() - t0))
    assert wait_until(lambda: ld.sessions() == 0, 3)


# ---------------------------------------------------------------- session processes killed

@needs_limitd
@pytest.mark.parametrize("resume", ["REST+STOR", "APPE"])
def test_sigkill_service_mid_upload(ftpenv, limitds, resume):
    ld = limitds()
    data = pattern(4 << 20, 7)
    path = os.path.join(ftpenv.root, "part.bin")
    srv = ftpenv.server("standalone", **with_limitd(ld, upload_max_rate=1 << 20))
    c, helper, service = new_session(srv)
    assert c.cmd("TYPE I").code == 200
    d = pasv(c)
    assert c.cmd("STOR part.bin").code == 150

    def send():
        try:
            d.sendall(data)
        except OSError:
            pass
    t = threading.Thread(target=send, daemon=True)
    t.start()
    assert wait_until(lambda: os.path.exists(path) and os.path.getsize(path) >= 512 << 10, 10)
    os.kill(service, signal.SIGKILL)
    assert wait_until(lambda: gone(helper, service), 5)
    assert wait_until(lambda: ld.sessions() == 0, 5)
    d.close()
    t.join(10)
    partial = file_bytes(path)
    n = len(partial)
    assert 0 < n < len(data) and partial == data[:n]
    c2 = srv.login()
    assert c2.cmd("TYPE I").code == 200
    if resume == "APPE":
        r = stor(c2, "APPE", "part.bin", data[n:])
    else:
        r = stor(c2, "STOR", "part.bin", data[n:], rest=n)
    assert r.code == 226, r
    assert file_bytes(path) == data
    assert retr(c2, "part.bin") == data


@needs_limitd
@pytest.mark.parametrize("when", ["idle", "transfer"])
def test_sigkill_helper(ftpenv, limitds, when):
    ld = limitds()
    data = pattern(4 << 20, 8)
    put_file(ftpenv, "slow.bin", data)
    srv = ftpenv.server("standalone", **with_limitd(ld, download_max_rate=256 << 10))
    c, helper, service = new_session(srv)
    d = None
    if when == "transfer":
        assert c.cmd("TYPE I").code == 200
        d = pasv(c)
        assert c.cmd("RETR slow.bin").code == 150
        assert len(d.recv(4096)) > 0
    t0 = time.monotonic()
    os.kill(helper, signal.SIGKILL)
    r = c.reply(3)
    assert r.lines == ["421 Service not available, closing control connection."]
    assert c.wait_closed(3) == b""
    if d is not None:
        got = recv_all(d)          # ends at once, far short of 16 s of data
        assert len(got) < len(data) - 4096
        d.close()
    assert time.monotonic() - t0 < 5
    assert wait_until(lambda: gone(helper, service), 3)
    assert wait_until(lambda: ld.sessions() == 0, 3)


# ---------------------------------------------------------------- limitd down

@needs_limitd
@needs_ftpload
def test_limitd_restart_under_load(ftpenv, limitds):
    raise_nofile(1024)
    ld = limitds(max_clients=1000, max_per_ip=1000)
    srv = ftpenv.server("standalone", **with_limitd(ld))
    held = [new_session(srv) for _ in range(30)]
    assert ld.sessions() == 30
    load = subprocess.Popen([str(FTPLOAD), "-h", HOST, "-p", str(srv.port), "-u", "demo",
                             "-w", DEMO_PASSWORD, "-c", "16", "-n", "100000", "-t", "8",
                             "-T", "10000", "-d", "pub"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2)
        ld.stop(signal.SIGKILL)
        time.sleep(2)
        ld.start()
        out, err = load.communicate(timeout=60)
    finally:
        if load.poll() is None:
            load.kill()
            load.wait(5)
    res = parse_kv(out)
    print(out.strip())
    assert load.returncode == 0, (out, err)
    assert int(res["ok"]) > 0 and res["fail"] == "0" and res["refused"] == "0"
    # every live session is counted again, and only those
    helpers = sorted(h for _, h, _ in held)
    assert wait_until(lambda: ld.sessions() == 30, 10)
    st = ld.status_json()
    assert st["totals"] == {"sessions": 30, "addresses": 1, "users": 1}, st["totals"]
    assert sorted(x["pid"] for x in st["sessions"]) == helpers
    for c, _, _ in held:                    # no live session was dropped
        assert c.cmd("NOOP").code == 200
    for c, _, _ in held:
        assert c.cmd("QUIT").code == 221
    assert wait_until(lambda: ld.sessions() == 0, 5)


@needs_limitd
def test_limitd_down_fail_closed(ftpenv, limitds):
    ld = limitds()
    srv = ftpenv.server("standalone", **with_limitd(ld, limitd_fail="closed"))
    held = [new_session(srv) for _ in range(3)]
    ld.stop(signal.SIGKILL)
    for _ in range(2):
        c = srv.connect(greet=False)
        assert c.reply().lines == ["421 Service not available, please try later."]
        assert c.wait_closed() == b""
    for c, _, _ in held:
        assert c.cmd("NOOP").code == 200
    ld.start()
    assert wait_until(lambda: ld.sessions() == 3, 10)
    extra = new_session(srv)
    assert ld.sessions() == 4
    for c, _, _ in held + [extra]:
        assert c.cmd("NOOP").code == 200


# ---------------------------------------------------------------- the disk

@pytest.fixture
def tmpfs(ftpenv):
    """A 2 MB tmpfs at demo root/disk (root only); unmounted at the end."""
    if not IS_ROOT:
        pytest.skip("needs root to mount a tmpfs")
    disk = os.path.join(ftpenv.root, "disk")
    os.mkdir(disk)
    r = run_cmd(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0777", "tmpfs", disk])
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs: " + r.stderr.strip())
    problems = []
    try:
        yield disk
    finally:
        for s in ftpenv.servers:          # nothing may keep the mount busy
            try:
                s.stop()
            except Exception as e:          # a sanitizer report: still unmount
                problems.append(e)
        run_cmd(["umount", disk])
        if os.path.ismount(disk):
            run_cmd(["umount", "-l", disk])
    assert not os.path.ismount(disk), "tmpfs still mounted at " + disk
    if problems:
        raise problems[0]


def test_disk_full(ftpenv, tmpfs):
    srv = ftpenv.server("standalone")
    c = srv.login()
    assert c.cmd("TYPE I").code == 200
    first = pattern(512 << 10, 1)
    assert stor(c, "STOR", "disk/first.bin", first).code == 226
    big = pattern(3 << 20, 2)
    r = stor(c, "STOR", "disk/big.bin", big)
    assert r.code == 452, r
    # the session goes on; the earlier file is intact
    assert c.cmd("NOOP").code == 200
    assert retr(c, "disk/first.bin") == first
    assert file_bytes(os.path.join(tmpfs, "first.bin")) == first
    partial = file_bytes(os.path.join(tmpfs, "big.bin"))
    n = len(partial)
    assert 0 < n < len(big) and partial == big[:n]
    # space returns: the partial file is resumed byte-exact
    r = run_cmd(["mount", "-o", "remount,size=8m", tmpfs])
    assert r.returncode == 0, r.stderr
    assert stor(c, "STOR", "disk/big.bin", big[n:], rest=n).code == 226
    assert file_bytes(os.path.join(tmpfs, "big.bin")) == big
    assert retr(c, "disk/big.bin") == big


class PrefixedServer(conftest.Server):
    """A Server whose command line begins with PREFIX (e.g. prlimit ... --)."""

    def __init__(self, env, mode, opts, prefix):
        super().__init__(env, mode, opts)
        self.prefix = prefix

    def argv(self):
        return self.prefix + super().argv()


def prefixed_server(env, prefix, mode="standalone", **opts):
    s = PrefixedServer(env, mode, opts, prefix)
    env.servers.append(s)
    return s.start()


@pytest.mark.skipif(not os.access("/usr/bin/prlimit", os.X_OK), reason="prlimit missing")
def test_file_size_limit(ftpenv):
    limit = 1 << 20
    srv = prefixed_server(ftpenv, ["/usr/bin/prlimit", "--fsize=%d" % limit, "--"])
    c = srv.login()
    assert c.cmd("TYPE I").code == 200
    small = pattern(256 << 10, 3)
    assert stor(c, "STOR", "small.bin", small).code == 226
    big = pattern(3 << 20, 4)
    r = stor(c, "STOR", "big.bin", big)
    assert r.lines == ["552 File too large."], r
    assert c.cmd("NOOP").code == 200
    assert retr(c, "small.bin") == small
    path = os.path.join(ftpenv.root, "big.bin")
    assert file_bytes(path) == big[:limit]
    # a server without the limit completes it
    srv.stop()
    c2 = ftpenv.server("standalone").login()
    assert c2.cmd("TYPE I").code == 200
    assert stor(c2, "APPE", "big.bin", big[limit:]).code == 226
    assert file_bytes(path) == big


# ---------------------------------------------------------------- the listener

def refused_within(port, timeout):
    """True once a connection to PORT is refused, within TIMEOUT seconds.
    A reset during connect counts too: a connection the kernel completed
    into the accept queue just before the listener closed its socket is
    reset by that close, before anyone accepted it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
        except (ConnectionRefusedError, ConnectionResetError):
            return True
        time.sleep(0.05)
    return False


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


@pytest.mark.skipif(not os.access("/usr/bin/prlimit", os.X_OK), reason="prlimit missing")
def test_listener_out_of_fds(ftpenv):
    """Started with a low RLIMIT_NOFILE, then squeezed to none spare while
    it runs (its own descriptors do not grow with sessions)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    hard = 4096 if hard == resource.RLIM_INFINITY else hard
    srv = prefixed_server(ftpenv, ["/usr/bin/prlimit", "--nofile=32:%d" % hard, "--"])
    pid = srv.pid
    soft = resource.prlimit(pid, resource.RLIMIT_NOFILE)[0]
    assert soft == 32
    held = [srv.login() for _ in range(40)]
    n = fd_count(pid)
    # exactly full: the spare descriptor takes each connection and refuses it
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (n, hard))
    for _ in range(3):
        c = srv.connect(greet=False)
        assert c.reply(5).lines == ["421 Service not available, please try later."]
        assert c.wait_closed(5) == b""
    # over full (not even the spare): clients wait in the queue, no spinning
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (n - 1, hard))
    ticks = cpu_ticks(pid)
    waiting = srv.connect(greet=False)
    with pytest.raises(TimeoutError):
        waiting.reply(2)
    assert proc_alive(pid)
    assert cpu_ticks(pid) - ticks < 50
    # descriptors free up: the waiting client and new ones are served
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
    assert waiting.reply(5).code == 220
    assert waiting.login().code == 230
    assert srv.login().cmd("NOOP").code == 200
    for c in held:
        assert c.cmd("NOOP").code == 200
    assert "Too many open files" in srv.log()


def test_sigterm_listener_lets_transfers_finish(ftpenv):
    down = pattern(2 << 20, 5)
    up = pattern(2 << 20, 6)
    put_file(ftpenv, "down.bin", down)
    srv = ftpenv.server("standalone", local_max_rate=1 << 20)
    idle, *idle_pids = new_session(srv)
    dl, *dl_pids = new_session(srv)
    ul, *ul_pids = new_session(srv)
    got = {}
    assert dl.cmd("TYPE I").code == 200 and ul.cmd("TYPE I").code == 200
    d1, d2 = pasv(dl), pasv(ul)
    assert dl.cmd("RETR down.bin").code == 150
    assert ul.cmd("STOR up.bin").code == 150

    def reader():
        got["down"] = recv_all(d1)

    def writer():
        d2.sendall(up)
        d2.close()
    threads = [threading.Thread(target=f, daemon=True) for f in (reader, writer)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    srv.proc.send_signal(signal.SIGTERM)
    assert refused_within(srv.port, 2)     # no new connections, at once
    # an idle session is told and closed
    assert idle.wait_closed(3).decode() == "421 Server shutting down.\r\n"
    # the transfers finish, byte-exact, then the sessions end
    for t in threads:
        t.join(15)
    assert got["down"] == down
    assert dl.reply(10).code == 226
    assert ul.reply(10).code == 226
    assert file_bytes(os.path.join(ftpenv.root, "up.bin")) == up
    for c in (dl, ul):
        assert c.reply(5).lines == ["421 Server shutting down."]
        assert c.wait_closed(5) == b""
    assert srv.proc.wait(10) == 0
    assert gone(*idle_pids, *dl_pids, *ul_pids)
    assert "Terminating on signal" in srv.log()


def slow_download(ftpenv, mode, seed):
    """A session of a new server in MODE downloading 4 MiB at 512 KiB/s
    (shutdown_timeout=1), 0.3 s in.  RETURNS (server, ctl, its pids, the
    file's bytes, a dict that gets "data", the reading thread)."""
    data = pattern(4 << 20, seed)
    put_file(ftpenv, "slow.bin", data)
    srv = ftpenv.server(mode, download_max_rate=512 << 10, shutdown_timeout=1)
    c, *pids = new_session(srv)
    assert c.cmd("TYPE I").code == 200
    d = pasv(c)
    assert c.cmd("RETR slow.bin").code == 150
    got = {}
    t = threading.Thread(target=lambda: got.setdefault("data", recv_all(d)), daemon=True)
    t.start()
    time.sleep(0.3)
    return srv, c, pids, data, got, t


def assert_aborted_prefix(srv, data, got):
    """The client holds a prefix of DATA, the log says the download is incomplete."""
    assert 0 < len(got["data"]) < len(data)
    assert got["data"] == data[:len(got["data"])]
    assert re.search(r'Download "[^"]*slow.bin" \d+ bytes, incomplete: server shutting down', srv.log())


def test_sigterm_listener_grace_period(ftpenv):
    srv, c, pids, data, got, t = slow_download(ftpenv, "standalone", 10)
    t0 = time.monotonic()
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(10) == 0
    assert time.monotonic() - t0 < 4       # 1 s grace, not the 8 s the transfer needs
    t.join(5)
    # the session aborted the transfer itself: the client is told, holds a
    # prefix, the log says incomplete; the listener had nothing to kill
    assert_aborted_prefix(srv, data, got)
    assert c.reply(5).lines == ["426 Server shutting down; transfer aborted."]
    assert c.reply(5).lines == ["421 Server shutting down."]
    assert gone(*pids)
    assert "killing them" not in srv.log()


@pytest.mark.parametrize("mode", ["accept", "inetd"])
def test_sigterm_session_grace_period(ftpenv, mode):
    """systemctl stop of one ftp@.service: SIGTERM to the session's processes
    (KillMode=control-group).  The transfer goes on for shutdown_timeout,
    then is aborted with 426 and logged incomplete, and the session ends
    by itself, well before systemd's TimeoutStopSec would kill it."""
    srv, c, (helper, service), data, got, t = slow_download(ftpenv, mode, 11)
    t0 = time.monotonic()
    for pid in (helper, service):
        os.kill(pid, signal.SIGTERM)
    assert c.reply(6).lines == ["426 Server shutting down; transfer aborted."]
    assert c.reply(5).lines == ["421 Server shutting down."]
    assert c.wait_closed(5) == b""
    assert 0.8 < time.monotonic() - t0 < 4
    t.join(5)
    assert wait_until(lambda: gone(helper, service), 5)
    assert_aborted_prefix(srv, data, got)


@pytest.mark.parametrize("wait", ["accept", "connect", "listing"])
def test_sigterm_ends_a_wait_after_shutdown_timeout(ftpenv, wait):
    """systemctl stop of a session waiting for its data connection (PASV
    nobody connects to, PORT to a port that never answers) or in a listing
    its client stopped reading: the wait ends after shutdown_timeout, as a
    transfer's does (425 or 426, then 421), not after accept_timeout,
    connect_timeout or data_connection_timeout (60 s here)."""
    many = os.path.join(ftpenv.root, "many")
    os.mkdir(many)
    for i in range(20000):
        name = "%05d-%s" % (i, "x" * 200)
        os.close(os.open(os.path.join(many, name), os.O_CREAT | os.O_WRONLY, 0o644))
    srv = ftpenv.server("accept", shutdown_timeout=1, accept_timeout=60,
                        connect_timeout=60, data_connection_timeout=60)
    c, helper, service = new_session(srv)
    held = []
    if wait == "accept":
        assert c.cmd("PASV").code == 227
        c.send(b"RETR hello.txt\r\n")
        want = [425, 421]
    elif wait == "connect":
        listener, port, held = full_listener()
        held.append(listener)
        assert c.cmd("PORT 127,0,0,1,%d,%d" % (port >> 8, port & 255)).code == 200
        c.send(b"RETR hello.txt\r\n")
        want = [425, 421]
    else:
        d = socket.socket()
        d.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        d.settimeout(10)
        d.connect(pasv_addr(c))
        held = [d]
        assert c.cmd("LIST many").code == 150
        assert len(d.recv(4096)) > 0    # and nothing more is read
        want = [426, 421]
    time.sleep(0.5)                      # the session waits now
    t0 = time.monotonic()
    for pid in (helper, service):
        os.kill(pid, signal.SIGTERM)
    assert [c.reply(10).code for _ in want] == want
    assert 0.8 < time.monotonic() - t0 < 4
    assert c.wait_closed(5) == b""
    assert wait_until(lambda: gone(helper, service), 5)
    for h in held:
        h.close()


@pytest.mark.parametrize("mode", ["standalone", "listenfd"])
def test_sighup_listener_reloads(ftpenv, mode):
    conf = os.path.join(ftpenv.dir, "hup.conf")
    ftpenv.write_config({"ftpd_banner": "first banner"}, path=conf)
    srv = ftpenv.server(mode, config=conf)
    old = srv.connect(greet=False)
    assert old.reply().lines == ["220 first banner"]
    assert old.login().code == 230
    # a good file: new sessions use it, the old one goes on
    ftpenv.write_config({"ftpd_banner": "second banner"}, path=conf)
    srv.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: "Reloaded the configuration" in srv.log(), 5)
    assert srv.connect(greet=False).reply().lines == ["220 second banner"]
    assert old.cmd("NOOP").code == 200
    # a broken file: a log line names it, the old configuration stays
    broken = [("no_such_option", "1")]
    if IS_ROOT:
        broken.append(("nopriv_user", "no-such-user-miniftpd"))
    for i, (key, value) in enumerate(broken, 1):
        ftpenv.write_config({"ftpd_banner": "third banner", key: value}, path=conf)
        srv.proc.send_signal(signal.SIGHUP)
        assert wait_until(lambda: srv.log().count("Failed to reload the configuration") == i, 5)
        assert srv.connect(greet=False).reply().lines == ["220 second banner"]
    assert re.search(re.escape(conf) + r":\d+: .*no_such_option", srv.log())
    assert proc_alive(srv.pid)
    assert old.cmd("NOOP").code == 200


@needs_limitd
def test_sighup_limitd_reloads(ftpenv, limitds):
    ld = limitds(max_clients=2, max_per_ip=0)
    srv = ftpenv.server("standalone", **with_limitd(ld))
    a, b = srv.login(), srv.login()

    def refused():
        c = srv.connect(greet=False)
        return c.reply().lines == ["421 There are too many connected users, please try later."]
    assert refused()
    ld.write_conf(max_clients=3, max_per_ip=0)
    ld.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: "max_clients=3" in ld.log(), 5)
    c = srv.login()
    assert refused()
    # a broken file: the old limits stay
    ld.conf.write_text("limitd_socket=%s\nmax_clients=1\nnot an option line\n" % ld.sock)
    ld.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: "Failed to reload configuration" in ld.log(), 5)
    assert refused()
    assert a.cmd("QUIT").code == 221

    def admitted():                         # (limitd --status needs a valid file)
        x = srv.connect(greet=False)
        return x if x.reply().code == 220 else None
    d = wait_until(admitted, 5)             # max_clients is still 3, not 1
    assert d and d.login().code == 230
    for x in (b, c, d):
        assert x.cmd("NOOP").code == 200
