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


def test_anon_max_rate(ftpenv):
    """anon_max_rate paces anonymous sessions only: 600 kB at 300 kB/s take
    2 s anonymously, while a local (virtual) user of the same server, with
    local_max_rate unset, is not held back."""
    rate, size = 300000, 600000
    srv = start(ftpenv, anonymous_enable="YES", anon_root=ftpenv.anon_root,
                anon_max_rate=str(rate))
    for top in (ftpenv.anon_root, ftpenv.root):
        write_random(os.path.join(top, "r"), size)
        give_to_guest(ftpenv, os.path.join(top, "r"))
    anon = srv.ftplib(user="anonymous", password="guest@")
    t0 = time.monotonic()
    anon.retrbinary("RETR r", lambda b: None)
    took = time.monotonic() - t0
    want = size / rate
    assert abs(took - want) <= 0.15 * want, took
    f = login(srv)
    t0 = time.monotonic()
    f.retrbinary("RETR r", lambda b: None)
    assert time.monotonic() - t0 < want / 2
