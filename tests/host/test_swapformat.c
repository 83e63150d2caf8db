/* Host unit tests for servers/swap/swapformat.h: the header check that keeps
   the swap driver off any disk that is not a swap disk. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "swapformat.h"

static struct swap_header good(uint64_t nslots)
{
    struct swap_header h = { .version = SWAP_VERSION, .block_size = SWAP_BLOCK, .nslots = nslots };
    memcpy(h.magic, swap_magic, sizeof h.magic);
    return h;
}

static void test_accepts(void)
{
    struct swap_header h = good(255);
    CHECK(swap_header_check(&h, 256) == 255);
    CHECK(swap_header_check(&h, 1000) == 255); /* a disk larger than the header says */
    h = good(1);
    CHECK(swap_header_check(&h, 2) == 1);
}

static void test_refuses(void)
{
    struct swap_header h = good(255);
    CHECK(swap_header_check(&h, 255) == -1);   /* more slots than the disk holds */
    CHECK(swap_header_check(&h, 0) == -1);
    h = good(0);
    CHECK(swap_header_check(&h, 256) == -1);   /* no slots */
    h = good(10);
    h.version = 2;
    CHECK(swap_header_check(&h, 256) == -1);
    h = good(10);
    h.block_size = 512;
    CHECK(swap_header_check(&h, 256) == -1);
    for (int i = 0; i < 8; i++) {              /* any changed byte of the magic */
        h = good(10);
        h.magic[i] ^= 0x20;
        CHECKF(swap_header_check(&h, 256) == -1, "magic byte %d", i);
    }
    struct swap_header zero;                   /* a fresh (all-zero) disk */
    memset(&zero, 0, sizeof zero);
    CHECK(swap_header_check(&zero, 256) == -1);
}

/* Random headers: accepted exactly when every field is right. */
static void test_random(void)
{
    rng_state = 7;
    for (int i = 0; i < 100000; i++) {
        struct swap_header h = good(rng() % 300);
        uint64_t blocks = rng() % 300;
        int what = (int)(rng() % 4);
        if (what == 1)
            h.magic[rng() % 8] = (char)rng();
        else if (what == 2)
            h.version = (uint32_t)rng();
        bool ok = memcmp(h.magic, swap_magic, 8) == 0 && h.version == SWAP_VERSION && h.nslots > 0 &&
                  blocks > 0 && h.nslots <= blocks - 1;
        REQUIREF(swap_header_check(&h, blocks) == (ok ? (int64_t)h.nslots : -1), "case %d", i);
    }
}

int main(void)
{
    CHECK_RUN(swapformat, accepts);
    CHECK_RUN(swapformat, refuses);
    CHECK_RUN(swapformat, random);
    return check_exit_code();
}
