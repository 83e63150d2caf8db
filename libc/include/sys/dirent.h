/* Directories for <dirent.h> (picolibc leaves them to the system). */
#pragma once
#include <sys/types.h>

struct dirent {
    ino_t d_ino;
    char d_name[64];       /* names are at most 63 bytes (fsformat.h) */
};

typedef struct {
    int fd;
    long cookie;           /* where the next entry starts */
    struct dirent ent;     /* what readdir returned last */
} DIR;
