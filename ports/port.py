"""The ports' common part: find an upstream source archive, check it, unpack it.

A recipe (ports/<name>/recipe.py) says which archive (name, SHA-256, upstream
address), which of its files to compile into which program, with which flags,
and which of its files to put onto the disk image. ports/SConscript builds it
with the user programs' toolchain and C library; nothing in the sources is
changed.

Archives come from PORTS_CACHE (default: ../shared/ports-cache if it exists,
beside this tree or beside the one it was cloned from, then build/ports/cache),
or are downloaded from the upstream address into build/ports/cache. Either way
the SHA-256 must match the recipe's.
"""
import hashlib
import os
import shutil
import subprocess
import tarfile
import urllib.request


def origin_dir(top):
    """The directory of the repository this one was cloned from, when that is a
    local path (a clean clone of a working tree), else None."""
    try:
        url = subprocess.run(['git', '-C', top, 'config', '--get', 'remote.origin.url'],
                             capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if url.startswith('file://'):
        url = url[len('file://'):]
    return os.path.abspath(os.path.join(top, url)) if url and '://' not in url and ':' not in url.split('/')[0] else None


def cache_dirs(top, env_value):
    """The directories searched for archives, in order: PORTS_CACHE alone when
    set; else ../shared/ports-cache beside this tree, or beside the tree it was
    cloned from (a clean clone elsewhere), if there is one; then build/ports/cache."""
    if env_value:
        return [env_value]
    dirs = []
    for base in [top, origin_dir(top)]:
        if base:
            shared = os.path.normpath(os.path.join(base, '..', 'shared', 'ports-cache'))
            if os.path.isdir(shared) and shared not in dirs:
                dirs.append(shared)
    dirs.append(os.path.join(top, 'build', 'ports', 'cache'))
    return dirs


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def fetch(recipe, dirs, download_dir):
    """The path of the recipe's archive, checked; downloads it if no cache has it.
    Raises RuntimeError with a message for the user on any failure."""
    name = recipe['ARCHIVE']
    for d in dirs:
        path = os.path.join(d, name)
        if os.path.exists(path):
            break
    else:
        os.makedirs(download_dir, exist_ok=True)
        path = os.path.join(download_dir, name)
        print('ports: %s is in no cache (%s); downloading %s' % (name, ', '.join(dirs), recipe['URL']))
        try:
            with urllib.request.urlopen(recipe['URL'], timeout=60) as r, open(path + '.part', 'wb') as f:
                shutil.copyfileobj(r, f)
        except OSError as e:
            raise RuntimeError('ports: cannot download %s: %s (put the archive into %s)' % (recipe['URL'], e, dirs[0]))
        os.replace(path + '.part', path)
    got = sha256(path)
    if got != recipe['SHA256']:
        raise RuntimeError('ports: %s has SHA-256 %s, the recipe wants %s: refusing it' % (path, got, recipe['SHA256']))
    return path


def unpack(archive, dest, top_dir):
    """Unpack archive under dest (its members all under top_dir/), replacing an
    earlier unpacking. Refuses members that would land outside."""
    out = os.path.join(dest, top_dir)
    if os.path.exists(out):
        shutil.rmtree(out)
    with tarfile.open(archive) as t:
        for m in t.getmembers():
            p = os.path.normpath(m.name)
            if p != top_dir and not p.startswith(top_dir + os.sep):
                raise RuntimeError('ports: %s: member %s is outside %s/' % (archive, m.name, top_dir))
            if m.issym() or m.islnk() or m.isdev():
                continue
            t.extract(m, dest)
    return out
