"""limitd and a miniftpd that asks it, for the tests of limitd, security,
reliability and PAM: limitd's wire format (include/limitproto.h), a client
of it (Client), a limitd process (Limitd) and a standalone miniftpd asking
it (Ftpd).  The fixtures workdir, make_limitd and make_ftpd are in
conftest.py.
"""

import ftplib
import json
import os
import re
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path

import pytest


TOP = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BUILD", TOP / "build" / "rel"))
if not BUILD.is_absolute():
    BUILD = TOP / BUILD
LIMITD = BUILD / "limitd"
MINIFTPD = BUILD / "miniftpd"

# --- the wire format (include/limitproto.h) ---

VERSION = 3
ANS_FAIL, REQ_ADMIT, ANS_VERDICT, REQ_LOGIN, REQ_STATUS, REQ_LOGIN_FAIL = 1, 2, 3, 4, 6, 8
ANS_STATUS_END = 15
F_REREGISTER = 1
V_ADMIT, V_TOTAL, V_IP, V_USER, V_BLOCKED = 0, 1, 2, 3, 4
FAIL_VERSION, FAIL_MALFORMED, FAIL_PERM, FAIL_STATE = 1, 2, 3, 4

TOO_MANY_USERS = "421 There are too many connected users, please try later."
TOO_MANY_FROM_IP = "421 There are too many connections from your internet address."


def message(mtype, body=b"", version=VERSION):
    return struct.pack(">IHH", 8 + len(body), mtype, version) + body


def lp(data):
    return struct.pack(">I", len(data)) + data


def admit_msg(ip, flags=0):
    if ":" in ip:
        return message(REQ_ADMIT, bytes([flags, 6]) + lp(socket.inet_pton(socket.AF_INET6, ip)))
    return message(REQ_ADMIT, bytes([flags, 4]) + lp(socket.inet_aton(ip)))


def login_msg(user, flags=0):
    return message(REQ_LOGIN, bytes([flags]) + lp(user.encode()))


def parse(packet):
    """(type, version, body) of one packet, checking the header length."""
    assert len(packet) >= 8
    length, mtype, version = struct.unpack(">IHH", packet[:8])
    assert length == len(packet)
    return mtype, version, packet[8:]


def parse_fail(body):
    code, n = struct.unpack(">II", body[:8])
    return code, body[8:8 + n].decode()


def wait_until(pred, timeout=5.0, interval=0.05, what="condition"):
    """Poll PRED until true; bounded by TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / interval) + 2):
        value = pred()
        if value:
            return value
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


class Client:
    """One connection to limitd, as a session's helper holds it."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.settimeout(5)
        self.sock.connect(str(path))

    def call(self, packet):
        self.sock.send(packet)
        return parse(self.sock.recv(4096))

    def verdict(self, packet):
        mtype, version, body = self.call(packet)
        assert (mtype, version) == (ANS_VERDICT, VERSION), (mtype, body)
        return struct.unpack(">I", body)[0]

    def admit(self, ip, flags=0):
        return self.verdict(admit_msg(ip, flags))

    def login(self, user, flags=0):
        return self.verdict(login_msg(user, flags))

    def login_fail(self):
        return self.verdict(message(REQ_LOGIN_FAIL))

    def expect_fail(self, packet):
        mtype, _, body = self.call(packet)
        assert mtype == ANS_FAIL
        result = parse_fail(body)
        self.expect_hangup()
        return result

    def expect_hangup(self):
        assert self.sock.recv(4096) == b""

    def close(self):
        self.sock.close()


class Limitd:
    """A limitd process with its own config and socket under DIRECTORY."""

    def __init__(self, directory, **options):
        self.dir = Path(directory)
        self.sock = self.dir / "run" / "limitd.sock"
        self.conf = self.dir / "miniftpd.conf"
        self.logpath = self.dir / "limitd.log"
        self.proc = None
        self.write_conf(**options)

    def write_conf(self, **options):
        """OPTIONS as the file's lines; nopriv_user is "nobody", as the
        sessions' in the tests (conftest.py), unless given (None: left out,
        the built-in default miniftpd applies)."""
        options.setdefault("limitd_socket", str(self.sock))
        options.setdefault("nopriv_user", "nobody")
        text = "".join(f"{k}={v}\n" for k, v in options.items() if v is not None)
        self.conf.write_text(text)

    def start(self):
        log = open(self.logpath, "ab")
        self.proc = subprocess.Popen([str(LIMITD), str(self.conf)], stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=log)
        log.close()
        wait_until(self._ready, what="limitd socket")
        return self

    def _ready(self):
        assert self.proc.poll() is None, "limitd exited: " + self.log()
        try:
            Client(self.sock).close()
            return True
        except OSError:
            return False

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def client(self):
        return Client(self.sock)

    def status(self, *extra):
        return subprocess.run([str(LIMITD), "--status", *extra, str(self.conf)],
                              capture_output=True, encoding="utf-8", timeout=10)

    def status_json(self):
        r = self.status("--json")
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def sessions(self):
        return self.status_json()["totals"]["sessions"]

    def log(self):
        try:
            return self.logpath.read_text(errors="replace")
        except OSError:
            return ""


ftp_needed = pytest.mark.skipif(not MINIFTPD.exists(), reason="miniftpd not built")


class Ftpd:
    """A standalone miniftpd on 127.0.0.1, a free port, asking LD."""

    def __init__(self, directory, ld, **options):
        import ftplib  # noqa: F401  (fail early when missing)
        self.dir = Path(directory)
        self.root = self.dir / "root"
        self.root.mkdir()
        os.chmod(self.root, 0o755)
        self.conf = self.dir / "miniftpd.conf"
        self.logpath = self.dir / "miniftpd.log"
        opts = {
            "listen": "YES", "listen_address": "", "listen_port": 0,
            "anonymous_enable": "YES", "anon_root": str(self.root),
            "ftp_username": "nobody", "guest_username": "nobody", "nopriv_user": "nobody",
            "limitd_socket": str(ld.sock), "idle_session_timeout": 60,
        }
        opts.update(options)
        self.conf.write_text("".join(f"{k}={v}\n" for k, v in opts.items() if v is not None))
        log = open(self.logpath, "ab")
        self.proc = subprocess.Popen([str(MINIFTPD), str(self.conf)], stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=log)
        log.close()
        self.port = int(wait_until(self._port, what="miniftpd port"))

    def _port(self):
        assert self.proc.poll() is None, "miniftpd exited: " + self.log()
        m = re.search(r"Listening on \S+ port (\d+)", self.log())
        return m and m.group(1)

    def log(self):
        return self.logpath.read_text(errors="replace")

    def connect(self, source="127.0.0.1"):
        import ftplib
        f = ftplib.FTP(timeout=5, source_address=(source, 0))
        f.connect("127.0.0.1", self.port)
        return f

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def refused(ftpd, source="127.0.0.1"):
    """Connect and RETURN the refusal line (the connection must be refused)."""
    with pytest.raises(ftplib.error_temp) as e:
        ftpd.connect(source)
    return str(e.value)


def is_descendant(pid, ancestor):
    """PID's parent chain reaches ANCESTOR (read from /proc)."""
    for _ in range(16):
        if pid == ancestor:
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat.rsplit(")", 1)[1].split()[1])
        if pid <= 1:
            return False
    return False
