"""Shared fixtures for the miniftpd integration tests.

The server binary comes from $MINIFTPD_BIN (tests/run-integ.sh sets it to
the build directory's miniftpd).  Every test gets a fresh directory under
/tmp holding a demo root, a virtual users file and a configuration file;
servers are started in one of four launch modes and stopped by PID:

  standalone  miniftpd -olisten=YES -olisten_port=0 (port read from its log)
  accept      systemd-socket-activate --accept          (connection on fd 3)
  inetd       systemd-socket-activate --accept --inetd  (connection on fd 0)
  listenfd    systemd-socket-activate (Accept=no) and listen=YES: the
              listening socket on fd 3, miniftpd's own accept loop

Run as root, the server separates privileges for real (nopriv_user and
guest_username are "nobody", set explicitly: the built-in nopriv_user,
"miniftpd", is an account that `make install` creates, and only the tests
that ask for the nopriv_account fixture use it, creating it when missing and
removing it afterwards); run as an ordinary user, everything runs as that
user.  Tests that need root skip themselves otherwise.
Only loopback addresses are used; every wait is bounded.
"""

import ctypes
import ftplib
import grp
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import pytest

from limitdkit import Ftpd, Limitd

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # Debian's python3 still ships it (deprecated in 3.11)

HOST = "127.0.0.1"
IS_ROOT = os.geteuid() == 0
GUEST = "nobody"
TEST_TIMEOUT = int(os.environ.get("MINIFTPD_TEST_TIMEOUT", "120"))
MODES = ("standalone", "accept", "inetd", "listenfd")
DEMO_PASSWORD = "demo-pw-Sekr1t"

needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root (privilege separation)")


def miniftpd_bin():
    b = os.environ.get("MINIFTPD_BIN")
    if not b:
        here = os.path.dirname(os.path.abspath(__file__))
        b = os.path.join(here, "..", "..", "build", "rel", "miniftpd")
    b = os.path.abspath(b)
    if not os.access(b, os.X_OK):
        pytest.fail("miniftpd binary not found: %s (set MINIFTPD_BIN)" % b)
    return b


def sanitized():
    """A SANITIZE=1 build (ASan + UBSan): the sandbox is compiled out (sandbox.h)."""
    with open(miniftpd_bin(), "rb") as f:
        return b"__asan_init" in f.read()


# ---------------------------------------------------------------- hashes

def _gensalt(prefix):
    """A libcrypt setting for PREFIX ("$y$", "$2b$") or None if unsupported."""
    try:
        lib = ctypes.CDLL("libcrypt.so.1")
        lib.crypt_gensalt.restype = ctypes.c_char_p
        lib.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p,
                                      ctypes.c_int]
    except (OSError, AttributeError):
        return None
    s = lib.crypt_gensalt(prefix.encode(), 0, None, 0)
    return s.decode() if s else None


def make_hash(password, kind):
    """Hash PASSWORD as KIND: sha512, yescrypt or bcrypt; None if unsupported."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if kind == "sha512":
            setting = crypt.mksalt(crypt.METHOD_SHA512)
        elif kind == "yescrypt":
            setting = _gensalt("$y$")
        elif kind == "bcrypt":
            if crypt.METHOD_BLOWFISH in crypt.methods:
                setting = crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 5)
            else:
                setting = _gensalt("$2b$")
        else:
            raise ValueError(kind)
        if not setting:
            return None
        try:
            h = crypt.crypt(password, setting)
        except OSError:
            return None
    prefix = {"sha512": "$6$", "yescrypt": "$y$", "bcrypt": "$2b$"}[kind]
    return h if h and h.startswith(prefix) else None


# ---------------------------------------------------------------- /proc

def proc_status(pid):
    """/proc/PID/status as a dict (values stripped)."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def proc_ppid_map():
    """{pid: ppid} of every process visible now."""
    m = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: split after the last ')'
        fields = stat[stat.rindex(")") + 2:].split()
        m[int(d)] = int(fields[1])
    return m


def proc_children(pid):
    return sorted(p for p, pp in proc_ppid_map().items() if pp == pid)


def proc_descendants(pid):
    m = proc_ppid_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in m.items() if pp == p]
        out.extend(kids)
        todo.extend(kids)
    return sorted(out)


def proc_start_time(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        return stat[stat.rindex(")") + 2:].split()[19]
    except (OSError, ValueError, IndexError):
        return None


def proc_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].split()[0] != "Z"


def terminate(proc, grace=5):
    """SIGTERM a process we started, SIGKILL it after GRACE seconds; reap it."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(grace)


def tree_snapshot(pid):
    """PID's descendants now, each with its start time (see end_left)."""
    return [(p, proc_start_time(p)) for p in proc_descendants(pid)]


def end_left(left, grace=3.0):
    """Give the processes of a tree_snapshot GRACE seconds to end on their
    own, then SIGKILL those still alive (the same start time: never a
    reused PID)."""
    def alive():
        return [p for p, st in left if proc_alive(p) and proc_start_time(p) == st]
    wait_until(lambda: not alive(), grace)
    for p in alive():
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def terminate_tree(proc):
    """terminate() a process we started, then end_left() its descendants."""
    left = tree_snapshot(proc.pid)
    terminate(proc)
    end_left(left)


def wait_until(pred, timeout=10.0, step=0.05):
    """Poll PRED until it returns a true value or TIMEOUT passes; RETURNS it."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


def free_port():
    """A loopback TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- control connection

class Reply:
    def __init__(self, code, lines):
        self.code = code
        self.lines = lines          # every line, without CRLF, as str

    @property
    def text(self):
        return self.lines[-1][4:]

    def __repr__(self):
        return "Reply(%d, %r)" % (self.code, self.lines)


class Ctl:
    """A raw control connection: send bytes, read replies with timeouts."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.buf = b""
        self.eof = False

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no data from the server in time; have %r" % self.buf[-200:])
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("no data from the server in time; have %r" % self.buf[-200:])
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
        self.buf += chunk

    def readline(self, timeout=10.0):
        """The next line (bytes, CRLF removed), or None at EOF."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            if self.eof:
                return None
            self._fill(deadline)
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r")

    def reply(self, timeout=10.0):
        """One reply (multi-line aware, RFC 959 4.2); raises EOFError at EOF."""
        first = self.readline(timeout)
        if first is None:
            raise EOFError("connection closed before a reply")
        first = first.decode("utf-8", "replace")
        m = re.match(r"^(\d{3})([ -])", first)
        if not m:
            raise AssertionError("malformed reply line %r" % first)
        lines = [first]
        if m.group(2) == "-":
            end = m.group(1) + " "
            while True:
                ln = self.readline(timeout)
                if ln is None:
                    raise EOFError("connection closed inside a multi-line reply")
                ln = ln.decode("utf-8", "replace")
                lines.append(ln)
                if ln.startswith(end):
                    break
        return Reply(int(m.group(1)), lines)

    def cmd(self, line, timeout=10.0):
        self.send((line if isinstance(line, bytes) else line.encode()) + b"\r\n")
        return self.reply(timeout)

    def greeting(self, timeout=10.0):
        r = self.reply(timeout)
        assert r.code == 220, r
        return r

    def login(self, user="demo", password=DEMO_PASSWORD, timeout=20.0):
        r = self.cmd("USER " + user)
        assert r.code == 331, r
        return self.cmd("PASS " + password, timeout)

    def wait_closed(self, timeout=10.0):
        """Read until EOF. RETURNS everything that came, or raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            self._fill(deadline)
        data, self.buf = self.buf, b""
        return data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------- server

class Server:
    """One miniftpd launch (any mode), stopped by PID."""

    def __init__(self, env, mode, opts, config=None):
        assert mode in MODES, mode
        self.env = env
        self.mode = mode
        self.opts = dict(opts)
        self.config = config or env.config
        self.proc = None
        self.port = None
        self.ctls = []
        self.errpath = os.path.join(env.dir, "server-%d.log" % len(env.servers))

    def argv(self):
        a = [miniftpd_bin(), self.config]
        if self.mode == "standalone":
            a += ["-olisten=YES", "-olisten_address=" + HOST, "-olisten_port=0"]
        elif self.mode == "listenfd":
            a += ["-olisten=YES"]
        return a + ["-o%s=%s" % kv for kv in self.opts.items()]

    def start(self, timeout=10.0):
        for _ in range(5):
            if self.mode == "standalone":
                cmd = self.argv()
                want = re.compile(r"Listening on 127\.0\.0\.1 port (\d+)")
            else:
                port = free_port()
                cmd = ["systemd-socket-activate"]
                if self.mode != "listenfd":
                    cmd.append("--accept")
                if self.mode == "inetd":
                    cmd.append("--inetd")
                cmd += ["-l", "%s:%d" % (HOST, port)] + self.argv()
                want = re.compile(r"Listening on 127\.0\.0\.1:(\d+) as")
            with open(self.errpath, "ab") as err:
                self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                             stdout=err, stderr=err, cwd=self.env.dir)
            m = wait_until(lambda: want.search(self.log()) or self.proc.poll() is not None,
                           timeout)
            if isinstance(m, re.Match):
                self.port = int(m.group(1))
                return self
            if self.proc.poll() is None:
                self._kill_main()
                raise AssertionError("server not ready after %gs:\n%s" % (timeout, self.log()))
            if "Address already in use" not in self.log():
                raise AssertionError("server exited with %s:\n%s" %
                                     (self.proc.returncode, self.log()))
        raise AssertionError("no free port found:\n" + self.log())

    def await_listening(self, timeout):
        """For a subclass that started a standalone listener its own way:
        wait for its port.  RETURNS self."""
        want = re.compile(r"Listening on 127\.0\.0\.1 port (\d+)")
        m = wait_until(lambda: want.search(self.log()) or self.proc.poll() is not None,
                       timeout)
        if not isinstance(m, re.Match):
            self._kill_main()
            raise AssertionError("server did not start:\n" + self.log())
        self.port = int(m.group(1))
        return self

    def log(self):
        try:
            with open(self.errpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def signers(self):
        """Pids of the listener's signing processes, from its log (tlssign.c:
        one per load with ssl_enable=YES, and one per restart)."""
        return {int(p) for p in re.findall(r"Signing process (\d+) started", self.log())}

    def helpers(self):
        """The listener's children that are sessions' helpers (not its
        signing process)."""
        kids = proc_children(self.pid)
        signers = self.signers() if kids else set()
        return [p for p in kids if p not in signers]

    @property
    def pid(self):
        """The listener (standalone; listenfd, where systemd-socket-activate
        execs miniftpd in its own place), else the launcher."""
        return self.proc.pid

    def connect(self, greet=True, timeout=10.0):
        c = Ctl(self.port, timeout)
        self.ctls.append(c)
        if greet:
            c.greeting(timeout)
        return c

    def login(self, user="demo", password=DEMO_PASSWORD):
        c = self.connect()
        r = c.login(user, password)
        assert r.code == 230, r
        return c

    def ftplib(self, user="demo", password=DEMO_PASSWORD, timeout=10.0):
        f = ftplib.FTP(timeout=timeout)
        f.connect(HOST, self.port)
        self.ctls.append(f)
        if user is not None:
            f.login(user, password)
        return f

    def url(self, path="/"):
        return "ftp://%s:%d%s" % (HOST, self.port, path)

    def session_pids(self):
        """Every process below the launcher (helpers and service processes)."""
        return proc_descendants(self.pid)

    def _kill_main(self):
        terminate(self.proc)

    def stop(self):
        if self.proc is None:
            return
        left = tree_snapshot(self.proc.pid)
        for c in self.ctls:
            try:
                c.close()
            except Exception:
                pass
        self._kill_main()
        end_left(left)      # sessions end on their own once their clients are gone
        self.proc = None
        self.check_sanitizers()

    SANITIZER_REPORT = re.compile(r"ERROR: (Address|Leak)Sanitizer|runtime error: |"
                                  r"SUMMARY: UndefinedBehaviorSanitizer")

    def check_sanitizers(self):
        """Fail when any process of this server reported an ASan/UBSan error."""
        log = self.log()
        m = self.SANITIZER_REPORT.search(log)
        if m:
            raise AssertionError("sanitizer report in the server log:\n" +
                                 log[max(0, m.start() - 2000):m.start() + 6000])


class FtpEnv:
    """A temporary directory with a demo root, users file and config file."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="miniftpd-integ-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.root = os.path.join(self.dir, "demo root")
        self.anon_root = os.path.join(self.dir, "anon")
        self.empty = os.path.join(self.dir, "empty")
        self.users_file = os.path.join(self.dir, "users")
        self.ftpusers = os.path.join(self.dir, "ftpusers")
        self.config = os.path.join(self.dir, "miniftpd.conf")
        self.servers = []
        self.passwords = {}
        for d in (self.root, os.path.join(self.root, "pub"), self.anon_root, self.empty):
            os.mkdir(d, 0o755)
            os.chmod(d, 0o755)
        with open(os.path.join(self.root, "hello.txt"), "w") as f:
            f.write("hello\n")
        with open(os.path.join(self.anon_root, "welcome.txt"), "w") as f:
            f.write("welcome\n")
        with open(self.ftpusers, "w") as f:
            f.write("# users who may never log in\nroot\n")
        self.hash_kinds = {}
        users = [("demo", "sha512"), ("ydemo", "yescrypt"), ("bdemo", "bcrypt")]
        lines = []
        for name, kind in users:
            h = make_hash(DEMO_PASSWORD, kind)
            if h:
                self.hash_kinds[kind] = name
                self.passwords[name] = DEMO_PASSWORD
                lines.append("%s:%s:%s\n" % (name, h, self.root))
        with open(self.users_file, "w") as f:
            f.write("# virtual users for the tests\n" + "".join(lines))
        self.write_config()
        if IS_ROOT:
            self.chown_guest(self.root)
            self.chown_guest(self.anon_root)

    def chown_guest(self, top):
        pw = pwd.getpwnam(GUEST)
        for d, dirs, files in os.walk(top):
            os.chown(d, pw.pw_uid, pw.pw_gid)
            for n in files:
                os.lchown(os.path.join(d, n), pw.pw_uid, pw.pw_gid)

    def base_options(self):
        o = {
            "listen": "NO",
            "user_db_file": self.users_file,
            "limitd_enable": "NO",
            "write_enable": "YES",
            "delay_failed_login": "0",
            "max_login_fails": "3",
            "idle_session_timeout": "60",
            "ftpusers_file": self.ftpusers,
            "names_cache_file": os.path.join(self.dir, "names"),
        }
        if IS_ROOT:
            o.update(guest_username=GUEST, nopriv_user=GUEST, ftp_username=GUEST,
                     secure_chroot_dir=self.empty)
        return o

    def write_config(self, extra=None, path=None):
        opts = self.base_options()
        opts.update(extra or {})
        path = path or self.config
        with open(path, "w") as f:
            f.write("# miniftpd integration test configuration\n")
            for k, v in opts.items():
                f.write("%s=%s\n" % (k, v))
        return path

    def server(self, mode="standalone", config=None, **opts):
        s = Server(self, mode, opts, config)
        self.servers.append(s)
        return s.start()

    def cleanup(self):
        problems = []
        for s in self.servers:
            try:
                s.stop()
            except Exception as e:
                problems.append(e)
        shutil.rmtree(self.dir, ignore_errors=True)
        if problems:
            raise problems[0]


@pytest.fixture
def ftpenv():
    env = FtpEnv()
    try:
        yield env
    finally:
        env.cleanup()


@pytest.fixture
def ftpd(ftpenv):
    """Factory: ftpd(mode="standalone", **options) -> a started Server."""
    return ftpenv.server


@pytest.fixture
def server(ftpenv):
    """A standalone server with the default test configuration."""
    return ftpenv.server("standalone")


@pytest.fixture(params=MODES)
def any_mode_server(request, ftpenv):
    """The default server, once per launch mode."""
    return ftpenv.server(request.param)


# ---------------------------------------------------------------- system user

class SystemUser:
    def __init__(self, name, password, home, uid):
        self.name = name
        self.password = password
        self.home = home
        self.uid = uid


def _run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=30, **kw)


@pytest.fixture
def system_user(ftpenv):
    """A temporary local user with a known password (root only); removed afterwards."""
    if not IS_ROOT:
        pytest.skip("needs root to create a system user")
    if not shutil.which("useradd"):
        pytest.skip("useradd not available")
    name = "mftpt%s" % secrets.token_hex(3)
    password = "Local-" + secrets.token_hex(6)
    home = os.path.join(ftpenv.dir, "home-" + name)
    created = False
    try:
        r = _run(["useradd", "-m", "-d", home, "-s", "/bin/bash", name])
        assert r.returncode == 0, r.stdout
        created = True
        r = _run(["chpasswd", "-e"],
                 input=("%s:%s\n" % (name, make_hash(password, "sha512"))).encode())
        assert r.returncode == 0, r.stdout
        os.chmod(home, 0o755)
        with open(os.path.join(home, "local.txt"), "w") as f:
            f.write("local\n")
        pw = pwd.getpwnam(name)
        os.chown(os.path.join(home, "local.txt"), pw.pw_uid, pw.pw_gid)
        yield SystemUser(name, password, home, pw.pw_uid)
    finally:
        if created:
            # the user's sessions end with the servers; stop them first
            for s in ftpenv.servers:
                s.stop()
            _run(["userdel", "-r", name])
            if _user_exists(name):
                _run(["userdel", "-f", "-r", name])


NOPRIV_ACCOUNT = "miniftpd"        # nopriv_user's built-in default (include/options.h)


def _remove_account(name):
    _run(["userdel", name])
    if _user_exists(name):
        _run(["userdel", "-f", name])
    if _group_exists(name):
        _run(["groupdel", name])


@pytest.fixture
def nopriv_account(ftpenv):
    """The default nopriv_user's account (root only), made by the same script
    as `make install` when missing, and then removed again afterwards.
    RETURNS its passwd entry."""
    if not IS_ROOT:
        pytest.skip("needs root to run as the nopriv_user account")
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                          "scripts", "add-account.sh")
    if not os.path.exists(script):
        pytest.skip("scripts/add-account.sh not available (tests copied alone)")
    created = not _user_exists(NOPRIV_ACCOUNT)
    try:
        if created:
            r = _run(["sh", script, NOPRIV_ACCOUNT])
            assert r.returncode == 0, r.stdout
        yield pwd.getpwnam(NOPRIV_ACCOUNT)
    finally:
        if created:
            for s in ftpenv.servers:    # its processes end with the servers
                s.stop()
            _remove_account(NOPRIV_ACCOUNT)


def _group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def _user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


# ---------------------------------------------------------------- per-test time limit

class TimeLimitExceeded(Exception):
    pass


@pytest.fixture(autouse=True)
def _time_limit():
    def expired(signum, frame):
        raise TimeLimitExceeded("test took longer than %ds" % TEST_TIMEOUT)
    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(TEST_TIMEOUT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run_cmd(argv, timeout=30, **kw):
    """Run a client program with a time limit; RETURNS CompletedProcess (text)."""
    return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout, text=True, **kw)


# ---------------------------------------------------------------- limitd (limitdkit.py)

@pytest.fixture
def workdir():
    """A directory every uid can traverse (sessions may run as nobody)."""
    d = tempfile.mkdtemp(prefix="limitd-test-")
    os.chmod(d, 0o755)
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def make_limitd(workdir):
    started = []

    def make(**options):
        d = workdir / f"limitd{len(started)}"
        d.mkdir()
        os.chmod(d, 0o755)
        ld = Limitd(d, **options)
        started.append(ld)
        return ld.start()

    yield make
    for ld in started:
        ld.stop()


@pytest.fixture
def make_ftpd(workdir):
    servers, sessions = [], []

    def make(ld, **options):
        d = workdir / f"ftpd{len(servers)}"
        d.mkdir()
        os.chmod(d, 0o755)
        s = Ftpd(d, ld, **options)
        servers.append(s)
        return s

    def track(f):
        sessions.append(f)
        return f

    make.track = track
    yield make
    for f in sessions:
        try:
            f.close()
        except OSError:
            pass
    for s in servers:
        s.stop()


# ---------------------------------------------------------------- FTPS (ftpskit.py)

@pytest.fixture(scope="module")
def certs():
    from ftpskit import Certs
    c = Certs()
    yield c
    shutil.rmtree(c.dir, ignore_errors=True)
