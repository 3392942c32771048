"""make install / uninstall into a temporary tree, and the units it installs.

The install goes into a DESTDIR (the layout a package would ship), and a
second one, with PREFIX, SYSCONFDIR and UNITDIR inside a temporary
directory, gives units whose ExecStart= exists, for systemd-analyze verify
and security.  Nothing is installed on the host but, as root, a throw-away
system account (the one make install creates for nopriv_user), removed again.
"""

import grp
import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import miniftpd_bin, needs_root, sanitized

TOP = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not (TOP / "mk" / "install.mk").exists(),
                                reason="source tree not available (tests copied alone)")


def build_vars():
    """make variables that select the build directory the tests run against."""
    build = Path(miniftpd_bin()).parent
    return ["BUILD=%s" % build, "SANITIZE=%d" % (build.name == "san")]


def make(*args, timeout=300):
    r = subprocess.run(["make", "-C", str(TOP), "--no-print-directory"] + build_vars() +
                       list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=timeout)
    assert r.returncode == 0, r.stdout
    return r.stdout


def unit_dir():
    r = subprocess.run(["pkg-config", "--variable=systemdsystemunitdir", "systemd"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else "/lib/systemd/system"


def built_bins():
    build = Path(miniftpd_bin()).parent
    return [b for b in ("miniftpd", "limitd") if (build / b).exists()]


# ftps.socket and ftps@.service are generated from ftp.socket and ftp@.service,
# ftps-listener.* from miniftpd-listener.*.
GENERATED_UNITS = ["ftps.socket", "ftps@.service", "ftps-listener.socket",
                   "ftps-listener.service"]
UNITS = sorted([p.name for p in TOP.glob("units/*") if p.suffix in (".socket", ".service")] +
               GENERATED_UNITS)
MANS = sorted(p.name for p in TOP.glob("man/*.[1-8]"))


@pytest.fixture
def tmpdir_():
    d = tempfile.mkdtemp(prefix="miniftpd-install-", dir="/tmp")
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)


def files_under(top):
    return sorted(str(p.relative_to(top)) for p in top.rglob("*") if not p.is_dir())


def test_install_tree_and_uninstall(tmpdir_):
    dest = tmpdir_ / "dest"
    make("install", "DESTDIR=%s" % dest, "PREFIX=/usr")
    udir = unit_dir().lstrip("/")
    want = (["usr/sbin/" + b for b in built_bins()] +
            ["%s/%s" % (udir, u) for u in UNITS] +
            ["usr/share/man/man%s/%s" % (m[-1], m) for m in MANS] +
            ["etc/miniftpd.conf", "etc/xinetd.d/miniftpd"])
    assert files_under(dest) == sorted(want)

    for b in built_bins():
        assert os.access(dest / "usr/sbin" / b, os.X_OK)
    assert (dest / "etc/miniftpd.conf").read_bytes() == (TOP / "etc/miniftpd.conf").read_bytes()
    xinetd = (dest / "etc/xinetd.d/miniftpd").read_text()
    assert re.search(r"^\s*server\s*=\s*/usr/sbin/miniftpd$", xinetd, re.M), xinetd
    service = (dest / udir / "ftp@.service").read_text()
    assert "ExecStart=-/usr/sbin/miniftpd /etc/miniftpd.conf\n" in service
    service = (dest / udir / "ftps@.service").read_text()
    assert ("ExecStart=-/usr/sbin/miniftpd /etc/miniftpd.conf"
            " -ossl_enable=YES -oimplicit_ssl=YES\n") in service
    for u in UNITS:
        assert "/usr/local/" not in (dest / udir / u).read_text(), u
    for p in dest.rglob("*"):
        if p.is_file() and "sbin" not in p.parts:
            assert p.stat().st_mode & 0o777 == 0o644, p

    # the administrator's files are never overwritten, and kept when changed
    with open(dest / "etc/miniftpd.conf", "a") as f:
        f.write("anonymous_enable=YES\n")
    out = make("install", "DESTDIR=%s" % dest, "PREFIX=/usr")
    assert "keeping the existing %s/etc/miniftpd.conf" % dest in out
    assert (dest / "etc/miniftpd.conf").read_text().endswith("anonymous_enable=YES\n")
    out = make("uninstall", "DESTDIR=%s" % dest, "PREFIX=/usr")
    assert "keeping the changed %s/etc/miniftpd.conf" % dest in out
    assert files_under(dest) == ["etc/miniftpd.conf"]

    # an unchanged installation goes away completely
    (dest / "etc/miniftpd.conf").unlink()
    make("install", "DESTDIR=%s" % dest, "PREFIX=/usr")
    make("uninstall", "DESTDIR=%s" % dest, "PREFIX=/usr")
    assert files_under(dest) == []


@pytest.fixture
def installed(tmpdir_):
    """An installation whose paths all exist: PREFIX etc. inside TMPDIR_."""
    root = tmpdir_ / "root"
    make("install", "PREFIX=%s/usr" % root, "SYSCONFDIR=%s/etc" % root,
         "UNITDIR=%s/units" % root, "NOPRIV_ACCOUNT=")
    return root


def account(name):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def remove_account(name):
    subprocess.run(["userdel", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=30)
    try:
        grp.getgrnam(name)
        subprocess.run(["groupdel", name], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30)
    except KeyError:
        pass


@needs_root
def test_install_creates_the_nopriv_account(tmpdir_):
    """make install for this machine (DESTDIR empty) creates the system account
    nopriv_user names by default when it is missing: a group of its own, no
    shell, no home; into a DESTDIR (a package's tree) it does not.  A
    throw-away name stands in for miniftpd, and is removed again."""
    name = "mftpa%s" % secrets.token_hex(3)
    tree = ["PREFIX=%s/usr" % tmpdir_, "SYSCONFDIR=%s/etc" % tmpdir_,
            "UNITDIR=%s/units" % tmpdir_, "NOPRIV_ACCOUNT=" + name]
    make("install", "DESTDIR=%s" % (tmpdir_ / "dest"), *tree)
    assert account(name) is None
    try:
        out = make("install", *tree)
        pw = account(name)
        assert pw is not None, out
        assert "created the system account %s" % name in out
        with open("/etc/login.defs") as f:
            m = re.search(r"^SYS_UID_MAX\s+(\d+)", f.read(), re.M)
        assert pw.pw_uid <= (int(m.group(1)) if m else 999)      # a system uid
        assert grp.getgrgid(pw.pw_gid).gr_name == name          # its own group
        assert grp.getgrgid(pw.pw_gid).gr_mem == []
        assert pw.pw_dir == "/nonexistent" and not os.path.exists("/nonexistent")
        assert pw.pw_shell.endswith("/nologin")
        out = make("install", *tree)                            # a second install keeps it
        assert "keeping the existing account %s" % name in out
        assert account(name).pw_uid == pw.pw_uid
        make("uninstall", *tree)
        assert account(name) is not None                        # files may still be its own
    finally:
        remove_account(name)
    assert account(name) is None


needs_analyze = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                   reason="systemd-analyze not installed")


def analyze(root, *args):
    env = dict(os.environ, MANPATH="%s/usr/share/man:" % root, SYSTEMD_PAGER="",
               SYSTEMD_LOG_COLOR="0")
    return subprocess.run(["systemd-analyze"] + list(args), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env=env, timeout=120)


@needs_analyze
def test_units_verify(installed):
    units = [str(installed / "units" / u) for u in UNITS]
    r = analyze(installed, "verify", *units)
    assert r.returncode == 0 and r.stdout == "", r.stdout
    for u in UNITS:
        text = (installed / "units" / u).read_text()
        for m in re.finditer(r"^Exec\w+=[-@:+!]*(/\S+)", text, re.M):
            assert os.access(m.group(1), os.X_OK), (u, m.group(1))


@needs_analyze
def test_verify_catches_a_missing_binary(installed, tmpdir_):
    """The check above is real: a unit naming a missing binary fails verify."""
    bad = tmpdir_ / "bad"
    bad.mkdir()
    text = (installed / "units" / "ftp@.service").read_text()
    text = re.sub(r"^ExecStart=-\S+", "ExecStart=/nonexistent/miniftpd", text, flags=re.M)
    (bad / "ftp@.service").write_text(text)
    r = analyze(installed, "verify", str(bad / "ftp@.service"))
    assert r.returncode != 0 and "/nonexistent/miniftpd" in r.stdout, r.stdout


def security_exposure(root, unit):
    r = analyze(root, "security", "--offline=yes", str(root / "units" / unit))
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout)
    assert m, r.stdout
    return float(m.group(1))


@needs_analyze
def test_service_exposure_matches_readme(installed):
    level = security_exposure(installed, "ftp@.service")
    assert level <= 3.0, level
    readme = (TOP / "README.md").read_text()
    assert "exposure level %.1f" % level in readme, level


@needs_analyze
def test_service_keeps_only_the_capabilities_it_needs(installed):
    text = (installed / "units" / "ftp@.service").read_text()
    (caps,) = re.findall(r"^CapabilityBoundingSet=(.*)$", text, re.M)
    assert set(caps.split()) == {"CAP_SETUID", "CAP_SETGID", "CAP_SYS_CHROOT",
                                 "CAP_NET_BIND_SERVICE", "CAP_DAC_READ_SEARCH"}
    for cap in caps.split():
        assert re.search(r"^#.*%s" % cap, text, re.M), "no comment says why %s stays" % cap
    assert re.search(r"^StandardOutput=journal$", text, re.M)
    assert re.search(r"^StandardError=journal$", text, re.M)
    assert not re.search(r"^StandardInput=socket", text, re.M)
    sock = (installed / "units" / "ftp.socket").read_text()
    assert re.search(r"^ListenStream=21$", sock, re.M)
    assert re.search(r"^Accept=yes$", sock, re.M)


def unit_lines(text):
    """The unit's settings, without comments and blank lines."""
    return [l for l in text.splitlines() if l.strip() and not l.startswith("#")]


def test_ftps_units_are_generated_from_ftp(installed):
    """ftps.socket / ftps@.service are ftp.socket / ftp@.service (and
    ftps-listener.* are miniftpd-listener.*) with the port, the Description,
    the listener's unit names and ExecStart's TLS options changed, and
    nothing else; the generated files name their source."""
    for ftp, ftps, changed in (
            ("ftp.socket", "ftps.socket",
             {"ListenStream=21": "ListenStream=990",
              "Description=miniftpd FTP server (socket activation, one service per connection)":
              "Description=miniftpd implicit FTPS server (socket activation, one service"
              " per connection)"}),
            ("ftp@.service", "ftps@.service",
             {"Description=miniftpd FTP session %i": "Description=miniftpd implicit FTPS session %i",
              "ExecStart=-%s/usr/sbin/miniftpd %s/etc/miniftpd.conf" % (installed, installed):
              "ExecStart=-%s/usr/sbin/miniftpd %s/etc/miniftpd.conf"
              " -ossl_enable=YES -oimplicit_ssl=YES" % (installed, installed)}),
            ("miniftpd-listener.socket", "ftps-listener.socket",
             {"ListenStream=21": "ListenStream=990",
              "Conflicts=ftp.socket": "Conflicts=ftps.socket",
              "Description=miniftpd FTP server (socket activation, one resident listener)":
              "Description=miniftpd implicit FTPS server (socket activation, one resident"
              " listener)"}),
            ("miniftpd-listener.service", "ftps-listener.service",
             {"Description=miniftpd FTP server (resident listener)":
              "Description=miniftpd implicit FTPS server (resident listener)",
              "Requires=miniftpd-listener.socket": "Requires=ftps-listener.socket",
              "After=miniftpd-listener.socket": "After=ftps-listener.socket",
              "ExecStart=%s/usr/sbin/miniftpd %s/etc/miniftpd.conf -olisten=YES" % (installed, installed):
              "ExecStart=%s/usr/sbin/miniftpd %s/etc/miniftpd.conf -olisten=YES"
              " -ossl_enable=YES -oimplicit_ssl=YES" % (installed, installed)})):
        src = (installed / "units" / ftp).read_text()
        gen = (installed / "units" / ftps).read_text()
        assert [changed.get(l, l) for l in unit_lines(src)] == unit_lines(gen), ftps
        assert gen.startswith("# %s - generated by make from units/%s" % (ftps, ftp)), gen[:200]
        # the source's comments stay (with the listener's names rewritten)
        assert src.split("\n", 1)[0].replace("miniftpd-listener.", "ftps-listener.") in gen


def test_stop_timeout_leaves_room_for_shutdown_timeout(installed):
    """systemctl stop of a session's unit or of the listener: the session
    aborts its transfer itself after shutdown_timeout (426, logged
    incomplete), the listener kills 2 s later; systemd's SIGKILL
    (TimeoutStopSec) must come after both, or the transfer ends unrecorded."""
    m = re.search(r"OPT_UINT\(shutdown_timeout, (\d+),", (TOP / "include" / "options.h").read_text())
    default = int(m.group(1))
    for unit in ("ftp@.service", "ftps@.service", "miniftpd-listener.service",
                 "ftps-listener.service"):
        text = (installed / "units" / unit).read_text()
        (stop,) = re.findall(r"^TimeoutStopSec=(\d+)s$", text, re.M)
        assert int(stop) >= default + 2 + 10, (unit, stop, default)


# Packages every mmdebstrap --variant=minbase root has without being named:
# libc6 (essential) and libpam0g (login and passwd depend on it).
MINBASE_LIBS = {"libc6", "libpam0g"}


def library_packages(binary):
    """{soname: packages that ship it} for each library BINARY links (NEEDED)."""
    out = subprocess.run(["readelf", "-d", str(binary)], stdout=subprocess.PIPE,
                         text=True, check=True).stdout
    found = {}
    for so in re.findall(r"\(NEEDED\).*\[(.+)\]", out):
        r = subprocess.run(["dpkg", "-S", "*/" + so], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
        found[so] = {name.split(":")[0] for line in r.stdout.splitlines()
                     for name in line.split(": ", 1)[0].split(", ")} - {"libc6-i386"}
    return found


@pytest.mark.skipif(shutil.which("dpkg") is None or shutil.which("readelf") is None,
                    reason="needs dpkg and readelf")
def test_container_root_holds_the_linked_libraries():
    """tests/nspawn/mkroot.sh's list names the package of every library
    miniftpd and limitd link: the containers of check-deb and check-systemd
    have no network, so the .deb (dpkg -i) and `make install` only run there
    when the root already holds them (libhiredis was once missing)."""
    if sanitized():
        pytest.skip("a SANITIZE=1 build links the sanitizers' runtimes; the containers "
                    "hold the release build's libraries")
    text = (TOP / "tests" / "nspawn" / "mkroot.sh").read_text()
    base = set(re.search(r'^base="([^"]+)"', text, re.M).group(1).split(",")) | MINBASE_LIBS
    build = Path(miniftpd_bin()).parent
    missing = {}
    for name in built_bins():
        for so, pkgs in library_packages(build / name).items():
            assert pkgs, f"{name}: no Debian package ships {so}"
            if not pkgs & base:
                missing[so] = sorted(pkgs)
    assert missing == {}


def test_per_connection_units_turn_off_the_malloc_cache(installed):
    """A process per connection gets glibc.malloc.tcache_count=0 from its
    unit (the standalone listener re-executes itself for it instead:
    test_basic.py::test_listener_reexecs_without_tcache)."""
    for unit in ("ftp@.service", "ftps@.service"):
        text = (installed / "units" / unit).read_text()
        assert re.findall(r"^Environment=(.*)$", text, re.M) == \
            ["GLIBC_TUNABLES=glibc.malloc.tcache_count=0"], unit
