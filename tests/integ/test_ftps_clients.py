"""FTPS with real end-user clients (issue 17): FileZilla 3.63 under Xvfb,
driven with xdotool, and tnftp, which has no FTPS.

Everything is proven from the server's side: its log (AUTH TLS, PBSZ,
PROT P, the TLS process's "TLS session" record, no refused data
connection), its xferlog and the files on disk.  Data connections
resume by construction: with require_ssl_reuse=YES (the default) the
post-login process has no private key, so a data connection that does
not resume this control session's TLS session cannot complete its
handshake and gets 522 (test_ftps.py::test_fresh_data_handshake_refused).

Set MINIFTPD_ARTIFACTS=DIR to keep FileZilla's screenshots and log there.
"""

import os
import re
import shutil
import signal
import ssl
import subprocess
import time

import pytest

from conftest import DEMO_PASSWORD, HOST, run_cmd, wait_until
from ftpskit import tls_server


# ---------------------------------------------------------------- tnftp

def test_tnftp_has_no_ftps(ftpd, certs):
    """tnftp (NetBSD's ftp) speaks TLS only for https:// URLs: no AUTH TLS,
    no ftps:// scheme.  Against an FTPS server that requires TLS it gets
    the clear 530 refusal, and the password is never sent."""
    if not shutil.which("tnftp"):
        pytest.skip("tnftp not installed")
    s = tls_server(ftpd, certs, log_ftp_protocol="YES")
    url = "%s:%s@%s:%d/hello.txt" % ("demo", DEMO_PASSWORD, HOST, s.port)
    r = run_cmd(["tnftp", "-o", "/dev/null", "ftps://" + url], timeout=30)
    assert "Unsupported URL scheme" in r.stdout + r.stderr, (r.stdout, r.stderr)
    r = run_cmd(["tnftp", "-o", "/dev/null", "ftp://" + url], timeout=30)
    out = r.stdout + r.stderr
    assert r.returncode != 0 and "must use encryption" in out, out
    log = s.log()
    assert 'FTP command: "USER demo"' in log and "FTP command: \"PASS" not in log, log
    assert "AUTH" not in "".join(re.findall(r'FTP command: "([^"]*)"', log))


# ---------------------------------------------------------------- FileZilla

FZ_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<FileZilla3 version="3.63.0" platform="*nix">
	<Settings>
		<Setting name="Greeting version">3.63.0</Setting>
		<Setting name="Update Check">0</Setting>
		<Setting name="Use Pasv mode">1</Setting>
		<Setting name="Logging file" platform="unix">{log}</Setting>
		<Setting name="Logging Debug Level">0</Setting>
	</Settings>
</FileZilla3>
"""

FZ_TRUSTED = """<?xml version="1.0" encoding="UTF-8"?>
<FileZilla3 version="3.63.0" platform="*nix">
	<TrustedCerts>
		<Certificate>
			<Data>{der}</Data>
			<ActivationTime>{not_before}</ActivationTime>
			<ExpirationTime>{not_after}</ExpirationTime>
			<Host>{host}</Host>
			<Port>{port}</Port>
			<TrustSANs>0</TrustSANs>
		</Certificate>
	</TrustedCerts>
</FileZilla3>
"""

# Offsets inside FileZilla 3.63's main window at its first-start size
# (1200x850): the first file row of the remote and of the local list,
# below "..".  Rows are 23 pixels apart.
FZ_SIZE = (1200, 850)
FZ_REMOTE_ROW = (655, 469)
FZ_LOCAL_ROW = (50, 469)
FZ_ROW = 23


def cert_times(path):
    """notBefore and notAfter of the certificate in PATH, as Unix times."""
    r = run_cmd(["openssl", "x509", "-in", path, "-noout", "-startdate", "-enddate"])
    dates = dict(l.split("=", 1) for l in r.stdout.splitlines())
    return [int(ssl.cert_time_to_seconds(dates[k])) for k in ("notBefore", "notAfter")]


def filezilla_profile(home, certfile, port, logfile):
    """A FileZilla configuration that trusts CERTFILE for 127.0.0.1:PORT
    (no certificate dialog) and shows no welcome dialog."""
    d = os.path.join(home, ".config", "filezilla")
    os.makedirs(d)
    with open(certfile) as fh:
        der = ssl.PEM_cert_to_DER_cert(fh.read())
    not_before, not_after = cert_times(certfile)
    with open(os.path.join(d, "filezilla.xml"), "w") as fh:
        fh.write(FZ_SETTINGS.format(log=logfile))
    with open(os.path.join(d, "trustedcerts.xml"), "w") as fh:
        fh.write(FZ_TRUSTED.format(der=der.hex(), not_before=not_before,
                                   not_after=not_after, host=HOST, port=port))


class Desktop:
    """Xvfb on a display it picks itself, and the programs started on it;
    every one ended by PID."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.procs = []
        r, w = os.pipe()
        self.xvfb = self.start(["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x900x24",
                                "-nolisten", "tcp"], pass_fds=(w,), name="xvfb")
        os.close(w)
        got = b""
        deadline = time.monotonic() + 20
        while not got.endswith(b"\n") and time.monotonic() < deadline:
            chunk = os.read(r, 16)
            if not chunk:
                break
            got += chunk
        os.close(r)
        assert got.strip().isdigit(), "Xvfb did not start: %r" % got
        self.display = ":" + got.decode().strip()

    def start(self, argv, name, env=None, pass_fds=()):
        e = dict(os.environ if env is None else env)
        if hasattr(self, "display"):
            e["DISPLAY"] = self.display
        log = open(os.path.join(self.workdir, name + ".out"), "wb")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=e,
                             pass_fds=pass_fds, cwd=self.workdir)
        log.close()
        self.procs.append(p)
        return p

    def run(self, *argv, timeout=20):
        r = subprocess.run(list(argv), env=dict(os.environ, DISPLAY=self.display),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout, text=True)
        assert r.returncode == 0, (argv, r.stderr)
        return r.stdout

    def window(self, pid, timeout=30):
        """The visible top-level window of process PID: (id, x, y, w, h)."""
        def find():
            r = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(pid)],
                               env=dict(os.environ, DISPLAY=self.display), timeout=10,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            for wid in r.stdout.split():
                g = self.run("xdotool", "getwindowgeometry", "--shell", wid)
                v = dict(l.split("=") for l in g.split())
                if int(v["WIDTH"]) > 600:
                    return (wid, int(v["X"]), int(v["Y"]), int(v["WIDTH"]), int(v["HEIGHT"]))
            return None
        return wait_until(find, timeout, 0.5)

    def double_click(self, x, y):
        self.run("xdotool", "mousemove", str(x), str(y), "click", "--repeat", "2",
                 "--delay", "80", "1")

    def screenshot(self, path):
        """A PNG of the whole screen (ImageMagick's import), if it is there."""
        if shutil.which("import"):
            self.run("import", "-display", self.display, "-window", "root", path, timeout=30)
            return path
        return None

    def close(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)


def xferlog_lines(path):
    try:
        with open(path) as fh:
            return [l.split() for l in fh]
    except FileNotFoundError:
        return []


def transferred(path, name, direction):
    """The xferlog line of a complete transfer of NAME (o: out, i: in)."""
    for f in xferlog_lines(path):
        # date (5 fields), time, host, bytes, name, type, action, direction, ...
        if f[8] == name and f[11] == direction and f[-1] == "c":
            return f
    return None


def commands_by_process(log):
    """{pid: [commands]} from the log_ftp_protocol lines of the server's log."""
    out = {}
    for pid, cmd in re.findall(r'miniftpd\[(\d+)\]: \[session [^]]*\] FTP command: "([^"]*)"',
                               log):
        out.setdefault(pid, []).append(cmd)
    return out


def test_filezilla(ftpd, ftpenv, certs):
    """FileZilla 3.63 with a prepared profile (the test certificate trusted,
    no dialogs) connects with ftpes:// (AUTH TLS, TLS 1.3 only), lists the
    directory, downloads a file and uploads one, each by a double click, with
    PROT P and require_ssl_reuse=YES."""
    for tool in ("filezilla", "Xvfb", "xdotool"):
        if not shutil.which(tool):
            pytest.skip("%s not installed (Debian: filezilla, xvfb, xdotool)" % tool)
    art = os.environ.get("MINIFTPD_ARTIFACTS") or ftpenv.dir
    os.makedirs(art, exist_ok=True)
    xferlog = os.path.join(ftpenv.dir, "xferlog")
    s = tls_server(ftpd, certs, ssl_tlsv1_2="NO", log_ftp_protocol="YES",
                   xferlog_enable="YES", xferlog_file=xferlog)
    home = os.path.join(ftpenv.dir, "fzhome")
    local = os.path.join(ftpenv.dir, "fzlocal")
    os.makedirs(local)
    upload = os.urandom(300000)
    with open(os.path.join(local, "aup.bin"), "wb") as fh:     # sorts before hello.txt
        fh.write(upload)
    fzlog = os.path.join(art, "filezilla.log")
    if os.path.exists(fzlog):
        os.unlink(fzlog)
    filezilla_profile(home, certs.path("ec.crt"), s.port, fzlog)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(HOME=home, LANG="C.UTF-8", NO_AT_BRIDGE="1")
    desk = Desktop(ftpenv.dir)
    shots = []
    try:
        fz = desk.start(["filezilla", "ftpes://demo:%s@%s:%d" % (DEMO_PASSWORD, HOST, s.port),
                         "--local=" + local], name="filezilla", env=env)
        win = desk.window(fz.pid)
        assert win, "no FileZilla window"
        wid, wx, wy, ww, wh = win
        assert (ww, wh) == FZ_SIZE, "FileZilla's window is %dx%d, the offsets are for %dx%d" \
            % (ww, wh, FZ_SIZE[0], FZ_SIZE[1])

        def listed():
            return "Directory send OK" in s.log()
        ok = wait_until(listed, 60, 0.5)
        time.sleep(1)                       # the list is drawn after the 226
        shots.append(desk.screenshot(os.path.join(art, "filezilla-connected.png")))
        assert ok, s.log()

        # the remote list: "..", pub, hello.txt
        desk.double_click(wx + FZ_REMOTE_ROW[0], wy + FZ_REMOTE_ROW[1] + FZ_ROW)
        got = os.path.join(local, "hello.txt")
        ok = wait_until(lambda: transferred(xferlog, "/hello.txt", "o") and
                        os.path.exists(got) and open(got, "rb").read() == b"hello\n", 30, 0.5)
        shots.append(desk.screenshot(os.path.join(art, "filezilla-downloaded.png")))
        assert ok, (xferlog_lines(xferlog), s.log())

        # the local list: "..", aup.bin, hello.txt
        desk.double_click(wx + FZ_LOCAL_ROW[0], wy + FZ_LOCAL_ROW[1])
        put = os.path.join(ftpenv.root, "aup.bin")
        ok = wait_until(lambda: transferred(xferlog, "/aup.bin", "i") and
                        os.path.exists(put) and open(put, "rb").read() == upload, 30, 0.5)
        time.sleep(1)
        shots.append(desk.screenshot(os.path.join(art, "filezilla-uploaded.png")))
        assert ok, (xferlog_lines(xferlog), s.log())
    finally:
        desk.close()
    log = s.log()
    # over TLS 1.3, every session that moved data had PBSZ 0 and PROT P first
    tls = re.findall(r"TLS session: (\S+), cipher (\S+)", log)
    assert tls and all(v == "TLSv1.3" for v, _ in tls), tls
    by_pid = commands_by_process(log)
    assert by_pid, log
    data_cmds = ("MLSD", "LIST", "NLST", "RETR", "STOR", "APPE")
    moved = {p: c for p, c in by_pid.items() if any(x.startswith(data_cmds) for x in c)}
    assert len(moved) >= 1, by_pid
    for pid, cmds in moved.items():
        first_data = min(i for i, x in enumerate(cmds) if x.startswith(data_cmds))
        assert "PBSZ 0" in cmds[:first_data] and "PROT P" in cmds[:first_data], cmds
    assert "RETR hello.txt" in sum(by_pid.values(), [])
    assert "STOR aup.bin" in sum(by_pid.values(), [])
    # no data connection refused: each one resumed the control session
    assert "TLS data connection refused" not in log and not re.search(
        r'FTP response: "52[0-9] ', log), log
    u = transferred(xferlog, "/aup.bin", "i")
    assert u[13] == "demo" and int(u[7]) == len(upload), u
    # FileZilla's own log: connected over TLS, no error, and what it warned
    if os.path.exists(fzlog):
        with open(fzlog, errors="replace") as fh:
            fz_text = fh.read()
        assert "TLS connection established" in fz_text, fz_text
        assert not re.search(r"\bError:", fz_text), fz_text
