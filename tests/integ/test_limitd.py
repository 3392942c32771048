"""limitd integration tests: a real limitd on a temporary socket.

First the protocol spoken directly over SOCK_SEQPACKET (admission counts,
limits, slots freed by a killed client, malformed requests, permissions,
reload, --status), then real FTP clients through a standalone miniftpd
that asks that limitd.

Every wait is bounded in count and time; only processes started here are
signalled, by PID.
"""

import os
import pwd
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from limitdkit import (LIMITD, VERSION, ANS_FAIL, REQ_ADMIT, ANS_VERDICT, REQ_STATUS,
                       REQ_LOGIN_FAIL, F_REREGISTER, V_ADMIT, V_TOTAL, V_IP, V_USER,
                       V_BLOCKED, FAIL_VERSION, FAIL_MALFORMED, FAIL_PERM, FAIL_STATE,
                       TOO_MANY_USERS, TOO_MANY_FROM_IP, message, lp, admit_msg, login_msg,
                       wait_until, Client, Limitd, ftp_needed, refused, is_descendant)

pytestmark = pytest.mark.skipif(not LIMITD.exists(), reason="limitd not built")


@pytest.fixture
def holders():
    """Child processes that hold an admission; killed by PID at the end."""
    procs = []

    def hold(sock_path, ip):
        code = (
            "import socket, struct, sys, time\n"
            "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
            f"s.connect({str(sock_path)!r})\n"
            f"s.send({admit_msg(ip)!r})\n"
            "r = s.recv(64)\n"
            "print(struct.unpack('>I', r[8:12])[0], flush=True)\n"
            "time.sleep(60)\n"
        )
        p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
        procs.append(p)
        ready, _, _ = select.select([p.stdout], [], [], 5)
        assert ready, "holder did not answer"
        assert int(p.stdout.readline()) == V_ADMIT
        return p

    yield hold
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=5)


# --- the protocol, directly ---


def test_admission_counts_and_max_clients(make_limitd):
    ld = make_limitd(max_clients=3, max_per_ip=0)
    clients = [ld.client() for _ in range(4)]
    for i, c in enumerate(clients[:3]):
        assert c.admit(f"127.0.0.{i + 1}") == V_ADMIT
    assert clients[3].admit("127.0.0.9") == V_TOTAL
    st = ld.status_json()
    assert st["totals"] == {"sessions": 3, "addresses": 3, "users": 0}
    assert st["limits"]["max_clients"] == 3
    clients[0].close()
    wait_until(lambda: ld.sessions() == 2, what="slot freed on close")
    assert clients[3].admit("127.0.0.9") == V_ADMIT   # a refused client may ask again
    for c in clients:
        c.close()


def test_max_per_ip_other_address_unaffected(make_limitd):
    ld = make_limitd(max_clients=100, max_per_ip=2)
    a, b, c, d = (ld.client() for _ in range(4))
    assert a.admit("127.0.0.1") == V_ADMIT
    assert b.admit("127.0.0.1") == V_ADMIT
    assert c.admit("127.0.0.1") == V_IP
    assert d.admit("127.0.0.2") == V_ADMIT
    # IPv4-mapped IPv6 is the same address as IPv4
    e = ld.client()
    assert e.admit("::ffff:127.0.0.2") == V_ADMIT
    f = ld.client()
    assert f.admit("::ffff:127.0.0.2") == V_IP
    counts = {x["address"]: x["sessions"] for x in ld.status_json()["addresses"]}
    assert counts == {"127.0.0.1": 2, "127.0.0.2": 2}
    for x in (a, b, c, d, e, f):
        x.close()


def test_max_per_user(make_limitd):
    ld = make_limitd(max_per_user=1, max_per_ip=0)
    a, b = ld.client(), ld.client()
    assert a.admit("10.0.0.1") == V_ADMIT
    assert b.admit("10.0.0.2") == V_ADMIT
    assert a.login("alice") == V_ADMIT
    assert b.login("alice") == V_USER
    assert b.login("bob") == V_ADMIT            # a refused login may be retried
    users = {u["user"]: u["sessions"] for u in ld.status_json()["users"]}
    assert users == {"alice": 1, "bob": 1}
    a.close()
    b.close()


def test_killed_client_frees_its_slot(make_limitd, holders):
    ld = make_limitd(max_clients=1)
    holder = holders(ld.sock, "127.0.0.1")
    c = ld.client()
    assert c.admit("127.0.0.1") == V_TOTAL
    pid = holder.pid
    assert [s["pid"] for s in ld.status_json()["sessions"]] == [pid]  # from SO_PEERCRED
    os.kill(pid, signal.SIGKILL)
    holder.wait(timeout=5)
    wait_until(lambda: ld.sessions() == 0, what="slot of the killed client")
    assert c.admit("127.0.0.1") == V_ADMIT
    c.close()


def test_malformed_request_drops_only_that_client(make_limitd):
    ld = make_limitd(max_clients=10)
    good = ld.client()
    assert good.admit("127.0.0.1") == V_ADMIT
    cases = [
        b"garbage",                                           # shorter than a header
        message(REQ_ADMIT, b"\x00\x04" + lp(b"\x01\x02")),    # 2-byte IPv4 address
        admit_msg("10.0.0.1") + b"\x00",                      # trailing byte, length off
        message(REQ_STATUS, b"x"),                            # trailing byte in the body
        message(200),                                         # unknown type
        message(ANS_VERDICT, struct.pack(">I", 0)),           # an answer sent as a request
        login_msg("bad\nname"),                               # control character
        b"\x00" * 4096,                                       # oversized packet
    ]
    for packet in cases:
        bad = ld.client()
        code, reason = bad.expect_fail(packet)
        assert code == FAIL_MALFORMED, (packet, reason)
        bad.close()
    # a version mismatch gets its own clear reason
    bad = ld.client()
    code, reason = bad.expect_fail(admit_msg("10.0.0.1")[:6] + b"\x00\x63" + admit_msg("10.0.0.1")[8:])
    assert code == FAIL_VERSION
    assert "version 99" in reason and f"version {VERSION}" in reason
    # requests out of order
    bad = ld.client()
    assert bad.expect_fail(login_msg("alice"))[0] == FAIL_STATE   # LOGIN before ADMIT
    bad = ld.client()
    assert bad.admit("10.0.0.3") == V_ADMIT
    assert bad.expect_fail(admit_msg("10.0.0.3"))[0] == FAIL_STATE  # ADMIT twice
    wait_until(lambda: ld.sessions() == 1, what="dropped client's slot")
    # the good client is untouched and limitd still serves others
    assert good.login("alice") == V_ADMIT
    other = ld.client()
    assert other.admit("127.0.0.2") == V_ADMIT
    assert ld.proc.poll() is None
    assert "Dropping client" in ld.log()
    good.close()
    other.close()


def test_reregister_counted_within_limits(make_limitd):
    """A forged REREGISTER (from a uid limitd serves) passes no limit: it is
    checked like any admission and login, and the counts never exceed them."""
    ld = make_limitd(max_clients=2, max_per_ip=1, max_per_user=1, max_login_fails_per_ip=1)
    a, b, c, d = (ld.client() for _ in range(4))
    assert a.admit("127.0.0.1") == V_ADMIT
    assert a.login("u") == V_ADMIT
    assert b.admit("127.0.0.1", F_REREGISTER) == V_IP
    assert b.admit("127.0.0.2", F_REREGISTER) == V_ADMIT
    assert b.login("u", F_REREGISTER) == V_USER
    assert c.admit("127.0.0.3", F_REREGISTER) == V_TOTAL
    assert ld.status_json()["totals"] == {"sessions": 2, "addresses": 2, "users": 1}
    # nor does it pass a block of failed logins
    assert b.login_fail() == V_BLOCKED
    b.close()
    wait_until(lambda: ld.sessions() == 1, what="slot freed on close")
    assert d.admit("127.0.0.2", F_REREGISTER) == V_BLOCKED
    assert d.admit("127.0.0.4", F_REREGISTER) == V_ADMIT
    assert ld.status_json()["totals"] == {"sessions": 2, "addresses": 2, "users": 1}
    log = ld.log()
    assert "Refused to register again session pid" in log
    assert "Refused to register again the login of u" in log
    assert "registered again" in log
    for x in (a, c, d):
        x.close()


def test_status_text_and_json(make_limitd, holders):
    ld = make_limitd(max_clients=5, max_per_ip=3, max_per_user=0)
    a, b = ld.client(), ld.client()
    assert a.admit("127.0.0.1") == V_ADMIT
    assert b.admit("2001:db8::7") == V_ADMIT
    assert a.login("j\u00f6rg") == V_ADMIT
    holder = holders(ld.sock, "127.0.0.1")

    text = ld.status()
    assert text.returncode == 0, text.stderr
    out = text.stdout
    assert f"limitd pid {ld.proc.pid}" in out
    assert re.search(r"sessions:\s+3 of max_clients 5", out)
    assert re.search(r"max_per_ip 3 \(IPv6 per /64\)", out)
    assert re.search(r"max_per_user unlimited", out)
    assert re.search(r"^127\.0\.0\.1\s+2$", out, re.M)
    assert re.search(r"^2001:db8::/64\s+1$", out, re.M)       # counted per /64
    assert re.search(rf"^{holder.pid}\s+\d+\s+127\.0\.0\.1\s+-\s+\d{{4}}-", out, re.M)
    assert re.search(rf"^{os.getpid()}\s+{os.getuid()}\s+127\.0\.0\.1\s+j\u00f6rg\s", out, re.M)

    st = ld.status_json()
    assert st["pid"] == ld.proc.pid
    assert st["limits"] == {"max_clients": 5, "max_per_ip": 3, "max_per_ip_prefix6": 64,
                            "max_per_user": 0}
    assert st["totals"] == {"sessions": 3, "addresses": 2, "users": 1}
    assert st["users"] == [{"user": "j\u00f6rg", "sessions": 1}]
    got = sorted((s["pid"], s["uid"], s["address"], s["user"] or "") for s in st["sessions"])
    assert got == sorted([(os.getpid(), os.getuid(), "127.0.0.1", "j\u00f6rg"),
                          (os.getpid(), os.getuid(), "2001:db8::/64", ""),
                          (holder.pid, os.getuid(), "127.0.0.1", "")])
    assert [s["user"] for s in st["sessions"]].count(None) == 2
    now = time.time()
    assert all(now - 60 < s["since_epoch"] <= now + 1 for s in st["sessions"])
    a.close()
    b.close()


def test_status_when_limitd_is_down(workdir):
    ld = Limitd(workdir)
    r = ld.status()
    assert r.returncode == 1
    assert "cannot connect" in r.stderr


def test_reload_keeps_old_limits_on_a_broken_file(make_limitd):
    ld = make_limitd(max_clients=1)
    a, b = ld.client(), ld.client()
    assert a.admit("127.0.0.1") == V_ADMIT
    assert b.admit("127.0.0.2") == V_TOTAL
    ld.write_conf(max_clients=2)
    ld.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: ld.status_json()["limits"]["max_clients"] == 2, what="reload")
    assert b.admit("127.0.0.2") == V_ADMIT
    ld.conf.write_text(ld.conf.read_text() + "max_clients=banana\n")
    ld.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "keeping the old one" in ld.log(), what="reload failure logged")
    assert ld.proc.poll() is None
    c = ld.client()
    assert c.admit("127.0.0.3") == V_TOTAL     # still max_clients=2
    b.close()
    wait_until(lambda: c.admit("127.0.0.3") == V_ADMIT, what="slot freed")
    a.close()
    c.close()


def test_stale_socket_replaced_live_one_refused(make_limitd, workdir):
    ld = make_limitd()
    second = Limitd(ld.dir)
    second.logpath = ld.dir / "second.log"
    p = subprocess.run([str(LIMITD), str(ld.conf)], capture_output=True, text=True, timeout=10)
    assert p.returncode != 0
    assert "Another limitd is listening" in p.stderr
    ld.stop(signal.SIGKILL)                     # leaves its socket file behind
    assert ld.sock.exists()
    second.start()
    c = second.client()
    assert c.admit("127.0.0.1") == V_ADMIT
    c.close()
    second.stop()
    assert not ld.sock.exists()                 # removed at a clean exit


def run_as(uid, code):
    """Run python CODE as UID (root only); RETURNS its stdout."""
    def drop():
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=10, preexec_fn=drop)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


PEER_CODE = """
import socket, struct
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect({path!r})
if {packet!r}:
    s.send({packet!r})
r = s.recv(4096)
print(struct.unpack('>IHH', r[:8])[1], struct.unpack('>I', r[8:12])[0])
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to change uid")
def test_permissions_from_peer_credentials(make_limitd):
    nobody = 65534
    ld = make_limitd(nopriv_user="nobody")
    # nopriv_user may ask for admission, not for the status
    assert run_as(nobody, PEER_CODE.format(path=str(ld.sock), packet=admit_msg("1.2.3.4"))) \
        == f"{ANS_VERDICT} {V_ADMIT}"
    assert run_as(nobody, PEER_CODE.format(path=str(ld.sock), packet=message(REQ_STATUS))) \
        == f"{ANS_FAIL} {FAIL_PERM}"
    # a uid that is neither root, limitd's own nor nopriv_user: dropped at
    # accept, with the reason sent before anything is asked
    ld2 = make_limitd(nopriv_user="no-such-user-limitd-test")
    assert run_as(nobody, PEER_CODE.format(path=str(ld2.sock), packet=b"")) \
        == f"{ANS_FAIL} {FAIL_PERM}"
    assert "no-such-user-limitd-test not found" in ld2.log()


FORGE_CODE = """
import socket, struct
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect({path!r})
out = []
for packet in {packets!r}:
    try:
        s.send(packet)
    except OSError:
        pass            # limitd hung up already; what it said is still queued
    try:
        r = s.recv(4096)
    except OSError:
        r = b""
    if not r:
        out.append("gone")
        break
    out.append("%d %d" % (struct.unpack('>IHH', r[:8])[1], struct.unpack('>I', r[8:12])[0]))
print(",".join(out))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to change uid")
def test_only_nopriv_user_is_served(make_limitd):
    """With the default nopriv_user (miniftpd, whether or not the account
    exists here) a process of another unprivileged uid, nobody, can neither
    take a slot nor report failed logins: it cannot block an address."""
    nobody = pwd.getpwnam("nobody").pw_uid
    ld = make_limitd(nopriv_user=None, max_clients=1, max_per_ip=0, max_login_fails_per_ip=1)
    forged = [admit_msg("192.0.2.99"), message(REQ_LOGIN_FAIL)]
    assert run_as(nobody, FORGE_CODE.format(path=str(ld.sock), packets=forged)) \
        == f"{ANS_FAIL} {FAIL_PERM},gone"
    assert run_as(nobody, FORGE_CODE.format(path=str(ld.sock), packets=[message(REQ_LOGIN_FAIL)])) \
        == f"{ANS_FAIL} {FAIL_PERM}"
    assert ld.sessions() == 0
    c = ld.client()                              # root (a session before login)
    assert c.admit("192.0.2.99") == V_ADMIT      # neither blocked nor its slot taken
    c.close()
    assert f"uid {nobody} may not use limitd" in ld.log()


def test_ipv6_prefix_counts_as_one_address(make_limitd):
    """max_per_ip applies to a whole /64 (max_per_ip_prefix6): two forged
    addresses in one /64 count together; IPv4 stays per address; --status
    names the prefix."""
    ld = make_limitd(max_clients=0, max_per_ip=1)
    a, b, c, d, e, f = (ld.client() for _ in range(6))
    assert a.admit("2001:db8:1:2::1") == V_ADMIT
    assert b.admit("2001:db8:1:2:ffff:ffff:ffff:fffe") == V_IP
    assert c.admit("2001:db8:1:3::1") == V_ADMIT          # the next /64
    assert d.admit("192.0.2.1") == V_ADMIT
    assert e.admit("192.0.2.2") == V_ADMIT                # IPv4 is never grouped
    assert f.admit("::ffff:192.0.2.3") == V_ADMIT
    st = ld.status_json()
    assert st["limits"]["max_per_ip_prefix6"] == 64
    counts = {x["address"]: x["sessions"] for x in st["addresses"]}
    assert counts == {"2001:db8:1:2::/64": 1, "2001:db8:1:3::/64": 1,
                      "192.0.2.1": 1, "192.0.2.2": 1, "192.0.2.3": 1}
    out = ld.status().stdout
    assert re.search(r"^2001:db8:1:2::/64\s+1$", out, re.M), out
    assert re.search(r"\s2001:db8:1:3::/64\s+-\s", out), out   # the session line
    # the prefix is the tables' key: a reload does not change it
    ld.write_conf(max_clients=0, max_per_ip=1, max_per_ip_prefix6=128)
    ld.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "max_per_ip_prefix6 changed to 128: takes effect at restart" in ld.log(),
               what="reload warning")
    assert ld.status_json()["limits"]["max_per_ip_prefix6"] == 64
    assert b.admit("2001:db8:1:2::abcd") == V_IP
    for x in (a, b, c, d, e, f):
        x.close()
    # 128: every address alone; 48: a whole site
    ld128 = make_limitd(max_clients=0, max_per_ip=1, max_per_ip_prefix6=128)
    g, h = ld128.client(), ld128.client()
    assert g.admit("2001:db8:1:2::1") == V_ADMIT
    assert h.admit("2001:db8:1:2::2") == V_ADMIT
    assert "2001:db8:1:2::2" in {x["address"] for x in ld128.status_json()["addresses"]}
    ld48 = make_limitd(max_clients=0, max_per_ip=1, max_per_ip_prefix6=48)
    i, j = ld48.client(), ld48.client()
    assert i.admit("2001:db8:1:2::1") == V_ADMIT
    assert j.admit("2001:db8:1:ffff::1") == V_IP
    for x in (g, h, i, j):
        x.close()


def test_ipv6_prefix_failed_logins(make_limitd):
    """max_login_fails_per_ip counts a /64 as one address: new addresses in
    it cannot start afresh."""
    ld = make_limitd(max_clients=0, max_per_ip=0, max_login_fails_per_ip=2)
    a, b, c, d = (ld.client() for _ in range(4))
    assert a.admit("2001:db8:1:2::1") == V_ADMIT
    assert a.login_fail() == V_ADMIT
    assert b.admit("2001:db8:1:2::2") == V_ADMIT
    assert b.login_fail() == V_BLOCKED
    assert c.admit("2001:db8:1:2:5:6:7:8") == V_BLOCKED
    assert d.admit("2001:db8:1:3::1") == V_ADMIT
    assert "Blocking 2001:db8:1:2::/64 for 600s: 2 failed logins" in ld.log()
    for x in (a, b, c, d):
        x.close()


def test_many_held_sessions(make_limitd):
    ld = make_limitd(max_clients=0, max_per_ip=0)
    clients = []
    try:
        for i in range(500):
            c = ld.client()
            assert c.admit(f"10.{i // 250}.{i % 250}.1") == V_ADMIT
            clients.append(c)
        st = ld.status_json()
        assert st["totals"]["sessions"] == 500
        assert len(st["sessions"]) == 500
    finally:
        for c in clients:
            c.close()
    wait_until(lambda: ld.sessions() == 0, what="500 slots freed")


ACTIVATE = shutil.which("systemd-socket-activate")


@pytest.mark.skipif(ACTIVATE is None, reason="systemd-socket-activate missing")
def test_socket_activation_and_notify(workdir):
    """The socket comes from LISTEN_FDS; READY=1 and STOPPING=1 are sent."""
    sock, notify = workdir / "act.sock", workdir / "notify"
    conf = workdir / "act.conf"
    conf.write_text(f"max_clients=1\nlimitd_socket={sock}\n")
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(str(notify))
    ns.settimeout(5)
    log = open(workdir / "act.log", "wb")
    p = subprocess.Popen([ACTIVATE, "--seqpacket", "-E", f"NOTIFY_SOCKET={notify}", "-l", str(sock),
                          str(LIMITD), str(conf)], stdout=log, stderr=log)
    try:
        c = wait_until(lambda: _try_client(sock), what="activation socket")
        assert c.admit("127.0.0.1") == V_ADMIT     # the first connection starts limitd
        assert ns.recv(4096).startswith(b"READY=1")
        d = Client(sock)
        assert d.admit("127.0.0.1") == V_TOTAL
        assert "socket from systemd" in (workdir / "act.log").read_text()
        p.terminate()
        p.wait(timeout=5)
        assert ns.recv(4096) == b"STOPPING=1"
        assert sock.exists()                        # systemd's socket, not ours to remove
    finally:
        log.close()
        ns.close()
        if p.poll() is None:
            p.kill()
            p.wait(timeout=5)


@pytest.mark.skipif(ACTIVATE is None, reason="systemd-socket-activate missing")
def test_socket_activation_refuses_a_stream_socket(workdir):
    sock, conf = workdir / "stream.sock", workdir / "stream.conf"
    conf.write_text(f"limitd_socket={workdir / 'unused.sock'}\n")
    p = subprocess.Popen([ACTIVATE, "-l", str(sock), str(LIMITD), str(conf)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until(sock.exists, what="stream socket")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(sock))
        p.wait(timeout=5)
        assert p.returncode != 0
        assert b"not a listening SOCK_SEQPACKET UNIX socket" in p.stderr.read()
        assert not (workdir / "unused.sock").exists()
        s.close()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=5)


def _try_client(path):
    try:
        return Client(path)
    except OSError:
        return None


# --- real FTP clients through miniftpd ---


def logged_in(make_ftpd, ftpd, source="127.0.0.1"):
    f = make_ftpd.track(ftpd.connect(source))
    f.login()
    return f


@ftp_needed
def test_ftp_max_clients(make_limitd, make_ftpd):
    ld = make_limitd(max_clients=3, max_per_ip=0)
    ftpd = make_ftpd(ld)
    sessions = [logged_in(make_ftpd, ftpd) for _ in range(3)]
    assert refused(ftpd) == TOO_MANY_USERS
    for f in sessions:                          # the three keep working
        assert f.voidcmd("NOOP").startswith("200")
        assert f.pwd() == "/"
    assert ld.sessions() == 3
    sessions[0].quit()
    wait_until(lambda: ld.sessions() == 2, what="slot freed by QUIT")
    logged_in(make_ftpd, ftpd)


@ftp_needed
def test_ftp_max_per_ip(make_limitd, make_ftpd):
    ld = make_limitd(max_clients=10, max_per_ip=2)
    ftpd = make_ftpd(ld)
    a = logged_in(make_ftpd, ftpd, "127.0.0.1")
    b = logged_in(make_ftpd, ftpd, "127.0.0.1")
    assert refused(ftpd, "127.0.0.1") == TOO_MANY_FROM_IP
    c = logged_in(make_ftpd, ftpd, "127.0.0.2")     # another address is unaffected
    for f in (a, b, c):
        assert f.voidcmd("NOOP").startswith("200")
    counts = {x["address"]: x["sessions"] for x in ld.status_json()["addresses"]}
    assert counts == {"127.0.0.1": 2, "127.0.0.2": 1}


def session_pids(ld):
    return [s["pid"] for s in ld.status_json()["sessions"]]


@ftp_needed
def test_ftp_session_killed_frees_slot(make_limitd, make_ftpd):
    ld = make_limitd(max_clients=1)
    ftpd = make_ftpd(ld)
    logged_in(make_ftpd, ftpd)
    assert refused(ftpd) == TOO_MANY_USERS
    [pid] = session_pids(ld)
    assert is_descendant(pid, ftpd.proc.pid)    # a session of the miniftpd we started
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: ld.sessions() == 0, what="slot of the killed session")
    f = logged_in(make_ftpd, ftpd)
    assert f.voidcmd("NOOP").startswith("200")


@ftp_needed
def test_ftp_client_killed_frees_slot(make_limitd, make_ftpd):
    ld = make_limitd(max_clients=1)
    ftpd = make_ftpd(ld)
    code = (
        "import ftplib, sys, time\n"
        f"f = ftplib.FTP(timeout=5); f.connect('127.0.0.1', {ftpd.port}); f.login()\n"
        "print('in', flush=True); time.sleep(60)\n"
    )
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        ready, _, _ = select.select([p.stdout], [], [], 10)
        assert ready and p.stdout.readline().strip() == b"in"
        assert refused(ftpd) == TOO_MANY_USERS
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=5)
        wait_until(lambda: ld.sessions() == 0, what="slot of the killed client")
        logged_in(make_ftpd, ftpd)
    finally:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=5)


@ftp_needed
def test_ftp_limitd_restart_recovers_counts(make_limitd, make_ftpd):
    ld = make_limitd(max_clients=2, max_per_ip=0)
    ftpd = make_ftpd(ld)
    a = logged_in(make_ftpd, ftpd)
    b = make_ftpd.track(ftpd.connect())        # admitted, not logged in
    before = ld.status_json()
    assert before["totals"] == {"sessions": 2, "addresses": 1, "users": 1}
    ld.stop()
    ld.start()                                  # same socket path, empty tables
    wait_until(lambda: ld.status_json()["totals"] == before["totals"], timeout=15,
               what="sessions registered again")
    assert sorted(session_pids(ld)) == sorted(s["pid"] for s in before["sessions"])
    for f in (a, b):
        assert f.voidcmd("NOOP").startswith("200")
    assert refused(ftpd) == TOO_MANY_USERS      # and the limit holds again
    b.login()
    wait_until(lambda: ld.status_json()["totals"]["users"] == 1, what="login after restart")
    assert "registered again" in ld.log()


@ftp_needed
def test_ftp_limitd_restart_with_lower_limits(make_limitd, make_ftpd):
    """Sessions registering again after a restart are counted within the new
    limits: the one left over ends with a 421 line, and the count never
    exceeds max_clients."""
    import ftplib
    ld = make_limitd(max_clients=3, max_per_ip=0)
    ftpd = make_ftpd(ld)
    sessions = [logged_in(make_ftpd, ftpd) for _ in range(3)]
    assert ld.sessions() == 3
    ld.stop()
    ld.write_conf(max_clients=2, max_per_ip=0)
    ld.start()
    seen = []

    def settled():
        seen.append(ld.sessions())
        return seen[-1] == 2 and "refused to count this session again" in ftpd.log()
    wait_until(settled, timeout=15, what="sessions registered again")
    ended = []
    for f in sessions:
        try:
            f.voidcmd("NOOP")
        except ftplib.error_temp as e:
            ended.append(str(e))
    assert ended == ["421 Service not available, closing control connection."]
    assert max(seen) <= 2
    assert ld.sessions() == 2
    assert refused(ftpd) == TOO_MANY_USERS
    assert "limitd refused to count this session again (total limit (max_clients)), " \
        "ending it" in ftpd.log()


def proc_uid(pid):
    """The real uid of PID, or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


@ftp_needed
def test_default_nopriv_account(nopriv_account, make_limitd, make_ftpd):
    """The built-in nopriv_user, miniftpd, an account of its own (made here as
    make install makes it, when missing): the helper runs as it after login,
    limitd (with the built-in nopriv_user too) takes the session's
    re-registration from it after a restart, and refuses nobody."""
    acct = nopriv_account
    nobody = pwd.getpwnam("nobody").pw_uid
    assert acct.pw_name == "miniftpd" and acct.pw_uid not in (0, nobody)
    assert acct.pw_dir == "/nonexistent" and acct.pw_shell.endswith("/nologin")
    ld = make_limitd(nopriv_user=None, max_clients=0, max_per_ip=0)
    ftpd = make_ftpd(ld, nopriv_user=None)
    f = logged_in(make_ftpd, ftpd)
    [helper] = session_pids(ld)
    assert is_descendant(helper, ftpd.proc.pid)
    wait_until(lambda: proc_uid(helper) == acct.pw_uid, what="helper as miniftpd")
    ld.stop()
    ld.start()
    wait_until(lambda: [(x["pid"], x["uid"]) for x in ld.status_json()["sessions"]]
               == [(helper, acct.pw_uid)], timeout=15, what="registered again as miniftpd")
    assert f.voidcmd("NOOP").startswith("200")
    assert run_as(nobody, FORGE_CODE.format(path=str(ld.sock), packets=[admit_msg("192.0.2.1")])) \
        == f"{ANS_FAIL} {FAIL_PERM}"
    f.quit()
    wait_until(lambda: proc_uid(helper) is None, what="session ended")


@ftp_needed
def test_ftp_limitd_down_fail_open_and_closed(make_limitd, make_ftpd, workdir):
    (workdir / "nolimitd").mkdir()
    ld = Limitd(workdir / "nolimitd")           # configured, never started
    closed = make_ftpd(ld, limitd_fail="closed")
    assert refused(closed).startswith("421 ")
    opened = make_ftpd(ld, limitd_fail="open")
    f = logged_in(make_ftpd, opened)
    assert f.voidcmd("NOOP").startswith("200")
    assert "limitd_fail=open" in opened.log()


@ftp_needed
@pytest.mark.parametrize("fail", ["open", "closed"])
def test_ftp_login_while_limitd_down(make_limitd, make_ftpd, fail):
    """A session admitted, then limitd stops: its login follows limitd_fail.
    closed: 530, logged (no failed login), and once limitd is back (the
    session registers its address again) the login succeeds and is
    counted.  open: admitted, and counted once limitd is back.  Before,
    closed admitted the login uncounted (max_per_user unchecked)."""
    import ftplib
    ld = make_limitd(max_clients=0, max_per_ip=0, max_per_user=1)
    ftpd = make_ftpd(ld, limitd_fail=fail, max_login_fails=1)
    f = make_ftpd.track(ftpd.connect())
    wait_until(lambda: ld.sessions() == 1, what="admitted")
    ld.stop()
    if fail == "closed":
        with pytest.raises(ftplib.error_perm) as e:
            f.login()
        assert str(e.value) == "530 Login incorrect."
        assert 'Login failed for "anonymous": limitd unreachable and limitd_fail=closed' \
            in ftpd.log()
        ld.start()
        wait_until(lambda: ld.sessions() == 1, timeout=15, what="registered again")
        f.login()                                   # max_login_fails=1: not a failure
    else:
        f.login()
        ld.start()
    wait_until(lambda: ld.status_json()["totals"] == {"sessions": 1, "addresses": 1,
                                                      "users": 1},
               timeout=15, what="the login counted")
    assert f.voidcmd("NOOP").startswith("200")
