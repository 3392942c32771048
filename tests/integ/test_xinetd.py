"""etc/xinetd.d/miniftpd under a real xinetd, with a real client.

The shipped entry is read and used as it is, except for what a test must
change: it is enabled, renamed to an unlisted service on a free loopback
port, and given the test's binary, configuration and user (the launching
user when not root).  xinetd runs in the foreground (-dontfork) with a
configuration file of its own (no includedir), and is stopped by PID.
"""

import ftplib
import os
import pwd
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (DEMO_PASSWORD, HOST, IS_ROOT, Ctl, free_port, miniftpd_bin,
                      proc_children, terminate_tree)
from logcapture import LogCapture, events

TOP = Path(__file__).resolve().parents[2]
ENTRY = TOP / "etc" / "xinetd.d" / "miniftpd"
XINETD = shutil.which("xinetd") or ("/usr/sbin/xinetd" if os.path.exists("/usr/sbin/xinetd")
                                    else None)

pytestmark = [
    pytest.mark.skipif(XINETD is None, reason="xinetd not installed"),
    pytest.mark.skipif(not ENTRY.exists(), reason="source tree not available (tests copied alone)"),
]


def parse_entry(text):
    """The service name and its attributes [(name, op, value)] of an xinetd entry."""
    m = re.search(r"^service\s+(\S+)\s*\n\{\n(.*?)^\}", text, re.M | re.S)
    assert m, text
    attrs = []
    for line in m.group(2).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        a = re.match(r"^(\w+)\s*(\+=|-=|=)\s*(.*)$", line)
        assert a, line
        attrs.append(a.groups())
    return m.group(1), attrs


def test_shipped_entry_is_sane():
    name, attrs = parse_entry(ENTRY.read_text())
    d = {k: v for k, op, v in attrs if op == "="}
    assert name == "ftp"
    assert d["disable"] == "yes"            # installed disabled: no fight over port 21
    assert (d["socket_type"], d["protocol"], d["wait"]) == ("stream", "tcp", "no")
    assert d["user"] == "root"              # privilege separation needs root
    assert d["server"] == "/usr/local/sbin/miniftpd"   # rewritten by make install
    assert d["server_args"] == "/etc/miniftpd.conf"
    # glibc's malloc cache off per exec (units/ftp@.service says why)
    assert d["env"] == "GLIBC_TUNABLES=glibc.malloc.tcache_count=0"


class Xinetd:
    def __init__(self, workdir, entry_attrs, overrides):
        self.dir = workdir
        self.port = overrides["port"]
        self.conf = os.path.join(workdir, "xinetd.conf")
        self.out = os.path.join(workdir, "xinetd.out")
        lines = ["defaults", "{", "\tlog_type = FILE %s" % os.path.join(workdir, "xinetd.log"),
                 "}", "", "service miniftpd-test", "{"]
        for k, op, v in entry_attrs:
            if k not in overrides:
                lines.append("\t%s %s %s" % (k, op, v))
        for k, v in overrides.items():
            lines.append("\t%s = %s" % (k, v))
        lines.append("}")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(self.out, "wb") as out:
            self.proc = subprocess.Popen([XINETD, "-dontfork", "-f", self.conf],
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=out)

    def output(self):
        with open(self.out, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def connect_ftplib(self, timeout=10.0):
        """An ftplib client, once xinetd listens (bounded wait)."""
        deadline = time.monotonic() + timeout
        while True:
            f = ftplib.FTP(timeout=10)
            try:
                f.connect(HOST, self.port)
                return f
            except ConnectionRefusedError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("xinetd not listening:\n" + self.output())
                time.sleep(0.05)

    def stop(self):
        terminate_tree(self.proc)


@pytest.fixture
def xinetd(ftpenv):
    started = []

    def start(server_args):
        _, attrs = parse_entry(ENTRY.read_text())
        user = "root" if IS_ROOT else pwd.getpwuid(os.getuid()).pw_name
        x = Xinetd(ftpenv.dir, attrs, {
            "disable": "no", "type": "UNLISTED", "port": free_port(), "bind": HOST,
            "user": user, "server": miniftpd_bin(), "server_args": server_args})
        started.append(x)
        return x
    yield start
    for x in started:
        x.stop()


def test_session_through_xinetd(ftpenv, xinetd):
    journal = LogCapture(os.path.join(ftpenv.dir, "journal.sock"))
    syslog = LogCapture(os.path.join(ftpenv.dir, "syslog.sock"))
    try:
        x = xinetd("%s -ojournal_socket=%s -osyslog_socket=%s -olog_ftp_protocol=YES" %
                   (ftpenv.config, journal.path, syslog.path))
        f = x.connect_ftplib()
        assert f.getwelcome().startswith("220 ")
        f.login("demo", DEMO_PASSWORD)
        assert f.pwd() == "/"
        # the entry's env: the session has the tunable
        (top,) = [p for p in proc_children(x.proc.pid)]
        with open("/proc/%d/environ" % top, "rb") as e:
            assert b"GLIBC_TUNABLES=glibc.malloc.tcache_count=0\0" in e.read()
        assert f.mkd("via xinetd") == "/via xinetd"
        assert os.path.isdir(os.path.join(ftpenv.root, "via xinetd"))
        f.rmd("via xinetd")
        assert f.quit().startswith("221")

        # fd 0, 1 and 2 are the client: nothing but FTP replies may reach it
        c = Ctl(x.port)
        c.greeting()
        assert c.login("demo", "wrong password").code == 530
        assert c.cmd("QUIT").code == 221
        rest = c.wait_closed()
        assert rest == b"", rest
        c.close()

        # stderr is the socket, so the log went to the journal's socket
        assert journal.wait_for(lambda j: len(events(j.records(), "disconnect")) >= 2), \
            journal.records()
        recs = journal.records()
        assert len(events(recs, "connect")) == 2
        assert all(r["REMOTE_ADDR"] == HOST for r in recs)
        (failed,) = events(recs, "login_failed")
        assert failed["FTP_USER"] == "demo" and failed["FTP_REASON"] == "wrong password"
        assert [r["FTP_FILE"] for r in events(recs, "mkdir")] == ["/via xinetd"]
        assert syslog.raw() == []
    finally:
        journal.close()
        syslog.close()


def test_xinetd_logs_to_syslog_without_journal(ftpenv, xinetd):
    syslog = LogCapture(os.path.join(ftpenv.dir, "syslog.sock"))
    try:
        x = xinetd("%s -ojournal_socket=%s -osyslog_socket=%s" %
                   (ftpenv.config, os.path.join(ftpenv.dir, "no-journal.sock"), syslog.path))
        f = x.connect_ftplib()
        f.login("demo", DEMO_PASSWORD)
        f.quit()
        assert syslog.wait_for(lambda s: any("Session ended" in l for l in s.lines())), \
            syslog.lines()
        assert any(re.match(r"^<94>.* miniftpd\[\d+\]: \[helper 127\.0\.0\.1\] Connection from",
                            l) for l in syslog.lines()), syslog.lines()
    finally:
        syslog.close()
