// The consistency check the file server runs at mount (docs/fs.md, "What
// the mount check does"), over the on-disk format of fsformat.h.
//
// Pure module: no libc, no allocation. It reads the disk through a
// caller-supplied struct blockdev (never writes) and works in a
// caller-supplied memory area (fscheck_mem_size bytes). It checks, on a
// file system whose superblock fs_check_super accepted and whose log is
// empty (replayed):
//   - every inode: inode 0 is zero; fs_check_inode (type, size against
//     the block pointers, pointers in the data area, reserved fields);
//     pointers in indirect blocks in the data area and below the size;
//     no block owned twice (by two inodes, or twice by one);
//   - the tree from the root: the root is a directory; directories have
//     no holes; every entry is well-formed (free: all zero; used: a name
//     of 1..59 bytes without '/', NUL-terminated and NUL-padded), names an
//     inode number in range that is in use; "." and ".." come first and
//     name the directory and its parent; no other "." or ".."; names are
//     unique in a directory; a directory has one name;
//   - link counts: every inode in use is reachable and its nlink is the
//     number of entries naming it; an unreachable inode with nlink 0 is an
//     orphan (unlinked while open) and not a problem;
//   - the bitmap: it marks exactly the blocks before the data area and the
//     blocks inodes own, and no bit past the last block.
// Each problem is handed to a callback as a struct fscheck_problem, which
// fscheck_describe turns into one line of text.
//
// It also leaves, in the memory area, the map of the blocks the inodes own
// (fscheck_owned): the file server's allocator keeps it so that it never
// hands out an owned block, whatever the bitmap on the disk says.

#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fslib.h"

// Kinds of problems, with the meaning of the numbers a, b, c.
enum {
    FSP_INODE0 = 1,     // inode 0 is not all zero
    FSP_INODE,          // inode a: fs_check_inode error -b
    FSP_PTR,            // inode a: pointer c (in block b; 0: the inode) outside the data area
    FSP_BEYOND,         // inode a: block b mapped at file block c, at or past the size
    FSP_TWICE,          // block a owned by inodes b and c (b 0: an inode not known)
    FSP_ROOT,           // the root inode is not a directory
    FSP_HOLE,           // directory a has a hole at file block b
    FSP_DIRENT,         // directory a: entry b is malformed
    FSP_DIRENT_INUM,    // directory a: entry b names inode c, out of range
    FSP_DIRENT_FREE,    // directory a: entry b names inode c, free or unusable
    FSP_DOT,            // directory a: entry b (0 or 1) is not "."/".." or names inode c
    FSP_EXTRA_DOT,      // directory a: entry b is another "." or ".."
    FSP_DUPNAME,        // directory a: entry b repeats the name of an earlier entry
    FSP_DIRNAME2,       // directory a: a second name, entry c of directory b
    FSP_UNREACHABLE,    // inode a is in use (nlink b) but no entry names it
    FSP_NLINK,          // inode a: nlink is b but c entries name it
    FSP_BM_FREE,        // block a is owned but free in the bitmap
    FSP_BM_LEAK,        // block a is marked in the bitmap but no inode owns it
    FSP_BM_PAST,        // bitmap bit a (past the last block) is set
};

struct fscheck_problem {
    int kind;
    uint32_t a, b, c;
};

// Problems are reported through this; ctx is the caller's.
typedef void (*fscheck_report_fn)(void *ctx, const struct fscheck_problem *p);

// Bytes of the owned-block map for the file system of sb (a superblock
// fs_check_super accepted): one bit per block, in whole 8-byte words.
size_t fscheck_map_size(const struct superblock *sb);

// Bytes of working memory fscheck_run needs besides the map: 12 per inode
// and 5 blocks.
size_t fscheck_work_size(const struct superblock *sb);

// Check the file system of sb on dev. map (fscheck_map_size bytes) gets
// the map of owned blocks: bit b (bitmap_get) is set iff block b lies
// before the data area or some inode in use points at it, at any level.
// work (fscheck_work_size bytes) is scratch memory. Both 8-byte aligned.
// Every problem goes to report (may be NULL). Returns the number of
// problems (0: consistent), FSE_INVAL (bad arguments) or FSE_IO (a read
// failed; the check and the map are incomplete).
long fscheck_run(const struct superblock *sb, const struct blockdev *dev,
                 void *map, void *work, fscheck_report_fn report, void *ctx);

// One line of text for p in buf (n bytes, NUL-terminated, cut if too
// long), e.g. "block 812 owned by inodes 5 and 9". Returns buf.
char *fscheck_describe(const struct fscheck_problem *p, char *buf, size_t n);
