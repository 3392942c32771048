#!/usr/bin/env python3
"""rolecheck.py [TREE] - no include cycle through a role's file.

Each process of miniftpd has its whole life in one file (README.md,
"Layout"): the launcher main.c, the standalone listener listen.c, the
helper privhelper.c, the pre-login and post-login service processes
prelogin.c and postlogin.c (an FTPS session's pre-login process is also
its TLS process, which ends in tlsproc.c's pump), and limitd.c.
A module is src/X.c with include/X.h; module X uses module Y when src/X.c or include/X.h has
#include "Y.h".  A role's file may use any module, but nothing it uses
may lead back to it: a cycle through a role's file means its life
continues in another file that calls back into it (as the helper's did,
between session.c and privhelper.c).

Prints each cycle found and exits 1; exits 0 when there is none.
"""

import re
import sys
from pathlib import Path

ROLES = {
    "main": "launcher",
    "listen": "listener",
    "privhelper": "helper",
    "prelogin": "pre-login",
    "postlogin": "post-login",
    "limitd": "limitd",
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([A-Za-z0-9_]+)\.h"', re.M)


def module_graph(tree):
    """{module: set of modules it includes}, over src/*.c and include/*.h."""
    graph = {}
    files = list((tree / "src").glob("*.c")) + list((tree / "include").glob("*.h"))
    for f in files:
        graph.setdefault(f.stem, set())
    for f in files:
        for dep in INCLUDE.findall(f.read_text(errors="replace")):
            if dep != f.stem and dep in graph:
                graph[f.stem].add(dep)
    return graph


def path_back(graph, start):
    """A cycle start -> ... -> start as a list of modules, or None."""
    seen, stack = {start}, [(start, [start])]
    while stack:
        node, path = stack.pop()
        for dep in sorted(graph[node]):
            if dep == start:
                return path + [start]
            if dep not in seen:
                seen.add(dep)
                stack.append((dep, path + [dep]))
    return None


def problems(tree):
    graph = module_graph(tree)
    out = []
    for mod, role in ROLES.items():
        if not (tree / "src" / (mod + ".c")).exists():
            out.append("src/%s.c (the %s's life) is missing" % (mod, role))
            continue
        cycle = path_back(graph, mod)
        if cycle:
            out.append("the %s's file %s.c is on an include cycle: %s"
                       % (role, mod, " -> ".join(cycle)))
    return out


def main():
    tree = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1])
    found = problems(tree)
    for p in found:
        print(p)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
