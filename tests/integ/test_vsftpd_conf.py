"""miniftpd as a drop-in for vsftpd.conf (issue 18).

Debian's stock /etc/vsftpd.conf (from the vsftpd package, which
scripts/deps.sh installs: the test takes the file as the package shipped
it, never a copy of ours) and five real-world variants (tests/integ/vsftpd/)
are run line by line through miniftpd: `-t`, then a server started from
that file (only the listening port, the passive range and the paths of
this test rewritten), one login and a listing.  Lines that name a vsftpd
option miniftpd does not implement must be refused one by one, at their
file:line, with a message naming it a vsftpd option; the test then applies
the advice and goes on.

pam_service_name is kept (Debian's stock file names the vsftpd PAM service,
which the vsftpd package installs); the virtual-users variant drops it with
guest_enable, since its PAM service (pam_userdb) served only virtual users:
`-t` refuses it, as that service has no file in /etc/pam.d here.
"""

import ftplib
import hashlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile

import pytest

from conftest import (DEMO_PASSWORD, GUEST, HOST, IS_ROOT, Server, miniftpd_bin, needs_root,
                      wait_until)

HERE = os.path.dirname(os.path.abspath(__file__))
VARIANTS = os.path.join(HERE, "vsftpd")
PAM_KEY = "pam_service_name"


# ---------------------------------------------------------------- helpers

def run(argv, timeout=30):
    return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout)


def check(path, *opts):
    """miniftpd -t PATH: (returncode, output)."""
    r = run([miniftpd_bin(), path, "-t"] + list(opts))
    return r.returncode, r.stdout.strip()


def known_options():
    with tempfile.NamedTemporaryFile("w", suffix=".conf", dir="/tmp") as empty:
        r = run([miniftpd_bin(), empty.name, "-T"])
    assert r.returncode == 0, r.stdout
    return {line.split("=", 1)[0] for line in r.stdout.splitlines()}


def stock_vsftpd_conf():
    """The text of Debian's /etc/vsftpd.conf as the vsftpd package ships it:
    the installed file when dpkg says it is unmodified, else the file from
    the package's .deb in apt's cache."""
    r = run(["dpkg-query", "-W", "-f=${Status}\\n${Conffiles}\\n", "vsftpd"])
    if r.returncode != 0 or "install ok installed" not in r.stdout:
        pytest.skip("the vsftpd package is not installed (scripts/deps.sh installs it)")
    m = re.search(r"^ /etc/vsftpd\.conf ([0-9a-f]{32})", r.stdout, re.M)
    if m and os.path.exists("/etc/vsftpd.conf"):
        with open("/etc/vsftpd.conf", "rb") as f:
            data = f.read()
        if hashlib.md5(data).hexdigest() == m.group(1):
            return data.decode()
    for deb in sorted(os.listdir("/var/cache/apt/archives")):
        if deb.startswith("vsftpd_") and deb.endswith(".deb"):
            d = tempfile.mkdtemp(prefix="miniftpd-vsftpd-deb-", dir="/tmp")
            try:
                x = run(["dpkg-deb", "-x", os.path.join("/var/cache/apt/archives", deb), d])
                assert x.returncode == 0, x.stdout
                with open(os.path.join(d, "etc", "vsftpd.conf")) as f:
                    return f.read()
            finally:
                shutil.rmtree(d, ignore_errors=True)
    pytest.skip("/etc/vsftpd.conf was changed locally and no vsftpd .deb is cached")


def settings(text):
    """[(lineno, key, value)] of the non-comment lines of TEXT."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if s and not s.startswith("#"):
            k, _, v = s.partition("=")
            out.append((n, k.strip(), v.strip()))
    return out


def pasv_range():
    base = 41000 + (os.getpid() * 37) % 8000
    return base, base + 40


def rewrite_ports(text):
    """The test's ports: listen_port 0 (printed by the server), a passive range of its own."""
    lo, hi = pasv_range()
    text = re.sub(r"^listen_port=.*$", "listen_port=0", text, flags=re.M)
    text = re.sub(r"^pasv_min_port=.*$", "pasv_min_port=%d" % lo, text, flags=re.M)
    return re.sub(r"^pasv_max_port=.*$", "pasv_max_port=%d" % hi, text, flags=re.M)


def have_ipv6():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def server_opts(ftpenv):
    """-o options every server of this file gets: no limitd, logs in the test dir."""
    o = ["-olimitd_enable=NO", "-oxferlog_file=" + os.path.join(ftpenv.dir, "xferlog"),
         "-onames_cache_file=" + os.path.join(ftpenv.dir, "names"),
         "-odelay_failed_login=0"]
    if IS_ROOT:
        o += ["-onopriv_user=" + GUEST, "-oftp_username=" + GUEST]
    return o


class VsfServer(Server):
    """miniftpd started from a vsftpd.conf as it is (standalone by the file's
    own listen / listen_ipv6 lines; OPTS a list of -o arguments); conftest's
    Server otherwise: stopped by PID, its log scanned for sanitizer reports."""

    def __init__(self, env, config, opts):
        super().__init__(env, "standalone", {}, config)
        self.opts = opts
        self.errpath = os.path.join(env.dir, "vsf-server-%d.log" % len(env.servers))

    def argv(self):
        return [miniftpd_bin(), self.config] + self.opts

    def start(self, timeout=10.0):
        with open(self.errpath, "ab") as err:
            self.proc = subprocess.Popen(self.argv(),
                                         stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                         cwd=self.env.dir)
        want = re.compile(r"Listening on (\S+) port (\d+)")
        m = wait_until(lambda: want.search(self.log()) or self.proc.poll() is not None,
                       timeout)
        if not isinstance(m, re.Match):
            self.stop()
            raise AssertionError("server did not start:\n" + self.log())
        self.addr, self.port = m.group(1), int(m.group(2))
        return self

    def ftp(self, host=HOST, cls=ftplib.FTP, **kw):
        f = cls(timeout=10, **kw)
        f.connect(host, self.port)
        return f


def start(ftpenv, config, *opts):
    s = VsfServer(ftpenv, config, server_opts(ftpenv) + list(opts))
    ftpenv.servers.append(s)
    return s.start()


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def listing(f, path=None):
    lines = []
    f.retrlines("LIST" if path is None else "LIST " + path, lines.append)
    return "\n".join(lines)


def local_login(ftpenv, system_user_or_none):
    """(user, password, extra -o options) of a login the server can take:
    the system user as root, else a virtual user (local users need root)."""
    if system_user_or_none is not None:
        return system_user_or_none.name, system_user_or_none.password, []
    return "demo", DEMO_PASSWORD, ["-ouser_db_file=" + ftpenv.users_file]


@pytest.fixture
def maybe_user(request, ftpenv):
    """The system_user fixture as root, None otherwise."""
    if IS_ROOT and shutil.which("useradd"):
        return request.getfixturevalue("system_user")
    return None


# ---------------------------------------------------------------- refusals, one by one

def settle(path, refused, notes):
    """Run `miniftpd -t PATH` until it passes, applying for each refused line
    (it must be in REFUSED: key -> replacement line or None) the advice.
    Each refusal must name PATH:LINE and, for a vsftpd option, say so.
    RETURNS the keys refused, in order."""
    seen = []
    for _ in range(len(refused) + 2):
        rc, out = check(path)
        if rc == 0:
            assert out == "configuration OK", out
            return seen
        text = open(path).read()
        lines = text.splitlines()
        m = re.search(re.escape(path) + r":(\d+): (.*)", out)
        key = None
        if m:
            key = lines[int(m.group(1)) - 1].split("=", 1)[0].strip()
        else:
            key = next((k for k in refused if k in out), None)
        assert key in refused, "unexpected refusal: %s" % out
        if refused[key] == "vsftpd":
            assert '"%s" is a vsftpd option that miniftpd does not implement: ' % key in out, out
        else:
            assert refused[key] in out, out
        seen.append(key)
        text = "\n".join(l for l in lines if l.split("=", 1)[0].strip() != key) + "\n"
        write(path, text)
    raise AssertionError("still refused: %s" % check(path)[1])


# ---------------------------------------------------------------- Debian's stock file

def test_stock_vsftpd_conf_check(ftpenv):
    """`miniftpd -t` on Debian's stock /etc/vsftpd.conf: OK (every line known)."""
    text = stock_vsftpd_conf()
    keys = [k for _, k, _ in settings(text)]
    assert "dirmessage_enable" in keys and "listen_ipv6" in keys  # it is the stock file
    path = write(os.path.join(ftpenv.dir, "vsftpd.conf"), text)
    assert settle(path, {}, []) == []


def test_stock_vsftpd_conf_serves(ftpenv, maybe_user):
    """miniftpd serves from the stock file with vsftpd's meaning: listen=NO +
    listen_ipv6=YES is one dual-stack standalone listener (IPv4 and IPv6
    clients), dirmessage_enable shows .message on CWD, xferlog_enable logs."""
    if not have_ipv6():
        pytest.skip("no IPv6 loopback here (the stock file listens on IPv6)")
    text = stock_vsftpd_conf()
    path = write(os.path.join(ftpenv.dir, "vsftpd.conf"), text)
    user, password, extra = local_login(ftpenv, maybe_user)
    home = maybe_user.home if maybe_user else ftpenv.root
    os.makedirs(os.path.join(home, "docs"), exist_ok=True)
    write(os.path.join(home, "docs", ".message"), "Read the README first.\r\nThanks!\n")
    write(os.path.join(home, "docs", "README"), "readme\n")
    if IS_ROOT:
        pw = pwd.getpwnam(user if maybe_user else GUEST)
        for p in ("docs", "docs/.message", "docs/README"):
            os.chown(os.path.join(home, p), pw.pw_uid, pw.pw_gid)
    s = start(ftpenv, path, "-olisten_port=0", *extra)
    assert s.addr == "::", s.log()      # all addresses, both families
    for host in (HOST, "::1"):
        f = s.ftp(host)
        try:
            f.login(user, password)
            r = f.cwd("docs")
            assert r.startswith("250-") and "Read the README first." in r, r
            assert "\r" not in r and r.rstrip().endswith("Directory successfully changed."), r
            assert "README" in listing(f)
            lines = []
            f.retrlines("RETR README", lines.append)
            assert lines == ["readme"]
        finally:
            f.close()
    assert wait_until(lambda: os.path.exists(os.path.join(ftpenv.dir, "xferlog")) and
                      "README" in open(os.path.join(ftpenv.dir, "xferlog")).read(), 5)


RHEL_STOCK = """# Example config file /etc/vsftpd/vsftpd.conf (RHEL/Fedora's vsftpd package)
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
dirmessage_enable=YES
xferlog_enable=YES
connect_from_port_20=YES
xferlog_std_format=YES
listen=NO
listen_ipv6=YES

pam_service_name=vsftpd
userlist_enable=YES
"""


def test_rhel_stock_vsftpd_conf(ftpenv):
    """RHEL/Fedora's stock vsftpd.conf (its settings from vsftpd's man page and
    the package): xferlog_std_format=YES, what miniftpd always writes, was
    refused as an option miniftpd lacks; now the only stop is the user list
    (RHEL's default path, /etc/vsftpd/user_list, is not miniftpd's), named at
    its line; with userlist_file it passes, and xferlog_std_format=NO (vsftpd's
    own log format) is still refused with its advice."""
    if not os.path.exists("/etc/pam.d/vsftpd"):
        pytest.skip("no /etc/pam.d/vsftpd (the vsftpd package installs it)")
    path = write(os.path.join(ftpenv.dir, "rhel.conf"), RHEL_STOCK)
    rc, out = check(path)
    if os.path.exists("/etc/miniftpd.user_list"):
        assert (rc, out) == (0, "configuration OK")
    else:
        assert rc != 0 and "%s:14: userlist_enable=YES: cannot read userlist_file" % path \
            in out, out
    ul = write(os.path.join(ftpenv.dir, "user_list"), "root\nbin\n")
    with open(path, "a") as f:
        f.write("userlist_file=%s\n" % ul)
    assert check(path) == (0, "configuration OK")
    rc, out = check(path, "-oxferlog_std_format=NO")
    assert rc != 0 and '"xferlog_std_format" is a vsftpd option' in out, out


def test_windows_editor_file(ftpenv):
    """A vsftpd.conf saved by a Windows editor: a UTF-8 byte-order mark, CRLF
    line ends.  The mark made the first key unknown, with a message whose
    name looked right ('unknown option "listen"'); now it is skipped like
    the CRs.  A mark anywhere else stays an error."""
    path = os.path.join(ftpenv.dir, "win.conf")
    with open(path, "wb") as f:
        f.write(b"\xef\xbb\xbflisten=YES\r\nanonymous_enable=NO\r\nlocal_umask=022\r\n")
    assert check(path) == (0, "configuration OK")
    r = run([miniftpd_bin(), path, "-T"])
    assert "listen=YES" in r.stdout.splitlines() and "local_umask=022" in r.stdout, r.stdout
    with open(path, "wb") as f:
        f.write(b"listen=YES\r\n\xef\xbb\xbfanonymous_enable=NO\r\n")
    rc, out = check(path)
    assert rc != 0 and "%s:2: unknown option" % path in out, out


def test_listen_and_listen_ipv6_both_yes_refused(ftpenv):
    """vsftpd: listen and listen_ipv6 exclude each other; miniftpd names both lines."""
    path = write(os.path.join(ftpenv.dir, "both.conf"),
                 "# both\nlisten=YES\nanonymous_enable=NO\nlisten_ipv6=YES\n")
    rc, out = check(path)
    assert rc != 0
    assert "%s:4: listen_ipv6=YES and listen=YES (%s:2) exclude each other" % (path, path) \
        in out, out
    rc, out = check(path, "-olisten_ipv6=NO")
    assert rc == 0, out


def test_listen_ipv6_alone_is_standalone(ftpenv):
    """listen=NO, listen_ipv6=YES: a standalone listener (before: "no listener",
    miniftpd waited for a socket from systemd or inetd and exited)."""
    if not have_ipv6():
        pytest.skip("no IPv6 loopback here")
    path = ftpenv.write_config({"listen": "NO", "listen_ipv6": "YES",
                                "listen_address6": "::1", "listen_port": "0"},
                               path=os.path.join(ftpenv.dir, "v6.conf"))
    s = start(ftpenv, path)
    assert s.addr == "::1"
    f = s.ftp("::1")
    try:
        f.login("demo", DEMO_PASSWORD)
        assert "hello.txt" in listing(f)
    finally:
        f.close()


# ---------------------------------------------------------------- vsftpd options miniftpd lacks

def vsftpd_man_options():
    """Option names from vsftpd.conf(5) of the installed vsftpd package."""
    if not shutil.which("man"):
        pytest.skip("man not installed")
    r = subprocess.run(["man", "-P", "cat", "5", "vsftpd.conf"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True, timeout=60,
                       env=dict(os.environ, MANWIDTH="100", LC_ALL="C"))
    names = set(re.findall(r"^ {7}([a-z][a-z0-9_]+)\s*$", re.sub(r".\x08", "", r.stdout),
                           re.M))
    if len(names) < 100:
        pytest.skip("vsftpd.conf(5) not found (the vsftpd package installs it)")
    return names


# vsftpd options miniftpd lacks, and the value that asks for what miniftpd
# always does: accepted with no effect (any other value keeps the advice)
SAME = {"async_abor_enable": "YES", "background": "NO", "chmod_enable": "YES",
        "debug_ssl": "NO", "deny_email_enable": "NO",
        "dirlist_enable": "YES", "download_enable": "YES", "dual_log_enable": "NO",
        "guest_enable": "NO", "ls_recurse_enable": "NO", "mdtm_write": "NO",
        "no_anon_password": "NO", "one_process_model": "NO", "passwd_chroot_enable": "NO",
        "require_cert": "NO", "reverse_lookup_enable": "NO", "secure_email_list_enable": "NO",
        "setproctitle_enable": "NO", "ssl_request_cert": "NO", "ssl_tlsv1_1": "NO",
        "text_userdb_names": "YES", "tilde_user_enable": "NO", "validate_cert": "NO",
        "virtual_use_local_privs": "YES", "xferlog_std_format": "YES",
        "utf8_filesystem": "YES"}


def test_utf8_filesystem_yes_is_what_miniftpd_does(ftpenv):
    """utf8_filesystem=YES (tutorials set it): vsftpd 3.0.3 then lists UTF8 in
    FEAT (without it, not) and answers OPTS UTF8 ON "200 Always in UTF8
    mode."; miniftpd always does both, so the line is accepted."""
    path = write(os.path.join(ftpenv.dir, "u.conf"), "utf8_filesystem=YES\n")
    assert check(path) == (0, "configuration OK")
    s = ftpenv.server("standalone")
    c = s.connect()
    r = c.cmd("FEAT")
    assert r.code == 211 and " UTF8" in r.lines, r
    r = c.cmd("OPTS UTF8 ON")
    assert r.code == 200 and "Always in UTF8 mode." in r.text, r


def test_every_vsftpd_option_known_or_advised(ftpenv):
    """Each option of vsftpd.conf(5) is either a miniftpd option or refused
    with "is a vsftpd option ... : advice" (for the options of SAME, only the
    value that asks for something miniftpd does not do); a typo stays a
    plain unknown option."""
    path = write(os.path.join(ftpenv.dir, "empty.conf"), "")
    known = known_options()
    for name in sorted(vsftpd_man_options() - known):
        for value in ("YES", "NO"):
            rc, out = check(path, "-o%s=%s" % (name, value))
            if SAME.get(name) == value:
                assert (rc, out) == (0, "configuration OK"), (name, out)
                continue
            assert rc != 0, name
            assert re.search(r'"%s" is a vsftpd option that miniftpd does not implement: \S'
                             % name, out), out
    rc, out = check(path, "-oanonymous_enabel=YES")
    assert rc != 0 and 'unknown option "anonymous_enabel"' in out and "vsftpd" not in out


def test_vsftpd_switches_only_no(ftpenv):
    """tcp_wrappers=NO, ssl_sslv2=NO, ssl_sslv3=NO accepted; YES refused with the reason;
    allow_writeable_chroot and ssl_tlsv1 accepted either way (no effect)."""
    path = write(os.path.join(ftpenv.dir, "sw.conf"), "tcp_wrappers=NO\nssl_sslv2=NO\n"
                 "ssl_sslv3=NO\nallow_writeable_chroot=YES\nssl_tlsv1=YES\n")
    assert check(path) == (0, "configuration OK")
    for key, why in (("tcp_wrappers", "TCP wrappers are not supported"),
                     ("ssl_sslv2", "SSL 2 is never offered"),
                     ("ssl_sslv3", "SSL 3 is never offered")):
        rc, out = check(path, "-o%s=YES" % key)
        assert rc != 0 and "%s=YES: %s" % (key, why) in out, out


@pytest.mark.parametrize("line,vsftpd_value", [("local_umask=22", "026"),
                                                ("anon_umask=77", "0115"),
                                                ("file_open_mode=666", "01232"),
                                                ("max_per_ip=010", "8")])
def test_number_vsftpd_reads_otherwise_refused(ftpenv, line, vsftpd_value):
    """vsftpd reads a number with a leading 0 as octal and any other as
    decimal (local_umask=22 is umask 026 there: a file_open_mode=666 upload
    with anon_umask=22 came out 1210 under vsftpd 3.0.3); miniftpd read modes
    as octal always, so the same line made files more readable.  Such a line
    is refused at its FILE:LINE with both readings; 022, 7, 0 still pass."""
    path = write(os.path.join(ftpenv.dir, "num.conf"), "# numbers\n%s\n" % line)
    rc, out = check(path)
    assert rc != 0, out
    assert "%s:2: %s" % (path, line.split("=")[0]) in out, out
    assert "or %s for what vsftpd did" % vsftpd_value in out, out
    path = write(os.path.join(ftpenv.dir, "num.conf"),
                 "local_umask=022\nanon_umask=7\nfile_open_mode=0666\nmax_per_ip=07\n"
                 "listen_port=0\n")
    assert check(path) == (0, "configuration OK")


def test_userlist_unreadable_refused_at_check(ftpenv):
    """userlist_enable=YES with a userlist_file that cannot be read: vsftpd
    3.0.3 answers every session "500 OOPS: cannot read user list file";
    miniftpd read it as empty, so userlist_deny=YES let everyone in (a site
    relying on vsftpd's default /etc/vsftpd.user_list lost its deny list).
    Now -t stops at the userlist_enable line, naming the file."""
    missing = os.path.join(ftpenv.dir, "no-user_list")
    path = write(os.path.join(ftpenv.dir, "ul.conf"),
                 "# RHEL-like\nlocal_enable=YES\nuserlist_enable=YES\nuserlist_file=%s\n"
                 % missing)
    rc, out = check(path)
    assert rc != 0, out
    assert "%s:3: userlist_enable=YES: cannot read userlist_file %s: No such file" \
        % (path, missing) in out, out
    assert "/etc/vsftpd.user_list" in out, out
    write(missing, "root\n")
    assert check(path) == (0, "configuration OK")
    assert check(path, "-ouserlist_enable=NO", "-ouserlist_file=/nonexistent") == \
        (0, "configuration OK")
    if not os.path.exists("/etc/miniftpd.user_list"):       # the default path
        path = write(os.path.join(ftpenv.dir, "ul2.conf"), "userlist_enable=YES\n")
        rc, out = check(path)
        assert rc != 0 and "%s:1: userlist_enable=YES: cannot read userlist_file " \
            "/etc/miniftpd.user_list" % path in out, out


@pytest.mark.parametrize("deny", ["YES", "NO"])
def test_userlist_gone_refuses_logins(ftpenv, deny):
    """A userlist_file removed while the server runs refuses every login that
    consults it (with either userlist_deny), as vsftpd refuses the session;
    before, userlist_deny=YES admitted everyone."""
    ul = write(os.path.join(ftpenv.dir, "user_list"), "someoneelse\n" if deny == "YES"
               else "demo\n")
    s = ftpenv.server("standalone", userlist_enable="YES", userlist_deny=deny,
                      userlist_file=ul, delay_failed_login="0")
    s.login().close()
    os.unlink(ul)
    c = s.connect()
    assert c.cmd("USER demo").code == 331
    assert c.cmd("PASS " + DEMO_PASSWORD).code == 530
    c.close()
    assert wait_until(lambda: "cannot read userlist_file" in s.log(), 5), s.log()


@pytest.mark.parametrize("line,why", [
    ("tcp_wrappers=YES", "tcp_wrappers=YES: TCP wrappers are not supported"),
    ("ssl_sslv2=YES", "ssl_sslv2=YES: SSL 2 is never offered"),
    ("pasv_max_port=4000", "pasv_min_port (5000) is above pasv_max_port (4000)"),
    ("limitd_fail=maybe", 'limitd_fail: "maybe" must be open or closed')])
def test_cross_checks_name_the_line(ftpenv, line, why):
    """The checks made after the whole file is read (vsftpd switches only NO,
    the passive range, limitd_fail) name the line like every other refusal:
    they said only the file's name, leaving a long vsftpd.conf to be searched."""
    path = write(os.path.join(ftpenv.dir, "x.conf"),
                 "# a vsftpd.conf\nanonymous_enable=NO\npasv_min_port=5000\n%s\n"
                 "listen=NO\n" % line)
    rc, out = check(path)
    assert rc != 0, out
    where = "%s:3" % path if line.startswith("pasv_max_port") else "%s:4" % path
    assert "%s: %s" % (where, why) in out, out


def test_pasv_min_port_alone(ftpenv):
    """pasv_min_port without pasv_max_port: vsftpd 3.0.3 serves min..65535
    (checked: PASV ports 64843-65439 for pasv_min_port=64000); miniftpd
    refused it ("pasv_min_port (64000) is above pasv_max_port (0)") though
    its PASV code already read 0 as 65535."""
    path = write(os.path.join(ftpenv.dir, "pm.conf"), "pasv_min_port=64000\n")
    assert check(path) == (0, "configuration OK")
    s = ftpenv.server("standalone", pasv_min_port="64000")
    c = s.login()
    for _ in range(3):
        r = c.cmd("PASV")
        m = re.search(r"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", r.text)
        assert r.code == 227 and int(m.group(5)) * 256 + int(m.group(6)) >= 64000, r


def retr(f, name):
    out = []
    f.retrbinary("RETR " + name, out.append)
    return b"".join(out)


@pytest.mark.parametrize("only", ["default", "NO"])
def test_anon_world_readable_only(ftpenv, only):
    """vsftpd's anon_world_readable_only (default YES): an anonymous RETR of
    a file others may not read gets 550 (vsftpd 3.0.3: an anonymous upload,
    0600 under anon_umask=077, cannot be fetched back), so an upload
    directory is no drop box.  miniftpd refused the option and served such
    files; now YES by default, NO serves them, and local/virtual users are
    not concerned."""
    extra = {} if only == "default" else {"anon_world_readable_only": "NO"}
    s = ftpenv.server("standalone", anonymous_enable="YES", anon_root=ftpenv.anon_root,
                      write_enable="YES", anon_upload_enable="YES", **extra)
    f = s.ftplib(user=None)
    try:
        f.login("anonymous", "x@y")
        f.storbinary("STOR drop.bin", __import__("io").BytesIO(b"drop\n"))
        up = os.path.join(ftpenv.anon_root, "drop.bin")
        assert os.stat(up).st_mode & 0o777 == 0o600
        if only == "NO":
            assert retr(f, "drop.bin") == b"drop\n"
            return
        with pytest.raises(ftplib.error_perm, match="^550 Failed to open file"):
            retr(f, "drop.bin")
        assert "drop.bin" in listing(f)                  # still listed, as in vsftpd
        os.chmod(up, 0o604)                              # released by the admin
        assert retr(f, "drop.bin") == b"drop\n"
    finally:
        f.close()
    private = os.path.join(ftpenv.root, "private.txt")
    write(private, "mine\n", 0o600)
    if IS_ROOT:
        pw = pwd.getpwnam(GUEST)
        os.chown(private, pw.pw_uid, pw.pw_gid)
    v = s.ftplib()                                       # demo, a virtual user
    try:
        assert retr(v, "private.txt") == b"mine\n"
    finally:
        v.close()


# ---------------------------------------------------------------- five real-world variants

def prepare_variant(ftpenv, name, subst):
    with open(os.path.join(VARIANTS, name + ".conf")) as f:
        text = f.read()
    for k, v in subst.items():
        text = text.replace("@%s@" % k, v)
    assert "@" not in re.sub(r"#.*", "", text), text
    return write(os.path.join(ftpenv.dir, name + ".conf"), rewrite_ports(text))


def refusals(base):
    return dict(base)


def check_pasv_in_range(f):
    lo, hi = pasv_range()
    r = f.sendcmd("PASV")
    m = re.search(r"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", r)
    port = int(m.group(5)) * 256 + int(m.group(6))
    assert lo <= port <= hi, r
    return m


def test_variant_anon_download(ftpenv):
    """Anonymous download mirror: banner, .message, hide_file, deny_file, listing, RETR."""
    pub = os.path.join(ftpenv.anon_root, "pub")
    os.mkdir(pub)
    write(os.path.join(pub, ".message"), "Mirror of nothing in particular.\n")
    write(os.path.join(pub, "big.iso"), "iso\n")
    write(os.path.join(pub, "big.iso.tmp"), "tmp\n")
    write(os.path.join(pub, "half.part"), "part\n")
    if IS_ROOT:
        ftpenv.chown_guest(ftpenv.anon_root)
    path = prepare_variant(ftpenv, "anon-download", {"ANON_ROOT": ftpenv.anon_root})
    assert settle(path, refusals({"no_anon_password": "vsftpd"}), []) == ["no_anon_password"]
    s = start(ftpenv, path, "-olisten_address=" + HOST)
    f = s.ftp()
    try:
        assert f.getwelcome() == "220 Welcome to the mirror. All transfers are logged."
        f.login("anonymous", "guest@example.org")
        r = f.cwd("pub")
        assert "Mirror of nothing in particular." in r, r
        names = listing(f)
        assert "big.iso" in names and "half.part" in names
        assert ".message" not in names and "big.iso.tmp" not in names   # hide_file
        lines = []
        f.retrlines("RETR big.iso.tmp", lines.append)                    # hidden, not denied
        assert lines == ["tmp"]
        with pytest.raises(ftplib.error_perm, match="^550"):
            f.retrlines("RETR half.part", lines.append)                  # deny_file
        with pytest.raises(ftplib.error_perm, match="^550"):
            f.sendcmd("SIZE half.part")
        with pytest.raises(ftplib.error_perm, match="^550"):
            f.sendcmd("MDTM /pub/half.part")
        check_pasv_in_range(f)
    finally:
        f.close()


def test_variant_chroot_uploads(ftpenv, maybe_user):
    """Chrooted local users with uploads, listen_ipv6=YES (dual-stack), userlist_deny=NO."""
    userlist = os.path.join(ftpenv.dir, "user_list")
    user, password, extra = local_login(ftpenv, maybe_user)
    write(userlist, user + "\n")
    path = prepare_variant(ftpenv, "chroot-uploads", {"USERLIST": userlist})
    settle(path, refusals({}), [])
    if not have_ipv6():
        pytest.skip("no IPv6 loopback here (the variant listens on IPv6)")
    s = start(ftpenv, path, *extra)
    f = s.ftp(HOST)
    try:
        f.login(user, password)
        assert f.pwd() == "/"
        f.storbinary("STOR up.txt", __import__("io").BytesIO(b"uploaded\n"))
        assert "up.txt" in listing(f)
    finally:
        f.close()
    home = maybe_user.home if maybe_user else ftpenv.root
    st = os.stat(os.path.join(home, "up.txt"))
    assert st.st_mode & 0o777 == 0o644        # local_umask=022
    f = s.ftp("::1")
    try:
        with pytest.raises(ftplib.error_perm, match="^530"):
            f.login("nosuchuser", "x")        # not in the userlist
    finally:
        f.close()


def test_variant_virtual_users(ftpenv):
    """Virtual users: guest_enable refused with advice (user_db_file), user_config_dir."""
    ucd = os.path.join(ftpenv.dir, "vusers")
    os.mkdir(ucd, 0o755)
    sub = os.path.join(ftpenv.root, "pub")
    write(os.path.join(ucd, "demo"), "# per-user\nlocal_root=%s\nwrite_enable=NO\n" % sub)
    write(os.path.join(sub, "only-in-pub.txt"), "x\n")
    if IS_ROOT:
        ftpenv.chown_guest(ftpenv.root)
    path = prepare_variant(ftpenv, "virtual-users", {"GUEST": GUEST if IS_ROOT else
                                                     pwd.getpwuid(os.getuid()).pw_name,
                                                     "USER_CONFIG_DIR": ucd})
    # the advice for guest_enable: virtual users come from user_db_file; the PAM
    # service that served them (pam_userdb, not installed here) goes with it:
    # miniftpd's pam_service_name is for local users only, and -t refuses a
    # service without its file at the line that names it
    # (virtual_use_local_privs=YES is what miniftpd always does: accepted)
    got = settle(path, refusals({"guest_enable": "vsftpd",
                                 PAM_KEY: "no PAM service /etc/pam.d/vsftpd.virtual"}), [])
    assert got == ["guest_enable", PAM_KEY]
    with open(path, "a") as fh:
        fh.write("user_db_file=%s\n" % ftpenv.users_file)
    assert check(path) == (0, "configuration OK")
    s = start(ftpenv, path, "-olisten_address=" + HOST)
    f = s.ftp()
    try:
        f.login("demo", DEMO_PASSWORD)
        names = listing(f)
        assert "only-in-pub.txt" in names and "hello.txt" not in names   # local_root
        with pytest.raises(ftplib.error_perm, match="^550"):
            f.mkd("new")                                                # write_enable=NO
    finally:
        f.close()
    if "bdemo" in ftpenv.passwords or "ydemo" in ftpenv.passwords:
        other = "ydemo" if "ydemo" in ftpenv.passwords else "bdemo"
        f = s.ftp()
        try:
            f.login(other, DEMO_PASSWORD)             # no file: the global settings
            assert "hello.txt" in listing(f)
        finally:
            f.close()


def test_variant_pasv_nat(ftpenv, maybe_user):
    """Behind NAT: pasv_address a host name (localhost) with pasv_addr_resolve=YES."""
    user, password, extra = local_login(ftpenv, maybe_user)
    path = prepare_variant(ftpenv, "pasv-nat", {"PASV_NAME": "localhost"})
    settle(path, refusals({}), [])
    s = start(ftpenv, path, "-olisten_address=" + HOST, *extra)
    f = s.ftp()
    try:
        f.login(user, password)
        m = check_pasv_in_range(f)
        assert m.group(1, 2, 3, 4) == ("127", "0", "0", "1")
        with pytest.raises(ftplib.error_perm, match="^5"):
            f.sendcmd("PORT 127,0,0,1,200,10")          # port_enable=NO
    finally:
        f.close()
    f = s.ftp()
    try:
        f.login(user, password)
        assert listing(f) is not None
    finally:
        f.close()


def test_variant_ftps(ftpenv, maybe_user):
    """Explicit FTPS: TLS login and a PROT P listing; require_ssl_reuse=NO and
    debug_ssl refused with their reasons, ssl_tlsv1/sslv2/sslv3 accepted."""
    from ftpskit import Certs, ReuseFTP_TLS, client_context
    certs = Certs()
    try:
        user, password, extra = local_login(ftpenv, maybe_user)
        path = prepare_variant(ftpenv, "ftps", {"CERT": certs.path("ec.crt"),
                                                "KEY": certs.path("ec.key")})
        got = settle(path, refusals({"require_ssl_reuse": "require_ssl_reuse=NO is not "
                                     "supported:", "debug_ssl": "vsftpd"}), [])
        assert set(got) >= {"require_ssl_reuse", "debug_ssl"}
        s = start(ftpenv, path, "-olisten_address=" + HOST, *extra)
        f = s.ftp(cls=ReuseFTP_TLS, context=client_context("1.3"))
        try:
            f.login(user, password)
            assert f.prot_p().startswith("200")
            assert listing(f) is not None
        finally:
            f.close()
        f = s.ftp()
        try:
            with pytest.raises(ftplib.error_perm, match="^530"):
                f.login(user, password)                 # force_local_logins_ssl
        finally:
            f.close()
    finally:
        shutil.rmtree(certs.dir, ignore_errors=True)


# ---------------------------------------------------------------- pasv_addr_resolve

@needs_root
@pytest.mark.parametrize("resolve", ["YES", "NO"])
def test_pasv_addr_resolve_follows_dns(ftpenv, resolve):
    """pasv_addr_resolve=YES: pasv_address is resolved again for new sessions
    (pasv_addr_ttl=0: every one), so a dynamic-DNS change shows without a
    restart; NO keeps the start-up answer.  The server sees a hosts file of
    the test's own, bind-mounted over /etc/hosts in a private mount namespace."""
    if not shutil.which("unshare"):
        pytest.skip("unshare not installed")
    hosts = os.path.join(ftpenv.dir, "hosts")

    def point(addr):
        with open(hosts, "w") as f:      # same inode: the bind mount sees it
            f.write("127.0.0.1 localhost\n%s ftp-dyn.test\n" % addr)

    point("127.0.0.9")
    conf = ftpenv.write_config({"listen": "YES", "listen_address": HOST, "listen_port": "0",
                                "pasv_address": "ftp-dyn.test", "pasv_addr_resolve": resolve,
                                "pasv_addr_ttl": "0"}, path=os.path.join(ftpenv.dir, "nat.conf"))
    s = VsfServer(ftpenv, conf, server_opts(ftpenv))
    ftpenv.servers.append(s)
    real = [miniftpd_bin()]
    miniftpd_argv = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                     'mount --bind "$0" /etc/hosts && exec "$@"', hosts] + real
    with open(s.errpath, "ab") as err:
        s.proc = subprocess.Popen(miniftpd_argv + [conf] + s.opts, stdin=subprocess.DEVNULL,
                                  stdout=err, stderr=err, cwd=ftpenv.dir)
    m = wait_until(lambda: re.search(r"Listening on \S+ port (\d+)", s.log()) or
                   s.proc.poll() is not None, 10)
    assert isinstance(m, re.Match), s.log()
    s.port = int(m.group(1))

    def pasv_host():
        f = s.ftp()
        try:
            f.login("demo", DEMO_PASSWORD)
            r = f.sendcmd("PASV")
        finally:
            f.close()
        return ".".join(re.search(r"\((\d+),(\d+),(\d+),(\d+),", r).group(1, 2, 3, 4))

    assert pasv_host() == "127.0.0.9"
    point("127.0.0.10")
    assert pasv_host() == ("127.0.0.10" if resolve == "YES" else "127.0.0.9")
    if resolve == "YES":
        assert "pasv_address ftp-dyn.test now resolves to 127.0.0.10 (was 127.0.0.9)" in s.log()


# ---------------------------------------------------------------- user_config_dir

@pytest.mark.parametrize("case", ["writable", "bad_line", "not_per_user", "bad_value",
                                  "not_root_owned"])
def test_user_config_dir_refusals(ftpenv, case):
    """A user_config_dir file the helper cannot trust or parse ends the login
    with 530 and a log line naming the file (and its line)."""
    ucd = os.path.join(ftpenv.dir, "ucd")
    os.mkdir(ucd, 0o755)
    f_path = os.path.join(ucd, "demo")
    body, mode, want = {
        "writable": ("write_enable=NO\n", 0o646, "writable by group or others"),
        "bad_line": ("# x\nwrite_enable\n", 0o644, f_path + ":2: expected key=value"),
        "not_per_user": ("write_enable=NO\nlisten=YES\n", 0o644,
                         f_path + ":2: listen cannot be set per user"),
        "bad_value": ("local_umask=999\n", 0o644,
                      f_path + ':1: local_umask: "999" is not an octal number'),
        "not_root_owned": ("write_enable=NO\n", 0o644, "not owned by root"),
    }[case]
    write(f_path, body, mode)
    if case == "not_root_owned":
        if not IS_ROOT:
            pytest.skip("needs root to give the file to another user")
        pw = pwd.getpwnam(GUEST)
        os.chown(f_path, pw.pw_uid, pw.pw_gid)
    s = ftpenv.server("standalone", user_config_dir=ucd)
    c = s.connect()
    assert c.cmd("USER demo").code == 331
    r = c.cmd("PASS " + DEMO_PASSWORD)
    assert r.code == 530 and "configuration file is invalid" in r.text, r
    c.wait_closed()
    assert wait_until(lambda: want in s.log(), 5), s.log()
    assert 'Login refused for "demo"' in s.log()
    # other users (no file) still log in
    if "ydemo" in ftpenv.passwords:
        s.login("ydemo")


@needs_root
@pytest.mark.parametrize("chroot_local_user,listed,user_file,chrooted", [
    ("YES", True, None, False),        # the tutorial setup: everyone but the listed
    ("YES", False, None, True),
    ("NO", True, None, True),          # only the listed
    ("NO", False, None, False),
    ("NO", True, "chroot_local_user=YES\n", False),    # the user's file, then the list
])
def test_chroot_list(ftpenv, system_user, chroot_local_user, listed, user_file, chrooted):
    """vsftpd's chroot_list_enable / chroot_list_file: a listed local user gets
    the opposite of chroot_local_user (after the user's user_config_dir file).
    miniftpd refused both lines; a vsftpd.conf with them now serves as
    vsftpd did.  Virtual users stay chrooted whatever the list says."""
    lst = write(os.path.join(ftpenv.dir, "chroot_list"),
                "someone\n" + (system_user.name + "\n" if listed else "") + "demo\n")
    extra = {}
    if user_file is not None:
        ucd = os.path.join(ftpenv.dir, "ucd")
        os.mkdir(ucd, 0o755)
        write(os.path.join(ucd, system_user.name), user_file)
        extra["user_config_dir"] = ucd
    s = ftpenv.server("standalone", local_enable="YES", chroot_local_user=chroot_local_user,
                      chroot_list_enable="YES", chroot_list_file=lst, **extra)
    f = s.ftplib(system_user.name, system_user.password)
    try:
        assert f.pwd() == ("/" if chrooted else system_user.home), f.pwd()
        assert "local.txt" in listing(f)
    finally:
        f.close()
    f = s.ftplib()                                       # demo, virtual, listed
    try:
        assert f.pwd() == "/" and "hello.txt" in listing(f)
        with pytest.raises(ftplib.error_perm, match="^550"):
            f.cwd("/etc")
    finally:
        f.close()


def test_chroot_list_unreadable(ftpenv):
    """chroot_list_enable=YES with a list that cannot be read: -t stops at
    that line (vsftpd ends each session: "could not read chroot() list
    file"); a list removed later refuses the logins that consult it."""
    missing = os.path.join(ftpenv.dir, "no-chroot_list")
    path = write(os.path.join(ftpenv.dir, "cl.conf"),
                 "chroot_local_user=YES\nchroot_list_enable=YES\nchroot_list_file=%s\n"
                 % missing)
    rc, out = check(path)
    assert rc != 0 and "%s:2: chroot_list_enable=YES: cannot read chroot_list_file %s" \
        % (path, missing) in out and "/etc/vsftpd.chroot_list" in out, out
    write(missing, "root\n")
    assert check(path) == (0, "configuration OK")


@needs_root
def test_chroot_list_gone_refuses_local_logins(ftpenv, system_user):
    lst = write(os.path.join(ftpenv.dir, "chroot_list"), system_user.name + "\n")
    s = ftpenv.server("standalone", local_enable="YES", chroot_local_user="YES",
                      chroot_list_enable="YES", chroot_list_file=lst)
    s.ftplib(system_user.name, system_user.password).close()
    os.unlink(lst)
    with pytest.raises(ftplib.error_perm, match="^530"):
        s.ftplib(system_user.name, system_user.password)
    assert wait_until(lambda: "cannot read chroot_list_file" in s.log(), 5), s.log()


@needs_root
def test_user_sub_token_local_users(ftpenv, system_user):
    """The DigitalOcean-style vsftpd.conf: user_sub_token=$USER with
    local_root=/srv/$USER/ftp and chroot_local_user=YES: each local user is
    chrooted to the directory named after them.  miniftpd refused
    user_sub_token (and a local_root with a literal "$USER" refused every
    login as a missing directory)."""
    top = os.path.join(ftpenv.dir, "srv")
    mine = os.path.join(top, system_user.name, "ftp")
    os.makedirs(mine)
    write(os.path.join(mine, "only-mine.txt"), "x\n")
    s = ftpenv.server("standalone", local_enable="YES", chroot_local_user="YES",
                      user_sub_token="$USER", local_root=os.path.join(top, "$USER", "ftp"))
    f = s.ftplib(system_user.name, system_user.password)
    try:
        assert f.pwd() == "/"
        assert "only-mine.txt" in listing(f)
    finally:
        f.close()


def test_user_sub_token_user_config_dir(ftpenv):
    """user_sub_token in a user_config_dir file's local_root, for a virtual
    user: the token becomes the login name."""
    ucd = os.path.join(ftpenv.dir, "ucd")
    os.mkdir(ucd, 0o755)
    top = os.path.join(ftpenv.dir, "vhomes")
    os.makedirs(os.path.join(top, "demo"))
    write(os.path.join(top, "demo", "demo-only.txt"), "x\n")
    if IS_ROOT:
        ftpenv.chown_guest(top)
    write(os.path.join(ucd, "demo"), "local_root=%s/%%u\n" % top)
    s = ftpenv.server("standalone", user_config_dir=ucd, user_sub_token="%u")
    f = s.ftplib()
    try:
        assert "demo-only.txt" in listing(f)
    finally:
        f.close()


@needs_root
def test_user_config_dir_local_user(ftpenv, system_user):
    """A local user's file: chroot_local_user=YES and local_umask=027 for that
    user alone, read by the root helper (the file is root's, 0644)."""
    ucd = os.path.join(ftpenv.dir, "ucd")
    os.mkdir(ucd, 0o755)
    write(os.path.join(ucd, system_user.name), "chroot_local_user=YES\nlocal_umask=027\n")
    s = ftpenv.server("standalone", local_enable="YES", user_config_dir=ucd)
    f = s.ftplib(system_user.name, system_user.password)
    try:
        assert f.pwd() == "/"
        assert "local.txt" in listing(f)
        f.storbinary("STOR u.txt", __import__("io").BytesIO(b"x"))
    finally:
        f.close()
    assert os.stat(os.path.join(system_user.home, "u.txt")).st_mode & 0o777 == 0o640


# ---------------------------------------------------------------- banner_file, message_file

def test_banner_file(ftpenv):
    """banner_file's text is the 220 greeting (multi-line, overriding
    ftpd_banner); a line that looks like a reply's end stays a continuation."""
    b = write(os.path.join(ftpenv.dir, "banner"),
              "Welcome to example.org\r\n220 not the end\n\x07bell\n\n")
    s = ftpenv.server("standalone", banner_file=b, ftpd_banner="ignored")
    c = s.connect(greet=False)
    r = c.reply()
    assert r.code == 220
    assert r.lines == ["220-Welcome to example.org", " 220 not the end", "220 ?bell"], r
    assert c.login().code == 230


def test_banner_file_missing_is_a_startup_error(ftpenv):
    path = ftpenv.write_config({"banner_file": os.path.join(ftpenv.dir, "nope")},
                               path=os.path.join(ftpenv.dir, "b.conf"))
    r = run([miniftpd_bin(), path, "-olisten=YES", "-olisten_address=" + HOST,
             "-olisten_port=0"], timeout=20)
    assert r.returncode != 0 and "banner_file %s" % os.path.join(ftpenv.dir, "nope") \
        in r.stdout, r.stdout


def test_message_file_bounded(ftpenv):
    """message_file names the file; only its first 50 lines (4 KiB) are shown;
    a FIFO of that name is not read (no hang); dirmessage_enable=NO shows nothing."""
    d = os.path.join(ftpenv.root, "big")
    f2 = os.path.join(ftpenv.root, "fifo")
    os.mkdir(d)
    os.mkdir(f2)
    write(os.path.join(d, "README.msg"), "".join("line %d\n" % i for i in range(1, 200)))
    os.mkfifo(os.path.join(f2, "README.msg"))
    if IS_ROOT:
        ftpenv.chown_guest(ftpenv.root)
    s = ftpenv.server("standalone", dirmessage_enable="YES", message_file="README.msg")
    c = s.login()
    r = c.cmd("CWD /big")
    assert r.code == 250 and r.lines[0] == "250-line 1" and " line 50" in r.lines, r
    assert " line 51" not in r.lines and len(r.lines) == 51, r
    r = c.cmd("CWD /fifo", timeout=5)
    assert r.lines == ["250 Directory successfully changed."], r
    s2 = ftpenv.server("standalone", message_file="README.msg")
    r = s2.login().cmd("CWD /big")
    assert r.lines == ["250 Directory successfully changed."], r
