#!/usr/bin/python3
"""h1client.py: raw HTTP/1.1 exchanges the proxy must get right while it answers a request.

usage: h1client.py MODE HOST PORT AUTHORITY [tls]
  pipelined  three GETs in one write: three answers, in order
  late       GET /slow, then (while it is answered) GET /echo/late: both answered, in order
  halfclose  GET /echo/hc then shutdown(SHUT_WR): the answer still comes
  leave      GET /slow, then close at once (prints nothing)
Prints one line per answer: "<status> <path from the echo, or ->".
"""
import json
import socket
import ssl
import sys
import time


def connect(host, port, authority, tls):
    s = socket.create_connection((host, port), timeout=20)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["http/1.1"])
        s = ctx.wrap_socket(s, server_hostname=authority)
    return s


def request(path, authority):
    return f"GET {path} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode()


class Reader:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def answer(self):
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        fields = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:]}
        if "content-length" in fields:
            n = int(fields["content-length"])
            while len(self.buf) < n:
                self.fill()
            body, self.buf = self.buf[:n], self.buf[n:]
        else:  # chunked
            body = b""
            while True:
                while b"\r\n" not in self.buf:
                    self.fill()
                size_line, rest = self.buf.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                while len(rest) < size + 2:
                    self.fill()
                    size_line, rest = self.buf.split(b"\r\n", 1)
                body += rest[:size]
                self.buf = rest[size + 2:]
                if size == 0:
                    break
        try:
            path = json.loads(body).get("path", "-")
        except ValueError:
            path = "-"
        return f"{status} {path}"


def main():
    mode, host, port, authority = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    tls = len(sys.argv) > 5 and sys.argv[5] == "tls"
    s = connect(host, port, authority, tls)
    r = Reader(s)
    if mode == "pipelined":
        s.sendall(b"".join(request(f"/echo/p{i}", authority) for i in (1, 2, 3)))
        for _ in range(3):
            print(r.answer())
    elif mode == "late":
        s.sendall(request("/slow", authority))
        time.sleep(0.3)  # the first request is with the container by now
        s.sendall(request("/echo/late", authority))
        print(r.answer())
        print(r.answer())
    elif mode == "halfclose":
        s.sendall(request("/echo/hc", authority))
        s.shutdown(socket.SHUT_WR)  # plain TCP only: TLS has its own way to end
        print(r.answer())
    elif mode == "leave":
        s.sendall(request("/slow", authority))
        time.sleep(0.3)
        s.close()
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
