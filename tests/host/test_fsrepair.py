#!/usr/bin/python3
"""Host tests of `fsck -y` (tools/mkfs/fsck.c) on damaged images.

usage: test_fsrepair.py MKFS FSCK

Builds two images with mkfs, damages copies of them (by hand: each kind of
problem; and random bytes over the bitmap, the inode table and the root
directory with fixed seeds), and checks that fsck without -y reports the
damage (exit 1) without writing, that fsck -y exits 0, and that a second
fsck is then clean. Prints PASS fsrepair.<case> or FAIL fsrepair.<case>:
reason, one line per case; exits 0 iff all passed.
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile

MKFS, FSCK = sys.argv[1:3]
BS = 4096
failed = 0


def result(name, why):
    global failed
    if why is None:
        print('PASS fsrepair.%s' % name)
    else:
        failed += 1
        print('FAIL fsrepair.%s: %s' % (name, why.replace('\n', ' ')[:400]))
    sys.stdout.flush()


def run(*args):
    r = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = r.stdout.decode(errors='replace')
    if r.returncode > 2 or 'Sanitizer' in out or 'runtime error' in out:
        return 99, out
    return r.returncode, out


class Image:
    """An image file in memory, with the superblock's numbers."""

    def __init__(self, path):
        self.path = path
        with open(path, 'rb') as f:
            self.data = bytearray(f.read())
        self.nblocks = self.u32(BS + 12)
        self.inode_start = self.u32(BS + 24)
        self.bitmap_start = self.u32(BS + 32)
        self.data_start = self.u32(BS + 40)

    def u32(self, off):
        return int.from_bytes(self.data[off:off + 4], 'little')

    def put32(self, off, v):
        self.data[off:off + 4] = v.to_bytes(4, 'little')

    def inode(self, inum):
        return self.inode_start * BS + inum * 128

    def root_block(self):
        return self.u32(self.inode(1) + 24)

    def save(self, path):
        with open(path, 'wb') as f:
            f.write(self.data)


def repaired(img, what, may_be_clean=False):
    """fsck must find img damaged without writing it (or, if may_be_clean,
    find it clean); fsck -y must repair it and a second fsck must be clean.
    Returns None or why not."""
    with open(img, 'rb') as f:
        before = f.read()
    rc, out = run(FSCK, img)
    if rc == 0 and may_be_clean:
        return None                     # the damage changed nothing that matters
    if rc != 1:
        return '%s: fsck exit %d (want 1): %s' % (what, rc, out[-300:])
    with open(img, 'rb') as f:
        if f.read() != before:
            return '%s: fsck without -y wrote the image' % what
    rc, out = run(FSCK, '-y', img)
    if rc != 0:
        return '%s: fsck -y exit %d: %s' % (what, rc, out[-300:])
    rc, out = run(FSCK, img)
    if rc != 0 or 'fsck: clean' not in out:
        return '%s: fsck after fsck -y exit %d: %s' % (what, rc, out[-300:])
    return None


# Hand-made damage: (name, function of an Image).
def d_bitmap(m):
    m.data[m.bitmap_start * BS + m.nblocks // 8 - 1] ^= 0xff      # free blocks marked used
    m.data[m.bitmap_start * BS + m.data_start // 8 + 1] = 0       # used blocks marked free
    m.data[m.bitmap_start * BS + BS - 1] = 0x80                   # past the last block


HAND = [
    ('bitmap', d_bitmap),
    ('root_nlink', lambda m: m.data.__setitem__(m.inode(1) + 2, 9)),
    ('bad_type', lambda m: m.data.__setitem__(m.inode(3), 7)),
    ('owned_twice', lambda m: m.put32(m.inode(3) + 24, m.u32(m.inode(2) + 24))),
    ('outside', lambda m: m.put32(m.inode(3) + 24, 3)),
    ('beyond_size', lambda m: m.data.__setitem__(slice(m.inode(3) + 8, m.inode(3) + 11), b'\0\0\0')),
    ('stray_inode', lambda m: (m.data.__setitem__(m.inode(40), 1), m.data.__setitem__(m.inode(40) + 2, 1))),
    ('root_free', lambda m: m.data.__setitem__(m.inode(1), 0)),
    ('no_dot', lambda m: m.data.__setitem__(m.root_block() * BS + 4, ord('x'))),
    ('wrong_dotdot', lambda m: m.put32(m.root_block() * BS + 64, 2)),
    ('cycle', lambda m: m.put32(m.root_block() * BS + 128, 1)),
    ('slash', lambda m: m.data.__setitem__(m.root_block() * BS + 128 + 5, ord('/'))),
    ('bad_inum', lambda m: m.put32(m.root_block() * BS + 128, 100000)),
    ('empty_name', lambda m: m.data.__setitem__(m.root_block() * BS + 128 + 4, 0)),
    ('root_garbage', lambda m: m.data.__setitem__(slice(m.root_block() * BS, m.root_block() * BS + BS),
                                                  random.Random(5).randbytes(BS))),
]


def case_hand(tmp, base):
    for name, damage in HAND:
        m = Image(base)
        damage(m)
        img = os.path.join(tmp, 'h.img')
        m.save(img)
        why = repaired(img, name)
        if why:
            return result('hand', why)
    # The files survive damage to the bitmap only.
    m = Image(base)
    d_bitmap(m)
    img = os.path.join(tmp, 'b.img')
    m.save(img)
    why = repaired(img, 'bitmap')
    rc, a = run(FSCK, base, '--cat', '/bin/hello')
    rc2, b = run(FSCK, img, '--cat', '/bin/hello')
    if not why and (rc != 0 or rc2 != 0 or a != b):
        why = 'a file changed when fsck -y rebuilt the bitmap'
    result('hand', why)


def case_clean(tmp, base):
    img = os.path.join(tmp, 'c.img')
    shutil.copy(base, img)
    rc, out = run(FSCK, '-y', img)
    with open(base, 'rb') as f, open(img, 'rb') as g:
        same = f.read() == g.read()
    result('clean', None if rc == 0 and 'fsck: clean' in out and same else
           'fsck -y on a clean image: exit %d, %s: %s' % (rc, 'unchanged' if same else 'changed', out[-300:]))


def case_random(tmp, base):
    for seed in range(1, 21):
        rnd = random.Random(seed)
        m = Image(base)
        root = m.root_block()
        for _ in range(rnd.randrange(1, 13)):
            kind = rnd.randrange(4)
            if kind == 0:
                off = m.bitmap_start * BS + rnd.randrange(m.nblocks // 8 + 16)
            elif kind == 1:
                off = m.inode_start * BS + rnd.randrange(2 * BS)
            elif kind == 2:
                off = root * BS + rnd.randrange(BS)
            else:
                off = m.inode_start * BS + rnd.randrange((m.data_start + 16 - m.inode_start) * BS)
            m.data[off] ^= rnd.randrange(1, 256)
        if rnd.randrange(4) == 0:       # now and then a whole block of garbage
            b = rnd.choice([root, m.inode_start, m.bitmap_start])
            m.data[b * BS:(b + 1) * BS] = rnd.randbytes(BS)
        img = os.path.join(tmp, 'r.img')
        m.save(img)
        why = repaired(img, 'seed %d' % seed, may_be_clean=True)
        if why:
            return result('random', why)
    result('random', None)


def main():
    tmp = tempfile.mkdtemp(prefix='fsrepair-')
    try:
        tree = os.path.join(tmp, 'tree')
        os.makedirs(os.path.join(tree, 'sub', 'deep'))
        with open(os.path.join(tree, 'a.txt'), 'w') as f:
            f.write('hello\n')
        with open(os.path.join(tree, 'sub', 'deep', 'r'), 'wb') as f:
            f.write(random.Random(1).randbytes(70000))
        hello = os.path.join(tmp, 'hello')
        with open(hello, 'wb') as f:
            f.write(random.Random(2).randbytes(60000))
        base = os.path.join(tmp, 'base.img')
        rc, out = run(MKFS, base, '2', '--dir', tree, hello)
        if rc != 0:
            result('setup', 'mkfs: ' + out)
            sys.exit(1)
        case_hand(tmp, base)
        case_clean(tmp, base)
        case_random(tmp, base)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
