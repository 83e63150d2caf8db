#!/usr/bin/python3
"""Fake qemu-system-riscv64 for testing tools/runtests.py.

Ignores its arguments except `-append` (for `teststart=N`) and `-icount`.
Behaviour is chosen with the environment variable FAKE_QEMU_MODE:

  pass-all          4 tests pass, TESTS DONE, exit 0
  one-fail          test 1 fails
  hang-in-test      hangs inside test 1 unless teststart >= 2
  panic             kernel panic in test 1, then hangs (unless teststart >= 2)
  die-before-start  prints some boot noise and exits with status 1
  die-in-test       exits (status 3) inside test 2 unless teststart >= 3
  ignore-teststart  like hang-in-test, but always starts at test 0
  hang-at-boot      prints a banner and hangs before any test starts
  no-exit           like pass-all, but does not exit after TESTS DONE
  bench             prints @@BENCH lines (only if -icount was given)
  init-killed       in test 1, the pager's kill line and its "init ended"
                    line, then idles for ever (as the real system does)
  init-exits        after test 1, "init ended" (exit 1), then idles
  bench-init-killed one @@BENCH line, then "init ended", then idles
  spin-in-test      busy-loops (uses CPU) in test 1 unless teststart >= 2
  fill-disk         test 1 writes FULL into the first -drive file and
                    fails; test 2 fails if that file starts with FULL

If FAKE_QEMU_RECORD names a file, {"pid": ..., "argv": [...]} is
appended to it as one JSON line per invocation (and in mode no-exit, at
TESTS DONE, {"pid": ..., "done": <time.time()>}).
"""

import json
import os
import sys
import time

TESTS = ['alpha', 'beta', 'gamma', 'delta']


def out(text, crlf=True):
    # Real serial consoles often emit \r\n; the runner must cope.
    sys.stdout.write(text + ('\r\n' if crlf else '\n'))
    sys.stdout.flush()


def hang():
    while True:
        time.sleep(60)


def spin():
    while True:
        pass


def first_drive(argv):
    for i, a in enumerate(argv[:-1]):
        if a == '-drive':
            for part in argv[i + 1].split(','):
                if part.startswith('file='):
                    return part[5:]
    return None


def main():
    argv = sys.argv[1:]
    rec = os.environ.get('FAKE_QEMU_RECORD')
    if rec:
        with open(rec, 'a') as f:
            f.write(json.dumps({'pid': os.getpid(), 'argv': argv}) + '\n')
    mode = os.environ.get('FAKE_QEMU_MODE', 'pass-all')
    bootargs = ''
    if '-append' in argv:
        i = argv.index('-append')
        if i + 1 < len(argv):
            bootargs = argv[i + 1]
    teststart = 0
    for word in bootargs.split():
        if word.startswith('teststart='):
            teststart = int(word.split('=', 1)[1])

    out('')
    out('OpenSBI v1.1 (fake)')
    out('kernel: booting, bootargs="%s"' % bootargs)

    if mode == 'ignore-teststart':
        mode, teststart = 'hang-in-test', 0

    if mode == 'die-before-start':
        out('kernel: something went badly wrong')
        sys.exit(1)
    if mode == 'hang-at-boot':
        hang()

    if mode == 'bench-init-killed':
        out('@@BENCH null_syscall 1234')
        out('pid 2 (bench): segfault at 0x0 pc 0x10000 (read)')
        out('pager: init (pid 2, bench) ended: killed, cause 13')
        hang()

    if mode == 'bench':
        if '-icount' not in argv:
            out('fake: no -icount, refusing to bench')
            sys.exit(0)
        out('@@BENCH null_syscall 1234')
        # Split a line across two writes to exercise line buffering.
        sys.stdout.write('@@BENCH ipc_')
        sys.stdout.flush()
        time.sleep(0.05)
        out('roundtrip 5678')
        out('@@BENCH DONE')
        sys.exit(0)

    for index in range(teststart, len(TESTS)):
        name = TESTS[index]
        out('@@TEST START %d %s' % (index, name))
        out('  %s: doing things' % name, crlf=False)
        if index == 1 and mode == 'hang-in-test':
            out('  beta: about to hang')
            hang()
        if index == 1 and mode == 'panic':
            out('panic: fake kernel panic in beta')
            out('  backtrace: 0x80200000')
            hang()
        if index == 2 and mode == 'die-in-test':
            out('  gamma: about to die')
            sys.exit(3)
        if index == 1 and mode == 'init-killed':
            out('pid 2 (testinit): segfault at 0x0 pc 0x10000 (read)')
            out('pager: init (pid 2, testinit) ended: killed, cause 13')
            hang()
        if index == 1 and mode == 'spin-in-test':
            spin()
        if index == 1 and mode == 'fill-disk':
            with open(first_drive(argv), 'r+b') as f:
                f.write(b'FULL')
            out('@@TEST FAIL %d %s check failed: left the disk full'
                % (index, name))
            continue
        if index == 2 and mode == 'fill-disk':
            with open(first_drive(argv), 'rb') as f:
                if f.read(4) == b'FULL':
                    out('@@TEST FAIL %d %s no space left on the disk'
                        % (index, name))
                    continue
        if index == 1 and mode == 'one-fail':
            out('@@TEST FAIL %d %s expected 1 got 2' % (index, name))
            continue
        out('@@TEST PASS %d %s' % (index, name))
        if index == 1 and mode == 'init-exits':
            out('pager: init (pid 2, testinit) ended: exit 1')
            hang()
    out('@@TESTS DONE')
    if mode == 'no-exit':
        rec = os.environ.get('FAKE_QEMU_RECORD')
        if rec:  # when TESTS DONE was said (time.time())
            with open(rec, 'a') as f:
                f.write(json.dumps({'pid': os.getpid(), 'done': time.time()}) + '\n')
        hang()
    sys.exit(0)


if __name__ == '__main__':
    main()
