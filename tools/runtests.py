#!/usr/bin/python3
"""Test runner: host unit-test binaries + in-guest test suite under QEMU.

Invoked by SCons (`scons test`).  Standard library only (Python >= 3.9).

Host binaries print lines
    PASS <name>
    FAIL <name>: <reason>
anything else is noise (shown only when the binary fails).

The guest prints, each at the start of a line:
    @@TEST START <index> <name>
    @@TEST PASS <index> <name>
    @@TEST FAIL <index> <name> <reason...>
    @@TESTS DONE
and then shuts QEMU down.  When a test hangs or the guest dies (and, with
--reboot-on-fail, when a test fails), QEMU is killed and rebooted with the
boot argument `teststart=<index+1>`.  Each --disk image is copied before
every boot and QEMU gets the copy, so every boot starts from the image as
built: a test that failed or hung cannot leave a full disk (or any other
file) behind for the tests after it.  The copies are attached with
cache=unsafe: the guest's driver does not negotiate a write cache, so QEMU
would otherwise flush every write to the host's disk (fdatasync), which made
the file-system and paging tests several times slower; a copy is thrown
away after its boot, and a write QEMU has done survives QEMU being killed.  When the pager says that the first
program ended (`pager: init (pid N, NAME) ended: ...`), the runner reports
it and stops at once (nothing else would run).

Time limits (--test-timeout, --boot-timeout) are counted in CPU seconds of
the QEMU process (user + system, from /proc), not in wall-clock seconds: on
a loaded machine QEMU gets less of the CPU and the limits stretch with it.
A guest hung while idle uses almost no CPU (an idle QEMU about 2% of one),
so a test (or the time between two) also ends when QEMU has used less than
--idle-share of a CPU over the last --idle-window wall-clock seconds (5% of
120 s: a busy QEMU on a 2-core machine with a load of 16 still got 23%),
and each limit expires after --wall-factor times as many wall-clock seconds
in any case.  The environment
variable TIMEOUT_SCALE (default 1) multiplies every limit, for a machine
much slower than usual.

Bench mode (--bench) boots with `-icount shift=0` and collects
    @@BENCH <name> <value>
lines until `@@BENCH DONE`; --bench-json gets them and "smp", the harts
QEMU was given (an --extra-qemu-arg -smp n; 1 without one).

Report: one line per test (`PASS host:x`, `FAIL guest:y: reason`), then a
final line `N passed, N failed`.  Exit status 1 if anything failed or no
test ran at all.
"""

import argparse
import json
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HOST_TIMEOUT = 900          # wall-clock seconds per host binary (times TIMEOUT_SCALE)
HOST_TAIL = 40              # lines of host output shown on failure
GUEST_TAIL = 30             # lines of guest console shown on failure
PANIC_GRACE = 2.0           # seconds to keep reading after a panic line
MAX_BOOTS = 500             # safety net against reboot loops
MAX_LINE = 64 * 1024        # force a line break on absurdly long output

TEST_RE = re.compile(r'@@TEST (START|PASS|FAIL) (\d+) (\S+)(?: (.*))?$')
DONE_RE = re.compile(r'@@TESTS DONE\b')
BENCH_RE = re.compile(r'@@BENCH (\S+)(?: (\S+))?')
INIT_END_RE = re.compile(r'pager: init \(pid \d+, (\S*)\) ended: (.*)$')
CLK_TCK = os.sysconf('SC_CLK_TCK') if hasattr(os, 'sysconf') else 100


def timeout_scale():
    """TIMEOUT_SCALE from the environment (a positive number), else 1."""
    try:
        v = float(os.environ.get('TIMEOUT_SCALE', '1'))
    except ValueError:
        v = 1.0
    return v if v > 0 else 1.0


def smp_args():
    """QEMU's -smp for the scripts that boot QEMU themselves (tests/fs/,
    tests/ports/sqlite_crash.py, tests/signals/ctrlc.py): ['-smp', n] for the
    environment's SMP=n (scons sets it from its SMP=), [] when SMP is unset
    (QEMU's one hart). Exits with a message when SMP is not a number >= 1."""
    v = os.environ.get('SMP', '')
    if not v:
        return []
    if not v.isdigit() or int(v) < 1:
        sys.exit('SMP=%s: the number of harts must be a whole number from 1' % v)
    return ['-smp', v]


def harts(cmd):
    """The harts a QEMU command line gives the machine: -smp's count (n or
    cpus=n; the raw value when it is neither), 1 without -smp."""
    v = '1'
    for i, a in enumerate(cmd[:-1]):
        if a == '-smp':
            v = cmd[i + 1]
    for part in v.split(','):
        n = part[len('cpus='):] if part.startswith('cpus=') else part
        if n.isdigit():
            return int(n)
    return v


def cpu_seconds(pid):
    """CPU time (user + system, all threads) of process pid so far, or None
    when /proc cannot say (not Linux, or the process is gone)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            stat = f.read()
        fields = stat[stat.rindex(')') + 2:].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, ValueError, IndexError):
        return None


def now():
    return time.monotonic()


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------

class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.seen = set()
        self.times = []         # (seconds, what): host binaries and guest tests

    def took(self, what, seconds, detail=''):
        """Note that `what` took `seconds` (the slowest are listed at the
        end; detail says how the time was counted)."""
        self.times.append((seconds, what, detail))

    @staticmethod
    def out(text=''):
        sys.stdout.write(text + '\n')
        sys.stdout.flush()

    def ok(self, name):
        self.passed += 1
        self.seen.add(name)
        self.out('PASS %s' % name)

    def fail(self, name, reason, tail=None, tail_title=None):
        self.failed += 1
        self.seen.add(name)
        reason = ' '.join(str(reason).split()) or 'failed'
        self.out('FAIL %s: %s' % (name, reason))
        if tail:
            if tail_title:
                self.out('    --- %s ---' % tail_title)
            for line in tail:
                self.out('    | ' + line)

    def slowest(self, n=6):
        """One line naming the n slowest host binaries and guest tests."""
        if not self.times:
            return
        top = sorted(self.times, key=lambda t: -t[0])[:n]
        self.out('TIME slowest: ' + ', '.join(
            '%s %.1f s%s' % (what, sec, ' (%s)' % detail if detail else '')
            for sec, what, detail in top))

    def summary(self):
        self.slowest()
        self.out('%d passed, %d failed' % (self.passed, self.failed))

    def exit_code(self):
        return 1 if self.failed or (self.passed + self.failed) == 0 else 0


def killpg(proc, grace=2.0):
    """Terminate a process started with start_new_session=True (and its
    children): SIGTERM, then SIGKILL after `grace` seconds (grace=0: SIGKILL
    straight away).  Safe to call repeatedly."""
    if proc is None:
        return
    if proc.poll() is None:
        steps = [(signal.SIGKILL, 5.0)]
        if grace > 0:
            steps.insert(0, (signal.SIGTERM, grace))
        for sig, wait in steps:
            try:
                os.killpg(proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                try:
                    proc.send_signal(sig)
                except ProcessLookupError:
                    pass
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
    else:
        # The leader is gone; make sure no stray children survive.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def describe_status(rc):
    if rc is None:
        return 'still running'
    if rc < 0:
        try:
            return 'killed by signal %s' % signal.Signals(-rc).name
        except ValueError:
            return 'killed by signal %d' % -rc
    return 'exit status %d' % rc


# --------------------------------------------------------------------------
# Host tests
# --------------------------------------------------------------------------

def host_args_for(binary, host_args):
    out = []
    keys = {binary, os.path.basename(binary), os.path.normpath(binary),
            os.path.realpath(binary)}
    for key, arg in host_args:
        if key in keys or os.path.realpath(key) == os.path.realpath(binary):
            out.append(arg)
    return out


def run_host(binary, extra, report):
    base = os.path.basename(binary)
    path = binary
    if os.sep not in path and os.path.exists(path):
        path = os.path.join('.', path)      # don't search $PATH
    cmd = [path] + extra
    t0 = now()
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT,
                                start_new_session=True)
    except OSError as e:
        report.fail('host:%s' % base, 'cannot run %s: %s' % (binary, e))
        return
    timed_out = False
    try:
        try:
            data, _ = proc.communicate(timeout=HOST_TIMEOUT * timeout_scale())
        except subprocess.TimeoutExpired:
            timed_out = True
            killpg(proc, grace=1.0)
            data, _ = proc.communicate()
    finally:
        killpg(proc, grace=1.0)
    report.took('host:%s' % base, now() - t0, 'wall')
    text = (data or b'').decode('utf-8', 'replace').replace('\r', '')
    lines = text.split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    tail = lines[-HOST_TAIL:]
    rc = proc.returncode
    npass = nfail = 0
    failures = []
    for line in lines:
        if line.startswith('PASS '):
            name = line[5:].strip()
            if name:
                report.ok('host:%s' % name)
                npass += 1
        elif line.startswith('FAIL '):
            rest = line[5:].strip()
            name, sep, reason = rest.partition(': ')
            if not sep:
                name, _, reason = rest.partition(' ')
            name = name.rstrip(':') or base
            failures.append(('host:%s' % name, reason.strip() or 'failed'))
            nfail += 1
    for i, (name, reason) in enumerate(failures):
        # Show the binary's output once, with the last failure.
        last = i == len(failures) - 1 and not timed_out and rc == 0
        report.fail(name, reason,
                    tail if last else None,
                    '%s output (last %d lines)' % (base, len(tail)))
    if timed_out:
        report.fail('host:%s' % base,
                    'timeout after %g s' % (HOST_TIMEOUT * timeout_scale()),
                    tail,
                    '%s output (last %d lines)' % (base, len(tail)))
    elif rc != 0 and nfail == 0:
        report.fail('host:%s' % base, describe_status(rc), tail,
                    '%s output (last %d lines)' % (base, len(tail)))
    elif rc != 0:
        report.out('    (%s also ended with %s)' % (base, describe_status(rc)))
        for line in tail:
            report.out('    | ' + line)
    elif npass == 0 and nfail == 0:
        report.fail('host:%s' % base, 'no PASS/FAIL lines printed', tail,
                    '%s output (last %d lines)' % (base, len(tail)))


# --------------------------------------------------------------------------
# QEMU session
# --------------------------------------------------------------------------

class Qemu:
    """One QEMU process; console is read line by line, with time limits."""

    def __init__(self, cmd, log, echo):
        self.cmd = cmd
        self.log = log
        self.echo = echo
        self.buf = b''
        self.eof = False
        self.lines = []         # every console line of this boot
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.fd = self.proc.stdout.fileno()
        os.set_blocking(self.fd, False)

    def _emit(self, raw):
        line = raw.decode('utf-8', 'replace').replace('\r', '')
        self.lines.append(line)
        if self.log:
            self.log.write(line + '\n')
        if self.echo:
            sys.stdout.write('  guest| ' + line + '\n')
        return line

    def read(self, timeout):
        """Wait at most `timeout` seconds for output; return the complete
        lines received (possibly none).  Sets self.eof at end of stream."""
        if self.eof:
            return []
        try:
            ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        except InterruptedError:
            return []
        if not ready:
            return []
        out = []
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            except OSError:
                data = b''
            if not data:
                self.eof = True
                if self.buf:
                    out.append(self._emit(self.buf))
                    self.buf = b''
                break
            self.buf += data
            if len(data) < 65536:
                break
        *complete, self.buf = self.buf.split(b'\n')
        if len(self.buf) > MAX_LINE:
            complete.append(self.buf)
            self.buf = b''
        out.extend(self._emit(raw) for raw in complete)
        if self.log:
            self.log.flush()
        if self.echo:
            sys.stdout.flush()
        return out

    def flush_partial(self):
        if self.buf:
            self._emit(self.buf)
            self.buf = b''

    def wait_exit(self, timeout):
        """Drain output until QEMU exits or `timeout` expires."""
        end = now() + timeout
        while now() < end:
            if self.eof:
                try:
                    self.proc.wait(timeout=max(0.0, end - now()))
                except subprocess.TimeoutExpired:
                    pass
                break
            self.read(min(0.2, end - now()))
        return self.proc.poll()

    def cpu(self):
        """CPU seconds QEMU has used; the last value read once it is gone."""
        if self.proc.poll() is None:
            c = cpu_seconds(self.proc.pid)
            if c is not None:
                self.cpu_last = max(getattr(self, 'cpu_last', 0.0), c)
        return getattr(self, 'cpu_last', 0.0)

    def kill(self):
        self.cpu()
        # QEMU holds no state worth a clean shutdown; SIGKILL also avoids
        # its "terminating on signal" chatter in the console tail.
        killpg(self.proc, grace=0)
        # Pick up whatever was still buffered in the pipe.
        try:
            while not self.eof:
                self.read(0.0)
                if not self.eof:
                    # select said nothing is ready: nothing left.
                    ready, _, _ = select.select([self.fd], [], [], 0)
                    if not ready:
                        break
        except (OSError, ValueError):
            pass
        self.flush_partial()
        try:
            self.proc.stdout.close()
        except OSError:
            pass
        if self.log:
            self.log.flush()
        return self.proc.returncode


class IdleWatch:
    """Whether a QEMU has been (nearly) idle for the last `window` wall
    seconds: it used less than `share` of one CPU in that time."""

    def __init__(self, cpu, window, share):
        self.cpu = cpu
        self.window = window
        self.share = share
        self.samples = [(now(), cpu())]

    def idle(self):
        t, c = now(), self.cpu()
        if t - self.samples[-1][0] >= 1.0:
            self.samples.append((t, c))
        while len(self.samples) > 2 and t - self.samples[1][0] >= self.window:
            self.samples.pop(0)
        t0, c0 = self.samples[0]
        return t - t0 >= self.window and c - c0 < self.share * (t - t0)

    def describe(self):
        t0, c0 = self.samples[0]
        return 'guest idle: QEMU used %.1f s of CPU in the last %.0f s' % (
            self.cpu() - c0, now() - t0)


class Limit:
    """A time limit: `seconds` of guest time (the clock function: QEMU CPU
    seconds) or `seconds * wall_factor` wall-clock seconds, whichever comes
    first, counted from the moment the Limit is made."""

    def __init__(self, seconds, clock, wall_factor):
        self.seconds = seconds
        self.clock = clock
        self.wall = seconds * wall_factor
        self.start = clock()
        self.wall_start = now()

    def expired(self):
        return (self.clock() - self.start >= self.seconds or
                now() - self.wall_start >= self.wall)

    def wall_left(self):
        return self.wall - (now() - self.wall_start)

    def cpu_used(self):
        return self.clock() - self.start

    def wall_used(self):
        return now() - self.wall_start

    def used(self):
        return 'guest CPU %.1f s, wall %.1f s' % (
            self.cpu_used(), self.wall_used())

    def describe(self):
        return '%g s (guest CPU %.0f s, wall %.0f s)' % (
            self.seconds, self.clock() - self.start, now() - self.wall_start)


# --------------------------------------------------------------------------
# Guest runner
# --------------------------------------------------------------------------

class Guest:
    def __init__(self, args, report):
        self.args = args
        self.report = report
        self.log = None
        self.console = []       # all lines from all boots
        self.qemu = None
        self.panic_re = re.compile(args.panic_regex)
        self.cpu_done = 0.0     # CPU seconds of the QEMUs that have ended
        self.disk_dir = None
        # Without /proc there is no CPU clock: the limits count wall time.
        self.have_cpu = cpu_seconds(os.getpid()) is not None

    def clock(self):
        """Guest time: CPU seconds of every QEMU of this run so far."""
        if not self.have_cpu:
            return now()
        return self.cpu_done + (self.qemu.cpu() if self.qemu else 0.0)

    def limit(self, seconds):
        return Limit(seconds * timeout_scale(), self.clock,
                     self.args.wall_factor)

    def fresh_disks(self):
        """Copy every --disk image for the next boot; returns the QEMU
        arguments that attach the copies (in the order given)."""
        if not self.args.disk:
            return []
        if self.disk_dir is None:
            self.disk_dir = tempfile.mkdtemp(prefix='runtests-disks-')
        out = ['-global', 'virtio-mmio.force-legacy=false']
        for i, img in enumerate(self.args.disk):
            copy = os.path.join(self.disk_dir, '%d-%s' % (i, os.path.basename(img)))
            shutil.copyfile(img, copy)
            out += ['-drive', 'file=%s,if=none,format=raw,cache=unsafe,id=rtdisk%d' % (copy, i),
                    '-device', 'virtio-blk-device,drive=rtdisk%d' % i]
        return out

    # -- helpers ---------------------------------------------------------

    def open_log(self):
        if self.args.log:
            d = os.path.dirname(os.path.abspath(self.args.log))
            os.makedirs(d, exist_ok=True)
            self.log = open(self.args.log, 'w', encoding='utf-8',
                            errors='replace')

    def close(self):
        if self.qemu is not None:
            self.stop()
        if self.disk_dir is not None:
            shutil.rmtree(self.disk_dir, ignore_errors=True)
            self.disk_dir = None
        if self.log:
            self.log.close()
            self.log = None

    def command(self, teststart=None, bench=False):
        a = self.args
        cmd = shlex.split(a.qemu) + ['-machine', 'virt', '-m', a.mem,
                                     '-display', 'none',
                                     '-serial', 'stdio',
                                     '-monitor', 'none']
        if a.bios:
            cmd += ['-bios', a.bios]
        cmd += ['-kernel', a.kernel]
        extra = list(a.extra_qemu_arg or [])
        # Merge any -append given through --extra-qemu-arg with ours.
        bootargs = [a.append] if a.append else []
        rest = []
        i = 0
        while i < len(extra):
            if extra[i] == '-append' and i + 1 < len(extra):
                bootargs.append(extra[i + 1])
                i += 2
                continue
            rest.append(extra[i])
            i += 1
        if bench and '-icount' not in rest:
            rest += ['-icount', 'shift=0']
        cmd += rest + self.fresh_disks()
        if teststart is not None:
            bootargs.append('teststart=%d' % teststart)
        if bootargs:
            cmd += ['-append', ' '.join(bootargs)]
        return cmd

    def start(self, cmd, title):
        if self.log:
            self.log.write('##### runtests: %s: %s\n'
                           % (title, ' '.join(shlex.quote(c) for c in cmd)))
            self.log.flush()
        self.qemu = Qemu(cmd, self.log, self.args.verbose)
        return self.qemu

    def stop(self):
        q = self.qemu
        rc = None
        if q is not None:
            rc = q.kill()
            self.cpu_done += q.cpu()
            self.console.extend(q.lines)
            self.qemu = None
        return rc

    def is_panic(self, line):
        return not line.lstrip().startswith('@@') and \
            self.panic_re.search(line) is not None

    # -- test protocol ---------------------------------------------------

    def run_tests(self):
        phase = self.limit(self.args.boot_timeout)
        teststart = None
        for boot in range(1, MAX_BOOTS + 1):
            title = 'boot %d' % boot
            if teststart is not None:
                title += ' (teststart=%d)' % teststart
            nxt = self.boot_once(self.command(teststart), title, phase,
                                 teststart)
            if nxt is None:
                return
            if teststart is not None and nxt <= teststart:
                self.report.fail('guest:guest.teststart',
                                 'guest did not honour teststart=%d '
                                 '(would restart at %d)' % (teststart, nxt))
                return
            teststart = nxt
        self.report.fail('guest:guest.reboots',
                         'too many reboots (%d)' % MAX_BOOTS)

    def boot_once(self, cmd, title, phase, teststart):
        """Boot QEMU once.  Returns the index to reboot at, or None to stop."""
        rep = self.report
        tt = self.args.test_timeout
        try:
            q = self.start(cmd, title)
        except OSError as e:
            rep.fail('guest:guest.boot', 'cannot start %s: %s' % (cmd[0], e))
            return None

        current = None          # [index, name, Limit, first_line_no]
        last = None             # (index, name) of the last finished test
        between = None          # Limit on the time from one test to the next
        watch = IdleWatch(q.cpu, self.args.idle_window, self.args.idle_share) \
            if self.have_cpu and self.args.idle_window > 0 else None
        panic_at = None
        panic_line = None
        started_any = False

        def test_tail(cur, end=None):
            # console lines from the test's START up to `end` (exclusive)
            return q.lines[cur[3]:end][-GUEST_TAIL:]

        def result(index, name, ok, reason=None, tail=None, title=None):
            full = 'guest:%s' % name
            if current is not None and current[1] == name:
                if self.log:
                    self.log.write('##### runtests: %s took %s\n'
                                   % (name, current[2].used()))
                rep.took('guest:%s' % name, current[2].cpu_used(),
                         'QEMU CPU; wall %.1f s' % current[2].wall_used())
            if full in rep.seen:
                rep.out('NOTE duplicate result for %s ignored' % full)
                return
            if ok:
                rep.ok(full)
            else:
                rep.fail(full, reason, tail, title)

        while True:
            waits = [1.0, phase.wall_left()]
            if panic_at is not None:
                waits.append(panic_at + PANIC_GRACE - now())
            elif current is not None:
                waits.append(current[2].wall_left())
            elif between is not None:
                waits.append(between.wall_left())

            # ---- something expired? -------------------------------------
            if panic_at is not None and now() >= panic_at + PANIC_GRACE:
                return self.died(q, current, last, started_any,
                                 panic_line, test_tail)
            if phase.expired():
                what = 'guest phase exceeded --boot-timeout %s' \
                    % phase.describe()
                self.stop()
                if current is not None:
                    result(current[0], current[1], False,
                           'timeout: ' + what, test_tail(current),
                           'guest console since test start')
                else:
                    rep.fail('guest:guest.boot' if not started_any
                             else 'guest:guest.timeout', what,
                             q.lines[-GUEST_TAIL:],
                             'guest console (last lines)')
                return None
            idle = panic_at is None and watch is not None and \
                (current is not None or between is not None) and watch.idle()
            if panic_at is None and current is not None and \
                    (idle or current[2].expired()):
                what = ('hung (%s)' % watch.describe()) if idle else \
                    'timeout after %s' % current[2].describe()
                self.stop()
                result(current[0], current[1], False,
                       what, test_tail(current),
                       'guest console since test start')
                return current[0] + 1
            if panic_at is None and current is None and \
                    between is not None and (idle or between.expired()):
                what = watch.describe() if idle else between.describe()
                self.stop()
                rep.fail('guest:guest.hang',
                         'no test started within %s after %s'
                         % (what, last[1]), q.lines[-GUEST_TAIL:],
                         'guest console (last lines)')
                return last[0] + 1

            lines = q.read(max(0.0, min(waits)))
            base = len(q.lines) - len(lines)
            for pos, line in enumerate(lines, base):
                m = TEST_RE.search(line)
                if m:
                    kind, index, name, reason = m.groups()
                    index = int(index)
                    if kind == 'START':
                        if teststart is not None and index < teststart:
                            self.stop()
                            rep.fail('guest:guest.teststart',
                                     'guest started test %d %s despite '
                                     'teststart=%d' % (index, name,
                                                       teststart))
                            return None
                        if current is not None:
                            result(current[0], current[1], False,
                                   'no result before next test started',
                                   test_tail(current, pos),
                                   'guest console since test start')
                        current = [index, name, self.limit(tt), pos]
                        started_any = True
                    else:
                        cur = current if (current is not None and
                                          current[1] == name) else None
                        tail = test_tail(cur, pos + 1) if cur else \
                            q.lines[:pos + 1][-GUEST_TAIL:]
                        if kind == 'PASS':
                            result(index, name, True)
                        else:
                            result(index, name, False, reason or 'failed',
                                   tail, 'guest console since test start')
                            if self.args.reboot_on_fail:
                                # Whatever it left behind goes with this
                                # boot: the next starts from fresh disks.
                                self.stop()
                                return index + 1
                        current = None
                        last = (index, name)
                        between = self.limit(tt)
                    continue
                m = INIT_END_RE.search(line)
                if m:
                    return self.init_ended(q, current, m, test_tail)
                if DONE_RE.search(line):
                    if current is not None:
                        result(current[0], current[1], False,
                               'no result before TESTS DONE',
                               test_tail(current, pos),
                               'guest console since test start')
                    rc = q.wait_exit(self.args.exit_wait)
                    if rc is None:
                        rep.out('NOTE QEMU did not exit within %g s after '
                                'TESTS DONE; killed' % self.args.exit_wait)
                    self.stop()
                    return None
                if panic_at is None and self.is_panic(line):
                    panic_at = now()
                    panic_line = line.strip()
                    rep.fail('guest:guest.panic', panic_line)

            if q.eof:
                return self.died(q, current, last, started_any, panic_line,
                                 test_tail)

    def init_ended(self, q, current, m, test_tail):
        """The pager said the first program ended (killed, or exited before
        TESTS DONE): nothing more will run in this guest; stop now."""
        rep = self.report
        self.stop()
        why = 'the first program (%s) ended: %s' % (m.group(1), m.group(2))
        if current is not None:
            rep.fail('guest:%s' % current[1], why, test_tail(current),
                     'guest console since test start')
        rep.fail('guest:guest.init', why + '; stopping',
                 q.lines[-GUEST_TAIL:], 'guest console (last lines)')
        return None

    def died(self, q, current, last, started_any, panic_line, test_tail):
        """QEMU exited (or panicked) before TESTS DONE."""
        rep = self.report
        running = q.proc.poll() is None
        rc = self.stop()
        if panic_line is not None:
            why = 'kernel panic: %s' % panic_line
        elif running:
            why = 'guest died'
        else:
            why = 'guest died (QEMU %s)' % describe_status(rc)
        tail = q.lines[-GUEST_TAIL:]
        title = 'guest console (last %d lines)' % len(tail)
        if current is not None:
            full = 'guest:%s' % current[1]
            if full not in rep.seen:
                rep.fail(full, why, tail, title)
            return current[0] + 1
        if panic_line is not None:
            rep.out('    --- %s ---' % title)
            for line in tail:
                rep.out('    | ' + line)
            return last[0] + 1 if last is not None else None
        if last is not None:
            rep.fail('guest:guest.died', '%s after test %s' % (why, last[1]),
                     tail, title)
            return last[0] + 1
        if started_any:
            return None
        rep.fail('guest:guest.boot', '%s before any test started' % why,
                 tail, title)
        return None

    def check_console(self):
        text = '\n'.join(self.console)
        for n, rx in enumerate(self.args.expect_console or [], 1):
            name = 'guest:console.%d' % n
            try:
                found = re.search(rx, text, re.MULTILINE) is not None
            except re.error as e:
                self.report.fail(name, 'bad regex %r: %s' % (rx, e))
                continue
            if found:
                self.report.ok(name)
            else:
                self.report.fail(name, 'regex %r not found in guest output'
                                 % rx)

    # -- bench -----------------------------------------------------------

    def run_bench(self):
        rep = self.report
        results = {}
        done = False
        phase = self.limit(self.args.boot_timeout)
        cmd = self.command(None, bench=True)
        try:
            q = self.start(cmd, 'bench')
        except OSError as e:
            rep.out('ERROR cannot start %s: %s' % (cmd[0], e))
            return 1
        panic_line = None
        init_end = None
        while not done and not q.eof and not init_end and \
                not phase.expired():
            for line in q.read(max(0.0, min(1.0, phase.wall_left()))):
                m = BENCH_RE.search(line)
                if m:
                    name, value = m.groups()
                    if name == 'DONE':
                        done = True
                        break
                    if value is None:
                        continue
                    try:
                        v = int(value, 0)
                    except ValueError:
                        try:
                            v = float(value)
                        except ValueError:
                            v = value
                    results[name] = v
                    rep.out('%s: %s instructions' % (name, value))
                elif INIT_END_RE.search(line):
                    init_end = line.strip()
                    rep.out('ERROR the first program ended: %s; stopping'
                            % init_end)
                    break
                elif panic_line is None and self.is_panic(line):
                    panic_line = line.strip()
                    rep.out('PANIC %s' % panic_line)
        if done:
            q.wait_exit(self.args.exit_wait)
        timed_out = not done and not q.eof
        self.stop()
        if not done:
            rep.out('WARNING bench ended without @@BENCH DONE (%s)'
                    % ('the first program ended' if init_end else
                       'timeout' if timed_out else 'QEMU exited'))
            for line in q.lines[-GUEST_TAIL:]:
                rep.out('    | ' + line)
        if self.args.bench_json:
            d = os.path.dirname(os.path.abspath(self.args.bench_json))
            os.makedirs(d, exist_ok=True)
            with open(self.args.bench_json, 'w') as f:
                json.dump(dict(results, smp=harts(cmd)), f, indent=2, sort_keys=True)
                f.write('\n')
        rep.out('%d benchmarks, smp %s (harts)' % (len(results), harts(cmd)))
        return 0 if results and not init_end else 1


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def normalise_argv(argv):
    """Allow `--extra-qemu-arg -smp` (value starting with '-') by rewriting
    to the `--opt=value` form argparse accepts."""
    out = []
    i = 0
    takes_dash = ('--extra-qemu-arg', '--host-arg', '--append')
    while i < len(argv):
        a = argv[i]
        if a in takes_dash and i + 1 < len(argv):
            out.append('%s=%s' % (a, argv[i + 1]))
            i += 2
            continue
        out.append(a)
        i += 1
    return out


def parse_args(argv):
    p = argparse.ArgumentParser(
        description='Run host unit tests and the in-guest test suite.')
    p.add_argument('--host', action='extend', nargs='*', default=[],
                   metavar='BIN', help='host test binaries')
    p.add_argument('--host-arg', action='append', default=[],
                   metavar='BIN=ARG',
                   help='extra argument for host binary BIN (repeatable)')
    p.add_argument('--kernel', metavar='ELF', help='kernel to boot')
    p.add_argument('--bios', metavar='FW', help='firmware (e.g. OpenSBI)')
    p.add_argument('--mem', default='128M')
    p.add_argument('--qemu', default='qemu-system-riscv64',
                   help='QEMU command (split like a shell would)')
    p.add_argument('--extra-qemu-arg', action='append', default=[],
                   metavar='ARG', help='extra QEMU argument (repeatable)')
    p.add_argument('--append', default='', metavar='BOOTARGS',
                   help='base kernel command line')
    p.add_argument('--test-timeout', type=float, default=60.0, metavar='SEC',
                   help='limit per test, in QEMU CPU seconds')
    p.add_argument('--boot-timeout', type=float, default=900.0,
                   metavar='SEC', help='bound on the whole guest phase, '
                   'in QEMU CPU seconds')
    p.add_argument('--wall-factor', type=float, default=4.0, metavar='F',
                   help='a limit of SEC also expires after F*SEC wall-clock '
                   'seconds (a guest hung while idle uses no CPU)')
    p.add_argument('--idle-window', type=float, default=120.0, metavar='SEC',
                   help='a test whose QEMU used less than --idle-share of a '
                   'CPU for SEC wall-clock seconds is hung (0: off)')
    p.add_argument('--idle-share', type=float, default=0.05, metavar='X')
    p.add_argument('--disk', action='append', default=[], metavar='IMG',
                   help='attach a fresh copy of IMG to every boot '
                   '(repeatable; the last one gets the lowest slot)')
    p.add_argument('--reboot-on-fail', action='store_true',
                   help='after a failed test, reboot (fresh disks) at the '
                   'next test')
    p.add_argument('--exit-wait', type=float, default=10.0, metavar='SEC',
                   help='how long QEMU may take to exit after TESTS DONE')
    p.add_argument('--log', metavar='PATH', help='guest console log')
    p.add_argument('--expect-console', action='extend', nargs='+',
                   default=[], metavar='REGEX')
    p.add_argument('--panic-regex', default=r'(?i)\bpanic\b',
                   help='console lines matching this are kernel panics')
    p.add_argument('--bench', action='store_true',
                   help='benchmark mode (icount), no tests')
    p.add_argument('--bench-json', metavar='PATH')
    p.add_argument('-v', '--verbose', action='store_true',
                   help='echo the guest console')
    args = p.parse_args(normalise_argv(argv))
    for item in args.host_arg:
        if '=' not in item:
            p.error('--host-arg expects BIN=ARG, got %r' % item)
    args.host_args = [tuple(item.split('=', 1)) for item in args.host_arg]
    if args.bench and not args.kernel:
        p.error('--bench needs --kernel')
    return args


def _interrupt(signum, frame):
    raise KeyboardInterrupt('signal %d' % signum)


def main(argv):
    args = parse_args(argv)
    # Make SIGTERM/SIGHUP (e.g. SCons being stopped) go through the same
    # cleanup path as Ctrl-C, so no QEMU is left behind.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    report = Report()

    if args.bench:
        guest = Guest(args, report)
        try:
            guest.open_log()
            return guest.run_bench()
        except KeyboardInterrupt:
            report.out('interrupted')
            return 130
        finally:
            guest.close()

    guest = None
    try:
        for binary in args.host:
            run_host(binary, host_args_for(binary, args.host_args), report)
        if args.kernel:
            guest = Guest(args, report)
            guest.open_log()
            guest.run_tests()
            guest.stop()
            guest.check_console()
        elif args.expect_console:
            report.fail('guest:guest.console',
                        '--expect-console given without --kernel')
    except KeyboardInterrupt:
        if guest is not None:
            guest.close()
        report.out('interrupted')
        report.summary()
        return 130
    finally:
        if guest is not None:
            guest.close()
    report.summary()
    return report.exit_code()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
