#!/usr/bin/python3
"""Ctrl-C at the shell stops the foreground program and nothing else.

usage: ctrlc.py KERNEL BIOS FSIMG
       (SMP=n in the environment: -smp n)

Boots a copy of FSIMG to the shell (init starts sh on the console) and types:
a background `sleep 300 &`, then a foreground `sleep 300` and Ctrl-C (again
every few seconds until the prompt is back: the first may come before the
program is the foreground group). Then `echo st=$?` must say 130 (128 +
SIGINT), the background sleep must still run (`ps`), and `kill -INT` of it
followed by `wait` must report it ended with 130. Prints PASS/FAIL lines;
exit 1 on a failure.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools'))
from runtests import timeout_scale as scale, smp_args  # noqa: E402

LIMIT = 120  # wall seconds for each step (scaled when the machine is busy)


class Console:
    def __init__(self, cmd):
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        os.set_blocking(self.p.stdout.fileno(), False)
        self.text = ''

    def read(self):
        chunk = self.p.stdout.read()
        if chunk:
            self.text += chunk.decode(errors='replace').replace('\r', '')

    def type(self, s):
        self.p.stdin.write(s.encode())
        self.p.stdin.flush()

    def wait_for(self, pattern, start, poke=None, every=3.0):
        """Wait until the console after offset start matches pattern; returns
        the match or None. poke (if given) is typed every `every` seconds."""
        t0 = last = time.monotonic()
        while time.monotonic() - t0 < LIMIT * scale():
            self.read()
            m = re.search(pattern, self.text[start:])
            if m:
                return m
            if 'panic' in self.text or self.p.poll() is not None:
                return None
            if poke and time.monotonic() - last >= every:
                self.type(poke)
                last = time.monotonic()
            time.sleep(0.01)
        return None

    def close(self):
        self.p.kill()
        self.p.wait()


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    kernel, bios, fsimg = sys.argv[1:]
    tmp = tempfile.mkdtemp(prefix='ctrlc-')
    img = os.path.join(tmp, 'disk.img')
    shutil.copyfile(fsimg, img)
    c = Console(['qemu-system-riscv64', '-machine', 'virt', '-m', '128M', *smp_args(), '-display', 'none',
                 '-serial', 'stdio', '-monitor', 'none', '-bios', bios, '-kernel', kernel,
                 '-global', 'virtio-mmio.force-legacy=false',
                 '-drive', 'file=%s,if=none,format=raw,id=hd0' % img, '-device', 'virtio-blk-device,drive=hd0'])
    failures = []

    def step(what, ok):
        if not ok:
            failures.append(what)
        return ok

    try:
        if step('the shell prompt', c.wait_for(r'init: starting sh.*\n\$ ', 0)):
            at = len(c.text)
            c.type('sleep 300 &\n')
            bg = c.wait_for(r'\[(\d+)\]\n\$ ', at)
            if step('a background job', bg):
                at = len(c.text)
                c.type('sleep 300\n')
                step('Ctrl-C ends the foreground sleep', c.wait_for(r'\^C\n\$ ', at, poke='\x03'))
                at = len(c.text)
                c.type('echo st=$?\n')
                step('its status is 130', c.wait_for(r'st=130\n', at))
                at = len(c.text)
                c.type('ps\n')
                step('the background sleep still runs',
                     c.wait_for(r'\n +%s +\d+ run .*sleep\n' % bg.group(1), at))
                at = len(c.text)
                c.type('kill -INT %s; wait\n' % bg.group(1))
                step('kill -INT ends it (status 130)', c.wait_for(r'\[%s\] exit 130\n' % bg.group(1), at))
    finally:
        c.close()
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        tail = c.text[-1500:]
        for f in failures:
            print('FAIL ctrlc: %s' % f)
        print('--- console (end) ---\n%s' % tail)
        return 1
    print('PASS ctrlc')
    return 0


if __name__ == '__main__':
    sys.exit(main())
