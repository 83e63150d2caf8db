#!/bin/bash
# Host tests of tools/mkfs/fsput.c on real image files made by mkfs.
#
#   test_fsput.sh MKFS FSCK FSPUT
#
# Prints one line per case, "PASS fsput.<case>" or "FAIL fsput.<case>:
# reason", and exits 0 iff every case passed. Contents are read back with
# fsck --cat; every image must stay clean (fsck), and a refused fsput must
# leave the image byte for byte as it was. A crash (signal, sanitizer
# report) counts as a failure.

set -u

if [ $# -ne 3 ]; then
    echo "usage: $0 MKFS FSCK FSPUT" >&2
    exit 2
fi
MKFS=$1
FSCK=$2
FSPUT=$3

export ASAN_OPTIONS="exitcode=90:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="exitcode=91:halt_on_error=1:${UBSAN_OPTIONS:-}"

T=$(mktemp -d "${TMPDIR:-/tmp}/test_fsput.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

FAILED=0
BS=4096

pass() { echo "PASS fsput.$1"; }

# fail CASE REASON: report a failed case (reason kept on one line).
fail() {
    echo "FAIL fsput.$1: $(echo "$2" | tr '\n' ' ' | cut -c1-400)"
    FAILED=1
}

# clean CASE IMAGE: returns 1 (after failing the case) unless fsck is clean.
clean() {
    local out
    if ! out=$("$FSCK" "$2" 2>&1) || ! grep -q '^fsck: clean$' <<<"$out"; then
        fail "$1" "fsck $2: $out"
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

# put_ok CASE IMAGE ARGS...: fsput must succeed.
put_ok() {
    local c=$1 out
    shift
    if ! out=$("$FSPUT" "$@" 2>&1); then
        fail "$c" "fsput $* failed: $out"
        return 1
    fi
}

# put_bad CASE WHAT PATTERN IMAGE ARGS...: "fsput IMAGE ARGS..." must exit 1 with
# a message matching PATTERN and leave IMAGE unchanged.
put_bad() {
    local c=$1 what=$2 pat=$3 img=$4 out rc
    shift 3
    cp "$img" "$T/before.img"
    out=$("$FSPUT" "$@" 2>&1)
    rc=$?
    if [ $rc -ne 1 ] || ! grep -qE "^fsput: .*$pat" <<<"$out"; then
        fail "$c" "$what: fsput exit $rc (want 1, /$pat/): $out"
        return 1
    fi
    if ! cmp -s "$img" "$T/before.img"; then
        fail "$c" "$what: the image changed"
        return 1
    fi
}

# sizeof_in IMAGE PATH: the size fsck --ls reports for PATH.
sizeof_in() {
    "$FSCK" "$1" --ls "$(dirname "$2")" | awk -v n="$(basename "$2")" '$5 == n { print $4 }'
}

# ---- inputs -------------------------------------------------------------------

mkdir -p "$T/tree/sub/deep"
echo hello >"$T/tree/sub/a.txt"
echo prog >"$T/prog"
head -c 200000 /dev/urandom >"$T/long"          # past the direct blocks
head -c 5000 /dev/urandom >"$T/short"
: >"$T/empty"
head -c 3000000 /dev/urandom >"$T/toobig"       # more than a 2 MiB image holds

# ---- cases ----------------------------------------------------------------------

# Into /bin, then replaced by a shorter file (its blocks freed), then by a
# longer one; several pairs at once; an empty file.
case_bin() {
    "$MKFS" "$T/bin.img" 2 "$T/prog" >/dev/null || { fail bin "mkfs failed"; return; }
    put_ok bin "$T/bin.img" "$T/long" /bin/hello || return
    clean bin "$T/bin.img" || return
    same bin "$T/bin.img" /bin/hello "$T/long" || return
    same bin "$T/bin.img" /bin/prog "$T/prog" || return
    put_ok bin "$T/bin.img" "$T/short" /bin/hello || return
    clean bin "$T/bin.img" || return
    same bin "$T/bin.img" /bin/hello "$T/short" || return
    [ "$(sizeof_in "$T/bin.img" /bin/hello)" = 5000 ] || { fail bin "size after replace"; return; }
    put_ok bin "$T/bin.img" "$T/long" /bin/hello "$T/empty" /bin/empty "$T/short" bin/prog || return
    clean bin "$T/bin.img" || return
    same bin "$T/bin.img" /bin/hello "$T/long" || return
    same bin "$T/bin.img" /bin/empty "$T/empty" || return
    same bin "$T/bin.img" /bin/prog "$T/short" || return
    pass bin
}

# Into a directory mkfs --dir made.
case_subdir() {
    "$MKFS" "$T/sub.img" 2 --dir "$T/tree" >/dev/null || { fail subdir "mkfs failed"; return; }
    put_ok subdir "$T/sub.img" "$T/short" /sub/deep/s "$T/prog" /sub/a.txt || return
    clean subdir "$T/sub.img" || return
    same subdir "$T/sub.img" /sub/deep/s "$T/short" || return
    same subdir "$T/sub.img" /sub/a.txt "$T/prog" || return
    pass subdir
}

# Errors the file system reports: the image stays exactly as it was, even
# when earlier pairs of the same call were fine.
case_fs_errors() {
    local img="$T/bin.img"
    put_bad fs_errors "missing parent" "no directory /usr/bin in the image" "$img" \
        "$T/prog" /bin/ok "$T/prog" /usr/bin/x || return
    put_bad fs_errors "parent is a file" "is a file" "$img" "$T/prog" /bin/prog/x || return
    put_bad fs_errors "target is a directory" "is a directory" "$img" "$T/prog" /bin || return
    put_bad fs_errors "name too long" "name too long" "$img" \
        "$T/prog" "/bin/$(printf 'L%.0s' $(seq 1 60))" || return
    put_bad fs_errors "image full" "no space left" "$img" \
        "$T/prog" /bin/first "$T/toobig" /bin/big || return
    clean fs_errors "$img" || return
    pass fs_errors
}

# Files that are not usable images, an image whose check finds problems,
# a missing host file, an image in use.
case_bad_image() {
    head -c 1048576 /dev/urandom >"$T/garbage.img"
    put_bad bad_image "random bytes" "not a usable file system image" "$T/garbage.img" \
        "$T/prog" /bin/x || return
    head -c 100 /dev/urandom >"$T/tiny.img"
    put_bad bad_image "100 bytes" "not a file system image" "$T/tiny.img" \
        "$T/prog" /bin/x || return
    head -c $((BS * 100)) "$T/bin.img" >"$T/cut.img"
    put_bad bad_image "truncated" "not a usable" "$T/cut.img" "$T/prog" /bin/x || return
    # Free blocks marked used in the bitmap: the mount check's problem.
    cp "$T/bin.img" "$T/bm.img"
    local nblocks bitmap
    nblocks=$(od -An -tu4 -j $((BS + 12)) -N4 "$T/bm.img" | tr -d ' ')
    bitmap=$(od -An -tu4 -j $((BS + 32)) -N4 "$T/bm.img" | tr -d ' ')
    printf '\377' | dd of="$T/bm.img" bs=1 seek=$((bitmap * BS + nblocks / 8 - 1)) \
        conv=notrunc status=none
    put_bad bad_image "check finds problems" "check found problems" "$T/bm.img" \
        "$T/prog" /bin/x || return
    put_bad bad_image "empty guest path" "empty GUESTPATH" "$T/bin.img" "$T/prog" "" || return
    put_bad bad_image "missing host file" "nonexistent" "$T/bin.img" \
        "$T/nonexistent" /bin/x || return
    local out
    out=$("$FSPUT" "$T/bin.img" "$T/prog" 2>&1)
    [ $? -eq 1 ] && grep -q '^usage: fsput' <<<"$out" || { fail bad_image "odd arguments: $out"; return; }
    # A lock like QEMU's on the image (a POSIX read lock): refused.
    out=$(/usr/bin/python3 - "$T/bin.img" "$FSPUT" "$T/prog" <<'EOF'
import fcntl, subprocess, sys
img, fsput, prog = sys.argv[1:4]
with open(img, 'rb') as f:
    fcntl.lockf(f, fcntl.LOCK_SH)
    before = f.read()           # through f: closing another descriptor would drop the lock
    r = subprocess.run([fsput, img, prog, '/bin/locked'], capture_output=True, text=True)
    f.seek(0)
    print(r.returncode, 'same' if f.read() == before else 'changed', r.stderr.strip())
EOF
)
    grep -q '^1 same fsput: .*in use by another program' <<<"$out" ||
        { fail bad_image "locked image: $out"; return; }
    pass bad_image
}

case_bin
case_subdir
case_fs_errors
case_bad_image

exit $FAILED
