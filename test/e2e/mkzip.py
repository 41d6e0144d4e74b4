#!/usr/bin/env python3
"""mkzip.py: makes the zips the end-to-end tests upload, hostile ones included.
usage: mkzip.py KIND OUT   (KIND: slip, absolute, symlink, bomb, windows, nested)"""
import io, stat, sys, zipfile

MAIN = b"import os, http.server\nhttp.server.ThreadingHTTPServer(('', int(os.environ['PORT'])), http.server.SimpleHTTPRequestHandler).serve_forever()\n"

def write(out, entries, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(out, "w", compression) as z:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            info.compress_type = compression
            if mode:
                info.external_attr = mode << 16
                info.create_system = 3
            z.writestr(info, data)

kind, out = sys.argv[1], sys.argv[2]
if kind == "slip":
    write(out, [("main.py", MAIN, 0), ("../../evil.txt", b"owned", 0)])
elif kind == "absolute":
    write(out, [("main.py", MAIN, 0), ("/etc/evil.txt", b"owned", 0)])
elif kind == "windows":
    write(out, [("main.py", MAIN, 0), ("..\\evil.txt", b"owned", 0)])
elif kind == "symlink":
    write(out, [("main.py", MAIN, 0), ("link", b"/etc/passwd", stat.S_IFLNK | 0o777)])
elif kind == "bomb":
    # 64 MiB of zeros in a few hundred KiB: far over the test instance's unpack limit.
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("main.py", MAIN)
        with z.open("zeros.bin", "w", force_zip64=True) as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(64):
                f.write(chunk)
elif kind == "nested":
    write(out, [("fn/", b"", stat.S_IFDIR | 0o755), ("fn/main.py", MAIN, 0), ("fn/static/a.txt", b"a", 0)])
else:
    sys.exit("unknown kind " + kind)
