"""FTPS clients and certificates, for test_ftps, test_ftps_clients, test_ktls
and test_ftps_options: keys and self-signed certificates made with openssl
(Certs; the certs fixture is in conftest.py), ftplib.FTP_TLS whose data
connections resume the control session, implicit FTPS, a TLS login.
"""

import ftplib
import io
import os
import re
import socket
import ssl
import subprocess
import tempfile

from conftest import DEMO_PASSWORD, HOST


# ---------------------------------------------------------------- certificates

def openssl(*args):
    r = subprocess.run(["openssl"] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60, text=True)
    assert r.returncode == 0, r.stdout
    return r.stdout


class Certs:
    """Keys and self-signed certificates in a private directory."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="miniftpd-certs-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.make("ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
        self.make("rsa", ["-newkey", "rsa:2048"])
        self.make("ec2", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
        # expired yesterday: openssl x509 -days -1
        key, csr = self.path("old.key"), self.path("old.csr")
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=old")
        openssl("x509", "-req", "-in", csr, "-signkey", key, "-days", "-1",
                "-out", self.path("old.crt"))

    def path(self, name):
        return os.path.join(self.dir, name)

    def future(self):
        """A certificate valid from 2099 (openssl ca: req -x509 cannot set a
        start date): "future.crt" and "future.key"."""
        key, csr, crt = self.path("future.key"), self.path("future.csr"), self.path("future.crt")
        if os.path.exists(crt):
            return crt, key
        conf = self.path("ca.cnf")
        with open(conf, "w") as fh:
            fh.write("[ca]\ndefault_ca = CA\n[CA]\ndatabase = %s\nnew_certs_dir = %s\n"
                     "serial = %s\ndefault_md = sha256\npolicy = pol\n[pol]\n"
                     "commonName = supplied\n" % (self.path("index.txt"), self.dir,
                                                   self.path("serial")))
        open(self.path("index.txt"), "w").close()
        with open(self.path("serial"), "w") as fh:
            fh.write("01\n")
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=localhost")
        openssl("ca", "-batch", "-notext", "-config", conf, "-selfsign", "-keyfile", key,
                "-in", csr, "-startdate", "20990101000000Z", "-enddate", "20991231000000Z",
                "-out", crt)
        os.chmod(key, 0o600)
        return crt, key

    def make(self, name, newkey):
        openssl("req", "-x509", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                "-keyout", self.path(name + ".key"), "-out", self.path(name + ".crt"),
                *newkey)
        os.chmod(self.path(name + ".key"), 0o600)

    def secret_numbers(self, name):
        """The private numbers of key NAME as bytes: the EC scalar, or RSA's primes."""
        kind = "ec" if name.startswith("ec") else "rsa"
        text = openssl(kind, "-in", self.path(name + ".key"), "-noout", "-text")
        fields = ["priv"] if kind == "ec" else ["prime1", "prime2"]
        out = []
        for f in fields:
            m = re.search(r"^%s:\s*\n((?:\s+[0-9a-f:]+\n)+)" % f, text, re.M)
            assert m, text
            hexs = re.sub(r"[\s:]", "", m.group(1))
            b = bytes.fromhex(hexs).lstrip(b"\0")
            assert len(b) >= 32
            out.append(b)
        return out

    def opts(self, name="ec"):
        return {"ssl_enable": "YES", "rsa_cert_file": self.path(name + ".crt"),
                "rsa_private_key_file": self.path(name + ".key")}


# ---------------------------------------------------------------- clients

def client_context(version="1.3"):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    v = ssl.TLSVersion.TLSv1_3 if version == "1.3" else ssl.TLSVersion.TLSv1_2
    ctx.minimum_version = ctx.maximum_version = v
    return ctx


class ReuseFTP_TLS(ftplib.FTP_TLS):
    """FTP_TLS whose data connections resume the control connection's
    session (ftplib does not: bpo-19500), as curl, lftp and FileZilla do.
    data_session, when set, is used instead (a session of another
    connection); fresh_data_context a new context without any session."""

    data_session = None
    fresh_data_context = None

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            try:
                if self.fresh_data_context is not None:
                    conn = self.fresh_data_context.wrap_socket(conn)
                else:
                    conn = self.context.wrap_socket(
                        conn, server_hostname=self.host,
                        session=self.data_session or self.sock.session)
            except Exception:
                conn.close()
                raise
        return conn, size


class ImplicitFTP_TLS(ReuseFTP_TLS):
    """Implicit FTPS: TLS from the first byte."""

    def connect(self, host, port, timeout=10):
        self.host, self.port = host, port
        self.sock = socket.create_connection((host, port), timeout)
        self.af = self.sock.family
        self.sock = self.context.wrap_socket(self.sock, server_hostname=host)
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome


def tls_login(server, version="1.3", cls=ReuseFTP_TLS, prot_p=True, user="demo",
              password=DEMO_PASSWORD, context=None):
    f = cls(context=context or client_context(version), timeout=10)
    server.ctls.append(f)
    f.connect(HOST, server.port)
    if cls is not ImplicitFTP_TLS:
        assert f.auth().startswith("234")
    f.login(user, password)
    if prot_p:
        assert f.prot_p().startswith("200")
    return f


def retr(f, name):
    b = io.BytesIO()
    f.retrbinary("RETR " + name, b.write)
    return b.getvalue()


def tls_server(ftpd, certs, mode="standalone", key="ec", **opts):
    o = certs.opts(key)
    o.update(opts)
    return ftpd(mode, **o)


def der_of(path):
    with open(path) as fh:
        return ssl.PEM_cert_to_DER_cert(fh.read())


def sni_login(s, name, implicit=False):
    """Log in with NAME in the ClientHello's server name extension (Python
    sends none for an IP address): the control connection goes to HOST,
    ftplib's auth() and the data connections wrap with server_hostname=f.host."""
    cls = ImplicitFTP_TLS if implicit else ReuseFTP_TLS
    f = cls(context=client_context(), timeout=10)
    s.ctls.append(f)
    if implicit:
        sock = socket.create_connection((HOST, s.port), 10)
        f.host, f.port, f.af = name, s.port, sock.family
        f.sock = f.context.wrap_socket(sock, server_hostname=name)
        f.file = f.sock.makefile("r", encoding=f.encoding)
        f.welcome = f.getresp()
    else:
        f.connect(HOST, s.port)
        f.host = name
        assert f.auth().startswith("234")
    f.login("demo", DEMO_PASSWORD)
    f.prot_p()
    return f
