/* What fstat, stat and lstat return (PG_FSTAT). The layout is exactly
   picolibc's struct stat for riscv64 (Debian picolibc 1.8), so the C library
   hands it to programs as it is: 104 bytes, fixed-width fields at fixed
   offsets (asserted below). st_ino is 16 bits there: it holds the inode
   number cut to 16 bits (readdir gives the whole one). */
#pragma once
#include <stdint.h>

struct stat_time {
    int64_t tv_sec;
    int64_t tv_nsec;
};

struct stat {
    uint16_t st_dev;              /* 0 (one file system) */
    uint16_t st_ino;              /* the inode number, low 16 bits */
    uint32_t st_mode;             /* S_IFREG | 0644, S_IFDIR | 0755, S_IFIFO or S_IFCHR | 0600 */
    uint16_t st_nlink;            /* directory entries naming it */
    uint16_t st_uid;              /* 0 */
    uint16_t st_gid;              /* 0 */
    uint16_t st_rdev;             /* 0 */
    int64_t st_size;              /* bytes */
    struct stat_time st_atim;     /* the modification time (no access times are kept) */
    struct stat_time st_mtim;     /* last modification: seconds since 1970, 0 if unknown */
    struct stat_time st_ctim;     /* the modification time */
    int64_t st_blksize;           /* 4096 */
    int64_t st_blocks;            /* 512-byte units on the disk */
    int64_t st_spare[2];
};

#ifndef st_mtime
#define st_atime st_atim.tv_sec
#define st_mtime st_mtim.tv_sec
#define st_ctime st_ctim.tv_sec
#endif

#ifndef S_IFMT
#define S_IFMT   0170000
#define S_IFDIR  0040000
#define S_IFCHR  0020000
#define S_IFIFO  0010000
#define S_IFREG  0100000
#endif
#ifndef S_ISDIR
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISCHR(m) (((m) & S_IFMT) == S_IFCHR)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)
#endif

_Static_assert(sizeof(struct stat) == 104, "struct stat: picolibc's size");
_Static_assert(__builtin_offsetof(struct stat, st_mode) == 4, "struct stat: st_mode");
_Static_assert(__builtin_offsetof(struct stat, st_nlink) == 8, "struct stat: st_nlink");
_Static_assert(__builtin_offsetof(struct stat, st_size) == 16, "struct stat: st_size");
_Static_assert(__builtin_offsetof(struct stat, st_mtim) == 40, "struct stat: st_mtim");
_Static_assert(__builtin_offsetof(struct stat, st_blksize) == 72, "struct stat: st_blksize");
_Static_assert(__builtin_offsetof(struct stat, st_blocks) == 80, "struct stat: st_blocks");
