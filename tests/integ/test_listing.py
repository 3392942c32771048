"""Listings: LIST and NLST (paths, globs, ls options, sorting, owner names,
hide_ids, the names cache, old files), MLSD, MLST, STAT PATH and OPTS MLST.
"""

import ftplib
import os
import re
import time

import pytest

from conftest import IS_ROOT
from xfer import give_to_guest, login, start


def listing(f, cmd):
    lines = []
    f.retrlines(cmd, lines.append)
    return lines


def test_list_nlst_paths_globs_options(ftpenv):
    srv = start(ftpenv)
    d = os.path.join(ftpenv.root, "sub dir")
    os.makedirs(os.path.join(d, "inner"))
    for n in ("a.txt", "b.txt", "c.bin", ".hidden"):
        with open(os.path.join(d, n), "w") as fp:
            fp.write(n)
    os.symlink("a.txt", os.path.join(d, "link"))
    give_to_guest(ftpenv, d)
    f = login(srv)
    lines = listing(f, "LIST sub dir")
    names = [ln.split(None, 8)[8] for ln in lines]
    assert names == ["a.txt", "b.txt", "c.bin", "inner", "link -> a.txt"]
    assert re.match(r"^-rw-r--r-- +1 \S+ +\S+ +5 [A-Z][a-z]{2} \d\d \d\d:\d\d a\.txt$",
                    lines[0]), lines[0]
    assert lines[3].startswith("d")
    assert lines[4].startswith("l")
    assert ".hidden" in [ln.split(None, 8)[8] for ln in listing(f, "LIST -la sub dir")]
    assert listing(f, "NLST sub dir") == ["a.txt", "b.txt", "c.bin", "inner", "link"]
    assert listing(f, "NLST sub dir/*.txt") == ["sub dir/a.txt", "sub dir/b.txt"]
    assert len(listing(f, "LIST sub dir/a.txt")) == 1
    f.cwd("sub dir")
    assert listing(f, "NLST *.bin") == ["c.bin"]
    assert listing(f, "NLST") == ["a.txt", "b.txt", "c.bin", "inner", "link"]
    with pytest.raises(ftplib.error_perm, match="550"):
        listing(f, "LIST /no/such")


def test_list_sorts_like_strcmp_and_formats_like_ls(ftpenv):
    # names sharing 8, 16 and 40 bytes, prefixes of one another, bytes
    # above 0x7f: the byte order of strcmp in every case
    d = os.path.join(ftpenv.root, "order").encode()
    os.mkdir(d)
    names = {"a", "ab", "abcdefgh", "abcdefg", "abcdefghi", "abcdefgh0", "B", "~", "_x",
             "\xe9t\xe9", "\xff", "z z", "-dash"}
    for i in range(40):
        names.add("common_prefix_%03d" % (i * 37 % 40))
        names.add("common_prefix_longer_than_sixteen_%s" % "xyz"[i % 3] * (i % 5 + 1))
        names.add("p%d" % i)
    for n in names:
        with open(os.path.join(d, n.encode("latin-1")), "wb") as fp:
            fp.write(b"x" * (len(n) * 1000003 % 100000))
    os.mkdir(os.path.join(d, b"dir"))
    os.symlink(b"common_prefix_000", os.path.join(d, b"link"))
    give_to_guest(ftpenv, d.decode())
    f = login(start(ftpenv))
    f.encoding = "latin-1"
    want = sorted(names | {"dir", "link"}, key=lambda n: n.encode("latin-1"))
    assert listing(f, "NLST order") == want
    lines = listing(f, "LIST order")
    assert [ln.split(None, 8)[8] for ln in lines] == \
        [n + (" -> common_prefix_000" if n == "link" else "") for n in want]
    for ln, n in zip(lines, want):
        st = os.lstat(os.path.join(d, n.encode("latin-1")))
        mode, links, _, _, size = ln.split()[:5]
        assert (int(links), int(size)) == (st.st_nlink, st.st_size), ln
        assert re.match(r"^[-dl][-rwx]{9} +\d+ \S+ +\S+ +\d+ [A-Z][a-z]{2} \d\d "
                        r"(\d\d:\d\d|  \d{4}) ", ln + " "), ln
    assert [ln.split(" ", 1)[1] for ln in listing(f, "MLSD order")] == want


def test_list_owner_names_and_hide_ids(ftpenv):
    with open(os.path.join(ftpenv.root, "x"), "w") as fp:
        fp.write("x")
    give_to_guest(ftpenv, os.path.join(ftpenv.root, "x"))
    owner = "nobody" if IS_ROOT else __import__("pwd").getpwuid(os.geteuid()).pw_name
    f = login(start(ftpenv))
    line = [ln for ln in listing(f, "LIST") if ln.endswith(" x")][0]
    assert line.split()[2] == owner
    f = login(start(ftpenv, hide_ids="YES"))
    line = [ln for ln in listing(f, "LIST") if ln.endswith(" x")][0]
    assert line.split()[2:4] == ["ftp", "ftp"]


def owner_of_x(srv):
    f = login(srv)
    line = [ln for ln in listing(f, "LIST") if ln.endswith(" x")][0]
    f.quit()
    return line.split()[2]


def test_names_cache_of_per_connection_processes(ftpenv):
    """Accept=yes: the first session writes names_cache_file, the next ones
    trust it only while it is fresh, matches /etc/passwd and /etc/group and
    nobody else may write it."""
    with open(os.path.join(ftpenv.root, "x"), "w") as fp:
        fp.write("x")
    give_to_guest(ftpenv, os.path.join(ftpenv.root, "x"))
    uid = os.stat(os.path.join(ftpenv.root, "x")).st_uid
    owner = __import__("pwd").getpwuid(uid).pw_name
    cache = os.path.join(ftpenv.dir, "names")
    srv = ftpenv.server("accept")
    assert owner_of_x(srv) == owner
    st = os.stat(cache)
    assert (st.st_uid, st.st_mode & 0o777) == (os.geteuid(), 0o644)
    with open(cache) as fp:
        text = fp.read()
    assert text.startswith("miniftpd-idnames 1\npasswd ")
    assert "\nu %d %s\n" % (uid, owner) in text
    assert not [n for n in os.listdir(ftpenv.dir) if n.startswith("names.")]

    def write(body, mode=0o644, age=0):
        with open(cache, "w") as fp:
            fp.write(body)
        os.chmod(cache, mode)
        t = time.time() - age
        os.utime(cache, (t, t))

    fake = text.replace("\nu %d %s\n" % (uid, owner), "\nu %d cachedname\n" % uid)
    write(fake)
    assert owner_of_x(srv) == "cachedname"          # read, not enumerated
    write(fake, mode=0o664)
    assert owner_of_x(srv) == owner                 # others may write it: ignored
    assert os.stat(cache).st_mode & 0o777 == 0o644  # and replaced
    write(fake, age=120)
    assert owner_of_x(srv) == owner                 # over a minute old
    write(re.sub(r"\npasswd \d+", "\npasswd 1", fake))
    assert owner_of_x(srv) == owner                 # /etc/passwd changed since
    write(fake.replace("\nu 0 ", "\nu 0 a b "))
    assert owner_of_x(srv) == owner                 # malformed
    write(fake)
    assert owner_of_x(srv) == "cachedname"
    srv2 = ftpenv.server("accept", names_cache_file="")
    assert owner_of_x(srv2) == owner                # no cache: enumerated


def test_list_old_file_shows_year_and_localtime_option(ftpenv):
    p = os.path.join(ftpenv.root, "old")
    open(p, "w").close()
    os.utime(p, (946684800, 946684800))           # 2000-01-01 00:00 UTC
    f = login(start(ftpenv))
    line = [ln for ln in listing(f, "LIST") if ln.endswith(" old")][0]
    assert " Jan 01  2000 old" in line
    assert f.sendcmd("MDTM old") == "213 20000101000000"


def test_mlsd_mlst_stat_path(ftpenv):
    srv = start(ftpenv)
    f = login(srv)
    facts = {}
    for ln in listing(f, "MLSD"):
        fact, _, name = ln.partition(" ")
        facts[name] = dict(kv.split("=", 1) for kv in fact.rstrip(";").split(";"))
    assert facts["hello.txt"]["type"] == "file"
    assert facts["hello.txt"]["size"] == "6"
    assert facts["pub"]["type"] == "dir"
    assert re.match(r"^\d{14}$", facts["hello.txt"]["modify"])
    assert "r" in facts["hello.txt"]["perm"] and "w" in facts["hello.txt"]["perm"]
    assert facts["hello.txt"]["UNIX.mode"] == "0644"
    r = f.sendcmd("MLST hello.txt")
    lines = r.splitlines()
    assert lines[0].startswith("250-") and lines[-1].startswith("250 ")
    assert lines[1].startswith(" type=file;size=6;") and lines[1].endswith(" /hello.txt")
    r = f.sendcmd("STAT /")
    assert r.startswith("213-") and "hello.txt" in r and "pub" in r
    feat = f.sendcmd("FEAT")
    for line in ("EPSV", "EPRT", "REST STREAM", "MFMT", "TVFS",
                 "MLST type*;size*;modify*;perm*;unique*;UNIX.mode;"):
        assert "\n " + line + "\r" in feat or "\n " + line + "\n" in feat, line


def test_large_directory_lists_quickly(ftpenv):
    d = os.path.join(ftpenv.root, "many")
    os.mkdir(d)
    for i in range(10000):
        os.close(os.open(os.path.join(d, "file-%05d" % i), os.O_CREAT | os.O_WRONLY, 0o644))
    f = login(start(ftpenv))
    t0 = time.monotonic()
    lines = listing(f, "LIST many")
    assert len(lines) == 10000
    assert time.monotonic() - t0 < 3
    assert len(listing(f, "MLSD many")) == 10000


def test_opts_mlst_selects_facts(ftpenv):
    f = login(start(ftpenv))
    assert f.sendcmd("OPTS MLST Type;size;UNIX.owner;") == "200 MLST OPTS type;size;"
    line = [ln for ln in listing(f, "MLSD") if ln.endswith(" hello.txt")][0]
    assert line == "type=file;size=6; hello.txt"
    assert f.sendcmd("MLST hello.txt").splitlines()[1] == " type=file;size=6; /hello.txt"
    assert f.sendcmd("OPTS MLST") == "200 MLST OPTS "
    assert [ln for ln in listing(f, "MLSD") if ln.endswith(" hello.txt")] == [" hello.txt"]
