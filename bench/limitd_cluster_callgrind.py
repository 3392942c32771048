"""Instructions per admission of limitd, alone and with a Redis store
(bench/NOTES.md): limitd under valgrind --tool=callgrind, W threads each
running N admissions (connect, ADMIT from an address of its own, verdict,
close), minus a run with none (start, the readiness probe, the join, stop).
A count, not a timing; the store's script calls per admission (INFO
commandstats) beside it, as a call's cost is shared by the questions in it.
usage: /usr/bin/python3 bench/limitd_cluster_callgrind.py BUILD W N [LABEL]
(BUILD: a directory holding limitd; the tests' helpers come from this tree;
CALLGRIND_KEEP=DIR keeps the loaded runs' callgrind files there)."""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integ"))
os.environ.setdefault("BUILD", "build/rel")
import limitdkit  # noqa: E402
from limitdkit import Limitd, wait_until  # noqa: E402
import test_cluster as tc  # noqa: E402

VALGRIND = shutil.which("valgrind") or "/usr/bin/valgrind"


def stats(r):
    """INFO commandstats of the store R: {command: calls}."""
    with socket.create_connection(("127.0.0.1", r.port)) as s:
        s.sendall(tc.resp("INFO", "commandstats"))
        time.sleep(0.2)
        data = s.recv(1 << 20).decode()
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"cmdstat_(\w+):calls=(\d+)", data)}


def under_callgrind(limitd, d):
    """A wrapper that runs LIMITD under callgrind, its output to D/cg.out."""
    w = d / "limitd-callgrind"
    w.write_text(f"#!/bin/sh\nexec {VALGRIND} --tool=callgrind -q "
                 f"--callgrind-out-file={d}/cg.out {limitd} \"$@\"\n")
    w.chmod(0o755)
    return w


def instructions(out):
    for line in out.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise SystemExit(f"no total in {out}")


def load(ld, workers, n):
    def worker(w):
        for i in range(n):
            c = ld.client()
            assert c.admit(f"10.{w}.{i // 250}.{1 + i % 250}") == limitdkit.V_ADMIT
            c.close()
    ts = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
    [t.start() for t in ts]
    [t.join(timeout=600) for t in ts]
    assert not any(t.is_alive() for t in ts), "load did not end in 600 s"


def one(limitd, store, workers, n):
    """(instructions, script calls) of one limitd run under callgrind."""
    d = Path(tempfile.mkdtemp(prefix="limitd-cg-"))
    os.chmod(d, 0o777)          # limitd writes cg.out as nopriv_user
    r = tc.Redis(d / "redis").start() if store else None
    limitdkit.LIMITD = under_callgrind(limitd, d)
    opts = dict(seccomp_sandbox="NO", max_clients=0, max_per_ip=0, max_per_user=0)
    if store:
        opts.update(limitd_cluster=f"redis://127.0.0.1:{r.port}/0", limitd_cluster_id="cg",
                    limitd_cluster_lease=60)
    ld = Limitd(d, **opts)
    log = open(ld.logpath, "ab")
    ld.proc = subprocess.Popen([str(limitdkit.LIMITD), str(ld.conf)], stdin=subprocess.DEVNULL,
                               stdout=log, stderr=log)
    log.close()
    wait_until(ld._ready, timeout=60, what="limitd under callgrind")
    if store:
        wait_until(lambda: "Joined" in ld.log(), timeout=60, what="the join")
    before = stats(r) if store else {}
    load(ld, workers, n)
    time.sleep(0.5)             # the releases of the last closes
    after = stats(r) if store else {}
    ld.proc.terminate()
    ld.proc.wait(timeout=120)
    calls = after.get("evalsha", 0) - before.get("evalsha", 0)
    total = instructions(d / "cg.out")
    if os.environ.get("CALLGRIND_KEEP") and n:
        shutil.copy(d / "cg.out", Path(os.environ["CALLGRIND_KEEP"]) /
                    f"callgrind.{'store' if store else 'alone'}.{workers}x{n}")
    if r:
        r.kill()
    shutil.rmtree(d, ignore_errors=True)
    return total, calls


def main():
    limitd = Path(sys.argv[1]).resolve() / "limitd"
    workers, n = int(sys.argv[2]), int(sys.argv[3])
    label = sys.argv[4] if len(sys.argv) > 4 else str(limitd)
    assert 1 <= workers <= 64 and 1 <= n <= 10000, "W in 1-64, N in 1-10000"
    for store in (False, True):
        base, _ = one(limitd, store, 1, 0)
        total, calls = one(limitd, store, workers, n)
        a = workers * n
        print(f"{label}: mode={'store' if store else 'alone'} workers={workers} admissions={a} "
              f"instructions_per_admission={(total - base) / a:.0f} "
              f"startup_and_stop={base} evalsha_per_admission={calls / a:.3f}", flush=True)


if __name__ == "__main__":
    main()
