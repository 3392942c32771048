"""Process model and privileges, read from /proc.

Started as root: the pre-login service process is nopriv_user, chrooted to
secure_chroot_dir, without capabilities and with no_new_privs; after login
the service process is the user (guest_username for virtual users) in its
root, the helper is nopriv_user with exactly CAP_NET_BIND_SERVICE and no
copy of the control connection; either dying ends the session.
"""

import grp
import os
import pwd
import signal
import subprocess
import time

import pytest

from conftest import (GUEST, IS_ROOT, MODES, needs_root, proc_alive, proc_children,
                      proc_status, wait_until)
from sessionprocs import (CAP_NET_BIND, CAP_NONE, assert_gone, caps, ctl_inodes, ids,
                          post_login_service, session_of, socket_inodes, tcp_inodes)


@needs_root
@pytest.mark.parametrize("mode", MODES)
def test_prelogin_unprivileged(ftpd, ftpenv, mode):
    s = ftpd(mode)
    c = s.connect()
    helper, service = session_of(s)
    nobody = pwd.getpwnam(GUEST)
    assert ids(service, "Uid") == [nobody.pw_uid] * 4
    assert ids(service, "Gid") == [nobody.pw_gid] * 4
    assert proc_status(service)["Groups"].split() == [str(nobody.pw_gid)]
    assert caps(service) == {"CapInh": CAP_NONE, "CapPrm": CAP_NONE, "CapEff": CAP_NONE,
                             "CapAmb": CAP_NONE}
    assert proc_status(service)["NoNewPrivs"] == "1"
    assert os.readlink("/proc/%d/root" % service) == ftpenv.empty
    assert os.readlink("/proc/%d/cwd" % service) == ftpenv.empty
    # the helper checks passwords: it stays root until a login succeeds
    assert ids(helper, "Uid")[1] == 0
    # no listening socket in the session's processes
    listening = tcp_inodes(s.pid, s.port, 0)
    assert not (socket_inodes(service) & listening)
    assert not (socket_inodes(helper) & listening)
    assert c.cmd("QUIT").code == 221
    assert_gone([helper, service])


@needs_root
def test_secure_chroot_dir(ftpd, ftpenv):
    """secure_chroot_dir names the pre-login process's root and working
    directory; a directory that does not exist yet is made at start,
    root's and empty."""
    jail = os.path.join(ftpenv.dir, "jail")
    s = ftpd(secure_chroot_dir=jail)
    st = os.stat(jail)
    assert (st.st_uid, os.listdir(jail)) == (0, [])
    s.connect()
    helper, service = session_of(s)
    assert os.readlink("/proc/%d/root" % service) == jail
    assert os.readlink("/proc/%d/cwd" % service) == jail
    assert os.readlink("/proc/%d/root" % helper) == "/"

@needs_root
@pytest.mark.parametrize("mode", MODES)
def test_postlogin_virtual_user(ftpd, ftpenv, mode):
    s = ftpd(mode)
    c = s.connect()
    helper, pre = session_of(s)
    assert c.login().code == 230
    service = post_login_service(helper, pre)
    assert not proc_alive(pre)
    nobody = pwd.getpwnam(GUEST)
    # the service process: guest_username, chrooted to the user's root, no caps
    assert ids(service, "Uid") == [nobody.pw_uid] * 4
    assert ids(service, "Gid") == [nobody.pw_gid] * 4
    assert caps(service) == {"CapInh": CAP_NONE, "CapPrm": CAP_NONE, "CapEff": CAP_NONE,
                             "CapAmb": CAP_NONE}
    assert proc_status(service)["NoNewPrivs"] == "1"
    assert os.readlink("/proc/%d/root" % service) == ftpenv.root
    # the helper: nopriv_user with exactly CAP_NET_BIND_SERVICE
    assert wait_until(lambda: ids(helper, "Uid") == [nobody.pw_uid] * 4, 5), \
        proc_status(helper)["Uid"]
    assert ids(helper, "Gid") == [nobody.pw_gid] * 4
    assert caps(helper) == {"CapInh": CAP_NONE, "CapPrm": CAP_NET_BIND,
                            "CapEff": CAP_NET_BIND, "CapAmb": CAP_NONE}
    assert proc_status(helper)["NoNewPrivs"] == "1"
    # only the service process holds the control connection
    ctl = ctl_inodes(s, c)
    assert ctl and ctl <= socket_inodes(service)
    assert wait_until(lambda: not (socket_inodes(helper) & ctl), 5), \
        "the helper keeps the control connection"
    assert c.cmd("QUIT").code == 221
    assert c.wait_closed() == b""
    assert_gone([helper, service])
    if mode == "standalone":
        assert wait_until(lambda: proc_children(s.pid) == [], 5)


@needs_root
def test_postlogin_anonymous(ftpd, ftpenv):
    s = ftpd(anonymous_enable="YES", anon_root=ftpenv.anon_root)
    c = s.connect()
    helper, pre = session_of(s)
    assert c.login("anonymous", "guest@").code == 230
    service = post_login_service(helper, pre)
    nobody = pwd.getpwnam(GUEST)       # ftp_username=nobody in the test config
    assert ids(service, "Uid") == [nobody.pw_uid] * 4
    assert caps(service)["CapEff"] == CAP_NONE
    assert caps(service)["CapPrm"] == CAP_NONE
    assert proc_status(service)["NoNewPrivs"] == "1"
    assert os.readlink("/proc/%d/root" % service) == ftpenv.anon_root


@needs_root
def test_postlogin_local_user(ftpd, system_user):
    s = ftpd(local_enable="YES")
    c = s.connect()
    helper, pre = session_of(s)
    assert c.login(system_user.name, system_user.password).code == 230
    service = post_login_service(helper, pre)
    pw = pwd.getpwnam(system_user.name)
    assert ids(service, "Uid") == [pw.pw_uid] * 4
    assert ids(service, "Gid") == [pw.pw_gid] * 4
    assert str(pw.pw_gid) in proc_status(service)["Groups"].split()
    assert "0" not in proc_status(service)["Groups"].split()
    assert caps(service)["CapEff"] == CAP_NONE
    assert caps(service)["CapPrm"] == CAP_NONE
    assert proc_status(service)["NoNewPrivs"] == "1"
    assert os.readlink("/proc/%d/root" % service) == "/"      # chroot_local_user=NO
    c.cmd("QUIT")
    assert_gone([helper, service])


def _shadow_tool(argv, tries=20):
    """Run useradd/groupadd/usermod/groupdel, again while another process
    holds the lock on /etc/group (exit 10): tests run side by side."""
    for _ in range(tries):
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        if r.returncode != 10:
            return r
        time.sleep(0.25)
    return r


@needs_root
def test_postlogin_local_user_many_groups(ftpd, ftpenv, system_user):
    """A user in 70 supplementary groups (more than the 64 once kept): the
    post-login process has every one of them, and a file only the last
    group may read can be downloaded."""
    groups = ["%sg%02d" % (system_user.name, i) for i in range(70)]
    made = []
    try:
        for g in groups:
            r = _shadow_tool(["groupadd", g])
            assert r.returncode == 0, r.stdout
            made.append(g)
        r = _shadow_tool(["usermod", "-a", "-G", ",".join(groups), system_user.name])
        assert r.returncode == 0, r.stdout
        pw = pwd.getpwnam(system_user.name)
        want = set(os.getgrouplist(system_user.name, pw.pw_gid))
        assert len(want) == 71, want
        last = grp.getgrnam(groups[-1]).gr_gid
        secret = os.path.join(system_user.home, "group-only.txt")
        with open(secret, "w") as f:
            f.write("for the last group\n")
        os.chown(secret, 0, last)
        os.chmod(secret, 0o640)

        s = ftpd(local_enable="YES")
        c = s.connect()
        helper, pre = session_of(s)
        assert c.login(system_user.name, system_user.password).code == 230
        service = post_login_service(helper, pre)
        have = set(int(g) for g in proc_status(service)["Groups"].split())
        assert have == want, "missing %r, extra %r" % (sorted(want - have), sorted(have - want))
        assert c.cmd("SIZE group-only.txt").lines == ["213 19"]
        f = s.ftplib(system_user.name, system_user.password)
        data = []
        f.retrbinary("RETR group-only.txt", data.append)
        assert b"".join(data) == b"for the last group\n"
        f.quit()
        c.cmd("QUIT")
        assert_gone([helper, service])
    finally:
        for srv in ftpenv.servers:
            srv.stop()
        for g in made:
            _shadow_tool(["groupdel", g])


@needs_root
def test_postlogin_local_user_chroot(ftpd, system_user):
    s = ftpd(local_enable="YES", chroot_local_user="YES")
    c = s.connect()
    helper, pre = session_of(s)
    assert c.login(system_user.name, system_user.password).code == 230
    service = post_login_service(helper, pre)
    assert os.readlink("/proc/%d/root" % service) == system_user.home
    assert ids(service, "Uid") == [system_user.uid] * 4


@needs_root
def test_run_as_launching_user(ftpd):
    s = ftpd(run_as_launching_user="YES")
    c = s.connect()
    helper, pre = session_of(s)
    assert ids(pre, "Uid") == [0] * 4
    assert os.readlink("/proc/%d/root" % pre) == "/"
    assert c.login().code == 230


def test_unprivileged_processes(ftpd):
    """Started as an ordinary user: every process is that user, no chroot."""
    if IS_ROOT:
        pytest.skip("checks the unprivileged mode")
    s = ftpd()
    c = s.connect()
    helper, pre = session_of(s)
    me = os.getuid()
    assert ids(pre, "Uid") == [me] * 4
    assert ids(helper, "Uid") == [me] * 4
    assert os.readlink("/proc/%d/root" % pre) == "/"
    assert proc_status(pre)["NoNewPrivs"] == "1"
    assert caps(pre)["CapEff"] == CAP_NONE
    assert c.login().code == 230
    service = post_login_service(helper, pre)
    assert ids(service, "Uid") == [me] * 4
    assert os.readlink("/proc/%d/root" % service) == "/"
    assert proc_status(service)["NoNewPrivs"] == "1"
    c.cmd("QUIT")
    assert_gone([helper, service])


def session_at(ftpd, when):
    """A session before or after login: (server, control, helper pid, service pid)."""
    s = ftpd()
    c = s.connect()
    helper, service = session_of(s)
    if when == "postlogin":
        assert c.login().code == 230
        service = post_login_service(helper, service)
    return s, c, helper, service


@pytest.mark.parametrize("when", ["prelogin", "postlogin"])
def test_helper_death_ends_session(ftpd, when):
    s, c, helper, service = session_at(ftpd, when)
    if when == "prelogin":
        assert c.cmd("NOOP").code == 200
    os.kill(helper, signal.SIGKILL)
    data = c.wait_closed(10)
    assert data.startswith(b"421 "), data
    assert data.count(b"\r\n") == 1, data
    assert_gone([helper, service])
    assert wait_until(lambda: proc_children(s.pid) == [], 5)


@pytest.mark.parametrize("when", ["prelogin", "postlogin"])
def test_service_death_ends_session(ftpd, when):
    s, c, helper, service = session_at(ftpd, when)
    os.kill(service, signal.SIGKILL)
    data = c.wait_closed(10)
    if when == "prelogin":
        # the helper still holds the control connection: one 421 line
        assert data.startswith(b"421 ") and data.count(b"\r\n") == 1, data
    else:
        assert data == b""          # the helper holds no copy after login
    assert_gone([helper, service])
    assert wait_until(lambda: proc_children(s.pid) == [], 5)


@pytest.mark.parametrize("mode", MODES)
def test_nothing_left_after_quit(ftpd, mode):
    s = ftpd(mode)
    c = s.connect()
    helper, service = session_of(s)
    assert c.login().code == 230
    service2 = post_login_service(helper, service)
    assert c.cmd("QUIT").code == 221
    assert c.wait_closed() == b""
    assert_gone([helper, service, service2])
    assert wait_until(lambda: proc_children(s.pid) == [], 5)


def test_nothing_left_after_client_vanishes(ftpd):
    s = ftpd()
    c = s.connect()
    helper, service = session_of(s)
    assert c.login().code == 230
    service2 = post_login_service(helper, service)
    c.close()
    assert_gone([helper, service2])
    c = s.connect()
    helper, service = session_of(s)
    c.close()                          # before login
    assert_gone([helper, service])
