"""A session's processes as /proc shows them, for test_privsep and test_pam:
ids, capabilities, sockets, the (helper, service) pair below a launcher.
"""

import os

from conftest import proc_alive, proc_children, proc_status, wait_until

CAP_NONE = "0000000000000000"
CAP_NET_BIND = "0000000000000400"


def ids(pid, key):
    """The four ids of "Uid:" or "Gid:" as ints."""
    return [int(x) for x in proc_status(pid)[key].split()]


def caps(pid):
    st = proc_status(pid)
    return {k: st[k] for k in ("CapInh", "CapPrm", "CapEff", "CapAmb")}


def socket_inodes(pid):
    out = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            out.add(int(link[8:-1]))
    return out


def tcp_inodes(pid, local_port, remote_port=None):
    """Inodes of TCP sockets (IPv4 and IPv6) with these ports, in PID's netns."""
    out = set()
    for name in ("tcp", "tcp6"):
        try:
            with open("/proc/%d/net/%s" % (pid, name)) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            col = row.split()
            lport = int(col[1].rsplit(":", 1)[1], 16)
            rport = int(col[2].rsplit(":", 1)[1], 16)
            if lport == local_port and (remote_port is None or rport == remote_port):
                out.add(int(col[9]))
    return out


def session_of(server):
    """(helper pid, service pid) of the one session below the launcher."""
    def find():
        helpers = server.helpers()
        if len(helpers) != 1:
            return None
        services = proc_children(helpers[0])
        return (helpers[0], services[0]) if len(services) == 1 else None
    pair = wait_until(find, 10)
    assert pair, "no session processes below %d" % server.pid
    return pair


def post_login_service(helper, old_service):
    def find():
        kids = proc_children(helper)
        return kids[0] if len(kids) == 1 and kids[0] != old_service else None
    pid = wait_until(find, 10)
    assert pid, "no post-login service process below helper %d" % helper
    return pid


def assert_gone(pids, timeout=10):
    assert wait_until(lambda: not any(proc_alive(p) for p in pids), timeout), \
        "processes left behind: %r" % [p for p in pids if proc_alive(p)]


def ctl_inodes(server, c):
    """The server's end of control connection C."""
    return tcp_inodes(server.pid, server.port, c.sock.getsockname()[1])
