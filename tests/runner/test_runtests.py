#!/usr/bin/python3
"""Tests for tools/runtests.py using tests/runner/fake_qemu.py.

Run:  /usr/bin/python3 tests/runner/test_runtests.py
Prints `PASS runner.<case>` / `FAIL runner.<case>: ...` and exits 1 on any
failure.  Cases run in parallel; the whole thing takes a few seconds.
"""

import concurrent.futures
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RUNNER = os.path.join(ROOT, 'tools', 'runtests.py')
FAKE = os.path.join(HERE, 'fake_qemu.py')
PY = sys.executable or '/usr/bin/python3'


class Result:
    def __init__(self, rc, out, records, log):
        self.rc = rc
        self.out = out
        self.lines = out.splitlines()
        self.records = records      # one argv list per QEMU invocation
        self.log = log

    def has(self, line):
        return line in self.lines

    def __str__(self):
        return 'rc=%s\n%s' % (self.rc, self.out)


def run(tmp, mode, *args, qemu=None, timeout=120, scale='1'):
    """Run runtests.py with the fake QEMU in `mode`."""
    rec = os.path.join(tmp, 'record-%s.jsonl' % mode)
    log = os.path.join(tmp, 'log-%s.txt' % mode)
    for p in (rec, log):
        if os.path.exists(p):
            os.unlink(p)
    env = dict(os.environ, FAKE_QEMU_MODE=mode, FAKE_QEMU_RECORD=rec,
               TIMEOUT_SCALE=scale)
    cmd = [PY, RUNNER, '--qemu', qemu or FAKE, '--log', log] + list(args)
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, env=env, timeout=timeout)
    records = []
    if os.path.exists(rec):
        with open(rec) as f:
            records = [json.loads(line) for line in f if line.strip()]
    text = ''
    if os.path.exists(log):
        with open(log) as f:
            text = f.read()
    return Result(p.returncode, p.stdout.decode('utf-8', 'replace'),
                  records, text)


def check(cond, msg, res=None):
    if not cond:
        raise AssertionError(msg + ('\n' + str(res) if res is not None
                                    else ''))


def check_summary(res, passed, failed, rc):
    want = '%d passed, %d failed' % (passed, failed)
    check(res.lines and res.lines[-1] == want,
          'last line should be %r' % want, res)
    check(res.rc == rc, 'exit status %s, expected %s' % (res.rc, rc), res)


def check_no_leftovers(res):
    for r in res.records:
        pid = r['pid']
        deadline = time.time() + 3
        while os.path.exists('/proc/%d' % pid) and time.time() < deadline:
            time.sleep(0.05)
        alive = os.path.exists('/proc/%d' % pid)
        if alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        check(not alive, 'fake QEMU pid %d left running' % pid, res)


def teststart_of(argv):
    if '-append' not in argv:
        return None
    words = argv[argv.index('-append') + 1].split()
    for w in words:
        if w.startswith('teststart='):
            return int(w.split('=')[1])
    return None


KERNEL = ['--kernel', 'kernel.elf', '--bios', 'fw.bin']
# A run that should end at once must end within SLOW seconds: generous, as
# the machine may be busy (scons test runs two QEMUs beside these tests);
# what it guards against is a limit not honoured, a hang of a minute or more
# (the limits the runs pass leave the other limits far above it).
SLOW = 45
FAST = ['--test-timeout', '1', '--boot-timeout', '15', '--wall-factor', '1']


# -------------------------------------------------------------------------
# Cases
# -------------------------------------------------------------------------

def case_pass_all(tmp):
    r = run(tmp, 'pass-all', *KERNEL, *FAST)
    check_summary(r, 4, 0, 0)
    for name in ('alpha', 'beta', 'gamma', 'delta'):
        check(r.has('PASS guest:%s' % name), 'missing PASS ' + name, r)
    check(len(r.records) == 1, 'expected one boot', r)
    argv = r.records[0]['argv']
    for a in ('-kernel', 'kernel.elf', '-bios', 'fw.bin', '-serial',
              'stdio'):
        check(a in argv, 'QEMU argv lacks %s: %s' % (a, argv))
    check(teststart_of(argv) is None, 'first boot must not set teststart')
    check('@@TESTS DONE' in r.log, 'log lacks console output', r)
    check('\r' not in r.log, 'log should have \\r stripped')
    check_no_leftovers(r)


def case_one_fail(tmp):
    r = run(tmp, 'one-fail', *KERNEL, *FAST)
    check_summary(r, 3, 1, 1)
    check(r.has('FAIL guest:beta: expected 1 got 2'), 'missing FAIL', r)
    check(any('beta: doing things' in line for line in r.lines),
          'failure should show the test console tail', r)
    check(not any('gamma: doing things' in line for line in r.lines),
          'tail must stop at the FAIL line', r)


def case_hang_in_test(tmp):
    t0 = time.time()
    r = run(tmp, 'hang-in-test', *KERNEL, *FAST)
    check_summary(r, 3, 1, 1)
    check(any(line.startswith('FAIL guest:beta: timeout after 1 s')
              for line in r.lines), 'missing timeout', r)
    check(len(r.records) == 2, 'expected a reboot', r)
    check(teststart_of(r.records[1]['argv']) == 2,
          'reboot should use teststart=2: %s' % r.records[1]['argv'])
    check(time.time() - t0 < SLOW, 'took too long', r)
    check_no_leftovers(r)


def case_ignore_teststart(tmp):
    r = run(tmp, 'ignore-teststart', *KERNEL, *FAST)
    check_summary(r, 1, 2, 1)
    check(any(line.startswith('FAIL guest:beta: timeout after 1 s')
              for line in r.lines), 'missing timeout', r)
    check(any(line.startswith('FAIL guest:guest.teststart:')
              for line in r.lines), 'missing guest.teststart failure', r)
    check(len(r.records) == 2, 'must stop after the second boot', r)
    check_no_leftovers(r)


def case_panic(tmp):
    r = run(tmp, 'panic', *KERNEL, *FAST)
    # alpha, gamma, delta pass; guest.panic and beta fail.
    check_summary(r, 3, 2, 1)
    check(r.has('FAIL guest:guest.panic: panic: fake kernel panic in beta'),
          'missing guest.panic', r)
    check(any(line.startswith('FAIL guest:beta: kernel panic')
              for line in r.lines), 'beta should fail with the panic', r)
    check(len(r.records) == 2 and teststart_of(r.records[1]['argv']) == 2,
          'reboot should use teststart=2', r)
    check_no_leftovers(r)


def case_die_before_start(tmp):
    r = run(tmp, 'die-before-start', *KERNEL, *FAST)
    check_summary(r, 0, 1, 1)
    check(any(line.startswith('FAIL guest:guest.boot:') for line in r.lines),
          'missing guest.boot failure', r)
    check(any('something went badly wrong' in line for line in r.lines),
          'console tail should be printed', r)
    check(len(r.records) == 1, 'must not reboot', r)


def case_die_in_test(tmp):
    r = run(tmp, 'die-in-test', *KERNEL, *FAST)
    check_summary(r, 3, 1, 1)
    check(any(line.startswith('FAIL guest:gamma: guest died')
              for line in r.lines), 'gamma should have died', r)
    check(len(r.records) == 2 and teststart_of(r.records[1]['argv']) == 3,
          'reboot should use teststart=3', r)


def case_hang_at_boot(tmp):
    t0 = time.time()
    r = run(tmp, 'hang-at-boot', *KERNEL, '--test-timeout', '1',
            '--boot-timeout', '2', '--wall-factor', '1')
    check_summary(r, 0, 1, 1)
    check(any(line.startswith('FAIL guest:guest.boot:') for line in r.lines),
          'missing guest.boot failure', r)
    check(time.time() - t0 < SLOW, 'boot timeout not honoured', r)
    check_no_leftovers(r)


def case_no_exit_after_done(tmp):
    t0 = time.time()
    r = run(tmp, 'no-exit', *KERNEL, *FAST, '--exit-wait', '1')
    check_summary(r, 4, 0, 0)
    done = [rec['done'] for rec in r.records if 'done' in rec]
    # From TESTS DONE to the runner's end: 1 s and the kill, not the default 10 s.
    check(done and time.time() - done[0] < 9, 'exit wait not honoured', r)
    check_no_leftovers(r)


def case_expect_console(tmp):
    r = run(tmp, 'pass-all', *KERNEL, *FAST,
            '--expect-console', r'^OpenSBI v\d', 'no such text here')
    check_summary(r, 5, 1, 1)
    check(r.has('PASS guest:console.1'), 'console.1 should pass', r)
    check(any(line.startswith('FAIL guest:console.2:') for line in r.lines),
          'console.2 should fail', r)


def case_extra_args_and_append(tmp):
    # --qemu is split like a shell command; extra args may start with '-'.
    qemu = '%s %s' % (shlex.quote(PY), shlex.quote(FAKE))
    r = run(tmp, 'hang-in-test', *KERNEL, *FAST, '--append', 'quiet',
            '--extra-qemu-arg', '-smp', '--extra-qemu-arg', '2', qemu=qemu)
    check_summary(r, 3, 1, 1)
    argv = r.records[1]['argv']
    check('-smp' in argv and argv[argv.index('-smp') + 1] == '2',
          'extra args missing: %s' % argv)
    check(argv[argv.index('-append') + 1] == 'quiet teststart=2',
          'bootargs not merged: %s' % argv)


def case_bench(tmp):
    js = os.path.join(tmp, 'bench.json')
    r = run(tmp, 'bench', *KERNEL, '--bench', '--bench-json', js,
            '--boot-timeout', '10')
    check(r.rc == 0, 'bench should succeed', r)
    check(r.has('null_syscall: 1234 instructions'), 'missing bench line', r)
    check(r.has('ipc_roundtrip: 5678 instructions'), 'split line lost', r)
    argv = r.records[0]['argv']
    check('-icount' in argv and argv[argv.index('-icount') + 1] == 'shift=0',
          'no -icount shift=0: %s' % argv)
    with open(js) as f:
        data = json.load(f)
    check(data == {'null_syscall': 1234, 'ipc_roundtrip': 5678, 'smp': 1},
          'bad json %r' % data)
    check(r.has('2 benchmarks, smp 1 (harts)'), 'no smp in the output', r)


def case_bench_smp(tmp):
    # The harts QEMU got (its -smp) go into the bench output and the JSON.
    js = os.path.join(tmp, 'bench.json')
    r = run(tmp, 'bench', *KERNEL, '--bench', '--bench-json', js, '--boot-timeout', '10',
            '--extra-qemu-arg', '-smp', '--extra-qemu-arg', 'cpus=3,sockets=1')
    check(r.rc == 0, 'bench should succeed', r)
    with open(js) as f:
        data = json.load(f)
    check(data.get('smp') == 3, 'bad smp in %r' % data)
    check(r.has('2 benchmarks, smp 3 (harts)'), 'no smp 3 in the output', r)


def case_smp_args(tmp):
    # The scripts that boot QEMU themselves take -smp from the environment's SMP.
    def smp(v):
        env = dict(os.environ)
        env.pop('SMP', None)
        if v is not None:
            env['SMP'] = v
        return subprocess.run([PY, '-c', 'import runtests; print(runtests.smp_args())'], cwd=os.path.dirname(RUNNER),
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    r = smp(None)
    check(r.returncode == 0 and r.stdout == '[]\n', 'SMP unset: %r' % r.stdout)
    r = smp('4')
    check(r.returncode == 0 and r.stdout == "['-smp', '4']\n", 'SMP=4: %r' % r.stdout)
    for bad in ['0', 'two', '-1']:
        r = smp(bad)
        check(r.returncode != 0 and 'SMP=%s: ' % bad in r.stdout, 'SMP=%s accepted: %r' % (bad, r.stdout))


def case_bench_none(tmp):
    r = run(tmp, 'pass-all', *KERNEL, '--bench', '--boot-timeout', '10')
    check(r.rc != 0, 'bench with no results must fail', r)


def case_init_killed(tmp):
    """The first program killed: say so and stop at once, no reboot."""
    t0 = time.time()
    r = run(tmp, 'init-killed', *KERNEL, '--test-timeout', '30',
            '--boot-timeout', '60')
    check_summary(r, 1, 2, 1)
    check(any(line.startswith('FAIL guest:beta: the first program '
                              '(testinit) ended: killed, cause 13')
              for line in r.lines), 'beta should fail with init', r)
    check(any(line.startswith('FAIL guest:guest.init:') for line in r.lines),
          'missing guest.init failure', r)
    check(any('segfault at 0x0' in line for line in r.lines),
          'the kill line should be shown', r)
    check(len(r.records) == 1, 'must not reboot', r)
    check(time.time() - t0 < 25, 'did not stop at once', r)
    check_no_leftovers(r)


def case_init_exits(tmp):
    t0 = time.time()
    r = run(tmp, 'init-exits', *KERNEL, '--test-timeout', '30',
            '--boot-timeout', '60')
    check_summary(r, 2, 1, 1)
    check(any(line.startswith('FAIL guest:guest.init: the first program '
                              '(testinit) ended: exit 1')
              for line in r.lines), 'missing guest.init failure', r)
    check(len(r.records) == 1 and time.time() - t0 < 25,
          'did not stop at once', r)
    check_no_leftovers(r)


def case_bench_init_killed(tmp):
    t0 = time.time()
    r = run(tmp, 'bench-init-killed', *KERNEL, '--bench',
            '--boot-timeout', '60')
    check(r.rc != 0, 'bench whose first program died must fail', r)
    check(any(line.startswith('ERROR the first program ended')
              for line in r.lines), 'missing ERROR line', r)
    check(time.time() - t0 < SLOW, 'did not stop at once', r)
    check_no_leftovers(r)


def case_cpu_clock(tmp):
    """A spinning guest times out after --test-timeout CPU seconds, long
    before the wall-clock limit; an idle one after the wall-clock limit."""
    t0 = time.time()
    r = run(tmp, 'spin-in-test', *KERNEL, '--test-timeout', '1',
            '--wall-factor', '100', '--boot-timeout', '60')
    check_summary(r, 3, 1, 1)
    check(any(line.startswith('FAIL guest:beta: timeout after 1 s (guest '
                              'CPU 1') for line in r.lines),
          'the CPU limit should fire', r)
    check(time.time() - t0 < 90, 'took too long', r)
    check_no_leftovers(r)
    t0 = time.time()
    r = run(tmp, 'hang-in-test', *KERNEL, '--test-timeout', '0.5',
            '--wall-factor', '4', '--boot-timeout', '60')
    check_summary(r, 3, 1, 1)
    took = time.time() - t0
    check(2 <= took < SLOW, 'wall limit of 2 s should fire (took %.1f)' % took,
          r)


def case_idle_hang(tmp):
    """A guest that hangs idle (no CPU used) is caught after --idle-window
    wall seconds, long before the CPU or wall-clock limits."""
    t0 = time.time()
    r = run(tmp, 'hang-in-test', *KERNEL, '--test-timeout', '100',
            '--wall-factor', '100', '--boot-timeout', '200',
            '--idle-window', '2')
    check_summary(r, 3, 1, 1)
    check(any(line.startswith('FAIL guest:beta: hung (guest idle: QEMU used')
              for line in r.lines), 'the idle watch should fire', r)
    check(time.time() - t0 < SLOW, 'took too long', r)
    check('##### runtests: alpha took guest CPU' in r.log,
          'the log should say how long each test took', r)
    check_no_leftovers(r)


def case_timeout_scale(tmp):
    t0 = time.time()
    r = run(tmp, 'hang-in-test', *KERNEL, *FAST, scale='3')
    check_summary(r, 3, 1, 1)
    check(any(line.startswith('FAIL guest:beta: timeout after 3 s')
              for line in r.lines), 'TIMEOUT_SCALE=3 should give 3 s', r)
    check(time.time() - t0 >= 3, 'scaled limit not honoured', r)


def case_fresh_disk(tmp):
    """A test that fails leaving its disk full cannot fail the next one:
    the runner reboots after the failure with a fresh copy of the image,
    and the image itself is never written."""
    img = os.path.join(tmp, 'disk.img')
    with open(img, 'wb') as f:
        f.write(b'EMPTY' + bytes(100))
    r = run(tmp, 'fill-disk', *KERNEL, *FAST, '--disk', img,
            '--reboot-on-fail')
    check_summary(r, 3, 1, 1)
    check(any(line.startswith('FAIL guest:beta:') for line in r.lines),
          'beta should fail', r)
    check(r.has('PASS guest:gamma'), 'gamma must not see the full disk', r)
    check(len(r.records) == 2 and teststart_of(r.records[1]['argv']) == 2,
          'should reboot at test 2', r)
    with open(img, 'rb') as f:
        check(f.read(5) == b'EMPTY', 'the image itself was written')
    drives = [a for rec in r.records for a in rec['argv']
              if a.startswith('file=')]
    check(len(drives) == 2 and all(not os.path.exists(d[5:].split(',')[0])
                                   for d in drives),
          'disk copies should be removed: %s' % drives)
    check(all(',cache=unsafe,' in d for d in drives),
          'disk copies are not attached with cache=unsafe: %s' % drives)


def make_host_bins(tmp):
    bins = {}

    def script(name, body):
        path = os.path.join(tmp, name)
        with open(path, 'w') as f:
            f.write('#!%s\nimport os, sys\n%s\n' % (PY, body))
        os.chmod(path, 0o755)
        bins[name] = path

    script('host_ok', 'print("noise"); print("PASS ok.one"); '
           'print("PASS ok.two")')
    script('host_fail', 'print("PASS f.good"); '
           'print("FAIL f.bad: 1 != 2"); sys.exit(1)')
    script('host_crash', 'print("PASS c.before")\n'
           'for i in range(60): print("asan line %d" % i)\n'
           'sys.stdout.flush(); os.abort()')
    script('host_args', 'print("PASS args.ok" if sys.argv[1:] == '
           '["--x", "-y"] else "FAIL args.ok: got %r" % sys.argv[1:])')
    script('host_silent', 'pass')
    return bins


def case_host(tmp):
    b = make_host_bins(tmp)
    r = run(tmp, 'pass-all', '--host', b['host_ok'], b['host_fail'],
            b['host_crash'], '--host', b['host_args'], b['host_silent'],
            '--host-arg', 'host_args=--x',
            '--host-arg', '%s=-y' % b['host_args'],
            *KERNEL, *FAST)
    # passes: ok.one ok.two f.good c.before args.ok + 4 guest = 9
    # fails:  f.bad, host_crash (signal), host_silent (no output)
    check_summary(r, 9, 3, 1)
    check(r.has('PASS host:ok.one') and r.has('PASS host:args.ok'),
          'host passes missing', r)
    check(r.has('FAIL host:f.bad: 1 != 2'), 'host FAIL line missing', r)
    check(any(line.startswith('FAIL host:host_crash: killed by signal')
              for line in r.lines), 'crash not reported', r)
    check(any('asan line 59' in line for line in r.lines)
          and not any('asan line 10' == line.strip('| ').strip()
                      for line in r.lines),
          'crash should show the last 40 lines only', r)
    check(any(line.startswith('FAIL host:host_silent:') for line in r.lines),
          'silent binary should fail', r)
    check(r.has('PASS guest:alpha'), 'guest phase should still run', r)


def case_slowest(tmp):
    """Before the summary, one line names the slowest host binaries and
    guest tests, and how their time was counted."""
    b = make_host_bins(tmp)
    r = run(tmp, 'pass-all', '--host', b['host_ok'], *KERNEL, *FAST)
    check_summary(r, 6, 0, 0)
    line = r.lines[-2] if len(r.lines) > 1 else ''
    check(line.startswith('TIME slowest: '), 'no TIME line before the summary', r)
    check('host:host_ok ' in line and '(wall)' in line, 'the host binary is not timed', r)
    check('guest:alpha ' in line and '(QEMU CPU; wall ' in line, 'the guest tests are not timed', r)


STAGES_SCRIPT = r"""
import sys
sys.path.insert(0, %r)
import stages
d = sys.argv[1]
runs = [('a', 'first', 'echo PASS x.one; sleep 1; echo PASS x.two'),
        ('b', 'second', 'echo PASS y.one; sleep 0.3; echo FAIL y.two: bad; echo more'),
        ('c', 'third', 'echo PASS z.one; exit 3')]
rc = stages.run_all('scons t', [(n, w, c, '%%s/%%s.out' %% (d, n), ['%%s/%%s.log' %% (d, n)]) for n, w, c in runs], 2)
ok = stages.summary('scons good', ['a'])
sys.exit(100 * rc + 10 * ok + stages.summary('scons notrun', ['a', 'd']))
"""


def case_stages(tmp):
    """tests/runner/stages.py: two stages run at once and each prints its
    output in one block; the third starts when one has ended; the summary
    names the stages that failed (a FAIL line, an exit status, not run)
    and fails; a summary of passed stages passes."""
    p = subprocess.run([PY, '-c', STAGES_SCRIPT % HERE, tmp], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    out = p.stdout.decode('utf-8', 'replace')
    res = Result(p.returncode, out, [], '')
    check(p.returncode == 101, 'the summaries of a-c and of a, d should fail, that of a pass', res)
    lines = out.splitlines()
    for name, body in [('a', ['PASS x.one', 'PASS x.two']),
                       ('b', ['PASS y.one', 'FAIL y.two: bad', 'more']), ('c', ['PASS z.one'])]:
        starts = [i for i, l in enumerate(lines) if l.startswith('==== stage %s: ' % name)]
        check(len(starts) == 2 and lines[starts[0] + 1:starts[1]] == body,
              'stage %s: its output is not one block' % name, res)
        with open(os.path.join(tmp, name + '.out')) as f:
            check(f.read().splitlines() == body, 'stage %s: output file' % name, res)
    order = [l.split()[1].rstrip(':') for l in lines if l.startswith('stage ')]
    check(order == ['a', 'b', 'c'], 'stages should start in the order given: %s' % order, res)
    started_c = lines.index([l for l in lines if l.startswith('stage c:')][0])
    check(any(l.startswith('==== stage b: FAILED') for l in lines[:started_c]) and
          not any(l.startswith('==== stage a: passed') for l in lines[:started_c]),
          'c should start when b (the first to end) has ended, not before', res)
    check(any(l.startswith('==== stage a: passed (2 passed, 0 failed) in ') and
              l.endswith('output in %s/a.out, %s/a.log ====' % (tmp, tmp)) for l in lines),
          'stage a: result line', res)
    check(any(l.startswith('==== stage b: FAILED (1 passed, 1 failed) in ') for l in lines),
          'stage b: result line', res)
    check(any(l.startswith('==== stage c: FAILED (1 passed, 0 failed, exit status 3) in ')
              for l in lines), 'stage c: result line', res)
    check(any(l.startswith('scons t: FAILED (b, c); 5 results in ') for l in lines), 'summary of a-c', res)
    summ = lines.index('==== scons t: 3 stages ====')
    check(any(l.strip() == 'FAIL y.two: bad' for l in lines[summ:]),
          'the summary should show the FAIL line', res)
    check(any(l.startswith('scons good: all 1 stages passed, 2 results in ') for l in lines),
          'the summary of a should pass', res)
    check(any(l.split()[:2] == ['d', 'NOT'] for l in lines), 'stage d: not run', res)
    check(lines[-1].startswith('scons notrun: FAILED (d); 2 results in '), 'last line', res)


def case_zero_tests(tmp):
    r = run(tmp, 'pass-all')
    check_summary(r, 0, 0, 1)


def case_interrupt(tmp):
    """SIGTERM to the runner must not leave QEMU behind."""
    rec = os.path.join(tmp, 'record-interrupt.jsonl')
    env = dict(os.environ, FAKE_QEMU_MODE='hang-at-boot',
               FAKE_QEMU_RECORD=rec)
    p = subprocess.Popen([PY, RUNNER, '--qemu', FAKE] + KERNEL,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + SLOW
    while not os.path.exists(rec) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=SLOW)
    with open(rec) as f:
        records = [json.loads(line) for line in f if line.strip()]
    res = Result(p.returncode, out.decode(), records, '')
    check(p.returncode != 0, 'interrupted run must fail', res)
    check_no_leftovers(res)


CASES = [(name[5:].replace('_', '-'), fn)
         for name, fn in sorted(globals().items())
         if name.startswith('case_') and callable(fn)]


def main():
    failed = 0
    with tempfile.TemporaryDirectory(prefix='runtests-test-') as tmp:
        def one(item):
            name, fn = item
            d = os.path.join(tmp, name)
            os.makedirs(d)
            try:
                fn(d)
                return name, None
            except AssertionError as e:
                return name, str(e)
            except Exception as e:          # noqa: broad on purpose
                return name, '%s: %s' % (type(e).__name__, e)

        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
            for name, err in ex.map(one, CASES):
                if err is None:
                    print('PASS runner.%s' % name)
                else:
                    failed += 1
                    first, _, rest = err.partition('\n')
                    print('FAIL runner.%s: %s' % (name, first))
                    for line in rest.splitlines():
                        print('    | ' + line)
                sys.stdout.flush()
    print('%d passed, %d failed' % (len(CASES) - failed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
