"""The listener's reload (SIGHUP, `systemctl reload`) is all or nothing.

A reload builds the whole new configuration aside (the options, the facts
resolved from them, the TLS material with ssl_sni_hostname) and puts it in
force only when every part was built; on any failure the old
configuration, certificate and SNI name all stay for new sessions, and one
log line says why.  The options are written into the configuration file
(not -o overrides, which a reload applies again unchanged), then the file
is rewritten and the listener gets SIGHUP.
"""

import os
import signal
import ssl

import pytest

from conftest import wait_until
from ftpskit import der_of, retr, sni_login, tls_login

MODES = ("standalone", "listenfd")


def start(ftpd, ftpenv, mode, opts):
    """A listener from a configuration file with OPTS.  (With listenfd,
    systemd-socket-activate starts miniftpd at the first connection: each
    test connects once before its first SIGHUP.)"""
    ftpenv.write_config(opts)
    return ftpd(mode)


def reload(s, ftpenv, opts, want):
    """Rewrite the configuration file with OPTS, SIGHUP, wait for WANT in the log."""
    n = s.log().count(want)
    ftpenv.write_config(opts)
    os.kill(s.pid, signal.SIGHUP)
    assert wait_until(lambda: s.log().count(want) > n, 10), s.log()


def session(s):
    """(greeting, certificate DER) of a new TLS session, after a download."""
    f = tls_login(s)
    assert retr(f, "hello.txt") == b"hello\n"
    got = (f.welcome, f.sock.getpeercert(binary_form=True))
    assert f.quit().startswith("221")
    return got


def failed_lines(s):
    return [line for line in s.log().splitlines()
            if "Failed to reload the configuration" in line]


@pytest.mark.parametrize("mode", MODES)
def test_good_certificate_with_bad_option_keeps_everything(ftpd, ftpenv, certs, mode):
    """A renewed certificate that is fine, together with an option that
    fails later (banner_file missing, found only when the runtime facts
    are resolved): new sessions keep the old certificate and the old
    banner, and the one log line names the option."""
    old = dict(certs.opts("ec"), ftpd_banner="old banner")
    s = start(ftpd, ftpenv, mode, old)
    assert session(s) == ("220 old banner", der_of(certs.path("ec.crt")))
    bad = dict(certs.opts("ec2"), ftpd_banner="new banner",
               banner_file=os.path.join(ftpenv.dir, "no-such-banner"))
    reload(s, ftpenv, bad, "keeping the old one")
    lines = failed_lines(s)
    assert len(lines) == 1 and "banner_file" in lines[0] and "no-such-banner" in lines[0], lines
    assert session(s) == ("220 old banner", der_of(certs.path("ec.crt")))
    # the same change without the error: both take effect
    reload(s, ftpenv, dict(certs.opts("ec2"), ftpd_banner="new banner"),
           "Reloaded the configuration")
    assert session(s) == ("220 new banner", der_of(certs.path("ec2.crt")))


@pytest.mark.parametrize("mode", MODES)
def test_sni_change_with_bad_option_keeps_old_name(ftpd, ftpenv, certs, mode):
    """ssl_sni_hostname changed together with a bad option: the old name is
    still the one required; once the option is fixed, the new name is."""
    s = start(ftpd, ftpenv, mode, dict(certs.opts("ec"), ssl_sni_hostname="old.example.org"))
    sni_login(s, "old.example.org").quit()
    bad = dict(certs.opts("ec"), ssl_sni_hostname="new.example.org",
               banner_file=os.path.join(ftpenv.dir, "no-such-banner"))
    reload(s, ftpenv, bad, "keeping the old one")
    f = sni_login(s, "old.example.org")
    assert retr(f, "hello.txt") == b"hello\n"
    f.quit()
    with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME|unrecognized name"):
        sni_login(s, "new.example.org")
    reload(s, ftpenv, dict(certs.opts("ec"), ssl_sni_hostname="new.example.org"),
           "Reloaded the configuration")
    f = sni_login(s, "new.example.org")
    assert retr(f, "hello.txt") == b"hello\n"
    f.quit()
    with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME|unrecognized name"):
        sni_login(s, "old.example.org")
    assert "killed by signal" not in s.log()


@pytest.mark.parametrize("mode", MODES)
def test_bad_tls_option_keeps_old_config(ftpd, ftpenv, certs, mode):
    """A TLS error (a key that does not match the certificate) with another
    change (the banner): neither takes effect, and the log line names the
    key file at its FILE:LINE."""
    s = start(ftpd, ftpenv, mode, dict(certs.opts("ec"), ftpd_banner="old banner"))
    assert session(s) == ("220 old banner", der_of(certs.path("ec.crt")))
    bad = dict(certs.opts("ec"), ftpd_banner="new banner",
               rsa_private_key_file=certs.path("ec2.key"))
    reload(s, ftpenv, bad, "keeping the old one")
    lines = failed_lines(s)
    assert len(lines) == 1 and "%s:" % ftpenv.config in lines[0], lines
    assert "rsa_private_key_file" in lines[0] and "does not match" in lines[0], lines
    assert session(s) == ("220 old banner", der_of(certs.path("ec.crt")))
