#!/usr/bin/env python3
"""wsclient.py HOST PORT PATH HOSTHEADER MESSAGE...: a websocket client for the tests. Does the
handshake, sends each MESSAGE as a masked text frame, prints each answer on its own line; with
WSCLIENT_HOLD=<seconds> it keeps the connection open that long before closing it."""
import base64, os, socket, sys, time

host, port, path, hostheader = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.create_connection((host, port), timeout=10)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, hostheader, key)).encode())
head = b""
while b"\r\n\r\n" not in head:
    chunk = s.recv(1)
    if not chunk:
        sys.exit("closed during the handshake: %r" % head)
    head += chunk
print(head.split(b"\r\n")[0].decode())
f = s.makefile("rb")
for msg in sys.argv[5:]:
    data = msg.encode()
    mask = os.urandom(4)
    s.sendall(bytes([0x81, 0x80 | len(data)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
    h = f.read(2)
    n = h[1] & 0x7F
    if n == 126:
        n = int.from_bytes(f.read(2), "big")
    print(f.read(n).decode())
sys.stdout.flush()
time.sleep(min(float(os.environ.get("WSCLIENT_HOLD", "0")), 60))
s.sendall(bytes([0x88, 0x80]) + os.urandom(4))
