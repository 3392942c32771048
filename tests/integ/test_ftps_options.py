"""FTPS options of anonymous sessions and of the protocol versions:
allow_anon_ssl, force_anon_logins_ssl, force_anon_data_ssl, ssl_tlsv1_3
(test_ftps.py has the local users' force_local_* and everything else).
Each option is shown both ways: set, the server refuses what it otherwise
allows.
"""

import ftplib
import ssl

import pytest

from conftest import HOST
from ftpskit import client_context, retr, tls_login, tls_server

ANON = {"anonymous_enable": "YES"}


def anon_server(ftpd, ftpenv, certs, **opts):
    return tls_server(ftpd, certs, anon_root=ftpenv.anon_root, **ANON, **opts)


def anon_tls(s, prot_p=True):
    return tls_login(s, user="anonymous", password="guest@", prot_p=prot_p)


@pytest.mark.parametrize("allow", ["NO", "YES"])
def test_allow_anon_ssl(ftpd, ftpenv, certs, allow):
    """allow_anon_ssl=NO: USER anonymous after AUTH TLS gets 530 (the
    default); YES: the anonymous session runs over TLS.  A clear-text
    anonymous login works either way."""
    s = anon_server(ftpd, ftpenv, certs, allow_anon_ssl=allow)
    if allow == "NO":
        with pytest.raises(ftplib.error_perm, match="530 Anonymous sessions may not use"):
            anon_tls(s)
    else:
        f = anon_tls(s)
        assert retr(f, "welcome.txt") == b"welcome\n"
    f = s.ftplib(user="anonymous", password="guest@")
    assert f.pwd() == "/"


@pytest.mark.parametrize("force", ["NO", "YES"])
def test_force_anon_logins_ssl(ftpd, ftpenv, certs, force):
    """With allow_anon_ssl=YES, force_anon_logins_ssl=YES refuses a clear-text
    USER anonymous (530); the same login over TLS works."""
    s = anon_server(ftpd, ftpenv, certs, allow_anon_ssl="YES", force_anon_logins_ssl=force)
    c = s.connect()
    r = c.cmd("USER anonymous")
    if force == "YES":
        assert r.lines == ["530 Anonymous sessions must use encryption."], r
    else:
        assert r.code == 331, r
        assert c.cmd("PASS guest@").code == 230
    f = anon_tls(s)
    assert retr(f, "welcome.txt") == b"welcome\n"


@pytest.mark.parametrize("force", ["NO", "YES"])
def test_force_anon_data_ssl(ftpd, ftpenv, certs, force):
    """With allow_anon_ssl=YES, force_anon_data_ssl=YES refuses PROT C and a
    clear data connection of an anonymous session over TLS (522 / 536
    family); PROT P transfers work.  NO: clear data is allowed."""
    s = anon_server(ftpd, ftpenv, certs, allow_anon_ssl="YES", force_anon_data_ssl=force,
                    force_local_data_ssl="NO")
    f = anon_tls(s, prot_p=False)
    if force == "YES":
        with pytest.raises(ftplib.error_perm, match="^5.. Data connections must be encrypted"):
            retr(f, "welcome.txt")
        f.voidcmd("PBSZ 0")
        with pytest.raises(ftplib.error_perm, match="PROT C refused"):
            f.voidcmd("PROT C")
        assert f.prot_p().startswith("200")
    assert retr(f, "welcome.txt") == b"welcome\n"
    # local users are not concerned by the anonymous options
    g = tls_login(s, prot_p=False)
    assert retr(g, "hello.txt") == b"hello\n"


@pytest.mark.parametrize("v13", ["YES", "NO"])
def test_ssl_tlsv1_3(ftpd, certs, v13):
    """ssl_tlsv1_3=NO: a client that speaks only TLS 1.3 fails the handshake
    and a TLS 1.2 client gets TLS 1.2; YES (the default): TLS 1.3."""
    s = tls_server(ftpd, certs, ssl_tlsv1_3=v13)
    if v13 == "NO":
        f = ftplib.FTP_TLS(context=client_context("1.3"), timeout=10)
        s.ctls.append(f)
        f.connect(HOST, s.port)
        with pytest.raises((ssl.SSLError, ConnectionError, EOFError)):
            f.auth()
        assert tls_login(s, "1.2").sock.version() == "TLSv1.2"
    else:
        f = tls_login(s, "1.3")
        assert f.sock.version() == "TLSv1.3"
        assert retr(f, "hello.txt") == b"hello\n"
