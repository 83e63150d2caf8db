"""The stages of `scons test` (tests/SConscript): each stage is one command
(a run of tools/runtests.py, say), independent of the others. run_all()
runs them `jobs` at a time (two by default: one QEMU each on the 2-core
machine), starting them in the order given (the longest first, so that the
short ones fill in at the end). A stage's output goes to a file as it runs
and is printed in one block when the stage ends, so the output of stages
that ran at the same time does not interleave; the summary at the end says
how each stage went.

A stage passes when its command exits 0 and printed no line starting with
`FAIL `. A failed stage does not stop the others; an interrupted one (Ctrl-C,
SIGTERM) stops the start of more. Standard library only.
"""

import os
import signal
import subprocess
import sys
import threading
import time

START = time.monotonic()    # when SCons read the SConscripts
_lock = threading.Lock()
results = {}                # stage name -> dict (see run)


def _out(text):
    with _lock:
        sys.stdout.write(text)
        sys.stdout.flush()


def count(text):
    """The PASS and FAIL lines of a stage's output: (passes, fails, the
    FAIL lines)."""
    lines = text.splitlines()
    fails = [l for l in lines if l.startswith('FAIL ')]
    return sum(1 for l in lines if l.startswith('PASS ')), len(fails), fails


def run(name, what, cmd, out_path, logs=()):
    """Run the shell command cmd as stage `name` (what: one line saying what
    it tests), its output (stdout and stderr) in out_path; print that output
    in one block when it ends, between a header and a result line, and note
    the result in results[name]. logs: further files worth reading (the
    guest console). Returns the command's exit status."""
    t0 = time.monotonic()
    d = os.path.dirname(out_path)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(out_path, 'w+b') as f:
        try:
            rc = subprocess.call(cmd, shell=True, stdin=subprocess.DEVNULL, stdout=f,
                                 stderr=subprocess.STDOUT)
        except OSError as e:
            f.write(('FAIL stage.%s: cannot run: %s\n' % (name, e)).encode())
            rc = 127
        f.seek(0)
        text = f.read().decode('utf-8', 'replace')
    secs = time.monotonic() - t0
    npass, nfail, fails = count(text)
    ok = rc == 0 and nfail == 0
    results[name] = dict(ok=ok, rc=rc, passed=npass, failed=nfail, fails=fails, seconds=secs,
                         start=t0 - START, out=out_path, logs=list(logs))
    see = ', '.join([out_path] + list(logs))
    _out('==== stage %s: %s ====\n%s%s==== stage %s: %s (%d passed, %d failed%s) in %.0f s; output in %s ====\n'
         % (name, what, text, '' if text.endswith('\n') or not text else '\n', name,
            'passed' if ok else 'FAILED', npass, nfail,
            '' if rc == 0 else ', exit status %d' % rc, secs, see))
    return rc


INTERRUPTED = (130, -signal.SIGINT, -signal.SIGTERM, 128 + signal.SIGTERM)


def run_all(title, stages, jobs):
    """Run stages, a list of (name, what, cmd, out_path, logs) as run()
    takes them, `jobs` at a time in the order given, then print the summary.
    Returns summary()'s value."""
    todo = list(stages)
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                st = todo.pop(0)
            _out('stage %s: %s (started; output in %s)\n' % (st[0], st[1], st[3]))
            if run(*st) in INTERRUPTED:
                with lock:
                    del todo[:]

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, min(jobs, len(stages))))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return summary(title, [st[0] for st in stages])


def summary(title, names):
    """Print one line per stage of names (in that order) and a last line
    saying whether all of them passed. Returns 0 when they did, else 1."""
    lines = ['==== %s: %d stages ====' % (title, len(names))]
    bad, tests = [], 0
    for n in names:
        r = results.get(n)
        if r is None:
            bad.append(n)
            lines.append('  %-14s NOT RUN' % n)
            continue
        tests += r['passed'] + r['failed']
        if not r['ok']:
            bad.append(n)
        lines.append('  %-14s %-6s %4d passed, %d failed  %4.0f s (from %4.0f s)  %s' % (
            n, 'passed' if r['ok'] else 'FAILED', r['passed'], r['failed'], r['seconds'], r['start'],
            r['out']))
        for l in r['fails'][:5]:
            lines.append('      ' + l[:200])
        if len(r['fails']) > 5:
            lines.append('      ... %d more FAIL lines in %s' % (len(r['fails']) - 5, r['out']))
    took = time.monotonic() - START
    if bad:
        lines.append('%s: FAILED (%s); %d results in %.0f s' % (title, ', '.join(bad), tests, took))
    else:
        lines.append('%s: all %d stages passed, %d results in %.0f s' % (title, len(names), tests, took))
    _out('\n'.join(lines) + '\n')
    return 1 if bad else 0
