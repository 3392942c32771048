"""Store commands per session for limitd_cluster (bench/NOTES.md): W threads
each running N sessions (connect, ADMIT, LOGIN, close) against one limitd on a
private redis-server; prints INFO commandstats deltas per session.  A count,
not a timing: usage /usr/bin/python3 bench/limitd_cluster_counts.py BUILD W N LABEL."""
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integ"))
os.environ["BUILD"] = sys.argv[1]
from limitdkit import Limitd, wait_until  # noqa: E402
import test_cluster as tc  # noqa: E402

def stats(r):
    with socket.create_connection(("127.0.0.1", r.port)) as s:
        s.sendall(tc.resp("INFO", "commandstats")); time.sleep(0.2)
        data = s.recv(1 << 20).decode()
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"cmdstat_(\w+):calls=(\d+)", data)}

d = Path(tempfile.mkdtemp()); os.chmod(d, 0o755)
r = tc.Redis(d / "redis").start()
ld = Limitd(d, limitd_cluster=f"redis://127.0.0.1:{r.port}/0", limitd_cluster_id="m",
            max_per_ip=0, limitd_cluster_lease=60).start()
wait_until(lambda: "Joined" in ld.log())
W, N = int(sys.argv[2]), int(sys.argv[3])
def worker(w):
    for i in range(N):
        c = ld.client(); c.admit(f"10.{w}.{i // 250}.{1 + i % 250}"); c.login("ftp"); c.close()
before = stats(r)
ts = [threading.Thread(target=worker, args=(w,)) for w in range(W)]
[t.start() for t in ts]; [t.join() for t in ts]
time.sleep(0.5)
after = stats(r)
delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
delta.pop("info", None)
S = W * N
ev = delta.get("evalsha", 0)
inner = sum(v for k, v in delta.items() if k not in ("evalsha",))
print(f"{sys.argv[4]}: sessions={S} evalsha/session={ev/S:.2f} in_script/session={inner/S:.2f} "
      + " ".join(f"{k}={v/S:.2f}" for k, v in sorted(delta.items()) if v))
ld.stop()
r.kill()
shutil.rmtree(d, ignore_errors=True)
