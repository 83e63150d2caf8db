#!/usr/bin/python3
"""Pack programs into a boot archive (format: abi/bootimg.h).

usage: mkbootimg.py OUT NAME=FILE [NAME=FILE ...]
"""
import struct
import sys

MAGIC = 0x31474d49544f4f42
NAMELEN = 32
PAGE = 4096


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, pairs = sys.argv[1], sys.argv[2:]
    files = []
    for p in pairs:
        name, _, path = p.partition('=')
        if not name or not path or len(name.encode()) >= NAMELEN:
            sys.exit('mkbootimg: bad entry %r' % p)
        files.append((name.encode(), open(path, 'rb').read()))
    header_len = 32 + len(files) * (NAMELEN + 16)
    offset = (header_len + PAGE - 1) // PAGE * PAGE
    entries, blobs = [], []
    for name, data in files:
        entries.append(struct.pack('<%dsQQ' % NAMELEN, name, offset, len(data)))
        pad = (-len(data)) % PAGE
        blobs.append(data + b'\0' * pad)
        offset += len(data) + pad
    head = struct.pack('<QQQQ', MAGIC, len(files), offset, 0) + b''.join(entries)
    head += b'\0' * ((-len(head)) % PAGE)
    with open(out, 'wb') as f:
        f.write(head + b''.join(blobs))


if __name__ == '__main__':
    main()
