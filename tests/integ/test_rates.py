"""Transfer rate limits: local_max_rate, anon_max_rate and the per-direction
overrides, measured with real transfers.
"""

import hashlib
import io
import os
import time

from xfer import give_to_guest, login, sha, sources, start, write_random


def test_rate_limit_both_directions(ftpenv):
    rate, size = 1000000, 2000000
    srv = start(ftpenv, local_max_rate=str(rate))
    src, = sources(ftpenv, (size,))
    f = login(srv)
    t0 = time.monotonic()
    with open(src, "rb") as fp:
        f.storbinary("STOR rated", fp)
    up = time.monotonic() - t0
    t0 = time.monotonic()
    out = io.BytesIO()
    f.retrbinary("RETR rated", out.write)
    down = time.monotonic() - t0
    want = size / rate
    assert abs(up - want) <= 0.1 * want, up
    assert abs(down - want) <= 0.1 * want, down
    assert hashlib.sha256(out.getvalue()).hexdigest() == sha(src)


def test_direction_rate_overrides(ftpenv):
    srv = start(ftpenv, local_max_rate="500000", download_max_rate="4000000")
    write_random(os.path.join(ftpenv.root, "r"), 2000000)
    give_to_guest(ftpenv, os.path.join(ftpenv.root, "r"))
    f = login(srv)
    t0 = time.monotonic()
    f.retrbinary("RETR r", lambda b: None)
    assert 0.4 < time.monotonic() - t0 < 0.8
