"""The option lists of etc/miniftpd.conf and miniftpd.conf(5) against the
option table, the manual pages through mandoc and man, and a test that
names each option and each FTP verb (test_every_option_and_verb_is_named_by_a_test).

tools/genopts.c is compiled here (with the project's warning flags) so that
the check needs no write access to the build directory; `make docs`
rewrites the files when include/options.h changes.
"""

import ast
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import miniftpd_bin

TOP = Path(__file__).resolve().parents[2]
CONF = TOP / "etc" / "miniftpd.conf"
MAN5 = TOP / "man" / "miniftpd.conf.5"
MANS = sorted(TOP.glob("man/*.[1-8]"))
WARN = ["-std=c11", "-Wall", "-Wextra", "-Wshadow", "-Wstrict-prototypes",
        "-Wmissing-prototypes", "-Wpointer-arith", "-Wcast-qual", "-Wformat=2",
        "-Wno-format-nonliteral", "-Werror", "-D_GNU_SOURCE"]

pytestmark = pytest.mark.skipif(not (TOP / "tools" / "genopts.c").exists(),
                                reason="source tree not available (tests copied alone)")


@pytest.fixture(scope="module")
def genopts():
    d = tempfile.mkdtemp(prefix="miniftpd-genopts-", dir="/tmp")
    exe = os.path.join(d, "genopts")
    cc = os.environ.get("CC") or shutil.which("cc") or "gcc"
    r = subprocess.run([cc] + WARN + ["-I", str(TOP / "include"), "-o", exe,
                                      str(TOP / "tools" / "genopts.c")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout
    yield exe
    shutil.rmtree(d, ignore_errors=True)


def run(argv, input_path=None, **kw):
    with open(input_path or os.devnull, "rb") as stdin:
        return subprocess.run(argv, stdin=stdin, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=60, **kw)


def effective_defaults():
    """miniftpd -T with an empty configuration: {option: default}."""
    with tempfile.NamedTemporaryFile("w", suffix=".conf", dir="/tmp") as empty:
        r = run([miniftpd_bin(), empty.name, "-T"], text=True)
    assert r.returncode == 0, r.stderr
    return dict(line.split("=", 1) for line in r.stdout.splitlines())


@pytest.mark.parametrize("kind,path", [("conf", CONF), ("man", MAN5)])
def test_generated_lists_are_current(genopts, kind, path):
    r = run([genopts, kind], path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == path.read_bytes(), \
        "%s does not match include/options.h: run make docs" % path.name


def test_genopts_refuses_a_file_without_markers(genopts):
    r = run([genopts, "conf"], TOP / "README.md")
    assert r.returncode != 0 and b"marker" in r.stderr


def test_sample_config_lists_every_option_with_its_default():
    defaults = effective_defaults()
    listed = dict(re.findall(r"^#(\w+)=(.*)$", CONF.read_text(), re.M))
    assert listed == defaults


def test_sample_config_uncommented_changes_nothing(tmp_path):
    """Every commented default, set for real, is accepted and is the default."""
    lines = re.findall(r"^#(\w+=.*)$", CONF.read_text(), re.M)
    conf = tmp_path / "all.conf"
    conf.write_text("\n".join(lines) + "\n")
    r = run([miniftpd_bin(), str(conf), "-T"], text=True)
    assert r.returncode == 0, r.stderr
    assert dict(l.split("=", 1) for l in r.stdout.splitlines()) == effective_defaults()
    r = run([miniftpd_bin(), str(CONF), "-t"], text=True)
    assert r.returncode == 0 and r.stdout == "configuration OK\n", r.stderr


def test_man_page_lists_every_option():
    listed = re.findall(r"^\.It Cm (\w+) Pq", MAN5.read_text(), re.M)
    assert listed == list(effective_defaults())


# mandoc cannot find pages that are not installed yet, nor index them
IGNORED_LINT = re.compile(r"referenced manual not found|outdated mandoc\.db")


@pytest.mark.skipif(shutil.which("mandoc") is None, reason="mandoc not installed")
@pytest.mark.parametrize("page", MANS, ids=[p.name for p in MANS])
def test_mandoc_lint_clean(page):
    r = run(["mandoc", "-Tlint", "-Wstyle", str(page)], text=True)
    msgs = [l for l in (r.stdout + r.stderr).splitlines() if not IGNORED_LINT.search(l)]
    assert msgs == []


@pytest.mark.skipif(shutil.which("man") is None, reason="man not installed")
@pytest.mark.parametrize("page", MANS, ids=[p.name for p in MANS])
def test_man_renders(page):
    env = dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="", LC_ALL="C.UTF-8")
    r = run(["man", "-l", str(page)], text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert re.search(r"^NAME\n", r.stdout, re.M) and re.search(r"^SEE ALSO\n", r.stdout, re.M)
    assert r.stderr == "", r.stderr


def test_readme_migration_names_every_option():
    """Each option is either a vsftpd option that carries over or miniftpd's own."""
    readme = (TOP / "README.md").read_text()
    m = re.search(r"^## Migrating from vsftpd\n(.*?)(?=^## )", readme, re.M | re.S)
    assert m, "README.md lacks the migration section"
    named = set(re.findall(r"`(\w+)`", m.group(1)))
    missing = [o for o in effective_defaults() if o not in named]
    assert missing == []


ROLECHECK = TOP / "tools" / "rolecheck.py"


def rolecheck(tree):
    return run(["python3", str(ROLECHECK), str(tree)], text=True)


def test_no_include_cycle_through_a_role_file():
    """Each process's life file (main, listen, privhelper, prelogin,
    postlogin, limitd) uses other modules, and none of them leads back."""
    r = rolecheck(TOP)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == ""


def test_rolecheck_finds_a_cycle(tmp_path):
    """The check can fail: the pre-login process calling into the helper
    (prelogin.c including privhelper.h) closes a cycle and is reported."""
    for d in ("src", "include"):
        shutil.copytree(TOP / d, tmp_path / d)
    assert rolecheck(tmp_path).returncode == 0
    with open(tmp_path / "src" / "prelogin.c", "a") as f:
        f.write('#include "privhelper.h"\n')
    r = rolecheck(tmp_path)
    assert r.returncode == 1
    assert "privhelper -> prelogin -> privhelper" in r.stdout
    assert "prelogin -> privhelper -> prelogin" in r.stdout


def test_readme_names_every_source_file_with_its_role():
    """README.md's source table has one row per src/*.c, with the
    processes that run it."""
    readme = (TOP / "README.md").read_text()
    rows = re.findall(r"^\| `(\w+\.c)` \| [^|]+ \| ([^|]+) \|$", readme, re.M)
    listed = [name for name, _ in rows]
    assert sorted(listed) == sorted(p.name for p in (TOP / "src").glob("*.c"))
    assert all(role.strip() for _, role in rows)


# ---------------------------------------------------------------- a test per option and verb

INTEG = TOP / "tests" / "integ"

# Options and verbs no integration test names yet: {name: why}.  Empty; an
# entry here is a debt, and one that a test names fails the check below.
NOT_YET_TESTED = {}


def option_names():
    """Every option of include/options.h, in its order."""
    return re.findall(r"^\s*OPT_(?:BOOL|UINT|MODE|STR)\s*\(\s*(\w+),",
                      (TOP / "include" / "options.h").read_text(), re.M)


def command_verbs():
    """Every verb of the command table (struct ftp_cmd commands[] in src/)."""
    for path in sorted((TOP / "src").glob("*.c")):
        m = re.search(r"^static const struct ftp_cmd \w+\[\] = \{\n(.*?)^\};",
                      path.read_text(), re.M | re.S)
        if m:
            return re.findall(r'^\s*\{\s*"([A-Z]+)",', m.group(1), re.M)
    raise AssertionError("no struct ftp_cmd table in src/*.c")


def integ_test_sources():
    """{FILE::NAME: its source, decorators included} of every test function
    in tests/integ/test_*.py but this file."""
    out = {}
    for path in sorted(INTEG.glob("test_*.py")):
        if path.name == Path(__file__).name:
            continue
        text = path.read_text()
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                first = min([d.lineno for d in node.decorator_list] + [node.lineno])
                out["%s::%s" % (path.name, node.name)] = \
                    "\n".join(lines[first - 1:node.end_lineno])
    return out


def untested(names, sources, flags=0):
    """NAMES that no source mentions as a word (case-sensitive for verbs)."""
    return [n for n in names
            if not any(re.search(r"\b%s\b" % re.escape(n), s, flags) for s in sources)]


@pytest.mark.parametrize("kind", ["option", "verb"])
def test_every_option_and_verb_is_named_by_a_test(kind):
    """Each option of include/options.h and each verb of the command table
    is named in the source of at least one test function (its body, its
    docstring or its parameters), or listed in NOT_YET_TESTED."""
    names = option_names() if kind == "option" else command_verbs()
    assert len(names) >= (100 if kind == "option" else 50), names   # the parser found the table
    sources = list(integ_test_sources().values())
    missing = untested(names, sources)
    new = [n for n in missing if n not in NOT_YET_TESTED]
    assert new == [], "no test names these %ss: write one: %s" % (kind, " ".join(new))
    listed = [n for n in NOT_YET_TESTED if n in names]
    done = [n for n in listed if n not in missing]
    assert done == [], "tested now, remove from NOT_YET_TESTED: " + " ".join(done)


def test_the_check_sees_a_new_name():
    """The check above is not vacuous: a name no test mentions is found,
    one that a test names is not."""
    sources = list(integ_test_sources().values())
    assert untested(["no_such_option_xyz", "XQZV", "anon_max_rate", "RETR"], sources) == \
        ["no_such_option_xyz", "XQZV"]
