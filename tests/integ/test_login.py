"""Login: virtual users (every hash), anonymous, local users, refusals, delays."""

import os
import pwd
import re
import secrets
import shutil
import subprocess
import time

import pytest

from conftest import DEMO_PASSWORD, GUEST, IS_ROOT, needs_root, wait_until


@pytest.mark.parametrize("kind", ["sha512", "yescrypt", "bcrypt"])
def test_virtual_user_hashes(ftpenv, ftpd, kind):
    user = ftpenv.hash_kinds.get(kind)
    if user is None:
        pytest.skip("libcrypt here cannot make %s hashes" % kind)
    s = ftpd()
    c = s.connect()
    r = c.login(user, DEMO_PASSWORD)
    assert r.lines == ["230 Login successful."]
    assert c.cmd("PWD").lines == ['257 "/" is the current directory']
    assert c.cmd("SIZE hello.txt").lines == ["213 6"]
    c.cmd("QUIT")
    c = s.connect()
    assert c.login(user, DEMO_PASSWORD + "x").lines == ["530 Login incorrect."]


def test_virtual_users_file_from_a_windows_editor(ftpenv, ftpd):
    """A user_db_file saved by a Windows editor: a UTF-8 byte-order mark,
    CRLF line ends, blank lines between the entries.  Every user logs in
    (before: a blank CRLF line was "malformed", so every user below it was
    refused with 'user_db_file malformed', and with the mark the first
    line's name was invalid, refusing them all)."""
    with open(ftpenv.users_file) as f:
        entries = [line for line in f.read().split("\n") if line and line[0] != "#"]
    assert len(entries) >= 2
    users = os.path.join(ftpenv.dir, "users-windows")
    with open(users, "wb") as f:
        f.write(b"\xef\xbb\xbf" + "\r\n\r\n".join(entries).encode() + b"\r\n")
    s = ftpd(user_db_file=users, max_login_fails="10")
    for entry in entries:
        name = entry.split(":")[0]
        c = s.connect()
        assert c.login(name, DEMO_PASSWORD).lines == ["230 Login successful."], \
            (name, s.log()[-600:])
        c.cmd("QUIT")
        c.wait_closed()
    assert "malformed" not in s.log()


def test_sha512_and_yescrypt_present(ftpenv):
    """The two hashes Debian uses must work here (bcrypt may be missing)."""
    assert "sha512" in ftpenv.hash_kinds
    assert "yescrypt" in ftpenv.hash_kinds


def test_unknown_user_same_reply(server):
    c = server.connect()
    wrong_pw = c.login("demo", "not the password")
    unknown = c.login("nosuchuser", "whatever")
    invalid = c.login("bad name/..", "whatever")
    assert wrong_pw.lines == unknown.lines == invalid.lines == ["530 Login incorrect."]


def test_reason_logged_not_password(ftpd):
    s = ftpd(log_ftp_protocol="YES")
    c = s.connect()
    secret = "Very-Secret-Password-4711"
    assert c.login("demo", secret).code == 530
    assert c.login("nosuchuser", secret + "b").code == 530
    assert c.login("demo", DEMO_PASSWORD).code == 230
    c.cmd("QUIT")
    c.wait_closed()
    log = s.log()
    assert 'Login failed for "demo": wrong password' in log
    assert 'Login failed for "nosuchuser": unknown user' in log
    assert "PASS <password>" in log
    assert secret not in log
    assert DEMO_PASSWORD not in log


def test_pass_before_user(server):
    c = server.connect()
    assert c.cmd("PASS x").code == 503
    assert c.login().code == 230


def test_user_twice_after_login(server):
    c = server.login()
    assert c.cmd("USER other").code == 530
    assert c.cmd("PASS x").code == 230     # already logged in
    assert c.cmd("PWD").code == 257


def test_user_needs_argument(server):
    c = server.connect()
    assert c.cmd("USER").code == 501


def test_long_user_and_password(server):
    c = server.connect()
    assert c.login("u" * 1000, "p").code == 530
    assert c.login("demo", "p" * 3000).code == 530
    assert c.login().code == 230


def test_overlong_user_is_not_its_prefix(ftpenv, ftpd):
    """USER with 129 bytes must not log in as the user named by its first 128."""
    from conftest import make_hash
    name = "a" * 128                       # MAX_USER_NAME
    with open(ftpenv.users_file, "a") as f:
        f.write("%s:%s:%s\n" % (name, make_hash("pw", "sha512"), ftpenv.root))
    s = ftpd()
    c = s.connect()
    assert c.login(name + "a", "pw").lines == ["530 Login incorrect."]
    assert c.login(name + "x" * 500, "pw").lines == ["530 Login incorrect."]
    assert c.login(name, "pw").code == 230


def test_max_login_fails_closes(ftpd):
    s = ftpd(max_login_fails="2")
    c = s.connect()
    assert c.login("demo", "bad1").code == 530
    assert c.login("demo", "bad2").lines == ["530 Login incorrect."]
    assert c.wait_closed(10) == b""


def test_max_login_fails_ends_a_stuck_session(ftpd):
    """The helper, not the pre-login process, ends the session after the
    last failed login: a pre-login process that does not go away (here
    stopped while the helper checks the password, as a compromised one
    would ignore FAIL_LAST) is killed after its grace time (5 s) and the
    client gets one 421 line, then the connection closes."""
    import signal
    from conftest import proc_children
    s = ftpd(max_login_fails="1", delay_failed_login="2")
    c = s.connect()
    helpers = wait_until(lambda: proc_children(s.pid), 10)
    assert len(helpers) == 1, helpers
    pre = wait_until(lambda: proc_children(helpers[0]), 10)
    assert len(pre) == 1, pre
    assert c.cmd("USER demo").code == 331
    c.send("PASS wrong\r\n")
    time.sleep(0.5)                # forwarded; the helper waits delay_failed_login
    os.kill(pre[0], signal.SIGSTOP)
    t0 = time.monotonic()
    r = c.reply(timeout=20)
    assert r.code == 421, r
    assert c.wait_closed(10) == b""
    assert time.monotonic() - t0 < 15
    assert wait_until(lambda: "did not end when its session did" in s.log(), 5), s.log()


def test_max_login_fails_counts_unknown_users(ftpd):
    s = ftpd(max_login_fails="3")
    c = s.connect()
    for _ in range(2):
        assert c.login("ghost", "x").code == 530
    assert c.cmd("NOOP").code == 200          # still open
    assert c.login("ghost", "x").code == 530
    assert c.wait_closed(10) == b""


def test_good_login_after_failures(ftpd):
    s = ftpd(max_login_fails="3")
    c = s.connect()
    assert c.login("demo", "bad").code == 530
    assert c.login("demo", "bad").code == 530
    assert c.login().code == 230


@pytest.mark.parametrize("user", ["demo", "nosuchuser"])
def test_delay_failed_login(ftpd, user):
    s = ftpd(delay_failed_login="2")
    c = s.connect()
    assert c.cmd("USER " + user).code == 331
    t0 = time.monotonic()
    r = c.cmd("PASS wrong", timeout=30)
    elapsed = time.monotonic() - t0
    assert r.lines == ["530 Login incorrect."]
    assert elapsed >= 2.0 - 0.05, elapsed


def test_anonymous(ftpenv, ftpd):
    s = ftpd(anonymous_enable="YES", anon_root=ftpenv.anon_root)
    for name in ("anonymous", "ftp", "ANONYMOUS"):
        c = s.connect()
        assert c.login(name, "anything@example.org").code == 230
        assert c.cmd("PWD").lines == ['257 "/" is the current directory']
        assert c.cmd("SIZE welcome.txt").lines == ["213 8"]
        # the demo root is not reachable
        assert c.cmd("SIZE /hello.txt").code == 550
        assert c.cmd("CWD ..").code == 250
        assert c.cmd("SIZE welcome.txt").code == 213
        # writes need anon_* options even with write_enable=YES
        assert c.cmd("MKD anon-dir").code == 550
        assert c.cmd("DELE welcome.txt").code == 550
        assert c.cmd("QUIT").code == 221
    assert os.path.exists(os.path.join(ftpenv.anon_root, "welcome.txt"))


@needs_root
def test_anonymous_account_from_the_names_cache(ftpenv, ftpd):
    """Accept=yes: the first anonymous login writes ftp_username's ids to
    names_cache_file, and the next processes take them from there (here a
    forged line makes the session run as daemon) instead of asking the
    name service (getgrouplist loads the systemd NSS module)."""
    cache = os.path.join(ftpenv.dir, "names")
    inc = os.path.join(ftpenv.anon_root, "incoming")
    os.mkdir(inc)
    os.chmod(inc, 0o777)
    s = ftpd("accept", anonymous_enable="YES", anon_root=ftpenv.anon_root,
             anon_mkdir_write_enable="YES")

    def mkd(name):
        c = s.connect()
        assert c.login("anonymous", "x@y").code == 230
        assert c.cmd("MKD incoming/" + name).code == 257
        c.cmd("QUIT")
        return os.stat(os.path.join(inc, name))

    guest = pwd.getpwnam(GUEST)
    assert mkd("one").st_uid == guest.pw_uid
    with open(cache) as fp:
        text = fp.read()
    line = "a %s %d %d " % (GUEST, guest.pw_uid, guest.pw_gid)
    assert "\n" + line in text, text[:300]
    daemon = pwd.getpwnam("daemon")
    forged = re.sub(r"\na %s [^\n]*\n" % GUEST, "\na %s %d %d %d %s\n" % (
        GUEST, daemon.pw_uid, daemon.pw_gid, daemon.pw_gid, guest.pw_dir), text)
    with open(cache, "w") as fp:
        fp.write(forged)
    st = mkd("two")
    assert (st.st_uid, st.st_gid) == (daemon.pw_uid, daemon.pw_gid)
    os.chmod(cache, 0o666)                      # anyone may write it: not trusted
    assert mkd("three").st_uid == guest.pw_uid


def test_anonymous_disabled(ftpenv, ftpd):
    s = ftpd(anonymous_enable="NO", anon_root=ftpenv.anon_root)
    c = s.connect()
    assert c.login("anonymous", "x@y").lines == ["530 Login incorrect."]


def test_anonymous_mkdir_write_enable(ftpenv, ftpd):
    s = ftpd(anonymous_enable="YES", anon_root=ftpenv.anon_root,
             anon_mkdir_write_enable="YES")
    c = s.connect()
    assert c.login("ftp", "").code == 230
    assert c.cmd("MKD anon-dir").code == 257
    assert os.path.isdir(os.path.join(ftpenv.anon_root, "anon-dir"))
    # deleting still needs anon_other_write_enable
    assert c.cmd("RMD anon-dir").code == 550


def test_anonymous_other_write_enable(ftpenv, ftpd):
    s = ftpd(anonymous_enable="YES", anon_root=ftpenv.anon_root,
             anon_other_write_enable="YES")
    c = s.connect()
    assert c.login("ftp", "x").code == 230
    assert c.cmd("RNFR welcome.txt").code == 350
    assert c.cmd("RNTO renamed.txt").code == 250
    assert os.path.exists(os.path.join(ftpenv.anon_root, "renamed.txt"))


def test_unprivileged_refuses_local_users(ftpd):
    if IS_ROOT:
        pytest.skip("as root local users may log in")
    s = ftpd(local_enable="YES")
    c = s.connect()
    user = os.environ.get("USER") or "nobody"
    assert c.login(user, "x").code == 530


# ---------------------------------------------------------------- local users (root)

@needs_root
def test_local_user(system_user, ftpd):
    s = ftpd(local_enable="YES")
    c = s.connect()
    assert c.login(system_user.name, system_user.password).code == 230
    # no chroot: the home directory in the real file system
    pwd = c.cmd("PWD")
    assert pwd.lines == ['257 "%s" is the current directory' % system_user.home]
    assert c.cmd("SIZE local.txt").lines == ["213 6"]
    assert c.cmd("MKD made-by-local").code == 257
    st = os.stat(os.path.join(system_user.home, "made-by-local"))
    assert st.st_uid == system_user.uid
    assert c.cmd("QUIT").code == 221


@needs_root
def test_local_user_chroot(system_user, ftpd):
    s = ftpd(local_enable="YES", chroot_local_user="YES")
    c = s.connect()
    assert c.login(system_user.name, system_user.password).code == 230
    assert c.cmd("PWD").lines == ['257 "/" is the current directory']
    assert c.cmd("SIZE /local.txt").lines == ["213 6"]


@needs_root
def test_local_user_wrong_password(system_user, ftpd):
    s = ftpd(local_enable="YES")
    c = s.connect()
    assert c.login(system_user.name, "wrong").lines == ["530 Login incorrect."]


@needs_root
def test_local_disabled(system_user, ftpd):
    s = ftpd(local_enable="NO")
    c = s.connect()
    assert c.login(system_user.name, system_user.password).lines == ["530 Login incorrect."]
    c.close()
    assert "local users are disabled" in s.log()


@needs_root
def test_local_user_in_ftpusers(system_user, ftpenv, ftpd):
    with open(ftpenv.ftpusers, "a") as f:
        f.write("%s\n" % system_user.name)
    s = ftpd(local_enable="YES")
    c = s.connect()
    assert c.login(system_user.name, system_user.password).lines == ["530 Login incorrect."]
    assert c.cmd("QUIT").code == 221
    c.wait_closed()
    assert 'Login failed for "%s": listed in ftpusers_file' % system_user.name in s.log()


@needs_root
def test_local_user_userlist(system_user, ftpenv, ftpd):
    path = os.path.join(ftpenv.dir, "user_list")
    with open(path, "w") as f:
        f.write("%s\n" % system_user.name)
    s = ftpd(local_enable="YES", userlist_enable="YES", userlist_file=path)
    c = s.connect()
    assert c.login(system_user.name, system_user.password).code == 530
    s2 = ftpd(local_enable="YES", userlist_enable="YES", userlist_deny="NO",
              userlist_file=path)
    c = s2.connect()
    assert c.login(system_user.name, system_user.password).code == 230
    c = s2.connect()
    assert c.login("demo", DEMO_PASSWORD).code == 530   # not on the allow list


@needs_root
def test_root_refused(ftpd):
    """root never logs in by default, whatever the password."""
    s = ftpd(local_enable="YES")
    c = s.connect()
    assert c.login("root", "root").lines == ["530 Login incorrect."]
    assert c.login("root", "").lines == ["530 Login incorrect."]


@needs_root
def test_uid0_refused_by_uid(system_user, ftpenv, ftpd):
    """A uid-0 account with a known password: refused for being root."""
    import subprocess
    alias = system_user.name + "r"
    r = subprocess.run(["useradd", "-o", "-u", "0", "-g", "0", "-M", "-d", system_user.home,
                        "-s", "/bin/bash", alias], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    assert r.returncode == 0, r.stdout
    try:
        r = subprocess.run(["usermod", "-p", _hash(system_user.password), alias],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        assert r.returncode == 0, r.stdout
        s = ftpd(local_enable="YES", ftpusers_file="/nonexistent")
        c = s.connect()
        assert c.login(alias, system_user.password).lines == ["530 Login incorrect."]
        c.cmd("QUIT")
        c.wait_closed()
        assert 'Login failed for "%s": root login disabled' % alias in s.log()
    finally:
        for s in ftpenv.servers:
            s.stop()
        subprocess.run(["userdel", "-f", alias], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)


def _hash(pw):
    from conftest import make_hash
    return make_hash(pw, "sha512")


def _chage(name, *args):
    import subprocess
    r = subprocess.run(["chage"] + list(args) + [name], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    assert r.returncode == 0, r.stdout


@needs_root
def test_local_user_password_aging(system_user, ftpd):
    """Password aging and expiry in /etc/shadow, as pam_unix applies them
    (su refuses these accounts): expired account, chage -d 0, expired past
    the inactive days, expired within them (PAM would ask for a new
    password, which FTP cannot give): the same 530 as a wrong password,
    the reason in the log; an account within its limits logs in."""
    if not shutil.which("chage"):
        pytest.skip("chage not available")
    name, password = system_user.name, system_user.password
    today = int(time.time() // 86400)
    cases = [
        # chage arguments, reason logged (None: logs in)
        (["-d", str(today - 10), "-M", "30", "-I", "1", "-E", str(today + 30)], None),
        (["-d", str(today), "-M", "-1", "-I", "-1", "-E", "2020-01-01"], "account expired"),
        (["-E", "-1", "-d", "0"], "password must be changed"),
        (["-d", "2020-01-01", "-M", "30", "-I", "1"], "password expired and inactive"),
        (["-d", str(today - 40), "-M", "30", "-I", "30"],
         "password expired (a change is required"),
        (["-d", str(today - 40), "-M", "30", "-I", "-1"],
         "password expired (a change is required"),
        (["-d", str(today - 29), "-M", "30", "-I", "1"], None),
    ]
    s = ftpd(local_enable="YES", max_login_fails="100")
    c = s.connect()
    for args, reason in cases:
        _chage(name, *args)
        r = c.login(name, password)
        if reason is None:
            assert r.code == 230, (args, r)
            c.cmd("QUIT")
            c.wait_closed()
            c = s.connect()
            continue
        assert r.lines == ["530 Login incorrect."], (args, r)
        assert wait_until(lambda: 'Login failed for "%s": %s' % (name, reason) in s.log(), 5), \
            (args, s.log()[-2000:])


@needs_root
@pytest.mark.parametrize("check", ["YES", "NO"])
def test_check_shell(system_user, ftpd, check):
    """check_shell=YES (the default) refuses a local user whose shell is not
    in /etc/shells, whatever the password; NO lets the user in."""
    shell = "/usr/sbin/nologin"
    with open("/etc/shells") as f:
        assert shell not in f.read().split()
    r = subprocess.run(["usermod", "-s", shell, system_user.name], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    assert r.returncode == 0, r.stdout
    s = ftpd(local_enable="YES", check_shell=check)
    c = s.connect()
    r = c.login(system_user.name, system_user.password)
    if check == "YES":
        assert r.lines == ["530 Login incorrect."]
        assert "shell not in /etc/shells" in s.log()
    else:
        assert r.code == 230, r
        assert c.cmd("SIZE local.txt").lines == ["213 6"]


@pytest.fixture
def uid0_account(ftpenv):
    """A second account of uid 0 (useradd -o) with a random password and a
    home in the test directory; removed afterwards (the test's servers are
    stopped first).  RETURNS (name, password)."""
    if not IS_ROOT:
        pytest.skip("needs root to create an account")
    from conftest import make_hash
    name = "mftr%s" % secrets.token_hex(3)
    password = "Root-" + secrets.token_hex(6)
    home = os.path.join(ftpenv.dir, "home-" + name)
    os.mkdir(home, 0o755)

    def run(argv, data=None):
        return subprocess.run(argv, input=data, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=30)
    r = run(["useradd", "-o", "-u", "0", "-g", "0", "-M", "-d", home, "-s", "/bin/bash", name])
    assert r.returncode == 0, r.stdout
    try:
        r = run(["chpasswd", "-e"],
                ("%s:%s\n" % (name, make_hash(password, "sha512"))).encode())
        assert r.returncode == 0, r.stdout
        yield name, password
    finally:
        for srv in ftpenv.servers:
            srv.stop()
        run(["userdel", "-f", name])
        assert name not in [p.pw_name for p in pwd.getpwall()]


@needs_root
@pytest.mark.parametrize("allow", ["NO", "YES"])
def test_root_login_enable(uid0_account, ftpd, allow):
    """A uid-0 account (not in ftpusers_file) with its right password:
    refused unless root_login_enable=YES."""
    name, password = uid0_account
    s = ftpd(local_enable="YES", root_login_enable=allow)
    c = s.connect()
    r = c.login(name, password)
    if allow == "NO":
        assert r.lines == ["530 Login incorrect."]
        assert "root login disabled" in s.log()
    else:
        assert r.code == 230, r
        assert c.cmd("PWD").code == 257
