#!/usr/bin/python3
"""h2abuse.py: a raw HTTP/2 (h2c, prior knowledge) client for test/e2e/proxy_abuse.sh. It writes
the frames and HPACK bytes itself, so it can send what a well-behaved library refuses to: header
blocks that reference one dynamic-table entry 100,000 times, pseudo-headers with spaces, floods of
HEADERS+RST_STREAM. Loopback only; every wait has a deadline. Each command prints one JSON line.

  h2abuse.py request HOST PORT AUTHORITY PATH [METHOD [NAME VALUE]...]  one request: {"status", "body"}
  h2abuse.py amplify HOST PORT AUTHORITY PATH SIZE REFS    one SIZE-byte header, referenced REFS times
  h2abuse.py rapid HOST PORT AUTHORITY PATH PAIRS SECONDS  HEADERS+RST_STREAM pairs until closed or done
  h2abuse.py cancel HOST PORT AUTHORITY PATH PAIRS THEN    PAIRS cancelled requests, then one for THEN
  h2abuse.py late HOST PORT AUTHORITY PATH N ROUNDS        ROUNDS x: N streams, once the function has them all
                                                           (GET /count), RST_STREAM for each
"""
import json, select, socket, struct, sys, threading, time

import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
MAX_FRAME = 16384


def frame(ftype, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", sid) + payload


def hpack_int(value, prefix_bits, first=0):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out, value = bytearray([first | limit]), value - limit
    while value >= 128:
        out.append((value & 127) | 128)
        value >>= 7
    out.append(value)
    return bytes(out)


def literal(name, value, indexed=False):
    """A literal field with a new name: added to the dynamic table (indexed) or not."""
    name, value = name.encode("latin-1"), value.encode("latin-1")
    head = b"\x40" if indexed else b"\x00"
    return head + hpack_int(len(name), 7) + name + hpack_int(len(value), 7) + value


def request_block(authority, path, method="GET"):
    return (literal(":method", method) + literal(":scheme", "http") + literal(":authority", authority) +
            literal(":path", path))


def headers_frames(sid, block, end_stream=True):
    """HEADERS (+ CONTINUATION) frames carrying block."""
    chunks = [block[i:i + MAX_FRAME] for i in range(0, len(block), MAX_FRAME)] or [b""]
    out = []
    for i, chunk in enumerate(chunks):
        flags = END_HEADERS if i == len(chunks) - 1 else 0
        if i == 0:
            out.append(frame(HEADERS, flags | (END_STREAM if end_stream else 0), sid, chunk))
        else:
            out.append(frame(CONTINUATION, flags, sid, chunk))
    return b"".join(out)


class Conn:
    def __init__(self, host, port, timeout=10):
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.sock.settimeout(None)  # reads wait in select (with their deadline), so a writer thread never times out
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.decoder = hpack.Decoder()
        self.decoder.max_header_list_size = 1 << 20
        self.goaway = None
        self.closed = False
        self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0) + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1 << 30)))

    def reply(self, data):
        """An acknowledgement; the server may have closed already: what it sent is still read."""
        try:
            self.sock.sendall(data)
        except OSError:
            pass

    def read_frame(self, deadline):
        """The next frame (type, flags, sid, payload), None at EOF or past the deadline."""
        while len(self.buf) < 9 or len(self.buf) < 9 + int.from_bytes(self.buf[:3], "big"):
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if not select.select([self.sock], [], [], left)[0]:
                return None
            try:
                data = self.sock.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                self.closed = True
                return None
            self.buf += data
        n = int.from_bytes(self.buf[:3], "big")
        ftype, flags, sid = self.buf[3], self.buf[4], struct.unpack(">I", self.buf[5:9])[0] & 0x7FFFFFFF
        payload, self.buf = self.buf[9:9 + n], self.buf[9 + n:]
        if ftype == SETTINGS and not flags & ACK:
            self.reply(frame(SETTINGS, ACK, 0))
        elif ftype == PING and not flags & ACK:
            self.reply(frame(PING, ACK, 0, payload))
        elif ftype == GOAWAY and self.goaway is None:  # the first says why; later ones may follow
            self.goaway = struct.unpack(">I", payload[4:8])[0]
        elif ftype == HEADERS:
            payload = self.decoder.decode(payload)  # every block, in order: the table must follow the server's
        return ftype, flags, sid, payload

    def response(self, sid, seconds=20):
        """{"status", "body"} of stream sid, or what ended it instead."""
        deadline, status, body = time.monotonic() + seconds, None, b""
        while True:
            f = self.read_frame(deadline)
            if f is None:
                return {"status": status, "error": "closed" if self.closed else "timeout", "goaway": self.goaway}
            ftype, flags, fsid, payload = f
            if fsid != sid:
                if ftype == GOAWAY and status is None:
                    return {"status": None, "error": "goaway", "goaway": self.goaway}
                continue
            if ftype == HEADERS:
                status = status or int(dict(payload)[":status"])
            elif ftype == DATA:
                body += payload
            elif ftype == RST_STREAM:
                return {"status": status, "error": "rst_stream", "code": struct.unpack(">I", payload)[0]}
            if ftype in (HEADERS, DATA) and flags & END_STREAM:
                return {"status": status, "body": body.decode("utf-8", "replace")}


def cmd_request(host, port, authority, path, method="GET", *fields):
    """One request; fields are more header names and values, sent as they are."""
    block = request_block(authority, path, method)
    for name, value in zip(fields[0::2], fields[1::2]):
        block += literal(name, value)
    c = Conn(host, port)
    c.sock.sendall(headers_frames(1, block))
    return c.response(1)


def cmd_amplify(host, port, authority, path, size, refs):
    """One literal of size bytes added to the dynamic table, then refs one-byte references to it
    (index 62: the first dynamic entry), all in one header block of about refs bytes."""
    size, refs = int(size), int(refs)
    block = request_block(authority, path) + literal("x-amplify", "a" * size, indexed=True)
    block += bytes([0x80 | 62]) * refs
    c = Conn(host, port)
    c.sock.sendall(headers_frames(1, block))
    out = c.response(1)
    out["wire_bytes"] = len(block)
    return out


def cmd_amplify_open(host, port, authority, path, size, refs, streams):
    """streams requests on one connection, each a header block of refs one-byte references to a
    size-byte table entry and no END_STREAM (a body announced, never sent): what libh2o keeps
    decoded while it waits. Reports how the connection ended."""
    size, refs, streams = int(size), int(refs), int(streams)
    c = Conn(host, port)
    first = request_block(authority, path, "POST") + literal("x-amplify", "a" * size, indexed=True)
    refs_block = bytes([0x80 | 62]) * refs
    try:
        c.sock.sendall(headers_frames(1, first + refs_block, end_stream=False))
        for i in range(1, streams):
            c.sock.sendall(headers_frames(1 + 2 * i, request_block(authority, path, "POST") + refs_block,
                                          end_stream=False))
    except OSError:
        pass  # the server closed the connection part-way: that is the answer
    deadline = time.monotonic() + 10
    while c.read_frame(deadline) is not None and c.goaway is None:
        pass
    return {"goaway": c.goaway, "closed": c.closed, "wire_bytes": len(first) + streams * len(refs_block)}


def cmd_rapid(host, port, authority, path, pairs, seconds):
    """HEADERS then RST_STREAM(CANCEL) for pairs streams, 50 pairs a write, until the server closes
    the connection, the pairs are sent, or the time is up. A reader thread notes GOAWAY and EOF."""
    pairs, deadline = int(pairs), time.monotonic() + float(seconds)
    c = Conn(host, port)
    block = request_block(authority, path)
    done = threading.Event()

    def reader():
        try:
            while not done.is_set() and not c.closed and time.monotonic() < deadline:
                c.read_frame(min(deadline, time.monotonic() + 0.2))
        except Exception:  # a broken frame from the server: the test sees no GOAWAY
            c.closed = True
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    sent, sid = 0, 1
    while sent < pairs and time.monotonic() < deadline and not c.closed:
        batch = []
        for _ in range(min(50, pairs - sent)):
            batch.append(frame(HEADERS, END_HEADERS | END_STREAM, sid, block) +
                         frame(RST_STREAM, 0, sid, struct.pack(">I", 8)))
            sid += 2
        try:
            c.sock.sendall(b"".join(batch))
        except OSError:  # reset by the server: the reader still reads what came before (GOAWAY)
            break
        sent += len(batch)
    # Past the flood, wait (bounded) for the server to close the connection.
    while not c.closed and time.monotonic() < deadline:
        time.sleep(0.05)
    done.set()
    t.join(2)
    return {"sent": sent, "goaway": c.goaway, "closed": c.closed}


def cmd_cancel(host, port, authority, path, pairs, then_path):
    """pairs HEADERS+RST_STREAM pairs in one write (what a client cancelling a page might do),
    then one more request for then_path on the same connection: its response."""
    c = Conn(host, port)
    block, sid = request_block(authority, path), 1
    batch = []
    for _ in range(int(pairs)):
        batch.append(frame(HEADERS, END_HEADERS | END_STREAM, sid, block) + frame(RST_STREAM, 0, sid, struct.pack(">I", 8)))
        sid += 2
    c.sock.sendall(b"".join(batch) + headers_frames(sid, request_block(authority, then_path)))
    return c.response(sid)


def work_count(host, port, authority):
    """The function's /count (abuseapp), over HTTP/1.1 on a connection of its own."""
    s = socket.create_connection((host, int(port)), timeout=5)
    s.sendall(("GET /count HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % authority).encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return json.loads(data.split(b"\r\n\r\n", 1)[1])["work"]


def cmd_late(host, port, authority, path, n, rounds):
    """Streams cancelled once the function is working on them (so the proxy's wait for the next loop
    turn does not spare them): only the connection's budget stops this. Each round waits (10 s at
    most) until the function has all n requests."""
    n, rounds = int(n), int(rounds)
    c, sid = Conn(host, port), 1
    block = request_block(authority, path)
    for _ in range(rounds):
        if c.goaway is not None or c.closed:
            break
        before, ids = work_count(host, port, authority), []
        for _ in range(n):
            ids.append(sid)
            sid += 2
        c.sock.sendall(b"".join(frame(HEADERS, END_HEADERS | END_STREAM, i, block) for i in ids))
        deadline = time.monotonic() + 10
        while work_count(host, port, authority) < before + n and time.monotonic() < deadline:
            c.read_frame(time.monotonic() + 0.05)
        try:
            c.sock.sendall(b"".join(frame(RST_STREAM, 0, i, struct.pack(">I", 8)) for i in ids))
        except OSError:
            break
    deadline = time.monotonic() + 5
    while not c.closed and time.monotonic() < deadline:
        c.read_frame(deadline)
    return {"streams": sid // 2, "goaway": c.goaway, "closed": c.closed}


def main(argv):
    cmds = {"request": cmd_request, "amplify": cmd_amplify, "amplify_open": cmd_amplify_open, "rapid": cmd_rapid, "cancel": cmd_cancel, "late": cmd_late}
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(cmds[argv[1]](*argv[2:])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
