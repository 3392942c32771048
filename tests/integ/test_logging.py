"""Session events read back from each log target.

The three targets of log.c, each with a real client:
  stderr   standalone server in the foreground: plain lines;
  journal  stderr is the journal (JOURNAL_STREAM names the server's stderr)
           and journal_socket points at a capture socket: native-protocol
           records with structured fields;
  syslog   syslog_enable=YES and syslog_socket points at a capture socket:
           RFC 3164 lines, facility ftp.
Run as root, the records of the post-login process come from a process
chrooted to the demo root as "nobody", and those of the pre-login process
from one chrooted to an empty directory: the sockets are connected before.
"""

import io
import os
import re

import pytest

from conftest import DEMO_PASSWORD, HOST, Server, wait_until
from logcapture import LogCapture, events, start

WRONG_PASSWORD = "not-the-password-9f3"


@pytest.fixture
def capture(ftpenv):
    made = []

    def make(name):
        c = LogCapture(os.path.join(ftpenv.dir, name))
        made.append(c)
        return c
    yield make
    for c in made:
        c.close()


def session_of_events(s):
    """A failed login, then a login that creates, renames, deletes and leaves."""
    bad = s.connect()
    assert bad.login("demo", WRONG_PASSWORD).code == 530
    assert bad.cmd("QUIT").code == 221
    bad.wait_closed()
    f = s.ftplib()
    f.mkd("logdir")
    f.rename("hello.txt", "renamed.txt")
    f.delete("renamed.txt")
    f.rmd("logdir")
    f.quit()


def test_stderr_lines_in_foreground(ftpd):
    s = ftpd("standalone")
    session_of_events(s)
    log = wait_until(lambda: s.log().count("Session ended") >= 2 and s.log(), 10)
    assert log, s.log()
    for want in (r"miniftpd\[\d+\]: \[helper 127\.0\.0\.1\] Connection from 127\.0\.0\.1 port \d+",
                 r'\[helper 127\.0\.0\.1\] Login failed for "demo": wrong password',
                 r'\[helper 127\.0\.0\.1\] Login successful: "demo" as virtual user',
                 r"\[session 127\.0\.0\.1 demo\] MKDIR /logdir",
                 r"\[session 127\.0\.0\.1 demo\] RENAME /hello\.txt -> /renamed\.txt",
                 r"\[session 127\.0\.0\.1 demo\] DELETE /renamed\.txt",
                 r"\[session 127\.0\.0\.1 demo\] RMDIR /logdir",
                 r"\[helper 127\.0\.0\.1 demo\] Session ended"):
        assert re.search(want, log), (want, log)
    assert WRONG_PASSWORD not in log and DEMO_PASSWORD not in log


def test_stderr_control_characters_made_harmless(ftpd):
    s = ftpd("standalone")
    c = s.login()
    r = c.cmd(b"MKD bad\x1b[31mname")
    if r.code != 257:
        pytest.skip("the server refuses control characters in names: %r" % r)
    c.cmd("QUIT")
    c.wait_closed()
    log = wait_until(lambda: "Session ended" in s.log() and s.log(), 10)
    assert "\x1b" not in log
    assert "MKDIR /bad?[31mname" in log, log


def test_journal_records_carry_fields(ftpenv, capture):
    cap = capture("journal.sock")
    s = start(ftpenv, "accept", journal_stream=True,
              journal_socket=cap.path, log_ftp_protocol="YES")
    session_of_events(s)
    assert cap.wait_for(lambda c: len(events(c.records(), "disconnect")) >= 2), cap.records()
    recs = cap.records()

    for r in recs:
        assert r["SYSLOG_IDENTIFIER"] == "miniftpd"
        assert r["SYSLOG_FACILITY"] == "11"
        assert r["PRIORITY"] in {str(p) for p in range(8)}
        assert r["REMOTE_ADDR"] == HOST
        assert r["REMOTE_PORT"].isdigit() and r["FTP_SESSION"].isdigit()

    (bad_connect, good_connect) = events(recs, "connect")
    (failed,) = events(recs, "login_failed")
    assert failed["FTP_USER"] == "demo"
    assert failed["FTP_REASON"] == "wrong password"
    assert failed["FTP_COMMAND"] == "PASS"
    assert failed["PRIORITY"] == "5"
    assert failed["FTP_SESSION"] == bad_connect["FTP_SESSION"]

    (login,) = events(recs, "login")
    assert login["FTP_USER"] == "demo" and login["PRIORITY"] == "6"
    session = login["FTP_SESSION"]
    assert session == good_connect["FTP_SESSION"] != bad_connect["FTP_SESSION"]

    expected = [("mkdir", "MKD", "/logdir"), ("rename", "RNTO", "/hello.txt"),
                ("delete", "DELE", "/renamed.txt"), ("rmdir", "RMD", "/logdir")]
    for name, verb, path in expected:
        (r,) = events(recs, name)
        assert (r["FTP_COMMAND"], r["FTP_FILE"], r["FTP_USER"], r["FTP_SESSION"]) == \
            (verb, path, "demo", session), r
        assert "FTP_BYTES" not in r
    assert events(recs, "rename")[0]["FTP_FILE_TO"] == "/renamed.txt"

    # every process of the session logs with the session's fields, not only events
    assert any("FTP command" in r["MESSAGE"] and r["FTP_SESSION"] == session
               for r in recs), recs
    raw = b"".join(cap.raw())
    assert WRONG_PASSWORD.encode() not in raw and DEMO_PASSWORD.encode() not in raw
    assert b"PASS <password>" in raw
    # nothing of the server's went to stderr: only systemd-socket-activate's lines
    assert "[helper" not in s.log(), s.log()


def test_journal_admission_refusal(ftpenv, capture):
    cap = capture("journal.sock")
    s = start(ftpenv, "accept", journal_stream=True,
              journal_socket=cap.path, limitd_enable="YES", limitd_fail="closed",
              limitd_socket=os.path.join(ftpenv.dir, "no-limitd.sock"))
    c = s.connect(greet=False)
    assert c.reply().code == 421
    c.wait_closed()
    assert cap.wait_for(lambda c: events(c.records(), "refused")), cap.records()
    (r,) = events(cap.records(), "refused")
    assert r["FTP_REASON"] == "limitd unreachable and limitd_fail=closed"
    assert r["REMOTE_ADDR"] == HOST and r["PRIORITY"] == "5"


def test_journal_missing_socket_falls_back_to_stderr(ftpenv):
    s = start(ftpenv, "accept", journal_stream=True,
              journal_socket=os.path.join(ftpenv.dir, "absent.sock"))
    f = s.ftplib()
    f.quit()
    log = wait_until(lambda: "Session ended" in s.log() and s.log(), 10)
    assert re.search(r"^<6>\[helper 127\.0\.0\.1\] Connection from", log, re.M), log


def test_syslog_lines(ftpenv, capture):
    cap = capture("log.sock")
    s = start(ftpenv, "accept", syslog_enable="YES", syslog_socket=cap.path)
    session_of_events(s)
    assert cap.wait_for(lambda c: sum("Session ended" in l for l in c.lines()) >= 2), cap.lines()
    msgs = []
    for line in cap.lines():
        m = re.match(r"^<(\d+)>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) miniftpd\[(\d+)\]: (.*)$",
                     line)
        assert m, line
        assert int(m.group(1)) >> 3 == 11, line          # facility ftp
        msgs.append((int(m.group(1)) & 7, m.group(4)))
    for prio, want in ((6, "[helper 127.0.0.1] Connection from 127.0.0.1 port "),
                       (5, '[helper 127.0.0.1] Login failed for "demo": wrong password'),
                       (6, "[session 127.0.0.1 demo] MKDIR /logdir"),
                       (6, "[session 127.0.0.1 demo] RENAME /hello.txt -> /renamed.txt"),
                       (6, "[helper 127.0.0.1 demo] Session ended")):
        assert any(p == prio and m.startswith(want) for p, m in msgs), (want, msgs)
    assert "[helper" not in s.log(), s.log()


def test_journal_transfer_events(ftpenv, capture):
    cap = capture("journal.sock")
    s = start(ftpenv, "accept", journal_stream=True, journal_socket=cap.path)
    f = s.ftplib()
    f.storbinary("STOR up.bin", io.BytesIO(b"x" * 1000))
    got = bytearray()
    f.retrbinary("RETR up.bin", got.extend)
    f.quit()
    assert bytes(got) == b"x" * 1000
    assert cap.wait_for(lambda c: events(c.records(), "disconnect")), cap.records()
    recs = cap.records()
    (up,) = events(recs, "upload")
    (down,) = events(recs, "download")
    for r, verb in ((up, "STOR"), (down, "RETR")):
        assert (r["FTP_COMMAND"], r["FTP_FILE"], r["FTP_BYTES"], r["FTP_USER"]) == \
            (verb, "/up.bin", "1000", "demo"), r
        assert r["FTP_DURATION_MS"].isdigit()


class NullStderrServer(Server):
    """systemd-socket-activate's own lines go to the log; miniftpd's stderr is
    /dev/null, a character device, as with StandardError=null."""

    def argv(self):
        return ["/bin/sh", "-c", 'exec "$@" 2>/dev/null', "sh"] + super().argv()


def test_stderr_dev_null_ends_sessions_cleanly(ftpenv):
    """Logging to a stderr that is /dev/null must not cost a sandboxed process
    its life: stdio's isatty() probe (ioctl TCGETS) is outside every filter."""
    s = NullStderrServer(ftpenv, "accept", {})
    ftpenv.servers.append(s)
    s.start()
    for _ in range(2):
        f = s.ftplib()
        assert f.nlst()
        f.quit()
    deaths = wait_until(lambda: len(re.findall(r"died with code (\d+)", s.log())) >= 2 and
                        re.findall(r"died with code (\d+)", s.log()), 10)
    assert deaths == ["0", "0"], s.log()
