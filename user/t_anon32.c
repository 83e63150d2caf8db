/* Touch 32 MiB of anonymous memory page by page, then check every byte. */
#include "test.h"

#define SIZE (32UL << 20)

int main(long arg)
{
    (void)arg;
    struct pager_stat s0, s1;
    uint8_t *p = anon_map(SIZE);
    CHECK(p != NULL);
    CHECK(pager_stat(&s0) == 0);
    for (uint64_t i = 0; i < SIZE; i++)
        p[i] = (uint8_t)(i * 7 + (i >> 12));
    CHECK(pager_stat(&s1) == 0);
    for (uint64_t i = 0; i < SIZE; i++)
        if (p[i] != (uint8_t)(i * 7 + (i >> 12))) {
            printf("byte %lu is %u\n", i, p[i]);
            return 1;
        }
    /* each page took exactly one zero-fill fault and one frame */
    CHECK_EQ(s1.zero_fill - s0.zero_fill, SIZE / 4096);
    CHECK_EQ(s0.free_frames - s1.free_frames, SIZE / 4096);
    return 0;
}
