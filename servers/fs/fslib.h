// File-system logic shared by the file server, mkfs and fsck.
//
// Pure module: no libc, no allocation, no I/O of its own. Everything here
// works on caller-supplied structures and block buffers; the only I/O is
// the write-ahead log's, through a caller-supplied struct blockdev. The
// on-disk format is described in fsformat.h.
//
// Errors are small negative numbers FSE_*; fs_strerror names them.
//
// The log (xv6-style redo log). A transaction collects whole modified
// blocks in memory; log_commit then
//   1. writes them to the log data blocks log_start+1 .. log_start+n,
//   2. writes the header (count = n, home block numbers): the commit point,
//   3. copies them to their home blocks,
//   4. writes the header with count = 0.
// A crash before step 2 completes leaves every home block old; a crash
// after it leaves a committed log that log_recover (run at every mount, before
// anything else reads the disk) installs, so every home block ends up new.
// Recovery is idempotent, so a crash during recovery is also harmless.
// The rule for the server: between log_begin and log_commit, every change
// to an inode, bitmap or data block goes through log_write, and reads go
// through log_read (or check log_pending) so that they see those changes;
// nothing is written home directly.

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fsformat.h"

// ---- errors --------------------------------------------------------------

#define FSE_MAGIC       (-1)    // superblock: bad magic
#define FSE_VERSION     (-2)    // superblock: unknown version
#define FSE_BSIZE       (-3)    // superblock: block size not 4096
#define FSE_SBRESERVED  (-4)    // superblock: reserved fields not zero
#define FSE_ROOT        (-5)    // superblock: bad root inode number
#define FSE_LOG         (-6)    // superblock: bad log area
#define FSE_INODES      (-7)    // superblock: bad inode table area
#define FSE_BITMAP      (-8)    // superblock: bad bitmap area
#define FSE_DATA        (-9)    // superblock: bad data area / block count
#define FSE_TRUNC       (-10)   // disk smaller than the file system
#define FSE_NAME_EMPTY  (-11)   // name: empty
#define FSE_NAME_LONG   (-12)   // name: longer than FS_NAME_MAX
#define FSE_NAME_SLASH  (-13)   // name: contains '/'
#define FSE_NAME_NUL    (-14)   // name: contains a NUL byte
#define FSE_EXIST       (-15)   // directory: name already present
#define FSE_NOENT       (-16)   // directory: no such name / no more entries
#define FSE_DIRFULL     (-17)   // directory block has no free entry
#define FSE_DIRENT      (-18)   // malformed directory entry
#define FSE_RANGE       (-19)   // block number or file offset out of range
#define FSE_ITYPE       (-20)   // inode: bad type
#define FSE_ISIZE       (-21)   // inode: bad size
#define FSE_IBLOCK      (-22)   // inode: block pointer outside the data area
#define FSE_IBEYOND     (-23)   // inode: block mapped beyond its size
#define FSE_INLINK      (-24)   // inode: in use with nlink 0
#define FSE_IFREE       (-25)   // inode: free but not all zero
#define FSE_LOGSTATE    (-26)   // log: call not allowed now (nesting etc.)
#define FSE_LOGFULL     (-27)   // log: transaction too large
#define FSE_BADLOG      (-28)   // log: corrupt header on disk
#define FSE_IO          (-29)   // block device error
#define FSE_INVAL       (-30)   // bad argument
#define FSE_IRESERVED   (-31)   // inode: reserved fields not zero
#define FSE_NERRORS     31

// A short message for an FSE_* code ("success" for 0, "unknown error" for
// anything else). Never returns NULL.
const char *fs_strerror(int err);

// ---- superblock ----------------------------------------------------------

// Fill *sb with the layout of a file system of nblocks blocks with at least
// ninodes inodes (rounded up to a whole inode block; inode 0 counts) and a
// log of log_blocks blocks. Returns 0, FSE_LOG (log_blocks is 0 or above
// FS_LOG_MAX), FSE_INODES (ninodes < 2 or absurdly large) or FSE_DATA (the
// areas leave no data block).
int fs_layout(struct superblock *sb, uint32_t nblocks, uint32_t ninodes,
              uint32_t log_blocks);

// Validate a superblock read from a disk of disk_blocks blocks: magic,
// version, block size, the exact layout rules of fsformat.h, and that the
// file system fits on the disk. Returns 0 or the first failing FSE_* code
// (FSE_MAGIC .. FSE_TRUNC).
int fs_check_super(const struct superblock *sb, uint64_t disk_blocks);

// ---- inodes --------------------------------------------------------------

// True if inum names an inode that may be used (1 <= inum < ninodes).
bool fs_inum_valid(const struct superblock *sb, uint32_t inum);

// Block holding inode inum (inum < ninodes; not checked).
uint32_t fs_inode_block(const struct superblock *sb, uint32_t inum);

// Byte offset of inode inum within its block.
uint32_t fs_inode_offset(uint32_t inum);

// True if b is a data block (data_start <= b < nblocks).
bool fs_data_block_valid(const struct superblock *sb, uint32_t b);

// Number of blocks needed to hold size bytes (ceil(size / 4096)).
uint64_t fs_size_blocks(uint64_t size);

// Check the fields of one inode that can be checked without reading other
// blocks: a free inode is all zero; a used one has a known type, nlink > 0,
// size <= FS_MAX_FILE_SIZE (a directory: a non-zero multiple of 4096),
// zero flags and reserved fields, direct/indirect/dindirect pointers that are 0 or
// data blocks, and no direct, indirect or double-indirect pointer for
// blocks at or past the size. Returns 0, FSE_IFREE, FSE_ITYPE, FSE_INLINK,
// FSE_ISIZE, FSE_IRESERVED, FSE_IBLOCK or FSE_IBEYOND.
int fs_check_inode(const struct superblock *sb, const struct dinode *ip);

// ---- block map -----------------------------------------------------------

#define FS_IND_FIRST    FS_NDIRECT                          // 12
#define FS_DIND_FIRST   ((uint64_t)FS_NDIRECT + FS_NINDIRECT) // 1036

// Where the block number of a file block is stored.
//   level 0: ip->direct[slot[0]]
//   level 1: slot[0] of the block ip->indirect
//   level 2: slot[0] of the block ip->dindirect names an indirect block;
//            its slot[1] holds the block number
struct fs_bmap {
    int level;
    uint32_t slot[2];
};

// Compute the path to file block fbn. Returns the level (0, 1 or 2), or
// FSE_RANGE if fbn >= FS_MAX_FILE_BLOCKS (then *m is unchanged).
int fs_bmap(uint64_t fbn, struct fs_bmap *m);

// Block number in slot of an indirect block (slot < FS_NINDIRECT; not
// checked).
uint32_t fs_ind_get(const void *blk, uint32_t slot);

// Store b in slot of an indirect block (slot < FS_NINDIRECT; not checked).
void fs_ind_set(void *blk, uint32_t slot, uint32_t b);

// ---- bitmap --------------------------------------------------------------

// Bit i of the byte array map (byte i / 8, bit i % 8).
bool bitmap_get(const uint8_t *map, uint32_t i);
void bitmap_set(uint8_t *map, uint32_t i);
void bitmap_clear(uint8_t *map, uint32_t i);

// First clear bit i with start <= i < nbits. Returns i, or -1 if there is
// none (also when start >= nbits).
int64_t bitmap_find_clear(const uint8_t *map, uint32_t start, uint32_t nbits);

// The bitmap block (absolute block number) and bit within it that track
// block b (b < nblocks; not checked).
uint32_t fs_bitmap_block(const struct superblock *sb, uint32_t b);
uint32_t fs_bitmap_bit(uint32_t b);

// Number of meaningful bits in bitmap block i of the area (0-based; the
// last block is partial). Returns 0 if i >= bitmap_blocks.
uint32_t fs_bitmap_nbits(const struct superblock *sb, uint32_t i);

// ---- names and directory blocks -------------------------------------------

// Check a name of len bytes (not NUL-terminated) for use in a directory:
// 1..FS_NAME_MAX bytes, no '/', no NUL. "." and ".." pass (see
// fs_name_is_dot). Returns 0, FSE_NAME_EMPTY, FSE_NAME_LONG,
// FSE_NAME_SLASH or FSE_NAME_NUL.
int fs_check_name(const char *name, size_t len);

// True if the name is "." or "..".
bool fs_name_is_dot(const char *name, size_t len);

// Length of the name in a directory entry (at most FS_NAME_MAX + 1, which
// means it is not terminated).
size_t fs_dirent_namelen(const struct fs_dirent *de);

// Check one directory entry: a free entry (inum 0) is all zero; a used one
// has a valid, NUL-terminated, NUL-padded name. Returns 0 or FSE_DIRENT.
int fs_check_dirent(const struct fs_dirent *de);

// Make blk an empty directory block whose first two entries are "." (self)
// and ".." (parent). For the first block of a directory only; later blocks
// start all zero.
void dirblk_init(void *blk, uint32_t self, uint32_t parent);

// Slot of the used entry named name in the block, or FSE_NOENT (also for
// a name that fs_check_name rejects).
int dirblk_lookup(const void *blk, const char *name, size_t len);

// Add an entry (name, inum) in the first free slot of the block. Returns
// the slot, or an fs_check_name error, FSE_INVAL (inum 0), FSE_EXIST (the
// name is already in this block) or FSE_DIRFULL. The caller checks the
// directory's other blocks for duplicates.
int dirblk_add(void *blk, const char *name, size_t len, uint32_t inum);

// Remove the entry named name, storing its inum in *inum if inum is not
// NULL. Returns the slot it occupied, or FSE_NOENT.
int dirblk_remove(void *blk, const char *name, size_t len, uint32_t *inum);

// First used slot at or after slot (0 <= slot), or FSE_NOENT if none.
// Iterate with: for (s = dirblk_next(b, 0); s >= 0; s = dirblk_next(b, s + 1)).
int dirblk_next(const void *blk, int slot);

// Number of used entries in the block.
uint32_t dirblk_count(const void *blk);

// ---- write-ahead log -----------------------------------------------------

// A block device. read and write transfer one FS_BLOCK_SIZE block and
// return 0 on success, negative on error.
struct blockdev {
    int (*read)(void *ctx, uint64_t blockno, void *buf);
    int (*write)(void *ctx, uint64_t blockno, const void *buf);
    void *ctx;
};

// Log state. Treat as opaque; set up with log_init.
struct fslog {
    const struct blockdev *dev;
    uint32_t start;             // header block
    uint32_t size;              // log data blocks on disk
    uint32_t cap;               // blocks a transaction may hold
    uint32_t lo, hi;            // home blocks must lie in [lo, hi)
    uint32_t n;                 // blocks in the current transaction
    bool active;                // between log_begin and commit/abort
    uint8_t (*buf)[FS_BLOCK_SIZE];  // cap caller-supplied block buffers
    union {
        struct logheader h;     // h.home[i] is the home of buf[i]
        uint8_t raw[FS_BLOCK_SIZE];
    } hdr;
};

// Validate a log header against a (valid) superblock: count <= log_blocks,
// and each of the count home blocks lies in [inode_start, nblocks). Returns
// 0 or FSE_BADLOG.
int log_check_header(const struct superblock *sb, const struct logheader *h);

// Set up lg for the file system described by sb (already validated) on
// dev, with nbufs caller-supplied block buffers at bufs (nbufs *
// FS_BLOCK_SIZE bytes, at least 1; a transaction holds at most
// min(nbufs, log_blocks) blocks). Does no I/O. Returns 0 or FSE_INVAL.
int log_init(struct fslog *lg, const struct blockdev *dev,
             const struct superblock *sb, void *bufs, uint32_t nbufs);

// Install a committed log left by a crash, then mark the log empty. Call
// once at mount before reading anything else, with no transaction open.
// Returns the number of blocks installed (0 if the log was empty),
// FSE_LOGSTATE, FSE_BADLOG (corrupt header: nothing written) or FSE_IO
// (the disk may be partly installed; recovering again finishes the job).
int log_recover(struct fslog *lg);

// Open a transaction. Returns 0 or FSE_LOGSTATE (one is already open).
int log_begin(struct fslog *lg);

// Record the new contents of block blockno in the open transaction
// (copying data; writing the same block again replaces the copy). Returns
// 0, FSE_LOGSTATE (no transaction), FSE_RANGE (blockno not in
// [inode_start, nblocks)) or FSE_LOGFULL (the transaction is full; it stays
// open and unchanged).
int log_write(struct fslog *lg, uint64_t blockno, const void *data);

// The pending new contents of blockno in the open transaction, or NULL.
const void *log_pending(const struct fslog *lg, uint64_t blockno);

// Read block blockno as the open transaction sees it: its pending copy if
// there is one, else the disk's. Returns 0 or FSE_IO.
int log_read(const struct fslog *lg, uint64_t blockno, void *buf);

// How many more distinct blocks the open transaction can take.
uint32_t log_room(const struct fslog *lg);

// Drop the open transaction without writing anything.
void log_abort(struct fslog *lg);

// Commit the open transaction (see the top of this file) and close it.
// Returns 0, FSE_LOGSTATE (none open) or FSE_IO. After FSE_IO the
// transaction is closed and the disk holds either the old state or a
// committed log: run log_recover before using the file system again.
int log_commit(struct fslog *lg);
