# Lua 5.4.8, the interpreter `lua`, and its own test suite (testes/) on the disk.
ARCHIVE = 'lua-5.4.8.tar.gz'
SHA256 = '76cf2f8fadebd53201700c3e2baa8c3a50351ff6e6c008b2b6202974399cdc31'
# The archive is `git archive --prefix=lua-5.4.8/ v5.4.8` of the lua/lua repository
# (../shared/ports-cache/README.md); GitHub's own archive of the tag holds the same
# files, but its gzip bytes may differ, in which case the SHA-256 check refuses it.
URL = 'https://github.com/lua/lua/archive/refs/tags/v5.4.8.tar.gz'
DIR = 'lua-5.4.8'
PROGRAM = 'lua'
SOURCES = ['lapi.c', 'lcode.c', 'lctype.c', 'ldebug.c', 'ldo.c', 'ldump.c', 'lfunc.c', 'lgc.c',
           'llex.c', 'lmem.c', 'lobject.c', 'lopcodes.c', 'lparser.c', 'lstate.c', 'lstring.c',
           'ltable.c', 'ltm.c', 'lundump.c', 'lvm.c', 'lzio.c', 'lauxlib.c', 'lbaselib.c',
           'lcorolib.c', 'ldblib.c', 'liolib.c', 'lmathlib.c', 'loadlib.c', 'loslib.c',
           'lstrlib.c', 'ltablib.c', 'lutf8lib.c', 'linit.c', 'lua.c']
# ISO C only (no LUA_USE_POSIX: no popen or dlopen here). strtod's hex floats are
# fixed in the C library's layer (libc/wrap.c), so Lua's default conversion is used.
CFLAGS = ['-std=gnu99', '-O2']
# Onto the disk: the test suite, as /lua/testes.
DATA = {'testes': 'lua/testes'}
