/* What fstat and stat return (PG_FSTAT). */
#pragma once
#include <stdint.h>

struct stat {
    uint64_t st_ino;
    uint64_t st_type;     /* FT_FILE or FT_DIR */
    uint64_t st_nlink;
    uint64_t st_size;
};
