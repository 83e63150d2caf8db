/* On-disk format of a swap disk: the one definition shared by the swap driver
   (servers/swap) and mkswap (tools/mkswap).

   Block 0 (4096 bytes) holds struct swap_header, the rest of it zero; slot s
   is block 1 + s. A disk of B blocks has at most B - 1 slots. Integers are
   little-endian (host and target both are). The header tells a swap disk
   from any other: the driver refuses a disk without it, so a file system or
   a scratch disk named by mistake is never written. */
#pragma once
#include <stdint.h>

#define SWAP_BLOCK 4096
#define SWAP_VERSION 1
static const char swap_magic[8] = { 'S', 'W', 'A', 'P', 'D', 'I', 'S', 'K' };

struct swap_header {
    char magic[8];               /* swap_magic */
    uint32_t version;            /* SWAP_VERSION */
    uint32_t block_size;         /* SWAP_BLOCK */
    uint64_t nslots;             /* slots that follow block 0 */
};

/* The slots of a disk of `blocks` blocks whose block 0 is h: nslots, or -1
   when h is no swap header of this version or names more slots than the
   disk holds. */
static inline int64_t swap_header_check(const struct swap_header *h, uint64_t blocks)
{
    for (int i = 0; i < 8; i++)
        if (h->magic[i] != swap_magic[i])
            return -1;
    if (h->version != SWAP_VERSION || h->block_size != SWAP_BLOCK)
        return -1;
    if (h->nslots == 0 || blocks == 0 || h->nslots > blocks - 1)
        return -1;
    return (int64_t)h->nslots;
}
