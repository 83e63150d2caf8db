# SQLite 3.52.0: the amalgamation and its shell, as `sqlite3`.
ARCHIVE = 'sqlite-autoconf-3520000.tar.gz'
SHA256 = 'f6b50b0c103392af32a8be15b2b9d25959de9a00a70c3979128aafeaa5338b3f'
# sqlite.org's autoconf archive of 3.52.0 (the cache's copy came bundled in the
# npm package sqlite3 6.0.1; the SHA-256 check refuses a download that differs).
URL = 'https://www.sqlite.org/2026/sqlite-autoconf-3520000.tar.gz'
DIR = 'sqlite-autoconf-3520000'
PROGRAM = 'sqlite3'
SOURCES = ['sqlite3.c', 'shell.c']
# One thread; no loadable extensions (no dlopen). The unix VFS runs on the C
# library's POSIX calls; its record locks are granted without checking (libc/unix.c:
# fcntl), so one process at a time may open a database.
CFLAGS = ['-O2', '-DSQLITE_THREADSAFE=0', '-DSQLITE_OMIT_LOAD_EXTENSION']
