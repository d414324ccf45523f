# Copyright (c) 2026 dovecot-lockout authors. MIT license.
"""IMAP logins against a system Dovecot (port 143), for deb-install-test.sh.

Each connection goes from a loopback address to the same address, so that
Dovecot counts it as secured (remote IP = local IP) and its stock
configuration (no plaintext authentication on insecure connections)
allows LOGIN without TLS.

    deb_login.py wait                      until port 143 greets (10 s)
    deb_login.py login USER PASSWORD SRC   exit 0 if accepted, 1 if refused
    deb_login.py fail USER COUNT SRC       COUNT wrong passwords at once;
                                           exit 0 if all were refused
"""

import ipaddress
import socket
import sys
import threading
import time

PORT = 143


def _lines(sock):
    buf = b""
    while True:
        while b"\n" not in buf:
            chunk = sock.recv(4096)
            if not chunk:
                return
            buf += chunk
        line, buf = buf.split(b"\n", 1)
        yield line.rstrip(b"\r").decode("utf-8", "replace")


def _quote(s):
    if any(c in s for c in '\r\n\0"\\') or not s.isascii():
        raise ValueError("not sent as an IMAP quoted string: %r" % s)
    return '"%s"' % s


def imap_login(user, password, src, timeout=60.0):
    """(ok, last line) of LOGIN from src to src:143."""
    if not ipaddress.ip_address(src).is_loopback:
        raise ValueError("only loopback addresses here, not %s" % src)
    with socket.create_connection((src, PORT), timeout,
                                  source_address=(src, 0)) as s:
        lines = _lines(s)
        greeting = next(lines, "")
        if not greeting.startswith("* OK"):
            return False, greeting
        s.sendall(("a1 LOGIN %s %s\r\n" % (_quote(user), _quote(password)))
                  .encode())
        for line in lines:
            if line.startswith("a1 "):
                s.sendall(b"a2 LOGOUT\r\n")
                return line.startswith("a1 OK"), line
        return False, "connection closed"


def wait(timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", PORT), 2) as s:
                if next(_lines(s), "").startswith("* OK"):
                    return 0
        except OSError as e:
            if time.monotonic() > deadline:
                print("no IMAP on port %d: %s" % (PORT, e))
                return 1
        time.sleep(0.1)


def fail(user, count, src):
    results = [None] * count

    def run(i):
        results[i] = imap_login(user, "wrong-%d" % i, src)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for ok, line in results:
        print("  wrong password from %s: %s" % (src, line))
    return 1 if any(ok for ok, _ in results) else 0


def main(argv):
    if argv == ["wait"]:
        return wait()
    if argv[:1] == ["login"] and len(argv) == 4:
        ok, line = imap_login(argv[1], argv[2], argv[3])
        print("  login %s from %s: %s" % (argv[1], argv[3], line[:72]))
        return 0 if ok else 1
    if argv[:1] == ["fail"] and len(argv) == 4:
        return fail(argv[1], int(argv[2]), argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
