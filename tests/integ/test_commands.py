"""The commands of the session and the file system, good and bad, with RFC
959 replies: login state, FEAT, OPTS, HELP, STAT, TYPE, MODE, STRU, PWD, CWD,
MKD, RMD, DELE, RNFR/RNTO, SIZE, MDTM and MFMT, SITE; names and confinement.
Transfers, listings and data connections have their own files (tests/README.md).
"""

import calendar
import ftplib
import io
import os
import pwd
import re
import shutil
import stat
import tempfile

import pytest

from conftest import DEMO_PASSWORD, GUEST, IS_ROOT, needs_root
from xfer import login, start

# Verbs that need a login, with an argument that would otherwise be fine.
POSTLOGIN = ["STAT", "TYPE I", "MODE S", "STRU F", "ALLO 10", "PWD", "XPWD", "CWD pub",
             "XCWD pub", "CDUP", "XCUP", "MKD x", "XMKD x", "RMD x", "XRMD x",
             "DELE hello.txt", "RNFR hello.txt", "RNTO y", "SIZE hello.txt",
             "MDTM hello.txt", "SITE HELP", "SITE CHMOD 644 hello.txt", "SITE UMASK"]
# Allowed before login.
PRELOGIN = {"SYST": 215, "FEAT": 211, "OPTS UTF8 ON": 200, "CLNT test": 200,
            "NOOP": 200, "HELP": 214}
# The verbs HELP lists.
ALL_VERBS = ["USER", "PASS", "QUIT", "SYST", "FEAT", "OPTS", "CLNT", "NOOP", "HELP", "STAT",
             "PWD", "XPWD", "CWD", "XCWD", "CDUP", "XCUP", "MKD", "XMKD", "RMD", "XRMD",
             "DELE", "RNFR", "RNTO", "SIZE", "MDTM", "TYPE", "MODE", "STRU", "ALLO", "SITE"]


def root_path(env, *parts):
    return os.path.join(env.root, *parts)


def test_prelogin_needs_login(server):
    c = server.connect()
    for line in POSTLOGIN:
        r = c.cmd(line)
        assert r.code == 530, (line, r)
    assert os.path.exists(root_path(server.env, "hello.txt"))


def test_prelogin_allowed(server):
    c = server.connect()
    for line, code in PRELOGIN.items():
        assert c.cmd(line).code == code, line
    assert c.login().code == 230


def test_unknown_command(server):
    c = server.login()
    for line in ["FOO", "XYZZY bar", "RETRX file", "A" * 40, "SITEX HELP", "US ER demo"]:
        assert c.cmd(line).code == 500, line
    # lower case verbs work
    assert c.cmd("noop").code == 200
    assert c.cmd("pWd").code == 257


def test_missing_arguments(server):
    c = server.login()
    for verb in ["CWD", "XCWD", "MKD", "XMKD", "RMD", "XRMD", "DELE", "RNFR", "RNTO",
                 "SIZE", "MDTM", "TYPE", "MODE", "STRU", "SITE", "OPTS"]:
        assert c.cmd(verb).code == 501, verb
    c2 = server.connect()
    assert c2.cmd("USER").code == 501


def test_unexpected_arguments(server):
    c = server.login()
    for line in ["PWD x", "XPWD x", "CDUP x", "XCUP x", "SYST x", "FEAT x"]:
        assert c.cmd(line).code == 501, line


def test_quit(server):
    c = server.login()
    r = c.cmd("QUIT")
    assert r.code == 221
    assert c.wait_closed() == b""
    c = server.connect()
    assert c.cmd("QUIT").code == 221       # before login too
    assert c.wait_closed() == b""


def test_syst_noop_clnt_allo(server):
    c = server.login()
    assert c.cmd("SYST").lines == ["215 UNIX Type: L8"]
    assert c.cmd("NOOP").code == 200
    assert c.cmd("CLNT some client 1.0").code == 200
    assert c.cmd("CLNT").code == 200
    assert c.cmd("ALLO 1000").code == 202
    assert c.cmd("ALLO 1000 R 100").code == 202


def probe_feature(c, feat):
    """Check that an advertised FEAT line is backed by a working command."""
    word = feat.split()[0].upper()
    probes = {
        "UTF8": ("OPTS UTF8 ON", 200),
        "SIZE": ("SIZE hello.txt", 213),
        "MDTM": ("MDTM hello.txt", 213),
        "CLNT": ("CLNT probe", 200),
        "REST": ("REST 0", 350),
        "MLST": ("MLST hello.txt", 250),
        "MFMT": ("MFMT 20200101000000 hello.txt", 213),
        "TVFS": ("CWD /pub", 250),              # a property: '/'-separated paths
        "EPSV": ("EPSV", 229),
        "PASV": ("PASV", 227),
        "EPRT": ("EPRT", 501),                  # known verb, argument required
    }
    if word in probes:
        line, code = probes[word]
        r = c.cmd(line)
        assert r.code == code, (feat, line, r)
        c.cmd("CWD /")
    else:
        # at least the verb must be known to the command table
        r = c.cmd(word)
        assert r.code not in (500, 502), (feat, r)


def test_feat(server):
    c = server.connect()
    r = c.cmd("FEAT")
    assert r.code == 211
    assert r.lines[0] == "211-Features:"
    assert r.lines[-1] == "211 End"
    feats = r.lines[1:-1]
    for ln in feats:
        # RFC 2389: each feature line starts with exactly one space
        assert re.match(r"^ [A-Z0-9]", ln), ln
    names = [ln[1:] for ln in feats]
    assert len(names) == len(set(names)), names
    # what issue 2 implements is advertised
    for want in ["UTF8", "SIZE", "MDTM"]:
        assert want in names, names
    # nothing is advertised that does not work (clones advertise EPRT/EPSV/MDTM they lack)
    c = server.login()
    for feat in names:
        probe_feature(c, feat)
    for forbidden in ["AUTH TLS", "PBSZ", "PROT"]:
        assert forbidden not in names


FEAT_ALL = ["UTF8", "CLNT", "TVFS", "SIZE", "MDTM", "MFMT", "EPSV", "EPRT", "REST STREAM"]


def feat_names(c):
    r = c.cmd("FEAT")
    assert r.code == 211
    return [ln[1:] for ln in r.lines[1:-1]]


def test_feat_exact(server):
    """FEAT lists exactly what is implemented (MLST carries its facts)."""
    names = feat_names(server.connect())
    assert sorted(n for n in names if not n.startswith("MLST ")) == sorted(FEAT_ALL)
    assert any(n.startswith("MLST ") and "UNIX.mode" in n for n in names), names


@pytest.mark.parametrize("opt,gone", [("pasv_enable", "EPSV"), ("port_enable", "EPRT")])
def test_feat_omits_disabled(ftpenv, opt, gone):
    """A switched-off data connection style is not advertised."""
    srv = ftpenv.server(**{opt: "NO"})
    names = feat_names(srv.connect())
    assert gone not in names
    assert set(FEAT_ALL) - {gone} <= set(names)


def test_opts(server):
    c = server.connect()
    assert c.cmd("OPTS UTF8 ON").code == 200
    assert c.cmd("OPTS utf8 on").code == 200
    assert c.cmd("OPTS UTF8").code == 200
    assert c.cmd("OPTS MLST type;size;").code in (200, 501, 504)
    assert c.cmd("OPTS FOO BAR").code in (501, 504)
    assert c.cmd("OPTS").code == 501


def test_help(server):
    c = server.connect()
    r = c.cmd("HELP")
    assert r.code == 214
    assert r.lines[0].startswith("214-")
    assert r.lines[-1].startswith("214 ")
    words = " ".join(r.lines[1:-1]).split()
    for v in ALL_VERBS:
        assert v in words, v
    # no HTTP verbs in the help text
    assert "GET" not in words and "POST" not in words
    # HELP with another verb: the same list
    assert c.cmd("HELP RETR").lines == r.lines


def test_stat(server):
    c = server.login()
    r = c.cmd("STAT")
    assert r.code == 211
    assert r.lines[0].startswith("211-")
    assert r.lines[-1].startswith("211 ")
    body = "\n".join(r.lines)
    assert "127.0.0.1" in body
    assert "demo" in body
    assert "BINARY" in body or "ASCII" in body
    assert c.cmd("TYPE A").code == 200
    assert "ASCII" in "\n".join(c.cmd("STAT").lines)
    assert c.cmd("TYPE I").code == 200
    assert "BINARY" in "\n".join(c.cmd("STAT").lines)


def test_type(server):
    c = server.login()
    for arg in ["A", "a", "A N", "I", "i", "L 8", "L8"]:
        assert c.cmd("TYPE " + arg).code == 200, arg
    for arg in ["E", "X", "L 7", "A T", "A C", "IMAGE"]:
        assert c.cmd("TYPE " + arg).code == 504, arg


def test_mode_stru(server):
    c = server.login()
    assert c.cmd("MODE S").code == 200
    assert c.cmd("MODE s").code == 200
    for arg in ["B", "C", "Z"]:
        assert c.cmd("MODE " + arg).code == 504, arg
    assert c.cmd("STRU F").code == 200
    assert c.cmd("STRU f").code == 200
    for arg in ["R", "P"]:
        assert c.cmd("STRU " + arg).code == 504, arg


def test_pwd_cwd_cdup(server):
    c = server.login()
    assert c.cmd("PWD").lines == ['257 "/" is the current directory']
    assert c.cmd("CWD pub").code == 250
    assert c.cmd("PWD").lines == ['257 "/pub" is the current directory']
    assert c.cmd("XPWD").lines == ['257 "/pub" is the current directory']
    assert c.cmd("CDUP").code == 250
    assert c.cmd("PWD").lines == ['257 "/" is the current directory']
    assert c.cmd("XCWD /pub").code == 250
    assert c.cmd("XCUP").code == 250
    assert c.cmd("PWD").lines == ['257 "/" is the current directory']
    # at the top, CDUP and .. stay at the top
    assert c.cmd("CDUP").code == 250
    assert c.cmd("CWD ../../..").code == 250
    assert c.cmd("PWD").lines == ['257 "/" is the current directory']
    assert c.cmd("CWD //pub//./").code == 250
    assert c.cmd("PWD").lines == ['257 "/pub" is the current directory']
    # failures keep the directory
    assert c.cmd("CWD /nonexistent").code == 550
    assert c.cmd("CWD /hello.txt").code == 550
    assert c.cmd("PWD").lines == ['257 "/pub" is the current directory']


def test_mkd_rmd(server):
    env = server.env
    c = server.login()
    assert c.cmd("MKD newdir").lines == ['257 "/newdir" created']
    assert os.path.isdir(root_path(env, "newdir"))
    assert c.cmd("MKD newdir").code == 550           # exists
    assert c.cmd("XMKD /newdir/sub").lines == ['257 "/newdir/sub" created']
    assert c.cmd("MKD /missing/sub").code == 550
    assert c.cmd("RMD newdir").code == 550           # not empty
    assert c.cmd("XRMD newdir/sub").code == 250
    assert c.cmd("RMD newdir").code == 250
    assert not os.path.exists(root_path(env, "newdir"))
    assert c.cmd("RMD newdir").code == 550
    assert c.cmd("RMD hello.txt").code == 550        # not a directory
    assert c.cmd("RMD /").code == 550
    # "." and ".." are refused as rmdir(2) refuses them, wherever they are
    assert c.cmd("MKD keep").code == 257
    assert c.cmd("CWD keep").code == 250
    for arg in [".", "./", "..", "../keep/.", "/keep/."]:
        assert c.cmd("RMD " + arg).code == 550, arg
    assert os.path.isdir(root_path(env, "keep"))


def test_mkd_umask(server):
    env = server.env
    c = server.login()
    assert c.cmd("MKD private").code == 257
    assert stat.S_IMODE(os.stat(root_path(env, "private")).st_mode) == 0o700  # local_umask 077
    assert c.cmd("SITE UMASK 022").code == 200
    assert c.cmd("MKD shared").code == 257
    assert stat.S_IMODE(os.stat(root_path(env, "shared")).st_mode) == 0o755


def test_dele(server):
    env = server.env
    with open(root_path(env, "victim.txt"), "w") as f:
        f.write("x")
    if IS_ROOT:
        env.chown_guest(env.root)
    c = server.login()
    assert c.cmd("DELE victim.txt").code == 250
    assert not os.path.exists(root_path(env, "victim.txt"))
    assert c.cmd("DELE victim.txt").code == 550
    assert c.cmd("DELE pub").code == 550             # a directory, even empty
    assert os.path.isdir(root_path(env, "pub"))
    assert c.cmd("DELE /").code == 550


def test_rename(server):
    env = server.env
    c = server.login()
    assert c.cmd("RNFR hello.txt").code == 350
    assert c.cmd("RNTO pub/moved.txt").code == 250
    assert os.path.exists(root_path(env, "pub", "moved.txt"))
    assert not os.path.exists(root_path(env, "hello.txt"))
    # RNTO without RNFR, or after another command, is out of sequence
    assert c.cmd("RNTO again.txt").code == 503
    assert c.cmd("RNFR pub/moved.txt").code == 350
    assert c.cmd("PWD").code == 257
    assert c.cmd("RNTO again.txt").code == 503
    # NOOP keeps a pending RNFR
    assert c.cmd("RNFR pub/moved.txt").code == 350
    assert c.cmd("NOOP").code == 200
    assert c.cmd("RNTO hello.txt").code == 250
    assert os.path.exists(root_path(env, "hello.txt"))
    # failures
    assert c.cmd("RNFR nonexistent").code == 550
    assert c.cmd("RNTO x").code == 503
    assert c.cmd("RNFR /").code == 550
    assert c.cmd("RNFR pub").code == 350               # directories too
    assert c.cmd("RNTO /missing/pub").code == 550
    assert os.path.isdir(root_path(env, "pub"))


def test_rnto_first_in_session(server):
    c = server.login()
    assert c.cmd("RNTO x").lines[0].startswith("503")


def test_size_mdtm(server):
    env = server.env
    os.utime(root_path(env, "hello.txt"), (0, 1_000_000_000))   # 2001-09-09 01:46:40 UTC
    c = server.login()
    assert c.cmd("SIZE hello.txt").lines == ["213 6"]
    assert c.cmd("SIZE /hello.txt").lines == ["213 6"]
    assert c.cmd("MDTM hello.txt").lines == ["213 20010909014640"]
    assert c.cmd("SIZE pub").code == 550              # not a plain file
    assert c.cmd("MDTM pub").code == 550
    assert c.cmd("SIZE nonexistent").code == 550
    assert c.cmd("MDTM nonexistent").code == 550


def test_site_chmod(server):
    env = server.env
    c = server.login()
    assert c.cmd("SITE CHMOD 600 hello.txt").code == 200
    assert stat.S_IMODE(os.stat(root_path(env, "hello.txt")).st_mode) == 0o600
    assert c.cmd("site chmod 0644 /hello.txt").code == 200
    assert stat.S_IMODE(os.stat(root_path(env, "hello.txt")).st_mode) == 0o644
    assert c.cmd("SITE CHMOD 711 pub").code == 200
    assert stat.S_IMODE(os.stat(root_path(env, "pub")).st_mode) == 0o711
    for bad in ["SITE CHMOD", "SITE CHMOD 644", "SITE CHMOD 999 hello.txt",
                "SITE CHMOD abc hello.txt", "SITE CHMOD 123456 hello.txt",
                "SITE CHMOD -1 hello.txt"]:
        assert c.cmd(bad).code == 501, bad
    assert c.cmd("SITE CHMOD 644 nonexistent").code == 550
    # only permission bits: no setuid/setgid/sticky (vsftpd masks them too)
    for special in ["4755", "2755", "6777", "1777", "04644", "7777"]:
        assert c.cmd("SITE CHMOD %s hello.txt" % special).code == 550, special
    assert c.cmd("SITE CHMOD 1777 pub").code == 550
    assert stat.S_IMODE(os.stat(root_path(env, "pub")).st_mode) == 0o711
    assert stat.S_IMODE(os.stat(root_path(env, "hello.txt")).st_mode) == 0o644


def test_site_umask_help(server):
    c = server.login()
    r = c.cmd("SITE UMASK")
    assert r.code == 200 and "077" in r.text
    assert c.cmd("SITE UMASK 027").code == 200
    assert "027" in c.cmd("SITE UMASK").text
    assert c.cmd("SITE UMASK 999").code == 501
    assert c.cmd("SITE UMASK abc").code == 501
    assert "027" in c.cmd("SITE UMASK").text
    r = c.cmd("SITE HELP")
    assert r.code == 214
    text = " ".join(r.lines)
    for sub in ("CHMOD", "UMASK", "HELP"):
        assert sub in text
    assert c.cmd("SITE FOO").code == 500
    assert c.cmd("SITE EXEC ls").code == 500


def test_write_enable_no(ftpd):
    s = ftpd(write_enable="NO")
    env = s.env
    c = s.login()
    for line in ["MKD x", "XMKD x", "RMD pub", "XRMD pub", "DELE hello.txt",
                 "RNFR hello.txt", "SITE CHMOD 600 hello.txt"]:
        assert c.cmd(line).code == 550, line
    assert c.cmd("RNTO y").code in (503, 550)
    assert os.path.exists(root_path(env, "hello.txt"))
    assert os.path.isdir(root_path(env, "pub"))
    assert not os.path.exists(root_path(env, "x"))
    assert stat.S_IMODE(os.stat(root_path(env, "hello.txt")).st_mode) == 0o644
    # reading still works
    assert c.cmd("SIZE hello.txt").code == 213
    assert c.cmd("CWD pub").code == 250
    assert c.cmd("SITE UMASK").code == 200


def test_names_with_spaces_and_utf8(server):
    env = server.env
    c = server.login()
    assert c.cmd("OPTS UTF8 ON").code == 200
    name = "dir with  spaces"
    assert c.cmd("MKD " + name).lines == ['257 "/%s" created' % name]
    assert os.path.isdir(root_path(env, name))
    assert c.cmd("CWD " + name).code == 250
    assert c.cmd("PWD").lines == ['257 "/%s" is the current directory' % name]
    utf = "\u00e9t\u00e9 \u65e5\u672c"
    r = c.cmd(("MKD " + utf).encode("utf-8"))
    assert r.code == 257
    assert os.path.isdir(root_path(env, name, utf))
    assert c.cmd(("CWD " + utf).encode("utf-8")).code == 250
    assert c.cmd("PWD").lines == ['257 "/%s/%s" is the current directory' % (name, utf)]
    assert c.cmd("CDUP").code == 250
    assert c.cmd(("RMD " + utf).encode("utf-8")).code == 250
    # a trailing space is part of the name
    assert c.cmd("MKD trailing ").code == 257
    assert os.path.isdir(root_path(env, name, "trailing "))


def test_quotes_in_names(server):
    env = server.env
    c = server.login()
    r = c.cmd('MKD say "hi"')
    assert r.lines == ['257 "/say ""hi""" created']
    assert os.path.isdir(root_path(env, 'say "hi"'))
    assert c.cmd('CWD say "hi"').code == 250
    assert c.cmd("PWD").lines == ['257 "/say ""hi""" is the current directory']


def test_confined_to_root(server):
    env = server.env
    outside = os.path.join(env.dir, "outside.txt")
    with open(outside, "w") as f:
        f.write("outside\n")
    os.symlink(outside, root_path(env, "abs-link"))
    os.symlink("../outside.txt", root_path(env, "rel-link"))
    os.symlink("hello.txt", root_path(env, "good-link"))
    c = server.login()
    assert c.cmd("SIZE good-link").lines == ["213 6"]
    assert c.cmd("SIZE abs-link").code == 550
    assert c.cmd("SIZE rel-link").code == 550
    assert c.cmd("SIZE ../outside.txt").code == 550
    assert c.cmd("SIZE /../../outside.txt").code == 550
    assert c.cmd("SITE CHMOD 777 rel-link").code == 550
    assert c.cmd("CWD /etc").code == 550
    assert c.cmd("RNFR ../outside.txt").code == 550
    # links themselves may be removed or renamed, the targets stay
    assert c.cmd("DELE abs-link").code == 250
    assert os.path.exists(outside)
    assert stat.S_IMODE(os.stat(outside).st_mode) != 0o777


def test_long_names(server):
    env = server.env
    deep = "/".join(["a" * 200] * 15)             # 3014 bytes
    os.makedirs(root_path(env, deep))
    if IS_ROOT:
        env.chown_guest(env.root)
    c = server.login()
    # one component longer than NAME_MAX: the kernel refuses, 553
    assert c.cmd("MKD " + "x" * 300).code == 553
    assert c.cmd("CWD /" + deep).code == 250
    # the working directory and the argument together exceed MAX_FTP_PATH
    long_arg = "/".join(["b" * 200] * 6)          # 1205 bytes
    assert c.cmd("MKD " + long_arg).code == 553
    assert c.cmd("CWD " + long_arg).code in (550, 553)
    assert c.cmd("PWD").lines == ['257 "/%s" is the current directory' % deep]
    # a line over the limit is refused as a whole, the session goes on
    assert c.cmd("MKD " + "/".join(["d"] * 2100)).lines == ["500 Input line too long."]
    assert c.cmd("NOOP").code == 200


# ---------------------------------------------------------------- OPTS UTF8, HELP SITE

def test_opts_utf8_off_refused(server):
    """Issue 19 #4: the server is always UTF-8, so OFF is refused."""
    c = server.connect()
    r = c.cmd("OPTS UTF8 OFF")
    assert r.code == 504 and "UTF8" in r.text, r
    assert c.cmd("opts utf8 off").code == 504
    assert c.cmd("OPTS UTF8 ON").lines == ["200 Always in UTF8 mode."]
    assert c.login().code == 230
    assert c.cmd("OPTS UTF8 OFF").code == 504
    assert c.cmd("NOOP").code == 200


def site_words(reply):
    assert reply.code == 214, reply
    return " ".join(ln[4:] for ln in reply.lines).split()


def test_help_site_lists_site_commands(server):
    """Issue 19 #4: HELP SITE answers SITE's subcommands, as SITE HELP does."""
    c = server.connect()
    before_login = site_words(c.cmd("HELP SITE"))
    assert sorted(before_login) == ["CHMOD", "HELP", "UMASK"], before_login
    assert site_words(c.cmd("help site")) == before_login
    assert c.login().code == 230
    assert site_words(c.cmd("HELP SITE")) == before_login
    assert site_words(c.cmd("SITE HELP")) == before_login
    # and each word is a SITE command the server knows
    for word in before_login:
        assert c.cmd("SITE " + word).code != 500, word
    # other verbs keep the general list
    general = c.cmd("HELP")
    assert "RETR" in " ".join(general.lines).split()
    assert c.cmd("HELP STOR").lines == general.lines


# ---------------------------------------------------------------- MDTM and MFMT set the time

def test_mdtm_sets_the_time(server):
    """Issue 19 #3: MDTM YYYYMMDDHHMMSS NAME sets the mtime (UTC), as vsftpd."""
    env = server.env
    hello = root_path(env, "hello.txt")
    spaced = root_path(env, "my file.txt")
    with open(spaced, "w") as f:
        f.write("spaces\n")
    # an existing name that looks like the set form is read, as vsftpd reads it
    ambiguous = root_path(env, "20190101000000 old.txt")
    old = root_path(env, "old.txt")
    for p in (ambiguous, old):
        with open(p, "w") as f:
            f.write("x\n")
        os.utime(p, (0, 1_000_000_000))
    if IS_ROOT:
        env.chown_guest(env.root)
    c = server.login()
    r = c.cmd("MDTM 20210304050607 hello.txt")
    assert r.lines == ["213 File modification time set."], r
    assert os.stat(hello).st_mtime == calendar.timegm((2021, 3, 4, 5, 6, 7, 0, 0, 0))
    assert c.cmd("MDTM hello.txt").lines == ["213 20210304050607"]
    assert c.cmd("MDTM 20200102030405.250 my file.txt").code == 213
    assert os.stat(spaced).st_mtime == calendar.timegm((2020, 1, 2, 3, 4, 5, 0, 0, 0))
    assert c.cmd("MDTM my file.txt").lines == ["213 20200102030405"]
    assert c.cmd("MDTM 20190101000000 old.txt").lines == ["213 20010909014640"]
    assert os.stat(old).st_mtime == 1_000_000_000
    assert os.stat(ambiguous).st_mtime == 1_000_000_000
    # failures: no such file, not a plain file, an impossible time
    assert c.cmd("MDTM 20200101000000 missing").lines == \
        ["550 Could not set file modification time."]
    assert c.cmd("MDTM 20200101000000 pub").code == 550
    assert c.cmd("MDTM 20201301000000 hello.txt").code == 550
    assert c.cmd("MDTM 2020 hello.txt").code == 550
    assert os.stat(hello).st_mtime == calendar.timegm((2021, 3, 4, 5, 6, 7, 0, 0, 0))
    assert c.cmd("MFMT 20220101000000 hello.txt").code == 213   # the same setter


def test_mdtm_set_needs_write_permission(ftpenv, ftpd):
    s = ftpd(write_enable="NO")
    hello = root_path(ftpenv, "hello.txt")
    os.utime(hello, (0, 1_000_000_000))
    c = s.login()
    r = c.cmd("MDTM 20210304050607 hello.txt")
    assert r.lines == ["550 Permission denied."], r
    assert c.cmd("MDTM hello.txt").lines == ["213 20010909014640"]
    assert os.stat(hello).st_mtime == 1_000_000_000


def test_mdtm_set_anonymous_needs_other_write(ftpenv, ftpd):
    welcome = os.path.join(ftpenv.anon_root, "welcome.txt")
    os.utime(welcome, (0, 1_000_000_000))
    s = ftpd(anonymous_enable="YES", anon_root=ftpenv.anon_root, anon_upload_enable="YES")
    c = s.connect()
    assert c.login("anonymous", "x@y").code == 230
    assert c.cmd("MDTM 20210304050607 welcome.txt").code == 550
    assert os.stat(welcome).st_mtime == 1_000_000_000
    s2 = ftpd(anonymous_enable="YES", anon_root=ftpenv.anon_root,
              anon_other_write_enable="YES")
    c = s2.connect()
    assert c.login("anonymous", "x@y").code == 230
    assert c.cmd("MDTM 20210304050607 welcome.txt").code == 213
    assert os.stat(welcome).st_mtime == calendar.timegm((2021, 3, 4, 5, 6, 7, 0, 0, 0))


def test_mfmt(ftpenv):
    f = login(start(ftpenv))
    assert f.sendcmd("MFMT 20210304050607 hello.txt") == \
        "213 Modify=20210304050607; hello.txt"
    assert f.sendcmd("MDTM hello.txt") == "213 20210304050607"
    assert os.stat(os.path.join(ftpenv.root, "hello.txt")).st_mtime == \
        calendar.timegm((2021, 3, 4, 5, 6, 7))
    for bad in ("MFMT 20211304050607 hello.txt", "MFMT 2021 hello.txt", "MFMT hello.txt"):
        with pytest.raises(ftplib.error_perm, match="501"):
            f.sendcmd(bad)
    with pytest.raises(ftplib.error_perm, match="550"):
        f.sendcmd("MFMT 20210304050607 missing")


# ---------------------------------------------------------------- CWD into search-only directories

def _retr(f, path):
    out = io.BytesIO()
    f.retrbinary("RETR " + path, out.write)
    return out.getvalue()


def _search_only_dirs(env, xonly_mode, noexec_mode, owner):
    """Two directories with a file each: one searchable but not readable,
    one readable but not searchable (by the session's user)."""
    dirs = {}
    for name, mode in (("xonly", xonly_mode), ("noexec", noexec_mode)):
        d = root_path(env, name)
        os.mkdir(d)
        with open(os.path.join(d, "inner.txt"), "w") as fp:
            fp.write("inner %s\n" % name)
        if owner is not None:
            os.chown(d, owner.pw_uid, owner.pw_gid)
            os.chown(os.path.join(d, "inner.txt"), owner.pw_uid, owner.pw_gid)
        os.chmod(d, mode)
        dirs[name] = d
    return dirs


def _check_cwd_search_only(server, dirs):
    try:
        f = server.ftplib()
        assert _retr(f, "xonly/inner.txt") == b"inner xonly\n"     # worked before too
        assert f.sendcmd("CWD xonly").startswith("250")
        assert f.pwd() == "/xonly"
        assert _retr(f, "inner.txt") == b"inner xonly\n"
        with pytest.raises(ftplib.error_perm):                       # no read: no listing
            f.nlst()
        assert f.sendcmd("CWD /").startswith("250")
        # readable but not searchable: cd refuses it, as a shell does
        with pytest.raises(ftplib.error_perm, match="550"):
            f.cwd("noexec")
        assert f.pwd() == "/"
        assert f.sendcmd("NOOP").startswith("200")
    finally:
        for d in dirs.values():
            os.chmod(d, 0o755)


def test_cwd_search_only_directory_owner(server):
    """Issue 19 #7: CWD needs x only.  The session's user owns the
    directories (as root: the guest user; else the user running the tests)."""
    owner = pwd.getpwnam(GUEST) if IS_ROOT else None
    dirs = _search_only_dirs(server.env, 0o100, 0o600, owner)
    _check_cwd_search_only(server, dirs)


@needs_root
def test_cwd_search_only_directory_other(server):
    """Issue 19 #7, as root: 0711 directories of root, the virtual user
    (guest "nobody") is neither owner nor group: x comes from "other"."""
    dirs = _search_only_dirs(server.env, 0o711, 0o744, None)
    assert os.stat(dirs["xonly"]).st_uid == 0
    _check_cwd_search_only(server, dirs)


# ---------------------------------------------------------------- times out of range

# times gmtime_r cannot break down (year beyond int), years of five digits
# and before year 0: MDTM says 550, MLSx leaves out "modify", LIST stays a
# parseable line, and the session goes on
HUGE_TIMES = {"future.txt": 2 ** 62, "far.txt": 2 ** 40, "past.txt": -2 ** 40,
              "ancient.txt": -2 ** 62}
LIST_LINE = re.compile(r"^[-dlpscb][-rwxsStT]{9} +\d+ +\S+ +\S+ +\d+ "
                       r"(?:(?P<mon>[A-Z][a-z]{2}) (?P<day>\d\d) (?:\d\d:\d\d| +-?\d+)|-?\d+) "
                       r"(?P<name>.+)$")


@pytest.fixture
def huge_times_root(ftpenv):
    """A directory on a file system that keeps 64-bit times (tmpfs)."""
    try:
        d = tempfile.mkdtemp(prefix="miniftpd-times-", dir="/dev/shm")
    except OSError as e:
        pytest.skip("no /dev/shm: %s" % e)
    try:
        os.chmod(d, 0o755)
        for name, t in HUGE_TIMES.items():
            p = os.path.join(d, name)
            with open(p, "w") as fp:
                fp.write("x\n")
            try:
                os.utime(p, (t, t))
            except OverflowError as e:
                pytest.skip("os.utime: %s" % e)
            if os.stat(p).st_mtime_ns // 10 ** 9 != t:
                pytest.skip("the file system under /dev/shm clamps times")
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_times_out_of_range(ftpenv, ftpd, huge_times_root):
    """Issue 19 #9: no uninitialised bytes, no 15-digit time-val."""
    s = ftpd(anonymous_enable="YES", anon_root=huge_times_root)
    f = s.ftplib(user=None)
    f.login("anonymous", "x@y")
    for name in HUGE_TIMES:
        with pytest.raises(ftplib.error_perm, match="^550"):
            f.sendcmd("MDTM " + name)
        facts = f.sendcmd("MLST " + name).splitlines()[1]
        assert "modify=" not in facts, facts
        assert facts.endswith(" /" + name), facts
    mlsd = []
    f.retrlines("MLSD", mlsd.append)
    for line in mlsd:
        assert "modify=" not in line or re.search(r"modify=\d{14};", line), line
    lines = []
    f.retrlines("LIST", lines.append)
    seen = set()
    for line in lines:
        m = LIST_LINE.match(line)
        assert m, line
        if m.group("mon"):
            assert 1 <= int(m.group("day")) <= 31, line
        seen.add(m.group("name"))
    assert seen == set(HUGE_TIMES), lines
    future = [ln for ln in lines if ln.endswith(" future.txt")][0]
    assert " %d future.txt" % 2 ** 62 in future, future
    assert f.sendcmd("STAT future.txt").startswith("213")
    assert f.sendcmd("NOOP") == "200 NOOP ok."


# ---------------------------------------------------------------- anonymous uploads: SITE UMASK, chown_uploads

def _anon_upload_server(ftpenv, ftpd, **extra):
    return ftpd(anonymous_enable="YES", anon_root=ftpenv.anon_root,
                anon_upload_enable="YES", **extra)


def test_site_umask_refused_for_anonymous(ftpenv, ftpd):
    """Issue 19 #14: anonymous uploads keep anon_umask."""
    s = _anon_upload_server(ftpenv, ftpd, anon_other_write_enable="YES")
    f = s.ftplib(user=None)
    f.login("anonymous", "x@y")
    assert "077" in f.sendcmd("SITE UMASK")                  # asking is fine
    with pytest.raises(ftplib.error_perm, match="^550"):
        f.sendcmd("SITE UMASK 000")
    assert "077" in f.sendcmd("SITE UMASK")
    f.storbinary("STOR up.txt", io.BytesIO(b"upload\n"))
    up = os.path.join(ftpenv.anon_root, "up.txt")
    assert stat.S_IMODE(os.stat(up).st_mode) == 0o600        # 0666 & ~anon_umask
    # SITE CHMOD: never for anonymous users (vsftpd), even with other writes
    with pytest.raises(ftplib.error_perm, match="^550"):
        f.sendcmd("SITE CHMOD 666 up.txt")
    assert stat.S_IMODE(os.stat(up).st_mode) == 0o600
    # local (here virtual) users keep both
    c = s.login()
    assert c.cmd("SITE UMASK 022").code == 200
    assert c.cmd("SITE CHMOD 640 hello.txt").code == 200


@needs_root
def test_anonymous_cannot_read_back_chowned_upload(ftpenv, ftpd):
    """Issue 19 #14 with chown_uploads: the upload belongs to chown_username
    with anon_umask's mode, so anonymous users cannot fetch it back."""
    daemon = pwd.getpwnam("daemon")
    s = _anon_upload_server(ftpenv, ftpd, chown_uploads="YES", chown_username="daemon")
    f = s.ftplib(user=None, timeout=20)
    f.login("anonymous", "x@y")
    with pytest.raises(ftplib.error_perm, match="^550"):
        f.sendcmd("SITE UMASK 000")
    f.storbinary("STOR drop.bin", io.BytesIO(b"secret drop\n"))
    p = os.path.join(ftpenv.anon_root, "drop.bin")
    st = os.stat(p)
    assert st.st_uid == daemon.pw_uid and stat.S_IMODE(st.st_mode) == 0o600
    with pytest.raises(ftplib.error_perm, match="^550"):
        _retr(f, "drop.bin")
    assert f.sendcmd("NOOP").startswith("200")
