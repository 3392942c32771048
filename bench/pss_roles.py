"""Split miniftpd's PSS by role (bench/README.md, "PSS by role"): reads the
DIR/SERVER/PID.smaps and .status files that bench/run.sh saves with
BENCH_SMAPS=DIR, and prints, per role, the processes' mean Pss and
Private_Dirty in KiB per kind of mapping.  Roles follow the process tree:
the listener (root of the tree), a child that never forks (the signer),
each session's helper (a child that has children) and its children.  An
FTPS session after login has two: the TLS process, which is the pre-login
process (forked first, still nopriv_user, as the helper is after login),
and the post-login process (forked at login, the user); a PAM keeper (root
under a helper that is not) is a third.  One child alone is the session's
service process, before or after login.  A count, not a timing.  Usage: /usr/bin/python3 bench/pss_roles.py DIR/minitls"""
import collections
import re
import sys
from pathlib import Path

HEAD = re.compile(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$")


def status(path):
    f = dict(line.split(":", 1) for line in path.read_text().splitlines() if ":" in line)
    return {"name": f["Name"].strip(), "ppid": int(f["PPid"]), "uid": int(f["Uid"].split()[0])}


def mapping_kind(name, exe):
    if not name:
        return "anon"
    if name.startswith("["):
        return name
    base = name.rsplit("/", 1)[-1]
    return "miniftpd" if name == exe else base


def smaps(path, exe):
    """{kind: [pss, private_dirty]} of one process, in KiB"""
    out = collections.defaultdict(lambda: [0, 0])
    kind = None
    for line in path.read_text().splitlines():
        m = HEAD.match(line)
        if m:
            kind = mapping_kind(m.group(1).strip(), exe)
            continue
        key, _, rest = line.partition(":")
        if key == "Pss" and kind:
            out[kind][0] += int(rest.split()[0])
        elif key == "Private_Dirty" and kind:
            out[kind][1] += int(rest.split()[0])
    return out


def roles(procs):
    """pid -> role name, from the tree"""
    kids = collections.defaultdict(list)
    for pid, st in procs.items():
        kids[st["ppid"]].append(pid)
    role = {}
    for pid, st in procs.items():
        if st["name"] == "limitd":
            role[pid] = "limitd"
        elif st["ppid"] not in procs:
            role[pid] = "listener"
    for lpid in [p for p, r in role.items() if r == "listener"]:
        for c in kids[lpid]:
            if not kids[c]:
                role[c] = "signer/other"
                continue
            role[c] = "helper"
            role.update(session_roles(c, kids[c], procs))
    return role


def session_roles(helper, children, procs):
    """pid -> role of a session helper's children"""
    uid = procs[helper]["uid"]
    out = {}
    ch = []
    for pid in sorted(children):
        if uid != 0 and procs[pid]["uid"] == 0:
            out[pid] = "pam-keeper"
        else:
            ch.append(pid)
    if len(ch) == 1:
        out[ch[0]] = "child"
    elif len(ch) == 2:
        # by user where they differ (as root: nopriv_user and the user);
        # else by fork order: the pre-login process came first
        same = [p for p in ch if procs[p]["uid"] == uid]
        tls = same[0] if len(same) == 1 else ch[0]
        out[tls] = "tls"
        out[ch[1] if tls == ch[0] else ch[0]] = "post-login"
    else:
        out.update({p: "child" for p in ch})
    return out


def main(d):
    d = Path(d)
    procs = {int(p.stem): status(p) for p in d.glob("*.status")}
    role = roles(procs)
    exe_of = {}
    for pid in procs:
        m = re.search(r"^[0-9a-f]+-[0-9a-f]+ r-xp \S+ \S+ \S+\s*(/\S+miniftpd)$",
                      (d / f"{pid}.smaps").read_text(), re.M)
        exe_of[pid] = m.group(1) if m else ""
    by = collections.defaultdict(list)
    for pid in procs:
        by[role.get(pid, "unknown")].append(smaps(d / f"{pid}.smaps", exe_of[pid]))
    total = sum(v[0] for rs in by.values() for r in rs for v in r.values())
    sessions = len(by.get("helper", [])) or 1
    print(f"{d}: {len(procs)} processes, {sessions} sessions, "
          f"PSS {total} KiB, {total / sessions:.0f} KiB per session")
    for name, rs in sorted(by.items()):
        n = len(rs)
        kinds = collections.defaultdict(lambda: [0, 0])
        for r in rs:
            for k, v in r.items():
                kinds[k][0] += v[0]
                kinds[k][1] += v[1]
        pss = sum(v[0] for v in kinds.values()) / n
        prv = sum(v[1] for v in kinds.values()) / n
        print(f"\n{name}: {n} processes, mean Pss {pss:.0f} KiB, Private_Dirty {prv:.0f} KiB")
        for k, v in sorted(kinds.items(), key=lambda kv: -kv[1][0]):
            if v[0] / n >= 1 or v[1] / n >= 1:
                print(f"  {k:32s} {v[0] / n:7.1f} {v[1] / n:7.1f}")


if __name__ == "__main__":
    main(sys.argv[1])
