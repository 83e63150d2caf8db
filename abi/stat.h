/* What fstat and stat return (PG_FSTAT): the C library's struct stat (picolibc
   on riscv64), field for field, so nothing translates it; libc/abicheck.c
   checks every offset and size at build time. st_ino has only 16 bits there. */
#pragma once
#include <stdint.h>

struct stat_time { int64_t tv_sec, tv_nsec; };

struct stat {
    uint16_t st_dev;
    uint16_t st_ino;
    uint32_t st_mode;     /* S_IFREG or S_IFDIR, and the permission bits */
    uint16_t st_nlink;
    uint16_t st_uid;
    uint16_t st_gid;
    uint16_t st_rdev;
    int64_t st_size;
    struct stat_time st_atim, st_mtim, st_ctim;
    int64_t st_blksize;
    int64_t st_blocks;
    int64_t st_spare4[2];
};

#ifndef S_IFMT
#define S_IFMT  0170000
#define S_IFDIR 0040000
#define S_IFREG 0100000
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#endif
