"""Capture what miniftpd sends to the journal or to syslog.

A LogCapture binds a datagram UNIX socket in a test directory and reads it
from a thread; miniftpd is pointed at it with -ojournal_socket=PATH or
-osyslog_socket=PATH.  The journal's native protocol is parsed into dicts
(KEY=VALUE lines, or KEY, a little-endian 64-bit size and binary data).
The reader stops by itself when close() is called; every wait is bounded.
start() launches a server whose stderr may be declared the journal.
"""

import os
import socket
import struct
import threading
import time

from conftest import Server


def parse_journal(data):
    """One native-protocol datagram -> {FIELD: str}."""
    rec, i = {}, 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            k, _, v = line.partition(b"=")
            i = nl + 1
        else:
            k = line
            (size,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            v = data[nl + 9:nl + 9 + size]
            assert data[nl + 9 + size:nl + 10 + size] == b"\n", data
            i = nl + 10 + size
        rec[k.decode()] = v.decode("utf-8", "replace")
    return rec


class LogCapture:
    def __init__(self, path):
        self.path = path
        self.datagrams = []
        self._lock = threading.Lock()
        self._stop = False
        if os.path.exists(path):
            os.unlink(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        # a dropped privilege must still be able to send: the socket is
        # connected before the drop, but keep the file open to all anyway
        os.chmod(path, 0o666)
        self.sock.settimeout(0.1)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop:
            try:
                d = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.datagrams.append(d)

    def raw(self):
        with self._lock:
            return list(self.datagrams)

    def records(self):
        """Every datagram so far, parsed as journal records."""
        return [parse_journal(d) for d in self.raw()]

    def lines(self):
        """Every datagram so far, as syslog lines (str)."""
        return [d.decode("utf-8", "replace") for d in self.raw()]

    def wait_for(self, pred, timeout=10.0):
        """Poll until PRED(self) is true or TIMEOUT passes; RETURNS its last value."""
        deadline = time.monotonic() + timeout
        while True:
            v = pred(self)
            if v or time.monotonic() >= deadline:
                return v
            time.sleep(0.05)

    def close(self):
        self._stop = True
        self._thread.join(2)
        self.sock.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def events(records, name):
    """The records whose FTP_EVENT is NAME."""
    return [r for r in records if r.get("FTP_EVENT") == name]


class EnvServer(Server):
    """A Server whose miniftpd gets extra environment variables through env(1):
    systemd-socket-activate passes on only the variables it is told to."""

    extra_env = {}

    def argv(self):
        return (["/usr/bin/env"] + ["%s=%s" % kv for kv in self.extra_env.items()] +
                super().argv())


def start(ftpenv, mode, journal_stream=False, **opts):
    """Start a server whose stderr may be declared the journal (JOURNAL_STREAM)."""
    s = EnvServer(ftpenv, mode, opts)
    ftpenv.servers.append(s)
    open(s.errpath, "ab").close()
    if journal_stream:
        st = os.stat(s.errpath)
        s.extra_env = {"JOURNAL_STREAM": "%d:%d" % (st.st_dev, st.st_ino)}
    return s.start()
