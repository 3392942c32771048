"""The quick start's demo server (`make run`, scripts/run-demo.sh): it starts
on its own defaults, and the demo user and anonymous log in over plain FTP
and over explicit FTPS with the certificate the script makes."""

import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import IS_ROOT, free_port, miniftpd_bin, wait_until

TOP = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not (TOP / "scripts" / "run-demo.sh").exists(),
                                reason="source tree not available (tests copied alone)")


@pytest.fixture
def demo(request):
    """The demo server on a free loopback port, in a directory of its own.
    RETURNS (port, demo dir, its output so far as a callable)."""
    if IS_ROOT:
        request.getfixturevalue("nopriv_account")	# created and removed again
    port = free_port()
    d = tempfile.mkdtemp(prefix="miniftpd-demo-test-", dir="/tmp")
    log = open(os.path.join(d, "out.log"), "w+")
    env = dict(os.environ, DEMO_DIR=os.path.join(d, "demo"), PORT=str(port), HOST="127.0.0.1")
    p = subprocess.Popen(["sh", "scripts/run-demo.sh", os.path.dirname(miniftpd_bin())],
                         cwd=TOP, env=env, stdout=log, stderr=subprocess.STDOUT,
                         start_new_session=True)

    def out():
        log.seek(0)
        return log.read()
    try:
        assert wait_until(lambda: "Listening on" in out() or p.poll() is not None, 30), out()
        assert p.poll() is None, out()
        yield port, Path(d) / "demo", out
    finally:
        os.killpg(p.pid, signal.SIGTERM)	# the script, limitd and miniftpd: our group
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(5)
        subprocess.run(["rm", "-rf", d], check=False)


def curl(*args):
    r = subprocess.run(["curl", "-sS", "--max-time", "20", *args], capture_output=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_demo_prints_how_to_connect(demo):
    port, d, out = demo
    text = out()
    assert "demo user:  demo  password: demo" in text
    assert "ftp://127.0.0.1:%d/" % port in text
    assert "curl --ssl-reqd -k" in text
    assert (d / "cert.pem").exists() and oct((d / "key.pem").stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("tls", [[], ["--ssl-reqd", "-k"]], ids=["plain", "ftps"])
def test_demo_user_lists_uploads_downloads(demo, tls, tmp_path):
    port, d, _ = demo
    url = "ftp://demo:demo@127.0.0.1:%d/" % port
    assert b"welcome.txt" in curl(*tls, url)
    src = tmp_path / "up.bin"
    src.write_bytes(os.urandom(100000))
    curl(*tls, "-T", str(src), url + "up.bin")
    assert curl(*tls, url + "up.bin") == src.read_bytes()


@pytest.mark.parametrize("tls", [[], ["--ssl-reqd", "-k"]], ids=["plain", "ftps"])
def test_demo_anonymous_reads(demo, tls):
    port, d, _ = demo
    (d / "root" / "pub" / "hello.txt").write_text("hello\n")
    os.chmod(d / "root" / "pub" / "hello.txt", 0o644)
    assert curl(*tls, "ftp://127.0.0.1:%d/hello.txt" % port) == b"hello\n"


def test_demo_certificate_is_made_again_when_it_expires(demo):
    """The script makes a new certificate when the old one ends within a day."""
    _, d, _ = demo
    cert = d / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(d / "key.pem"),
                    "-out", str(cert), "-days", "1", "-subj", "/CN=old"],
                   check=True, capture_output=True)
    before = cert.read_bytes()
    time.sleep(1)
    env = dict(os.environ, DEMO_DIR=str(d), PORT=str(free_port()), HOST="127.0.0.1")
    p = subprocess.Popen(["sh", "scripts/run-demo.sh", "/nonexistent"], cwd=TOP, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        p.wait(20)	# /nonexistent/miniftpd: the script stops after the certificate
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(5)
    assert cert.read_bytes() != before
    r = subprocess.run(["openssl", "x509", "-checkend", "86400", "-noout", "-in", str(cert)])
    assert r.returncode == 0
