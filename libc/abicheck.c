/* Build-time checks that the kernel's and servers' ABI (abi/) and the C
   library agree, so nothing translates at run time: the errno, O_* and other
   numbers (abicheck.h, generated from abi.def), and struct stat (abi/stat.h)
   field by field. Compiles to nothing. */
#include <limits.h> /* PATH_MAX, before abicheck.h */
#include "sys.h"
#include <stddef.h>

#define stat abi_stat
#define stat_time abi_stat_time
#include "stat.h"
#undef stat

#define SAME(f) _Static_assert(offsetof(struct stat, f) == offsetof(struct abi_stat, f) && \
                               sizeof(((struct stat *)0)->f) == sizeof(((struct abi_stat *)0)->f), \
                               "abi/stat.h: " #f " differs from the C library's struct stat")
SAME(st_dev); SAME(st_ino); SAME(st_mode); SAME(st_nlink); SAME(st_uid); SAME(st_gid); SAME(st_rdev);
SAME(st_size); SAME(st_atim); SAME(st_mtim); SAME(st_ctim); SAME(st_blksize); SAME(st_blocks);
_Static_assert(sizeof(struct stat) == sizeof(struct abi_stat), "abi/stat.h: struct stat has another size");
_Static_assert(S_IFDIR == 0040000 && S_IFREG == 0100000, "abi/stat.h: S_IF* differ");
_Static_assert(FILENAME_MAX == PATH_MAX, "libc/include/stdio.h: FILENAME_MAX is not PATH_MAX");
