// On-disk format of the file system: the one definition shared by the file
// server (servers/fs), mkfs and fsck (tools/mkfs).
//
// Blocks are FS_BLOCK_SIZE (4096) bytes, the page size, so a file block can
// be read straight into a page frame. Block numbers are 32-bit (a disk holds
// at most 2^32 - 1 blocks, 16 TiB). Every integer is little-endian and
// fixed-width; the structures below are the exact byte layout (the host and
// the target are both little-endian, which is asserted at the end).
//
// Disk layout, in blocks (the superblock holds the real numbers):
//
//   0                    boot block, unused (all zero)
//   1                    superblock (struct superblock, rest of block zero)
//   2                    log header (struct logheader, rest of block zero)
//   3 .. 2+L             log data blocks, L = log_blocks (default 64)
//   inode_start ..       inode table: inode_blocks blocks of 32 inodes each
//   bitmap_start ..      free-block bitmap: one bit per block of the disk
//   data_start .. N-1    data blocks (file contents, directories, indirect
//                        blocks)
//
// The areas follow each other without gaps in exactly this order, and
//   inode_start  = log_start + 1 + log_blocks
//   ninodes      = inode_blocks * FS_INODES_PER_BLOCK
//   bitmap_start = inode_start + inode_blocks
//   bitmap_blocks= ceil(nblocks / FS_BITS_PER_BLOCK)
//   data_start   = bitmap_start + bitmap_blocks
//   data_blocks  = nblocks - data_start
// (fs_check_super in fslib.c enforces all of this). Example, a 16 MiB image
// from mkfs: nblocks 4096, log header 2, log 3..66, inodes 67..82 (512
// inodes), bitmap 83, data 84..4095.
//
// Bitmap: bit b (byte b / 8, bit b % 8, least significant bit first) is 1
// iff block b is in use. It covers the whole disk: the bits of blocks 0 ..
// data_start-1 are always 1, bits of data blocks are 1 iff some inode uses
// the block (as data or as an indirect block), and the bits past the last
// block (b >= nblocks) in the last bitmap block are 0.
//
// Inodes: inode number i lives in block inode_start + i / 32 at byte offset
// (i % 32) * 128. Inode 0 is never used (a directory entry with inum 0 is a
// free slot) and stays all zero; the root directory is inode 1. A free inode
// has type FS_T_FREE and is all zero.
//
// Block map of an inode: file block f (f = byte offset / 4096) is
//   f < 12                  direct[f]
//   f < 12 + 1024           slot f - 12 of the indirect block
//   f < 12 + 1024 + 1024^2  slot (g / 1024) of the double-indirect block
//                           names an indirect block; its slot g % 1024 holds
//                           the block (g = f - 12 - 1024)
// An indirect block is an array of 1024 uint32_t block numbers. Block number
// 0 means "none": a hole reads as zeros (also for whole indirect blocks).
// No block at or past ceil(size / 4096) is mapped, and an indirect block
// is present only if part of its range lies below that. Largest file:
// 1049612 blocks (~4 GiB).
//
// nlink is the number of directory entries that name the inode, counting
// "." and "..": a file has one per name, a directory has 2 (its name in the
// parent and its own ".") plus one per subdirectory (their ".."); the root
// has 2 (its "." and "..", both naming itself) plus one per subdirectory.
//
// Directories: a directory's contents are an array of struct fs_dirent, 64
// per block. Its size is a non-zero multiple of 4096 and it has no holes.
// Entry 0 of block 0 is "." (the directory itself), entry 1 is ".." (the
// parent; the root's parent is the root). No other entry is "." or "..". A used
// entry has inum != 0 and a name of 1..FS_NAME_MAX bytes without '/' or
// NUL, NUL-terminated and NUL-padded to 60 bytes; a free entry is all zero.
// Names are unique within a directory. Directories have exactly one name
// (no hard links to directories).
//
// Log (write-ahead redo log, see fslib.h): the header's count is 0 when the
// log is empty. When count = n > 0, log data block i (block log_start+1+i)
// holds the committed new contents of block home[i], for i < n; recovery
// copies them home and then writes count = 0. The header's live part is
// 4 + 4 * FS_LOG_MAX = 508 bytes, within the first 512-byte sector, so the
// commit point (writing the header) is atomic even on a disk that only
// writes whole sectors atomically. Home blocks must lie in [inode_start,
// nblocks): the boot block, superblock and log are never logged.

#pragma once

#include <stdint.h>

#define FS_BLOCK_SIZE       4096u
#define FS_MAGIC            0x3153464bu     /* bytes "KFS1" on disk */
#define FS_VERSION          1u

#define FS_SUPER_BLOCK      1u              /* block number of the superblock */
#define FS_LOG_START        2u              /* block number of the log header */
#define FS_LOG_BLOCKS       64u             /* default log size (data blocks) */
#define FS_LOG_MAX          126u            /* largest log_blocks allowed */

#define FS_INODE_SIZE       128u
#define FS_INODES_PER_BLOCK (FS_BLOCK_SIZE / FS_INODE_SIZE)     /* 32 */
#define FS_ROOT_INUM        1u

#define FS_NDIRECT          12u
#define FS_NINDIRECT        (FS_BLOCK_SIZE / sizeof(uint32_t))  /* 1024 */
#define FS_MAX_FILE_BLOCKS  ((uint64_t)FS_NDIRECT + FS_NINDIRECT + \
                             (uint64_t)FS_NINDIRECT * FS_NINDIRECT)
#define FS_MAX_FILE_SIZE    (FS_MAX_FILE_BLOCKS * FS_BLOCK_SIZE)

#define FS_BITS_PER_BLOCK   (FS_BLOCK_SIZE * 8u)                /* 32768 */

#define FS_NAME_MAX         59u             /* longest name, without NUL */
#define FS_DIRENT_SIZE      64u
#define FS_DIRENTS_PER_BLOCK (FS_BLOCK_SIZE / FS_DIRENT_SIZE)   /* 64 */

// Inode types.
#define FS_T_FREE           0u
#define FS_T_FILE           1u
#define FS_T_DIR            2u

// Block 1. All block numbers are absolute; all counts are in blocks
// except ninodes.
struct superblock {
    uint32_t magic;             // FS_MAGIC
    uint32_t version;           // FS_VERSION
    uint32_t block_size;        // FS_BLOCK_SIZE
    uint32_t nblocks;           // blocks in the file system (whole disk)
    uint32_t log_start;         // log header block (FS_LOG_START)
    uint32_t log_blocks;        // log data blocks after the header
    uint32_t inode_start;       // first block of the inode table
    uint32_t inode_blocks;      // blocks in the inode table
    uint32_t bitmap_start;      // first block of the free-block bitmap
    uint32_t bitmap_blocks;     // blocks in the bitmap
    uint32_t data_start;        // first data block
    uint32_t data_blocks;       // number of data blocks
    uint32_t ninodes;           // inode numbers 0 .. ninodes-1
    uint32_t root_inum;         // FS_ROOT_INUM
    uint32_t reserved[2];       // zero
};

// Block log_start. Unused entries of home[] are zero.
struct logheader {
    uint32_t count;             // 0: log empty; else committed blocks
    uint32_t home[FS_LOG_MAX];  // home block number of log data block i
};

// One inode, 128 bytes.
struct dinode {
    uint16_t type;              // FS_T_FREE, FS_T_FILE or FS_T_DIR
    uint16_t nlink;             // directory entries naming this inode
    uint32_t flags;             // reserved, zero
    uint64_t size;              // bytes
    uint64_t mtime;             // seconds since 1970 (0 if unknown)
    uint32_t direct[FS_NDIRECT];
    uint32_t indirect;          // block of FS_NINDIRECT block numbers
    uint32_t dindirect;         // block of FS_NINDIRECT indirect blocks
    uint32_t reserved[12];      // zero
};

// One directory entry, 64 bytes.
struct fs_dirent {
    uint32_t inum;              // 0: free entry
    char name[FS_NAME_MAX + 1]; // NUL-terminated, NUL-padded
};

_Static_assert(sizeof(struct superblock) == 64, "superblock layout");
_Static_assert(sizeof(struct logheader) == 4 + 4 * FS_LOG_MAX, "log header");
_Static_assert(sizeof(struct logheader) <= 512, "log header fits a sector");
_Static_assert(sizeof(struct dinode) == FS_INODE_SIZE, "inode layout");
_Static_assert(sizeof(struct fs_dirent) == FS_DIRENT_SIZE, "dirent layout");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "the on-disk structures are used in place: little-endian only");
