#!/usr/bin/python3
"""Crash and bad-image tests of the file system, run as a host test.

usage: crash_test.py KERNEL BIOS FSIMG FSCK
       (SMP=n in the environment: -smp n)

crashloop.N: three rounds of tests/fs/crashloop.py (QEMU killed at random
moments of the write-heavy workload t_fsload; after each kill fsck is clean
and every write that returned reads back); SEED=s (environment) repeats a
run, the seed is printed.
badimage: boots with a disk that mkfs did not make; the file server must
reject it with a message and the system must go on (init runs).
persist: t_persist writes files (with write(2), and through shared mappings
with and without msync) and shuts the guest down; fsck checks the image; a
second boot of the same image must find every byte.
fsgone: t_fsgone, as init, kills the file server: file calls fail with EIO,
a fault on a page that was never read kills only its task, and the system
goes on (no hang, no panic).
readonly: random bytes over the bitmap and a garbage entry in the root
directory: the file server's mount check says so in one line and mounts the
disk read-only; t_rofs, as init, reads, runs programs and gets EROFS for
every write; the image is byte for byte the same afterwards. fsck -y then
repairs it, fsck is clean, and the next boot mounts it read-write.
Prints one line per case: PASS crash.<case> or FAIL crash.<case>: reason.
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crashloop  # noqa: E402

KERNEL, BIOS, FSIMG, FSCK = sys.argv[1:5]
SCALE = crashloop.scale()   # TIMEOUT_SCALE: the limits below are generous already
LOOP_ROUNDS = 3
failed = 0


def qemu(img, append, until=None, kill_after=None, timeout=180):
    """Boot with img; stop at the regex-free text `until` (then wait
    kill_after seconds and kill) or at timeout. Returns the console text."""
    cmd = ['qemu-system-riscv64', '-machine', 'virt', '-m', '128M', *crashloop.smp_args(), '-display', 'none',
           '-serial', 'stdio', '-monitor', 'none', '-bios', BIOS, '-kernel', KERNEL,
           '-global', 'virtio-mmio.force-legacy=false',
           '-drive', 'file=%s,if=none,format=raw,id=hd0' % img,
           '-device', 'virtio-blk-device,drive=hd0', '-append', append]
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out = b''
    deadline = time.time() + timeout * SCALE
    seen = None
    try:
        os.set_blocking(p.stdout.fileno(), False)
        while time.time() < deadline and p.poll() is None:
            chunk = p.stdout.read()
            if chunk:
                out += chunk
            if until and seen is None and until.encode() in out:
                seen = time.time()
            if seen is not None and time.time() - seen >= kill_after:
                break
            time.sleep(0.05)
    finally:
        p.kill()
        p.wait()
    rest = p.stdout.read()  # what QEMU wrote just before it stopped by itself
    return (out + (rest or b'')).decode(errors='replace')


def result(name, ok, why=''):
    global failed
    if ok:
        print('PASS crash.%s' % name)
    else:
        failed += 1
        print('FAIL crash.%s: %s' % (name, why))
    sys.stdout.flush()


def fsck(img):
    r = subprocess.run([FSCK, img], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return r.returncode, r.stdout.decode(errors='replace')


def crash_loop():
    global failed
    seed = os.environ.get('SEED', '')
    seed = int(seed) if seed else random.randrange(1 << 30)
    print('crashloop: SEED=%d N=%d' % (seed, LOOP_ROUNDS))
    loop = crashloop.run(KERNEL, BIOS, FSIMG, FSCK, LOOP_ROUNDS, seed,
                         out=lambda line: (print(line), sys.stdout.flush()))
    failed += loop.failed


def bad_image(tmp):
    img = os.path.join(tmp, 'bad.img')
    with open(img, 'wb') as f:
        f.write(bytes(random.Random(7).getrandbits(8) for _ in range(1 << 20)))
    out = qemu(img, 'init=hello', until='hello from pid', kill_after=0.2, timeout=180)
    ok = 'fs: cannot mount the disk' in out and 'hello from pid' in out and 'panic' not in out
    result('badimage', ok, 'console:\n' + out[-1500:])


def persist(tmp):
    img = os.path.join(tmp, 'persist.img')
    shutil.copy(FSIMG, img)
    out = qemu(img, 'init=t_persist', until='persist: written', kill_after=5, timeout=180)
    if 'persist: written' not in out:
        result('persist', False, 'first boot:\n' + out[-1500:])
        return
    rc, text = fsck(img)
    if rc != 0:
        result('persist', False, 'fsck after the first boot:\n' + text[-1500:])
        return
    out = qemu(img, 'init=t_persist', until='persist: ', kill_after=0.5, timeout=180)
    result('persist', 'persist: ok' in out, 'second boot:\n' + out[-1500:])


def fsgone(tmp):
    img = os.path.join(tmp, 'gone.img')
    shutil.copy(FSIMG, img)
    out = qemu(img, 'init=t_fsgone', until='fsgone: ', kill_after=1, timeout=180)
    result('fsgone', 'fsgone: ok' in out and 'panic' not in out, 'console:\n' + out[-1500:])


def damage(img, seed):
    """Random bytes over the used part of the bitmap and into a free slot of
    the root directory (so /bin stays reachable). Returns the new bytes."""
    rnd = random.Random(seed)
    with open(img, 'r+b') as f:
        data = bytearray(f.read())
        u32 = lambda off: int.from_bytes(data[off:off + 4], 'little')
        sb = 4096
        inode_start, bitmap_start, data_start = u32(sb + 24), u32(sb + 32), u32(sb + 40)
        root_blk = u32(inode_start * 4096 + 128 + 24)
        for _ in range(8):
            data[bitmap_start * 4096 + rnd.randrange(data_start // 8 + 64)] = rnd.randrange(256)
        slot = root_blk * 4096 + 63 * 64  # the last entry of the first block: free
        data[slot:slot + 64] = bytes([7, 0, 0, 0]) + bytes(rnd.randrange(1, 256) for _ in range(60))
        f.seek(0)
        f.write(data)
    return bytes(data)


def readonly(tmp):
    img = os.path.join(tmp, 'ro.img')
    shutil.copy(FSIMG, img)
    before = damage(img, 8)
    out = qemu(img, 'init=t_rofs', until='rofs: ', kill_after=1, timeout=90)
    line = [l for l in out.splitlines() if l.startswith('fs: the disk is inconsistent (')]
    if not line or not line[0].rstrip().endswith('; mounted read-only; run fsck -y'):
        result('readonly', False, 'no read-only line:\n' + out[-1500:])
        return
    if 'rofs: ok' not in out or 'panic' in out:
        result('readonly', False, 'the read-only boot:\n' + out[-1500:])
        return
    with open(img, 'rb') as f:
        if f.read() != before:
            result('readonly', False, 'the image changed during the read-only boot')
            return
    r = subprocess.run([FSCK, '-y', img], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    rc, text = fsck(img)
    if r.returncode != 0 or rc != 0:
        result('readonly', False, 'fsck -y then fsck:\n%s\n%s' % (r.stdout.decode(errors='replace')[-800:], text[-800:]))
        return
    out = qemu(img, 'init=ls', until='bin', kill_after=0.5, timeout=60)
    result('readonly', 'fs: mounted' in out and 'inconsistent' not in out,
           'boot after fsck -y:\n' + out[-1500:])


def main():
    tmp = tempfile.mkdtemp(prefix='crash-')
    try:
        crash_loop()
        bad_image(tmp)
        persist(tmp)
        fsgone(tmp)
        readonly(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
