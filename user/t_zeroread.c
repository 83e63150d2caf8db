/* Reading untouched anonymous memory gives zeros and takes no frame; the first
   write takes one. Under an eager policy the pages have their frames from the
   start (the first 16 MiB of a region): reading them takes no more. */
#include "test.h"

#define SIZE (8UL << 20)

int main(int argc, char **argv)
{
    long arg = argc > 1 ? atol(argv[1]) : 0;
    (void)arg;
    struct vmstat s0, s1, s2;
    uint64_t *p = anon_map(SIZE);
    CHECK(p != NULL);
    CHECK(vmstat(&s0) == 0);
    uint64_t sum = 0;
    for (uint64_t i = 0; i < SIZE / 8; i++)
        sum |= p[i];
    CHECK_EQ(sum, 0);
    CHECK(vmstat(&s1) == 0);
    CHECK_EQ(s1.frames_free, s0.frames_free);   /* not a frame, not even for bookkeeping */
    uint64_t eager = eager_pages(SIZE / 4096);
    CHECK_EQ(s1.zero_page - s0.zero_page, SIZE / 4096 - eager);
    p[SIZE / 16] = 42; /* a write to a page that has the zero page mapped (a frame of its own when eager) */
    CHECK(vmstat(&s2) == 0);
    CHECK_EQ(s2.frames_used - s1.frames_used, eager ? 0 : 1);
    CHECK_EQ(s2.zero_fill - s1.zero_fill, eager ? 0 : 1);
    CHECK_EQ(p[SIZE / 16], 42);
    CHECK_EQ(p[SIZE / 16 + 1], 0);
    CHECK_EQ(p[0], 0);
    return 0;
}
