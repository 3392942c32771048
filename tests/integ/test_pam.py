"""Local users through PAM (pam_service_name), as root.

Each test writes its own PAM services under /etc/pam.d (removed afterwards):
one with pam_unix for auth, account and session plus a pam_exec session
line that records open and close, and one with pam_deny.  The aging cases
run on the PAM path and on the /etc/shadow path alike.
"""

import os
import pwd
import secrets
import signal
import subprocess
import time

import pytest

from conftest import (GUEST, miniftpd_bin, needs_root, proc_children, proc_status, run_cmd,
                      sanitized, wait_until)
from refusaltiming import assert_alike, pass_times, yescrypt_and_locked_twin
from sessionprocs import (CAP_NET_BIND, CAP_NONE, assert_gone, caps, ids, session_of,
                          socket_inodes)

pytestmark = needs_root


class PamServices:
    def __init__(self, unix, deny, nosession, record):
        self.unix, self.deny, self.nosession, self.record = unix, deny, nosession, record

    def records(self):
        try:
            with open(self.record) as f:
                return f.read().split("\n")[:-1]
        except FileNotFoundError:
            return []


@pytest.fixture
def pam_services(ftpenv):
    tag = secrets.token_hex(3)
    unix, deny = "miniftpd-test-" + tag, "miniftpd-deny-" + tag
    nosession = "miniftpd-nosession-" + tag
    record = os.path.join(ftpenv.dir, "pam-session-" + tag)
    hook = os.path.join(ftpenv.dir, "pam-hook-" + tag)
    with open(hook, "w") as f:
        f.write('#!/bin/sh\necho "$PAM_TYPE $PAM_USER $PAM_RHOST $PAM_TTY $(id -u)" >> %s\n'
                % record)
    os.chmod(hook, 0o755)
    files = []
    try:
        for name, text in (
                (unix, "auth required pam_unix.so\n"
                       "account required pam_unix.so\n"
                       "session required pam_unix.so\n"
                       "session required pam_exec.so %s\n" % hook),
                (deny, "auth required pam_deny.so\n"
                       "account required pam_deny.so\n"
                       "session required pam_deny.so\n"),
                (nosession, "auth required pam_unix.so\n"
                            "account required pam_unix.so\n"
                            "session required pam_deny.so\n")):
            path = "/etc/pam.d/" + name
            with open(path, "w") as f:
                f.write(text)
            files.append(path)
        yield PamServices(unix, deny, nosession, record)
    finally:
        for s in ftpenv.servers:
            s.stop()
        for path in files:
            os.unlink(path)


def _tool(argv):
    """useradd/usermod/chage/chpasswd, again while another process holds
    the shadow lock (other test runs may)."""
    for _ in range(20):
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        if r.returncode == 0 or b"lock" not in r.stdout:
            break
        time.sleep(0.25)
    assert r.returncode == 0, (argv, r.stdout)


def _reason_logged(s, name, words):
    return wait_until(lambda: any('Login failed for "%s"' % name in line and words in line
                                  for line in s.log().splitlines()), 5)


def test_login_session_opened_and_closed(pam_services, system_user, ftpd):
    """pam_unix logs the user in; the session is opened (in the helper,
    root, PAM_RHOST and PAM_TTY set) and closed after QUIT by the session
    keeper (root); the processes keep their privileges: the service process
    is the user without capabilities, the helper nopriv_user with only
    CAP_NET_BIND_SERVICE, and the keeper holds no socket."""
    s = ftpd(local_enable="YES", pam_service_name=pam_services.unix)
    c = s.connect()
    helper, pre = session_of(s)
    assert c.login(system_user.name, "wrong-" + system_user.password).code == 530
    assert _reason_logged(s, system_user.name, "wrong password (PAM pam_authenticate")
    assert pam_services.records() == []
    assert c.login(system_user.name, system_user.password).code == 230
    assert c.cmd("TYPE I").code == 200
    assert c.cmd("SIZE local.txt").lines == ["213 6"]
    assert pam_services.records() == ["open_session %s 127.0.0.1 ftp 0" % system_user.name]

    def two_children():
        kids = proc_children(helper)
        return kids if len(kids) == 2 else None
    kids = wait_until(two_children, 10)
    assert kids, proc_children(helper)
    service = [p for p in kids if ids(p, "Uid")[0] == system_user.uid][0]
    keeper = [p for p in kids if p != service][0]
    assert ids(service, "Uid") == [system_user.uid] * 4
    assert caps(service)["CapEff"] == CAP_NONE and caps(service)["CapPrm"] == CAP_NONE
    assert proc_status(service)["NoNewPrivs"] == "1"
    # the helper drops (ids, capabilities, filter) right after forking the keeper
    nopriv = pwd.getpwnam(GUEST).pw_uid
    filtered = "0" if sanitized() else "2"
    assert wait_until(lambda: ids(helper, "Uid") == [nopriv] * 4 and
                      caps(helper)["CapEff"] == CAP_NET_BIND and
                      proc_status(helper)["Seccomp"] == filtered, 10), \
        (ids(helper, "Uid"), caps(helper), proc_status(helper)["Seccomp"])
    assert ids(keeper, "Uid") == [0] * 4
    assert socket_inodes(keeper) == set(), "the keeper holds a socket"

    assert c.cmd("QUIT").code == 221
    assert c.wait_closed() == b""
    assert_gone([helper, service, keeper])
    assert pam_services.records() == [
        "open_session %s 127.0.0.1 ftp 0" % system_user.name,
        "close_session %s 127.0.0.1 ftp 0" % system_user.name]


def test_session_closed_when_the_client_vanishes(pam_services, system_user, ftpd):
    s = ftpd("accept", local_enable="YES", pam_service_name=pam_services.unix)
    c = s.connect()
    assert c.login(system_user.name, system_user.password).code == 230
    c.close()
    assert wait_until(lambda: len(pam_services.records()) == 2, 10), pam_services.records()
    assert pam_services.records()[1].startswith("close_session %s " % system_user.name)


def test_pam_deny_refuses_a_correct_password(pam_services, system_user, ftpenv, ftpd):
    """pam_deny refuses the right password; virtual and anonymous users
    never go through PAM."""
    s = ftpd(local_enable="YES", anonymous_enable="YES", anon_root=ftpenv.anon_root,
             max_login_fails="10",
             pam_service_name=pam_services.deny)
    c = s.connect()
    assert c.login(system_user.name, system_user.password).lines == ["530 Login incorrect."]
    assert _reason_logged(s, system_user.name, "(PAM pam_authenticate")
    assert c.login().code == 230                      # the virtual user demo
    c.cmd("QUIT")
    c = s.connect()
    assert c.login("anonymous", "x@example.org").code == 230
    c.cmd("QUIT")


AGING = [
    # (command, words of the PAM path's reason; None: logs in)
    (["chage", "-d", "2020-01-01", "-M", "30", "-I", "1"], "password expired (a change is required, which FTP cannot do) (PAM pam_acct_mgmt"),
    (["chage", "-d", "0"], "password must be changed, which FTP cannot do (PAM pam_acct_mgmt"),
    (["usermod", "-L"], "account locked (PAM pam_authenticate"),
    (["chage", "-M", "99999"], None),
]


def test_aging_same_on_both_paths(pam_services, system_user, ftpd):
    """An aged password (chage -d 2020-01-01 -M 30 -I 1), one that must be
    changed (chage -d 0, PAM_NEW_AUTHTOK_REQD), a locked account
    (usermod -L): refused with 530 under PAM and on the shadow path alike,
    the reason logged; unlocked and unaged, both log in."""
    name = system_user.name
    pam = ftpd(local_enable="YES", max_login_fails="100", pam_service_name=pam_services.unix)
    shadow = ftpd(local_enable="YES", max_login_fails="100")
    for argv, words in AGING:
        _tool(["usermod", "-U", name])
        _tool(["chage", "-d", str(int(time.time() // 86400)), "-M", "99999", "-I", "-1",
               "-E", "-1", name])
        _tool(argv + [name])
        got = {}
        for label, s in (("pam", pam), ("shadow", shadow)):
            c = s.connect()
            r = c.login(name, system_user.password)
            got[label] = r.code
            if r.code == 230:
                c.cmd("QUIT")
                c.wait_closed()
            else:
                assert r.lines == ["530 Login incorrect."], (label, argv, r)
        assert got["pam"] == got["shadow"] == (230 if words is None else 530), (argv, got)
        if words:
            assert _reason_logged(pam, name, words), (argv, pam.log()[-1500:])
            assert _reason_logged(shadow, name, ""), (argv, shadow.log()[-1500:])


@pytest.mark.parametrize("phase", ["auth", "account"])
def test_nologin_logged_as_what_the_module_said(pam_services, system_user, ftpenv, ftpd,
                                                phase):
    """pam_nologin (its file= here, not /etc/nologin) refuses the right
    password with PAM_AUTH_ERR (auth) or PAM_PERM_DENIED (account) and
    sends its file as an error text: 530, and the log says what the module
    said, not "wrong password" (before: "wrong password (PAM
    pam_authenticate: Authentication failure)", the text lost).  Without
    the file the same stack logs in."""
    nologin = os.path.join(ftpenv.dir, "nologin-" + secrets.token_hex(3))
    with open(nologin, "w") as f:
        f.write("Down for maintenance\nuntil 04:00\n")
    service = "miniftpd-nologin-" + secrets.token_hex(3)
    path = "/etc/pam.d/" + service
    with open(path, "w") as f:
        f.write("%s requisite pam_nologin.so file=%s\n" % (phase, nologin) +
                "auth required pam_unix.so\n"
                "account required pam_unix.so\n"
                "session required pam_unix.so\n")
    try:
        s = ftpd(local_enable="YES", max_login_fails="10", pam_service_name=service)
        c = s.connect()
        assert c.login(system_user.name, system_user.password).lines == \
            ["530 Login incorrect."]
        step = "pam_authenticate" if phase == "auth" else "pam_acct_mgmt"
        assert _reason_logged(s, system_user.name, 'refused (PAM %s: ' % step), s.log()[-800:]
        assert _reason_logged(s, system_user.name,
                              'the module said "Down for maintenance until 04:00")'), \
            s.log()[-800:]
        assert "wrong password" not in s.log()
        os.unlink(nologin)
        assert c.login(system_user.name, system_user.password).code == 230
        c.cmd("QUIT")
    finally:
        os.unlink(path)


def test_pam_refusals_cost_a_real_check(pam_services, system_user, ftpenv, ftpd):
    """Under PAM, as on the shadow path: a wrong password (pam_unix's
    crypt), an unknown name, a locked account ('!': pam_unix refuses it
    without a crypt, the dummy is checked after it), system accounts
    ('*') each cost what pam_unix's check costs (two crypts of the
    system's method on Debian 12), within a factor 1.5."""
    with yescrypt_and_locked_twin(system_user, ftpenv) as locked:
        s = ftpd(local_enable="YES", max_login_fails="1000", delay_failed_login="0",
                 pam_service_name=pam_services.unix)
        c = s.connect()
        users = [system_user.name, "nosuchuser19", locked, "daemon", "bin", "root"]
        times = pass_times(c, users)
        assert_alike(times, system_user.name)
        # tighter than the shadow path's factor 3: one dummy check where
        # pam_unix costs two crypts (Debian 12) answers in half the time
        med = {u: sorted(t)[len(t) // 2] for u, t in times.items()}
        for user in users:
            assert med[system_user.name] / 1.5 <= med[user] <= med[system_user.name] * 1.5, \
                {u: "%.1f ms" % (m * 1000) for u, m in med.items()}
        assert c.login(system_user.name, system_user.password).code == 230
        c.cmd("QUIT")


def test_session_closed_when_the_helper_dies(pam_services, system_user, ftpd):
    """The keeper watches the helper, not the client: SIGKILL to the helper
    after login still closes the PAM session, and nothing is left."""
    s = ftpd(local_enable="YES", pam_service_name=pam_services.unix)
    c = s.connect()
    helper, pre = session_of(s)
    assert c.login(system_user.name, system_user.password).code == 230
    kids = wait_until(lambda: proc_children(helper) if len(proc_children(helper)) == 2
                      else None, 10)
    assert kids
    os.kill(helper, signal.SIGKILL)
    assert wait_until(lambda: len(pam_services.records()) == 2, 10), pam_services.records()
    assert pam_services.records()[1] == "close_session %s 127.0.0.1 ftp 0" % system_user.name
    assert_gone(kids)
    assert c.wait_closed().startswith(b"421 ")    # from the service process


def test_session_closed_when_limitd_refuses_the_login(pam_services, system_user, ftpd,
                                                       make_limitd):
    """limitd counts a login only once its PAM session is open; a login it
    refuses (max_per_user) gets 530 and its PAM session is closed at once,
    while the first session stays open."""
    ld = make_limitd(max_per_user=1, max_per_ip=0)
    s = ftpd(local_enable="YES", max_login_fails="10", pam_service_name=pam_services.unix,
             limitd_enable="YES", limitd_socket=str(ld.sock))
    first = s.connect()
    assert first.login(system_user.name, system_user.password).code == 230
    second = s.connect()
    assert second.login(system_user.name, system_user.password).lines == \
        ["530 Login incorrect."]
    assert _reason_logged(s, system_user.name, "max_per_user reached")
    opened = "open_session %s 127.0.0.1 ftp 0" % system_user.name
    closed = "close_session %s 127.0.0.1 ftp 0" % system_user.name
    assert wait_until(lambda: pam_services.records() == [opened, opened, closed], 10), \
        pam_services.records()
    assert first.cmd("NOOP").code == 200
    first.cmd("QUIT")
    assert wait_until(lambda: pam_services.records()[3:] == [closed], 10), \
        pam_services.records()


def test_failed_session_counts_no_login(pam_services, system_user, ftpd, make_limitd):
    """A right password whose PAM session cannot open (session pam_deny)
    gets 530, and limitd never counted that login: with max_per_user=1 the
    user still logs in elsewhere while the refused session stays connected."""
    ld = make_limitd(max_per_user=1, max_per_ip=0)
    common = dict(local_enable="YES", limitd_enable="YES", limitd_socket=str(ld.sock))
    broken = ftpd(pam_service_name=pam_services.nosession, **common)
    good = ftpd(pam_service_name=pam_services.unix, **common)
    c = broken.connect()
    assert c.login(system_user.name, system_user.password).lines == ["530 Login incorrect."]
    assert _reason_logged(broken, system_user.name, "(PAM pam_open_session")
    other = good.connect()
    assert other.login(system_user.name, system_user.password).code == 230
    assert c.cmd("NOOP").code == 200                  # still connected, not logged in
    other.cmd("QUIT")


def test_missing_service_stops_the_server(ftpenv):
    """A pam_service_name without its /etc/pam.d file is a start-up error
    (PAM would silently use its "other" service), as is a path."""
    for name, words in (("no-such-service-xyz", "no PAM service /etc/pam.d/no-such-service-xyz"),
                        ("../passwd", 'pam_service_name: "../passwd" is not a PAM service name')):
        r = run_cmd([miniftpd_bin(), ftpenv.config, "-olocal_enable=YES",
                     "-opam_service_name=" + name,
                     "-olisten=YES", "-olisten_address=127.0.0.1", "-olisten_port=0"])
        assert r.returncode == 2, r
        assert words in r.stderr, r.stderr


def _config_line(path, option):
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.startswith(option + "="):
                return n
    raise AssertionError("%s not in %s" % (option, path))


def test_check_reports_missing_service(ftpenv):
    """miniftpd -t checks pam_service_name as start-up does: a service with
    no file in /etc/pam.d nor in libpam's vendor directory /usr/lib/pam.d is
    a configuration error at its FILE:LINE; a service found only in
    /usr/lib/pam.d passes; without local_enable the option is unused and
    not checked."""
    name = "miniftpd-missing-" + secrets.token_hex(3)
    path = ftpenv.write_config({"local_enable": "YES", "pam_service_name": name})
    r = run_cmd([miniftpd_bin(), path, "-t"])
    assert r.returncode == 2, r
    assert "%s:%d: pam_service_name: no PAM service /etc/pam.d/%s (nor /usr/lib/pam.d/%s" % (
        path, _config_line(path, "pam_service_name"), name, name) in r.stderr, r.stderr
    assert "configuration OK" not in r.stdout
    path = ftpenv.write_config({"local_enable": "NO", "pam_service_name": name})
    r = run_cmd([miniftpd_bin(), path, "-t"])
    assert r.returncode == 0 and "configuration OK" in r.stdout, r
    made_dir = not os.path.isdir("/usr/lib/pam.d")
    vendor = "/usr/lib/pam.d/" + name
    if made_dir:
        os.mkdir("/usr/lib/pam.d", 0o755)
    try:
        with open(vendor, "w") as f:
            f.write("auth required pam_deny.so\naccount required pam_deny.so\n")
        path = ftpenv.write_config({"local_enable": "YES", "pam_service_name": name})
        r = run_cmd([miniftpd_bin(), path, "-t"])
        assert r.returncode == 0 and "configuration OK" in r.stdout, r
    finally:
        os.unlink(vendor)
        if made_dir:
            os.rmdir("/usr/lib/pam.d")
