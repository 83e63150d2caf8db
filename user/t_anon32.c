/* Touch 32 MiB of anonymous memory page by page, then check every byte. Each
   page takes one zero-fill fault, except those an eager policy filled when
   the region was made (its first 16 MiB). */
#include "test.h"

#define SIZE (32UL << 20)

int main(int argc, char **argv)
{
    long arg = argc > 1 ? atol(argv[1]) : 0;
    (void)arg;
    struct vmstat s0, s1;
    touch_own_image(); /* a text page first read during the loop would take a frame too */
    uint64_t eager = eager_pages(SIZE / 4096);
    uint8_t *p = anon_map(SIZE);
    CHECK(p != NULL);
    CHECK(vmstat(&s0) == 0);
    for (uint64_t i = 0; i < SIZE; i++)
        p[i] = (uint8_t)(i * 7 + (i >> 12));
    CHECK(vmstat(&s1) == 0);
    for (uint64_t i = 0; i < SIZE; i++)
        if (p[i] != (uint8_t)(i * 7 + (i >> 12))) {
            printf("byte %lu is %u\n", i, p[i]);
            return 1;
        }
    /* each page took exactly one zero-fill fault and one frame (plus the
       pager's bookkeeping: one shadow-table page per 2 MiB and a few more) */
    if (s1.frames_used - s0.frames_used != SIZE / 4096 - eager) /* say what else took frames */
        printf("t_anon32: zero_page +%lu cow_copy +%lu cow_reuse +%lu file +%lu invalid +%lu\n",
               s1.zero_page - s0.zero_page, s1.cow_copy - s0.cow_copy, s1.cow_reuse - s0.cow_reuse,
               s1.file - s0.file, s1.invalid - s0.invalid);
    CHECK_EQ(s1.zero_fill - s0.zero_fill, SIZE / 4096 - eager);
    CHECK_EQ(s1.frames_used - s0.frames_used, SIZE / 4096 - eager);
    CHECK(s0.frames_free - s1.frames_free <= SIZE / 4096 + SIZE / (2 << 20) + 4);
    return 0;
}
