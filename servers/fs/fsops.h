// File-system operations over the on-disk format (fsformat.h) and the
// write-ahead log (fslib.h): path lookup, create, mkdir, link, rename, unlink,
// rmdir, read, write, truncate, readdir and the block map the file server
// uses to move file pages straight between the disk and page frames.
//
// Pure module: no libc, no allocation. The caller supplies the block
// device and, at mount, one memory area that holds the log buffers, a few
// scratch blocks and a small LRU cache of metadata blocks (see FS_MEM_*).
// struct fs is defined here so that the caller can embed it; treat its
// fields as private. One thread at a time: the operations do not lock.
//
// Errors: every function returns 0 (or a length or count) on success and
// a negative errno number (-FS_ENOENT ...) on failure; the values are the
// system's (abi/abi.def).
//
// Crash consistency. Every change to the disk is made in a log transaction
// (log_begin .. log_commit), so a crash at any point leaves a consistent
// file system once fs_mount has recovered the log. An operation is one
// transaction, and so all-or-nothing, except these, which commit every
// few dozen blocks and may be cut short by a crash at a commit boundary:
//   fs_write     a prefix of the write is on disk (the size covers it);
//   fs_truncate and fs_set_size when shrinking: blocks are freed from the
//                end, so the size may stop at a block boundary between the
//                old and the new size (the data below it is unchanged);
//   fs_release   frees an unlinked inode's blocks from the end; the inode
//                is unreachable throughout.
// Unlinked-but-open inodes: fs_unlink and fs_rmdir only drop the name. An
// inode whose last name is gone stays allocated with nlink 0 until the
// server calls fs_release (when no one has it open any more). After a
// crash no one has anything open, so fs_mount releases every such orphan.
//
// File data and the cache. Only metadata (inodes, bitmap, indirect and
// directory blocks) is cached. File data blocks are always read from the
// log or the disk, so the server may DMA file pages to blocks it got from
// fs_map_block without telling this module, as long as no operation is
// running at the time.

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fslib.h"

// ---- error numbers (equal to the system's errno values) -------------------

#define FS_EPERM        1
#define FS_ENOENT       2
#define FS_EIO          5
#define FS_ENOMEM       12
#define FS_EBUSY        16
#define FS_EEXIST       17
#define FS_ENOTDIR      20
#define FS_EISDIR       21
#define FS_EINVAL       22
#define FS_EFBIG        27
#define FS_ENOSPC       28
#define FS_EROFS        30
#define FS_EMLINK       31
#define FS_ENAMETOOLONG 91
#define FS_ENOTEMPTY    90

// ---- sizes ----------------------------------------------------------------

#define FS_PATH_MAX     1024u   // longest path, without the NUL
#define FS_TX_MIN       16u     // smallest log (blocks) the operations need
#define FS_NSCRATCH     6u      // scratch blocks taken from the mount memory
#define FS_CACHE_MIN    8u      // smallest metadata cache (blocks)
#define FS_CACHE_MAX    512u    // the cache never grows past this

// Cache bookkeeping for one cached block (lives in the mount memory).
struct fs_cslot {
    uint32_t blockno;
    uint32_t valid;
    uint64_t stamp;             // last use, for LRU
};

// Bytes of mount memory for a log of log_blocks buffers and a cache of
// cache_blocks blocks (plus slack for aligning the area).
#define FS_MEM_SIZE(log_blocks, cache_blocks) \
    (((size_t)FS_NSCRATCH + (log_blocks) + (cache_blocks)) * FS_BLOCK_SIZE + \
     (size_t)(cache_blocks) * sizeof(struct fs_cslot) + 16)
// The least fs_mount accepts (transactions are then limited to FS_TX_MIN
// blocks), and a good size for an image made by mkfs (whole 64-block log,
// 64 cached blocks): about 120 KiB and 536 KiB. Add FS_MAP_BYTES of the
// disk to either: the allocator's map of owned blocks (fscheck.h).
#define FS_MEM_MIN      FS_MEM_SIZE(FS_TX_MIN, FS_CACHE_MIN)
#define FS_MEM_DEFAULT  FS_MEM_SIZE(FS_LOG_BLOCKS, 64)
#define FS_MAP_BYTES(disk_blocks) (((size_t)(disk_blocks) + 63) / 64 * 8)

// Flags of fs_mount_opts.
#define FS_MOUNT_IGNORE_CHECK 1u    // mount read-write whatever the check finds

// ---- state ----------------------------------------------------------------

struct fs {
    const struct blockdev *dev;
    struct superblock sb;
    struct fslog log;
    bool mounted;
    bool broken;                // a commit failed: recover before the next one
    uint64_t now;               // seconds since 1970 for mtime; 0: leave alone
    const char *why;            // reason for a failed mount
    uint8_t (*scratch)[FS_BLOCK_SIZE];  // FS_NSCRATCH blocks
    uint8_t (*cblk)[FS_BLOCK_SIZE];     // ncache cached blocks
    struct fs_cslot *cslot;             // their bookkeeping
    uint32_t ncache;
    uint64_t tick;              // LRU clock
    uint32_t bhint;             // where the next block search starts
    uint32_t ihint;             // where the next inode search starts
    uint8_t *owned;             // blocks inodes may own: never allocated
    bool readonly;              // the mount check found problems
    long problems;              // how many
    char report[200];           // the first one, described
};

// What fs_stat reports.
struct fs_statbuf {
    uint32_t inum;
    uint32_t type;              // FS_T_FILE or FS_T_DIR
    uint32_t nlink;
    uint32_t reserved;
    uint64_t size;              // bytes
    uint64_t blocks;            // disk blocks in use, indirect blocks included
    uint64_t mtime;
};

// ---- mounting -------------------------------------------------------------

// Mount the file system on dev (disk_blocks blocks) using the memory area
// mem (mem_bytes bytes, at least FS_MEM_MIN + FS_MAP_BYTES(disk_blocks);
// it must stay untouched until the struct is dropped). Checks the
// superblock, replays a committed log, runs the consistency check of
// fscheck.h over the whole file system, checks the root directory and
// releases orphaned inodes (nlink 0). If the check finds a problem (or
// the memory is too small to run it), the mount is read-only
// (fs_readonly; fs_check_report says what was found): every operation
// that would write fails with -FS_EROFS and nothing at all is written to
// the disk, orphans stay. Returns 0 (also read-only), -FS_EINVAL (not a
// usable image; fs_mount_error says why), -FS_ENOMEM (mem too small) or
// -FS_EIO. There is no unmount: every operation has committed by the time
// it returns, so dropping the struct is enough.
int fs_mount(struct fs *fs, const struct blockdev *dev, uint64_t disk_blocks,
             void *mem, size_t mem_bytes);

// fs_mount with flags: FS_MOUNT_IGNORE_CHECK mounts read-write even if the
// check finds problems (the allocator still never hands out a block that
// an inode owns). Same returns.
int fs_mount_opts(struct fs *fs, const struct blockdev *dev,
                  uint64_t disk_blocks, void *mem, size_t mem_bytes,
                  unsigned flags);

// True if the mount is read-only because of the check.
bool fs_readonly(const struct fs *fs);

// What the mount check found: "" if nothing, else the first problem,
// followed by ", and N more problems" if there were more. Never NULL.
const char *fs_check_report(const struct fs *fs);

// One-line reason for the last failed fs_mount ("" if none). Never NULL.
const char *fs_mount_error(const struct fs *fs);

// Blocks a transaction may hold (the smaller of the log and its buffers).
uint32_t fs_tx_blocks(const struct fs *fs);

// ---- names ----------------------------------------------------------------
// Paths are NUL-terminated, absolute or relative to the directory cwd,
// at most FS_PATH_MAX bytes. Repeated '/' count as one; "." and ".." are
// the directory entries on disk (the root's ".." is the root). A trailing
// '/' requires the object to be a directory. An empty path is -FS_ENOENT.
// Every operation that would write fails with -FS_EROFS on a read-only
// mount (fs_readonly).
// Common errors: -FS_ENOENT (a component is missing, or a directory on the
// way was removed), -FS_ENOTDIR (a component on the way is a file),
// -FS_ENAMETOOLONG (a component over FS_NAME_MAX bytes or a path over
// FS_PATH_MAX), -FS_EINVAL (cwd is not an inode number, or not mounted),
// -FS_EIO.

// Resolve path to an inode number in *inum.
int fs_namei(struct fs *fs, uint32_t cwd, const char *path, uint32_t *inum);

// Create path as type FS_T_FILE or FS_T_DIR (mkdir) and store its inode
// number in *inum (may be NULL). If it exists: a file is returned as it is
// (0) unless excl (-FS_EEXIST); a directory gives -FS_EISDIR for FS_T_FILE
// and -FS_EEXIST for FS_T_DIR, and so does a file for FS_T_DIR. Also
// -FS_ENOSPC (no free inode or block), -FS_EMLINK (the parent has too many
// subdirectories), -FS_EINVAL (bad type), -FS_EISDIR (FS_T_FILE with a
// trailing '/').
int fs_create(struct fs *fs, uint32_t cwd, const char *path, int type,
              uint32_t *inum, bool excl);

// Remove the name path of a file, storing the inode number in *inum (may
// be NULL). The inode keeps its blocks: call fs_release(inum) once no one
// has it open. Returns 0, -FS_EISDIR (a directory), or the path errors.
int fs_unlink(struct fs *fs, uint32_t cwd, const char *path, uint32_t *inum);

// Remove the empty directory path, storing its inode number in *inum (may
// be NULL); like fs_unlink, call fs_release(inum) when it is not in use.
// Returns 0, -FS_ENOTDIR, -FS_ENOTEMPTY (also for a last component ".."),
// -FS_EINVAL (last component "."), -FS_EBUSY (the root), or the path errors.
int fs_rmdir(struct fs *fs, uint32_t cwd, const char *path, uint32_t *inum);

// Give file oldpath the additional name newpath. Returns 0, -FS_EPERM
// (oldpath is a directory), -FS_EEXIST (newpath exists), -FS_EMLINK (the
// link count would pass 65535), -FS_ENOSPC (the directory cannot grow),
// or the path errors.
int fs_link(struct fs *fs, uint32_t cwd, const char *oldpath,
            const char *newpath);

// Rename oldpath to newpath in one transaction: all of it or nothing
// after a crash. An existing newpath is replaced: a file by a file, an
// empty directory by a directory; the replaced inode keeps its blocks when
// that was its last name (nlink 0): *gone (may be NULL) gets its number
// (else 0): call fs_release(*gone) once no one has it open. A directory
// moved to another parent gets its ".." changed. Both names of one file:
// nothing happens (0). Returns 0, -FS_EISDIR (a file onto a directory),
// -FS_ENOTDIR (a directory onto a file; a file with a trailing '/'),
// -FS_ENOTEMPTY (onto a directory that is not empty), -FS_EINVAL (a
// directory into itself or below it; a last name "." or ".."), -FS_EBUSY
// (the root), -FS_EMLINK, -FS_ENOSPC, or the path errors.
int fs_rename(struct fs *fs, uint32_t cwd, const char *oldpath,
              const char *newpath, uint32_t *gone);

// Set the modification time of inode inum to fs->now (in a transaction
// of its own) unless it is that already or fs->now is 0. Returns 0 or the
// inode errors.
int fs_touch(struct fs *fs, uint32_t inum);

// Free inode inum if it has no name left (nlink 0): its blocks (in as many
// transactions as needed) and then the inode. Does nothing for an inode
// that still has a name or is already free. Returns 0, -FS_EINVAL (bad
// inode number) or -FS_EIO.
int fs_release(struct fs *fs, uint32_t inum);

// ---- inodes ---------------------------------------------------------------
// Common errors: -FS_EINVAL (inum out of range or not mounted), -FS_ENOENT
// (the inode is free), -FS_EIO.

// Describe inode inum in *st.
int fs_stat(struct fs *fs, uint32_t inum, struct fs_statbuf *st);

// Read up to n bytes at off of file inum into buf. Returns the byte count:
// short at the end of the file, 0 at or past it; holes read as zeros.
// -FS_EISDIR for a directory.
long fs_read(struct fs *fs, uint32_t inum, uint64_t off, void *buf,
             uint64_t n);

// Write n bytes from buf at off of file inum, growing it as needed (a gap
// before off becomes a hole). The write is split into transactions that
// fit the log. Returns the bytes written: all n, fewer if the disk fills
// (or the file reaches FS_MAX_FILE_SIZE), -FS_ENOSPC (-FS_EFBIG) if not
// one byte could be written, -FS_EISDIR for a directory. An I/O error ends
// the write: it returns the bytes of the transactions committed before,
// or -FS_EIO if there were none (the failed one may still reach the disk).
long fs_write(struct fs *fs, uint32_t inum, uint64_t off, const void *buf,
              uint64_t n);

// Set the size of file inum to len: shrinking frees the blocks past the
// end (committing as it goes) and zeroes the rest of the last block;
// growing leaves a hole and zeroes the bytes of the old last block past
// the old end. Returns 0, -FS_EISDIR, -FS_EFBIG (len > FS_MAX_FILE_SIZE).
int fs_truncate(struct fs *fs, uint32_t inum, uint64_t len);

// Like fs_truncate, but growing keeps the bytes of the old last block past
// the old end: for the server after it has written whole pages through
// fs_map_block. Same returns.
int fs_set_size(struct fs *fs, uint32_t inum, uint64_t size);

// Next entry of directory dir at or after *cookie (start with 0): copies
// its NUL-terminated name to name and its inode number to *inum, advances
// *cookie, returns 1; returns 0 at the end (also for a removed directory).
// "." and ".." are listed; a malformed entry (bad name, inode number out
// of range: only on a read-only mount) is skipped. Returns -FS_ENOTDIR for
// a file.
int fs_readdir(struct fs *fs, uint32_t dir, uint64_t *cookie,
               char name[FS_NAME_MAX + 1], uint32_t *inum);

// Disk block of file block fbn of file inum in *blockno: 0 for a hole
// when !alloc. With alloc a missing block is allocated and zeroed in a
// transaction of its own; a block at or past the end of the file grows
// the size to the end of that block ((fbn + 1) * 4096), so that the file
// system stays consistent: call fs_set_size after writing the block.
// Returns 0, -FS_EISDIR, -FS_EFBIG (fbn past the largest file), -FS_ENOSPC.
int fs_map_block(struct fs *fs, uint32_t inum, uint64_t fbn, bool alloc,
                 uint32_t *blockno);
