#!/usr/bin/python3
"""Crash consistency in a loop: kill QEMU at N random moments of a
write-heavy workload and check the disk after each kill.

usage: crashloop.py KERNEL BIOS FSIMG FSCK N [SEED]
       (SEED also from the environment; a random one otherwise; printed;
       SMP=n in the environment: -smp n)

One copy of FSIMG is used for the whole loop. Each round boots it with
init=t_fsload (user/t_fsload.c) and teststart=<round>, which prints
`@@OP seq kind k len off` before each operation and `@@DONE seq` once it
has returned. The round waits for a random number of @@DONE lines (0..60)
plus a random 0..0.2 s, and kills QEMU. Then on the host:
  - `fsck IMG` must say clean (it replays a committed log in memory);
  - with `fsck IMG --ls /load` and `--cat`, every file and directory must be
    what the operations that returned made of it (a model of the workload:
    the bytes of operation seq are fill(seq, i)); the one operation under
    way at the kill may have happened, not happened, or (writes) be partly
    on the disk, as a prefix with holes of zeros, never losing bytes that
    an earlier operation wrote.
The next round continues on the same image from what is on the disk.

A write cut short may leave the file up to the end of the page that holds
its last byte (zeros past the write; the file server grows a file to the
end of each page it writes back, and the write sets the exact size when it
completes): allowed, and counted as cut-short-past-end.

Prints `PASS crashloop.<round>` or `FAIL crashloop.<round>: why` per kill and
a summary line `crashloop: SEED=s N=n kills=k fsck-clean=c verified=w
(writes that returned and were read back) cut-short-past-end=p time=t s`.
Exit 1 on a failure.
TIMEOUT_SCALE multiplies the time limits (generous already).
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools'))
from runtests import timeout_scale as scale, smp_args  # noqa: E402  (TIMEOUT_SCALE, SMP: one reading for every runner)

BOOT_LIMIT = 120        # wall seconds for a boot to reach the workload
OP_LIMIT = 120          # wall seconds for the chosen number of @@DONE lines
MAX_WAIT_OPS = 60
PAGE = 4096


def fill(seq, n):
    return bytes((seq * 131 + i * 7 + (i >> 10)) & 0xff for i in range(n))


class Loop:
    def __init__(self, kernel, bios, fsimg, fsck, seed, out=print):
        self.kernel, self.bios, self.fsck_bin = kernel, bios, fsck
        self.rng = random.Random(seed)
        self.tmp = tempfile.mkdtemp(prefix='crashloop-')
        self.img = os.path.join(self.tmp, 'disk.img')
        shutil.copyfile(fsimg, self.img)
        self.files = {}         # k -> bytes (absent: no key)
        self.dirs = set()       # k of the directories /load/d<k>
        self.load = False       # /load exists
        self.out = out
        self.seed = seed
        self.kills = self.clean = self.verified = self.failed = 0
        self.past_end = 0       # cut-short writes that left a file longer

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- the guest -------------------------------------------------------

    def boot_and_kill(self, rnd, wait_ops, delay):
        """Boot, wait for `wait_ops` @@DONE lines and `delay` s more, kill.
        Returns (ok, console lines, why)."""
        cmd = ['qemu-system-riscv64', '-machine', 'virt', '-m', '128M', *smp_args(),
               '-display', 'none', '-serial', 'stdio', '-monitor', 'none',
               '-bios', self.bios, '-kernel', self.kernel,
               '-global', 'virtio-mmio.force-legacy=false',
               '-drive', 'file=%s,if=none,format=raw,id=hd0' % self.img,
               '-device', 'virtio-blk-device,drive=hd0',
               '-append', 'init=t_fsload teststart=%d' % rnd]
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        os.set_blocking(p.stdout.fileno(), False)
        data = b''
        seen = 0                # bytes of data already looked at (whole lines)
        ndone = 0
        why = None
        started = None
        kill_at = None
        t0 = time.monotonic()
        try:
            while True:
                t = time.monotonic()
                if kill_at is not None and t >= kill_at:
                    break
                chunk = p.stdout.read()
                if chunk:
                    data += chunk
                end = data.rfind(b'\n') + 1
                new, seen = data[seen:max(seen, end)], max(seen, end)
                ndone += new.count(b'@@DONE')
                if started is None and b'fsload: started' in new:
                    started = t
                if b'pager: init (pid' in new or b'panic' in new:
                    why = 'the workload stopped'
                    break
                if p.poll() is not None:
                    why = 'QEMU exited'
                    break
                if started is None and t - t0 > BOOT_LIMIT * scale():
                    why = 'the workload did not start'
                    break
                if started is not None and kill_at is None:
                    if ndone >= wait_ops:
                        kill_at = t + delay
                    elif t - started > OP_LIMIT * scale():
                        why = 'no progress'
                        break
                time.sleep(0.005)
        finally:
            p.kill()
            p.wait()
        rest = p.stdout.read()
        data += rest or b''
        lines = data.decode(errors='replace').replace('\r', '').split('\n')
        return why is None, lines, why

    # -- the host check --------------------------------------------------

    def fsck(self, *args):
        """fsck IMG args: (exit status, stdout; with no args, stdout and
        stderr together)."""
        r = subprocess.run([self.fsck_bin, self.img] + list(args),
                           stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE if args else subprocess.STDOUT)
        return r.returncode, r.stdout

    def apply(self, op):
        """The model after operation op (all of it done)."""
        seq, kind, k, n, off = op
        if kind == 'w':
            self.files[k] = fill(seq, n)
        elif kind == 'a':
            self.files[k] = self.files.get(k, b'') + fill(seq, n)
        elif kind == 'p':
            old = self.files[k]
            self.files[k] = old[:off] + fill(seq, n) + old[off + n:]
        elif kind == 'u':
            self.files.pop(k, None)
        elif kind == 'm':
            self.dirs.add(k)
        elif kind == 'r':
            self.dirs.discard(k)

    def partial_ok(self, old, new_part, have, base):
        """have == old[:base] + bytes each new_part[i] or 0, no further
        than the end of the page that holds the write's last byte (the file
        server grows a file to the end of the page it wrote; the size is
        set right when the write completes). A file longer than the write
        is counted in self.past_end."""
        if len(have) < base or have[:base] != old[:base]:
            return False
        end = base + len(new_part)
        tail = have[base:]
        if len(have) > (end + PAGE - 1) // PAGE * PAGE:
            return False
        if len(have) > end:
            self.past_end += 1
        return all(b == 0 or (i < len(new_part) and b == new_part[i])
                   for i, b in enumerate(tail))

    def inflight_ok(self, op, old, have):
        """Whether `have` (None: absent) is a state op, cut short, may
        leave the file in, when the file held `old` before it."""
        seq, kind, k, n, off = op
        if have == old:
            return True
        if kind == 'w':
            return have is not None and self.partial_ok(b'', fill(seq, n), have, 0)
        if kind == 'a':
            return have is not None and old is not None and \
                self.partial_ok(old, fill(seq, n), have, len(old))
        if kind == 'p':
            new = fill(seq, n)
            return have is not None and old is not None and \
                len(have) == len(old) and \
                have[:off] == old[:off] and have[off + n:] == old[off + n:] and \
                all(have[off + i] in (old[off + i], new[i]) for i in range(n))
        if kind == 'u':
            return have is None
        return False

    def listing(self):
        rc, text = self.fsck('--ls', '/load')
        if rc != 0:
            return None
        names = {}
        for line in text.decode(errors='replace').splitlines():
            f = line.split()
            if len(f) >= 5 and f[4] not in ('.', '..'):
                names[f[4]] = f[1]
        return names

    def check(self, lines):
        """Check the image against the model and the console; returns
        (problems, writes verified); the model becomes what the disk has."""
        ops, done = {}, set()
        order = []
        for line in lines:
            f = line.split()
            if len(f) == 6 and f[0] == '@@OP':
                op = (int(f[1]), f[2], int(f[3]), int(f[4]), int(f[5]))
                ops[op[0]] = op
                order.append(op[0])
            elif len(f) == 2 and f[0] == '@@DONE':
                done.add(int(f[1]))
        inflight = None
        writes = {}             # k -> write operations that returned
        for seq in order:
            if seq in done:
                self.apply(ops[seq])
                if ops[seq][1] in 'wap':
                    writes[ops[seq][2]] = writes.get(ops[seq][2], 0) + 1
            elif inflight is None:
                inflight = ops[seq]
            else:
                return ['operation %d started before %d was done' %
                        (seq, inflight[0])], 0
        if any('fsload: started' in line for line in lines):
            self.load = True
        problems = []
        names = self.listing()
        if names is None:
            if self.load:
                problems.append('/load is gone')
            names = {}
        verified = 0
        for k in range(16):
            fname, dname = 'f%d' % k, 'd%d' % k
            want = self.files.get(k)
            have = None
            if fname in names:
                rc, have = self.fsck('--cat', '/load/' + fname)
                if rc != 0:
                    problems.append('fsck --cat /load/%s failed' % fname)
                    continue
            if inflight is not None and inflight[2] == k and \
                    inflight[1] in 'wapu':
                if not self.inflight_ok(inflight, want, have):
                    problems.append('/load/%s: %s after operation %s was cut '
                                    'short (had %s bytes before)' % (
                                        fname, describe(have), inflight,
                                        describe(want)))
            elif have != want:
                problems.append('/load/%s: %s, want %s' % (
                    fname, describe(have), describe(want)))
            else:
                verified += writes.get(k, 0)
            if have is None:
                self.files.pop(k, None)
            else:
                self.files[k] = have
            isdir = dname in names
            if inflight is not None and inflight[2] == k and \
                    inflight[1] in 'mr':
                pass                # either state
            elif isdir != (k in self.dirs):
                problems.append('/load/%s: %s, want %s' % (
                    dname, 'there' if isdir else 'missing',
                    'there' if k in self.dirs else 'missing'))
            if isdir:
                self.dirs.add(k)
            else:
                self.dirs.discard(k)
        return problems, verified

    # -- one round ---------------------------------------------------------

    def round(self, rnd):
        wait_ops = self.rng.randint(0, MAX_WAIT_OPS)
        delay = self.rng.uniform(0, 0.2)
        ok, lines, why = self.boot_and_kill(rnd, wait_ops, delay)
        name = 'crashloop.%d' % rnd
        moment = 'after %d operations + %.3f s' % (wait_ops, delay)
        if not ok:
            self.fail(name, '%s (%s)' % (why, moment), lines[-25:])
            return
        self.kills += 1
        rc, text = self.fsck()
        if rc != 0:
            self.fail(name, 'fsck after a kill %s' % moment,
                      text.decode(errors='replace').splitlines()[-25:])
            return
        self.clean += 1
        problems, verified = self.check(lines)
        self.verified += verified
        if problems:
            self.fail(name, 'after a kill %s: %s' % (moment, problems[0]),
                      problems[1:10] + lines[-15:])
            return
        self.out('PASS %s' % name)

    def fail(self, name, why, tail):
        self.failed += 1
        self.out('FAIL %s: %s (SEED=%d)' % (name, why, self.seed))
        for line in tail:
            self.out('    | ' + line)


def describe(data):
    return 'absent' if data is None else '%d bytes' % len(data)


def run(kernel, bios, fsimg, fsck, n, seed, out=print):
    """Run n rounds; returns the Loop (counts) after printing the summary."""
    t0 = time.monotonic()
    loop = Loop(kernel, bios, fsimg, fsck, seed, out)
    try:
        for rnd in range(1, n + 1):
            loop.round(rnd)
            sys.stdout.flush()
    finally:
        loop.close()
    out('crashloop: SEED=%d N=%d kills=%d fsck-clean=%d verified=%d '
        'cut-short-past-end=%d time=%.0f s' % (
            seed, n, loop.kills, loop.clean, loop.verified, loop.past_end,
            time.monotonic() - t0))
    return loop


def main(argv):
    if len(argv) not in (5, 6):
        sys.exit(__doc__)
    kernel, bios, fsimg, fsck, n = argv[:5]
    seed = argv[5] if len(argv) > 5 else os.environ.get('SEED', '')
    seed = int(seed) if seed else random.randrange(1 << 30)
    print('crashloop: SEED=%d N=%s' % (seed, n))
    loop = run(kernel, bios, fsimg, fsck, int(n), seed)
    return 1 if loop.failed or loop.kills == 0 else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
