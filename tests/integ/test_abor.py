"""ABOR in every client style (urgent data, Telnet IP/Synch, plain), and
commands while a transfer runs or waits for its data connection: STAT
answers, others are held until the transfer ends.
"""

import os
import signal
import socket
import time

import pytest

from conftest import HOST, needs_root, wait_until
from xfer import (BIG, big_file, full_listener, login, pasv_addr, pasv_data, read_code,
                  recv_all, start)


def test_abor_ftplib_urgent(ftpenv):
    srv = start(ftpenv)
    big_file(ftpenv)
    f = login(srv)
    conn = f.transfercmd("RETR big")
    assert len(conn.recv(65536)) > 0
    resp = f.abort()                    # "ABOR" sent with MSG_OOB
    conn.close()
    assert resp.startswith("426"), resp
    assert f.getresp().startswith("226")
    assert f.pwd() == "/"
    assert f.size("big") == BIG // 2


@pytest.mark.parametrize("style", ["plain", "telnet"])
def test_abor_raw(ftpenv, style):
    srv = start(ftpenv)
    big_file(ftpenv)
    c = srv.login()
    data = pasv_data(c)
    assert c.cmd("RETR big").code == 150
    assert len(data.recv(65536)) > 0
    if style == "telnet":                # Telnet IP, then Synch: IAC as urgent data, DM
        c.send(b"\xff\xf4\xff")
        c.sock.send(b"\xf2", socket.MSG_OOB)
        c.send(b"ABOR\r\n")
    else:
        c.send(b"ABOR\r\n")
    assert c.reply().code == 426
    assert c.reply().code == 226
    data.close()
    assert c.cmd("NOOP").code == 200
    assert c.cmd("ABOR").code == 225    # nothing left to abort


@pytest.mark.parametrize("verb", ["RETR hello.txt", "LIST", "STOR aborted.bin"])
def test_abor_while_waiting_for_the_data_connection(ftpenv, verb):
    """ABOR before the client opens the data connection ends the wait at once
    (426 for the command, 226 for ABOR), not when accept_timeout runs out."""
    srv = start(ftpenv, accept_timeout=120)
    c = srv.login()
    assert c.cmd("PASV").code == 227     # and no connection is ever made
    c.send((verb + "\r\n").encode())
    time.sleep(0.2)                      # the server is in its wait now
    c.send(b"ABOR\r\n")
    assert c.reply(timeout=5).code == 426
    assert c.reply(timeout=5).code == 226
    assert c.cmd("NOOP").code == 200


def test_command_while_waiting_for_the_data_connection_is_held(ftpenv):
    srv = start(ftpenv)
    c = srv.login()
    addr = pasv_addr(c)
    c.send(b"RETR hello.txt\r\n")
    time.sleep(0.2)
    c.send(b"PWD\r\n")                  # answered after the transfer
    data = socket.create_connection(addr, timeout=10)
    assert c.reply().code == 150
    got = recv_all(data)
    data.close()
    with open(os.path.join(ftpenv.root, "hello.txt"), "rb") as f:
        assert got == f.read()
    assert c.reply().code == 226
    assert c.reply().code == 257


def test_stat_during_transfer_and_held_commands(ftpenv):
    srv = start(ftpenv)
    big_file(ftpenv, size=8 * 1024 * 1024)
    c = srv.login()
    data = pasv_data(c)
    assert c.cmd("RETR big").code == 150
    data.recv(65536)
    r = c.cmd("STAT")
    assert r.code == 213 and "bytes sent" in r.text, r
    c.send(b"PWD\r\n")                  # answered after the transfer
    total = 65536
    while True:
        b = data.recv(1 << 20)
        if not b:
            break
        total += len(b)
    assert c.reply().code == 226
    assert c.reply().code == 257
    assert total >= 8 * 1024 * 1024 - 65536


@pytest.mark.parametrize("verb", ["RETR hello.txt", "LIST", "STOR piped.bin"])
@pytest.mark.parametrize("held", [[], ["NOOP"], ["PWD", "SYST", "NOOP"]])
def test_pipelined_abor_while_waiting_for_the_data_connection(ftpenv, verb, held):
    """PASV, the transfer command, maybe other commands, then ABOR, all in
    one write and no data connection ever: ABOR ends the wait at once (426
    then 226), not when accept_timeout (60 s) runs out; the commands sent
    before ABOR are answered after it, in order."""
    srv = start(ftpenv, accept_timeout="60")
    c = srv.login()
    t0 = time.monotonic()
    c.send("".join(x + "\r\n" for x in ["PASV", verb] + held + ["ABOR"]))
    assert read_code(c) == 227
    assert read_code(c) == 426
    assert read_code(c) == 226
    want = {"NOOP": 200, "PWD": 257, "SYST": 215}
    assert [read_code(c) for _ in held] == [want[h] for h in held]
    assert time.monotonic() - t0 < 5
    assert c.cmd("NOOP").code == 200


def test_abor_after_a_held_command_during_a_transfer(ftpenv):
    """During a transfer, a command is held for after it; an ABOR behind it
    still ends the transfer at once."""
    srv = start(ftpenv)
    big_file(ftpenv)
    c = srv.login()
    data = pasv_data(c)
    assert c.cmd("RETR big").code == 150
    assert len(data.recv(65536)) > 0
    c.send(b"PWD\r\nABOR\r\n")          # nobody reads the data connection any more
    assert read_code(c) == 426
    assert read_code(c) == 226
    assert read_code(c) == 257
    data.close()
    assert c.cmd("NOOP").code == 200


def helper_and_service(srv, before):
    """The helper (child of the standalone listener) and its service process
    of the session that started after BEFORE (the listener's children then)."""
    from conftest import proc_children
    helper = wait_until(lambda: set(proc_children(srv.pid)) - before, 5)
    assert len(helper) == 1, helper
    helper = helper.pop()
    service = wait_until(lambda: proc_children(helper), 5)
    assert len(service) == 1, service
    return helper, service[0]


@pytest.mark.parametrize("held", [False, True])
def test_helper_death_ends_the_wait_for_the_data_connection(ftpenv, held):
    from conftest import proc_alive, proc_children
    srv = start(ftpenv, accept_timeout="60")
    before = set(proc_children(srv.pid))
    c = srv.login()
    helper, service = helper_and_service(srv, before)
    c.send(b"PASV\r\nRETR hello.txt\r\n" + (b"NOOP\r\n" if held else b""))
    assert read_code(c) == 227
    time.sleep(0.3)                     # the service process waits in accept now
    t0 = time.monotonic()
    os.kill(helper, signal.SIGKILL)
    r = c.reply(timeout=5)
    assert r.lines == ["421 Service not available, closing control connection."]
    assert c.wait_closed(5) == b""
    assert time.monotonic() - t0 < 3
    assert wait_until(lambda: not proc_alive(service), 3)


@pytest.mark.parametrize("port20", [
    "NO", pytest.param("YES", marks=needs_root)])
def test_abor_while_connecting_to_the_client(ftpenv, port20):
    """Active mode, the client's port does not answer: ABOR ends the wait
    for the connection at once (426 then 226), also when the helper makes
    the connection from port 20 (connect_from_port_20), not when
    connect_timeout (60 s) runs out."""
    srv = start(ftpenv, connect_from_port_20=port20, connect_timeout="60")
    c = srv.login()
    listener, p, fill = full_listener()
    try:
        assert c.cmd("PORT 127,0,0,1,%d,%d" % (p >> 8, p & 255)).code == 200
        c.send(b"RETR hello.txt\r\nNOOP\r\n")
        time.sleep(0.5)                 # the server waits for the connection now
        t0 = time.monotonic()
        c.send(b"ABOR\r\n")
        assert read_code(c) == 426
        assert read_code(c) == 226
        assert read_code(c) == 200
        assert time.monotonic() - t0 < 3
        assert c.cmd("NOOP").code == 200
    finally:
        for s in fill:
            s.close()
        listener.close()


@pytest.mark.parametrize("verb", ["LIST", "NLST", "MLSD"])
def test_abor_during_a_listing_the_client_stops_reading(ftpenv, verb):
    """A listing larger than the socket buffers, a client that stops reading
    it and sends ABOR: 426 then 226 at once, as for RETR, not after
    data_connection_timeout (the listing's writes watched only the data
    connection)."""
    d = os.path.join(ftpenv.root, "many")
    os.mkdir(d)
    for i in range(20000):
        name = "%05d-%s" % (i, "x" * 200)
        os.close(os.open(os.path.join(d, name), os.O_CREAT | os.O_WRONLY, 0o644))
    srv = start(ftpenv, data_connection_timeout=60)
    c = srv.login()
    data = socket.socket()
    data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    data.settimeout(10)
    data.connect(pasv_addr(c))
    assert c.cmd(verb + " many").code == 150
    assert len(data.recv(4096)) > 0     # and nothing more is read
    time.sleep(0.5)                      # the server is blocked writing now
    t0 = time.monotonic()
    c.send(b"ABOR\r\n")
    assert read_code(c, timeout=10) == 426
    assert read_code(c, timeout=10) == 226
    assert time.monotonic() - t0 < 5
    data.close()
    assert c.cmd("NOOP").code == 200
    assert c.cmd("PWD").code == 257
