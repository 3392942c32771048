"""Timing of refused logins, for test_security and test_pam: PASS-to-530
times of several accounts interleaved, compared by their medians; a
yescrypt account with a locked twin.
"""

import contextlib
import subprocess
import time

import pytest

# Refusals cost what a real check costs.  Timed from the
# client: PASS sent to 530 read, on one connection, the kinds of account
# interleaved round after round so that a load spike from other processes
# on the machine hits all of them alike; medians, not single samples.
# Before the fix a locked or system account answered in ~0.5 ms against
# ~60 ms for a yescrypt user (a factor of 100); an unknown name cost a
# yescrypt check against ~1-5 ms for a SHA-512 virtual user.
TIMING_ROUNDS = 15
TIMING_FACTOR = 3.0


def pass_times(c, users, rounds=TIMING_ROUNDS):
    """{user: [seconds from PASS to its 530]}, USERS interleaved, the order
    rotated every round."""
    times = {u: [] for u in users}
    for i in range(rounds):
        k = i % len(users)
        for user in users[k:] + users[:k]:
            assert c.cmd("USER " + user).code == 331
            t0 = time.perf_counter()
            r = c.cmd("PASS wrong-password-%d" % i, timeout=30)
            times[user].append(time.perf_counter() - t0)
            assert r.lines == ["530 Login incorrect."], (user, r)
    return times


def assert_alike(times, real):
    """Every median within TIMING_FACTOR of REAL's, either way."""
    med = {u: sorted(t)[len(t) // 2] for u, t in times.items()}
    shown = {u: "%.2f ms" % (m * 1000) for u, m in med.items()}
    for user, m in med.items():
        assert med[real] / TIMING_FACTOR <= m <= med[real] * TIMING_FACTOR, \
            "%s answers in %s, a real account in %s: %r" % (
                user, shown[user], shown[real], shown)


def _useradd(*args):
    return subprocess.run(["useradd"] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=30)


@contextlib.contextmanager
def yescrypt_and_locked_twin(system_user, ftpenv):
    """system_user's password hashed with yescrypt (the system's method),
    and a locked twin account NAMEl ('!' before the same hash); yields the
    twin's name.  After: the test's servers stopped, the twin removed."""
    from conftest import make_hash
    yes = make_hash(system_user.password, "yescrypt")
    if yes is None:
        pytest.skip("libcrypt here cannot make yescrypt hashes")
    r = subprocess.run(["chpasswd", "-e"], input=("%s:%s\n" % (system_user.name, yes)).encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    assert r.returncode == 0, r.stdout
    locked = system_user.name + "l"
    r = _useradd("-M", "-d", system_user.home, "-s", "/bin/bash", "-p", "!" + yes, locked)
    assert r.returncode == 0, r.stdout
    try:
        yield locked
    finally:
        for srv in ftpenv.servers:
            srv.stop()
        subprocess.run(["userdel", "-f", locked], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
