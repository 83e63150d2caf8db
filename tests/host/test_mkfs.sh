#!/bin/bash
# Host tests of tools/mkfs (mkfs and fsck) on real image files.
#
#   test_mkfs.sh MKFS FSCK [FILE ...]
#
# MKFS and FSCK are the built binaries; the FILEs (e.g. user program ELFs)
# go into one of the images. Prints one line per case, "PASS mkfs.<case>"
# or "FAIL mkfs.<case>: reason", and exits 0 iff every case passed.
#
# fsck exit codes: 0 clean, 1 problems found, 2 not an image. A crash
# (signal, sanitizer report) counts as a failure of the case.

set -u

if [ $# -lt 2 ]; then
    echo "usage: $0 MKFS FSCK [FILE ...]" >&2
    exit 2
fi
MKFS=$1
FSCK=$2
shift 2
INPUTS=("$@")

# Sanitizer reports get their own exit codes so they never look like 1 or 2.
export ASAN_OPTIONS="exitcode=90:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="exitcode=91:halt_on_error=1:${UBSAN_OPTIONS:-}"

T=$(mktemp -d "${TMPDIR:-/tmp}/test_mkfs.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

FAILED=0
BS=4096

# ---- helpers ----------------------------------------------------------------

pass() { echo "PASS mkfs.$1"; }

# fail CASE REASON: report a failed case (reason kept on one line).
fail() {
    echo "FAIL mkfs.$1: $(echo "$2" | tr '\n' ' ' | cut -c1-400)"
    FAILED=1
}

# run_fsck IMAGE [ARGS]: sets RC and OUT; RC 99 means a crash.
run_fsck() {
    OUT=$("$FSCK" "$@" 2>&1)
    RC=$?
    if [ $RC -gt 2 ] || grep -qE 'Sanitizer|runtime error' <<<"$OUT"; then
        RC=99
    fi
}

# mkfs_ok CASE IMAGE ARGS...: build an image; returns 1 (after failing the
# case) if mkfs fails.
mkfs_ok() {
    local c=$1
    shift
    local out
    if ! out=$("$MKFS" "$@" 2>&1); then
        fail "$c" "mkfs $* failed: $out"
        return 1
    fi
}

# clean CASE IMAGE: returns 1 (after failing the case) unless fsck is clean.
clean() {
    run_fsck "$2"
    if [ $RC -ne 0 ] || ! grep -q '^fsck: clean$' <<<"$OUT"; then
        fail "$1" "fsck $2 exit $RC: $OUT"
        return 1
    fi
}

# same CASE IMAGE PATH HOSTFILE: returns 1 unless the file in the image
# equals the host file.
same() {
    if ! "$FSCK" "$2" --cat "$3" >"$T/cat.out" 2>"$T/cat.err" ||
       ! cmp -s "$T/cat.out" "$4"; then
        fail "$1" "$3 in $2 differs from $4: $(cat "$T/cat.err")"
        return 1
    fi
}

# expect_bad CASE IMAGE CODES WHAT: fsck must exit with one of CODES (e.g.
# "1" or "1 2") without crashing. Returns 1 otherwise.
expect_bad() {
    run_fsck "$2"
    local c
    for c in $3; do
        [ "$RC" -eq "$c" ] && return 0
    done
    fail "$1" "$4: fsck exit $RC (want $3): $OUT"
    return 1
}

# u32 IMAGE OFFSET: print the little-endian uint32 at OFFSET.
u32() {
    od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '
}

# put8 IMAGE OFFSET VALUE: store one byte.
put8() {
    printf "\\$(printf '%03o' "$3")" |
        dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# put32 IMAGE OFFSET VALUE: store a little-endian uint32.
put32() {
    local i
    for i in 0 1 2 3; do
        put8 "$1" $(($2 + i)) $((($3 >> (8 * i)) & 255))
    done
}

# flip IMAGE OFFSET: invert all bits of one byte.
flip() {
    local v
    v=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    put8 "$1" "$2" $((v ^ 255))
}

# Superblock fields of IMAGE into SB_* variables.
read_super() {
    local sb=$BS
    SB_NBLOCKS=$(u32 "$1" $((sb + 12)))
    SB_LOG=$(u32 "$1" $((sb + 16)))
    SB_INODE=$(u32 "$1" $((sb + 24)))
    SB_BITMAP=$(u32 "$1" $((sb + 32)))
    SB_DATA=$(u32 "$1" $((sb + 40)))
}

# Byte offset of inode INUM in IMAGE (after read_super).
inode_off() {
    echo $((SB_INODE * BS + $1 * 128))
}

# ---- inputs -----------------------------------------------------------------

mkdir -p "$T/in" "$T/many" "$T/tree/sub/deep" "$T/tree/bin"
: >"$T/in/empty"
printf x >"$T/in/one"
head -c 4096 /dev/urandom >"$T/in/block"
head -c 4097 /dev/urandom >"$T/in/block_plus"
head -c 49152 /dev/urandom >"$T/in/twelve"         # exactly the direct blocks
head -c 49153 /dev/urandom >"$T/in/thirteen"       # first indirect block
head -c $((11 * 1024 * 1024 + 123)) /dev/urandom >"$T/big"
for i in $(seq 1 150); do
    echo "file $i" >"$T/many/f$i"
done
echo hello >"$T/tree/a.txt"
head -c 10000 /dev/urandom >"$T/tree/sub/deep/r"
echo old >"$T/tree/bin/tool"
touch "$T/$(printf 'n%.0s' $(seq 1 59))"           # longest name
touch "$T/$(printf 'L%.0s' $(seq 1 60))"           # one byte too long

# ---- images that must be clean -------------------------------------------------

case_small() {
    mkfs_ok small "$T/small.img" 1 || return
    clean small "$T/small.img" || return
    [ "$(stat -c %s "$T/small.img")" -eq 1048576 ] ||
        { fail small "image is not 1 MiB"; return; }
    local ls
    ls=$("$FSCK" "$T/small.img" --ls /)
    grep -q ' bin$' <<<"$ls" || { fail small "no /bin: $ls"; return; }
    pass small
}

case_files() {
    local files=("$T"/in/* "$T/$(printf 'n%.0s' $(seq 1 59))")
    mkfs_ok files "$T/files.img" 16 "${files[@]}" || return
    clean files "$T/files.img" || return
    local f
    for f in "${files[@]}"; do
        same files "$T/files.img" "/bin/$(basename "$f")" "$f" || return
    done
    # With SOURCE_DATE_EPOCH the image is reproducible.
    SOURCE_DATE_EPOCH=1000 "$MKFS" "$T/r1.img" 4 --dir "$T/tree" "${files[@]}" >/dev/null &&
        SOURCE_DATE_EPOCH=1000 "$MKFS" "$T/r2.img" 4 --dir "$T/tree" "${files[@]}" >/dev/null ||
        { fail files "mkfs with SOURCE_DATE_EPOCH failed"; return; }
    cmp -s "$T/r1.img" "$T/r2.img" || { fail files "images differ"; return; }
    pass files
}

# The FILEs given on the command line (user programs), if any.
case_inputs() {
    if [ ${#INPUTS[@]} -eq 0 ]; then
        pass inputs
        return
    fi
    mkfs_ok inputs "$T/inputs.img" 32 "${INPUTS[@]}" || return
    clean inputs "$T/inputs.img" || return
    local f
    for f in "${INPUTS[@]}"; do
        same inputs "$T/inputs.img" "/bin/$(basename "$f")" "$f" || return
    done
    pass inputs
}

# NAME=PATH stores PATH under NAME; two arguments naming the same file fail.
case_named() {
    local f="$T/tree/a.txt"
    mkfs_ok named "$T/named.img" 4 "prog=$f" || return
    clean named "$T/named.img" || return
    same named "$T/named.img" /bin/prog "$f" || return
    if "$MKFS" "$T/named2.img" 4 "x=$f" "x=$f" >/dev/null 2>&1; then
        fail named "a duplicate NAME was accepted"
        return
    fi
    pass named
}

case_many_files() {
    mkfs_ok many_files "$T/many.img" 8 "$T"/many/* || return
    clean many_files "$T/many.img" || return
    local n
    n=$("$FSCK" "$T/many.img" --ls /bin | grep -c ' file ')
    [ "$n" -eq 150 ] || { fail many_files "/bin lists $n files"; return; }
    same many_files "$T/many.img" /bin/f150 "$T/many/f150" || return
    same many_files "$T/many.img" /bin/f1 "$T/many/f1" || return
    pass many_files
}

case_big_file() {
    mkfs_ok big_file "$T/big.img" 16 "$T/big" || return
    clean big_file "$T/big.img" || return
    same big_file "$T/big.img" /bin/big "$T/big" || return
    pass big_file
}

case_dir() {
    mkfs_ok dir "$T/dir.img" 2 --dir "$T/tree" "$T/in/one" || return
    clean dir "$T/dir.img" || return
    same dir "$T/dir.img" /sub/deep/r "$T/tree/sub/deep/r" || return
    same dir "$T/dir.img" /bin/tool "$T/tree/bin/tool" || return
    same dir "$T/dir.img" /bin/one "$T/in/one" || return
    pass dir
}

# ---- mkfs errors ------------------------------------------------------------------

# mkfs_bad CASE WHAT ARGS...: mkfs must fail with a message and leave no image.
mkfs_bad() {
    local c=$1 what=$2
    shift 2
    local out rc
    rm -f "$T/bad.img"
    out=$("$MKFS" "$T/bad.img" "$@" 2>&1)
    rc=$?
    if [ $rc -ne 1 ] || ! grep -q 'mkfs' <<<"$out"; then
        fail "$c" "$what: mkfs exit $rc: $out"
        return 1
    fi
    if [ -e "$T/bad.img" ]; then
        fail "$c" "$what: image left behind"
        return 1
    fi
}

case_errors() {
    mkfs_bad errors "too small" 2 "$T/big" || return
    mkfs_bad errors "too many files" 1 "$T"/many/* || return
    mkfs_bad errors "name too long" 1 "$T/$(printf 'L%.0s' $(seq 1 60))" || return
    mkfs_bad errors "duplicate" 1 "$T/in/one" "$T/in/../in/one" || return
    mkfs_bad errors "missing file" 1 "$T/nonexistent" || return
    mkfs_bad errors "directory as file" 1 "$T/in" || return
    mkfs_bad errors "size 0" 0 || return
    mkfs_bad errors "size not a number" 1x || return
    mkfs_bad errors "no size" || return
    pass errors
}

# ---- corrupted images --------------------------------------------------------------

# A fresh copy of the files image to corrupt; sets SB_*.
copy() {
    cp "$T/files.img" "$T/c.img"
    read_super "$T/c.img"
}

case_corrupt_super() {
    local off
    # magic, version, block size: not an image
    for off in 0 4 8; do
        copy
        flip "$T/c.img" $((BS + off))
        expect_bad corrupt_super "$T/c.img" 2 "superblock byte $off" || return
    done
    # each layout field: rejected as not an image
    for off in 12 16 20 24 28 32 36 40 44 48 52 56 60; do
        copy
        put8 "$T/c.img" $((BS + off)) 200
        expect_bad corrupt_super "$T/c.img" 2 "superblock field at $off" || return
    done
    pass corrupt_super
}

case_corrupt_bitmap() {
    copy
    flip "$T/c.img" $((SB_BITMAP * BS + SB_NBLOCKS / 8 - 1))   # free blocks
    expect_bad corrupt_bitmap "$T/c.img" 1 "free blocks marked used" || return
    copy
    put8 "$T/c.img" $((SB_BITMAP * BS + SB_DATA / 8 + 1)) 0    # used blocks
    expect_bad corrupt_bitmap "$T/c.img" 1 "used blocks marked free" || return
    copy
    put8 "$T/c.img" $((SB_BITMAP * BS + 4095)) 128             # past the end
    expect_bad corrupt_bitmap "$T/c.img" 1 "bit past the last block" || return
    pass corrupt_bitmap
}

case_corrupt_inode() {
    local root bin file
    copy
    root=$(inode_off 1)
    bin=$(inode_off 2)
    file=$(inode_off 3)
    put8 "$T/c.img" $((root + 2)) 9                              # nlink
    expect_bad corrupt_inode "$T/c.img" 1 "root nlink" || return
    copy
    put8 "$T/c.img" "$file" 7                                    # type
    expect_bad corrupt_inode "$T/c.img" 1 "bad type" || return
    copy
    put32 "$T/c.img" $((file + 24)) "$(u32 "$T/c.img" $((bin + 24)))"
    expect_bad corrupt_inode "$T/c.img" 1 "block used twice" || return
    copy
    put32 "$T/c.img" $((file + 24)) 3                            # into the log
    expect_bad corrupt_inode "$T/c.img" 1 "pointer outside data" || return
    copy
    put8 "$T/c.img" $((file + 8)) 0                              # size
    put8 "$T/c.img" $((file + 9)) 0
    put8 "$T/c.img" $((file + 10)) 0
    expect_bad corrupt_inode "$T/c.img" 1 "blocks beyond size" || return
    copy
    put8 "$T/c.img" $(inode_off 40) 1                            # stray inode
    put8 "$T/c.img" $(($(inode_off 40) + 2)) 1
    expect_bad corrupt_inode "$T/c.img" 1 "unreachable inode" || return
    copy
    put8 "$T/c.img" "$root" 0                                    # root freed
    expect_bad corrupt_inode "$T/c.img" 1 "root not a directory" || return
    pass corrupt_inode
}

case_corrupt_dir() {
    local rootblk
    copy
    rootblk=$(u32 "$T/c.img" $(($(inode_off 1) + 24)))
    put8 "$T/c.img" $((rootblk * BS + 4)) 120                    # "." -> "x"
    expect_bad corrupt_dir "$T/c.img" 1 "no dot" || return
    copy
    put32 "$T/c.img" $((rootblk * BS + 64)) 2                    # ".." -> 2
    expect_bad corrupt_dir "$T/c.img" 1 "wrong dotdot" || return
    copy
    put32 "$T/c.img" $((rootblk * BS + 128)) 1                   # bin -> root
    expect_bad corrupt_dir "$T/c.img" 1 "cycle" || return
    copy
    put8 "$T/c.img" $((rootblk * BS + 128 + 5)) 47               # "b/n"
    expect_bad corrupt_dir "$T/c.img" 1 "slash in name" || return
    copy
    put32 "$T/c.img" $((rootblk * BS + 128)) 100000              # bad inum
    expect_bad corrupt_dir "$T/c.img" 1 "bad inode number" || return
    pass corrupt_dir
}

case_truncated() {
    local size
    size=$(stat -c %s "$T/files.img")
    for n in 0 100 4096 8191 8192 $((size / 2)) $((size - 1)); do
        head -c "$n" "$T/files.img" >"$T/c.img"
        expect_bad truncated "$T/c.img" 2 "truncated to $n bytes" || return
    done
    pass truncated
}

case_garbage() {
    head -c 1048576 /dev/urandom >"$T/c.img"
    expect_bad garbage "$T/c.img" 2 "random bytes" || return
    # A valid superblock in front of random blocks.
    head -c 8192 "$T/small.img" >"$T/c.img"
    head -c $((1048576 - 8192)) /dev/urandom >>"$T/c.img"
    expect_bad garbage "$T/c.img" "1 2" "random blocks" || return
    # Random bytes over every metadata block after the superblock.
    cp "$T/dir.img" "$T/c.img"
    read_super "$T/c.img"
    head -c $(((SB_DATA - 2) * BS)) /dev/urandom |
        dd of="$T/c.img" bs=$BS seek=2 conv=notrunc status=none
    expect_bad garbage "$T/c.img" "1 2" "random metadata" || return
    pass garbage
}

# Random single-byte changes in the metadata and the first directory blocks.
case_fuzz() {
    local i off span
    cp "$T/dir.img" "$T/f.img"
    read_super "$T/f.img"
    span=$(((SB_DATA + 8 - 1) * BS))
    for i in $(seq 1 150); do
        cp "$T/f.img" "$T/c.img"
        off=$((BS + (RANDOM * 32768 + RANDOM) % span))
        put8 "$T/c.img" "$off" $((RANDOM % 256))
        expect_bad fuzz "$T/c.img" "0 1 2" "byte $off changed" || return
    done
    pass fuzz
}

# A committed log is replayed before checking (in memory only).
case_log_replay() {
    copy
    local bm=$((SB_BITMAP * BS)) hdr=$((SB_LOG * BS))
    # Log block 0 holds the correct bitmap; its home copy is wiped.
    dd if="$T/c.img" of="$T/c.img" bs=$BS skip="$SB_BITMAP" seek=$((SB_LOG + 1)) \
       count=1 conv=notrunc status=none
    dd if=/dev/zero of="$T/c.img" bs=$BS seek="$SB_BITMAP" count=1 conv=notrunc status=none
    cp "$T/c.img" "$T/nolog.img"
    expect_bad log_replay "$T/nolog.img" 1 "wiped bitmap, empty log" || return
    put32 "$T/c.img" "$hdr" 1
    put32 "$T/c.img" $((hdr + 4)) "$SB_BITMAP"
    cp "$T/c.img" "$T/log.img"
    clean log_replay "$T/log.img" || return
    grep -q 'replayed' <<<"$OUT" || { fail log_replay "no replay reported: $OUT"; return; }
    cmp -s "$T/c.img" "$T/log.img" || { fail log_replay "fsck wrote to the image"; return; }
    put32 "$T/c.img" $((hdr + 4)) 1                              # home: superblock
    expect_bad log_replay "$T/c.img" 1 "log home outside range" || return
    put32 "$T/c.img" "$hdr" 100000                               # count too big
    expect_bad log_replay "$T/c.img" 1 "log count too big" || return
    pass log_replay
}

case_small
case_files
case_inputs
case_named
case_many_files
case_big_file
case_dir
case_errors
case_corrupt_super
case_corrupt_bitmap
case_corrupt_inode
case_corrupt_dir
case_truncated
case_garbage
case_fuzz
case_log_replay

exit $FAILED
