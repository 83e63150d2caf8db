#!/usr/bin/python3
"""SQLite survives a reboot and a machine killed in the middle of a transaction.

usage: sqlite_crash.py KERNEL BIOS FSIMG FSCK
       (SMP=n in the environment: -smp n)

On a copy of FSIMG: boot with init=t_sqlcrash (user/t_sqlcrash.c), which
commits batches of 100 rows, one sqlite3 process a transaction, and prints
`@@COMMIT n` after batch n returned. After a few commits, plus a fraction of
a batch's time, kill QEMU (most likely inside a transaction). fsck must find
the disk clean. Boot again with teststart=1: the database must pass
`pragma integrity_check` and hold exactly the committed batches: n or
n + 1 of them (the one under way at the kill may have committed), 100 rows
each. Prints PASS/FAIL lines; exit 1 on a failure.
"""
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools'))
from runtests import timeout_scale as scale, smp_args  # noqa: E402

BOOT_LIMIT = 300        # wall seconds to the first commits / to the check


def boot(kernel, bios, img, arg, until, delay=0.0):
    """Run QEMU until a console line matches `until` (then kill it after
    `delay` s), or it exits; returns (console text, why-not or None)."""
    cmd = ['qemu-system-riscv64', '-machine', 'virt', '-m', '128M', *smp_args(), '-display', 'none',
           '-serial', 'stdio', '-monitor', 'none', '-bios', bios, '-kernel', kernel,
           '-global', 'virtio-mmio.force-legacy=false',
           '-drive', 'file=%s,if=none,format=raw,id=hd0' % img, '-device', 'virtio-blk-device,drive=hd0',
           '-append', 'init=t_sqlcrash teststart=%d' % arg]
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    os.set_blocking(p.stdout.fileno(), False)
    data, why, kill_at, t0 = b'', None, None, time.monotonic()
    try:
        while True:
            t = time.monotonic()
            if kill_at is not None and t >= kill_at:
                break
            chunk = p.stdout.read()
            if chunk:
                data += chunk
            text = data.decode(errors='replace')
            if '@@FAIL' in text or 'panic' in text or 'pager: init (pid' in text:
                why = 'the guest failed'
                break
            if kill_at is None and re.search(until, text):
                kill_at = t + delay
            if p.poll() is not None:
                if kill_at is None:
                    why = 'QEMU exited first'
                break
            if kill_at is None and t - t0 > BOOT_LIMIT * scale():
                why = 'timed out'
                break
            time.sleep(0.005)
    finally:
        p.kill()
        p.wait()
    data += p.stdout.read() or b''
    return data.decode(errors='replace').replace('\r', ''), why


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    kernel, bios, fsimg, fsck = sys.argv[1:]
    rng = random.Random(os.environ.get('SEED', '1'))
    tmp = tempfile.mkdtemp(prefix='sqlcrash-')
    img = os.path.join(tmp, 'disk.img')
    failed = False
    try:
        shutil.copyfile(fsimg, img)
        want = rng.randint(3, 6)
        text, why = boot(kernel, bios, img, 0, r'@@COMMIT %d\r?\n' % want, delay=rng.uniform(0.05, 1.5))
        commits = [int(n) for n in re.findall(r'@@COMMIT (\d+)', text)]
        if why or not commits:
            print('FAIL sqlite.crash: the writing boot: %s\n%s' % (why or 'no commit', text[-2000:]))
            return 1
        last = max(commits)
        r = subprocess.run([fsck, img], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            print('FAIL sqlite.fsck: the disk after the kill:\n%s' % r.stdout.decode(errors='replace'))
            failed = True
        else:
            print('PASS sqlite.fsck (killed after %d commits)' % last)
        text, why = boot(kernel, bios, img, 1, r'@@CHECK [^\n]*\n')
        m = re.search(r'@@CHECK status=(\d+) integrity=(\S+) (\d+)\|(\d+)', text)
        if why or not m:
            print('FAIL sqlite.reboot: the checking boot: %s\n%s' % (why or 'no @@CHECK line', text[-2000:]))
            return 1
        status, integrity, rows, batches = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
        ok = status == 0 and integrity == 'ok' and batches in (last, last + 1) and rows == 100 * batches
        print('%s sqlite.reboot: integrity %s, %d rows in %d batches; %d committed before the kill' %
              ('PASS' if ok else 'FAIL', integrity, rows, batches, last))
        failed |= not ok
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
