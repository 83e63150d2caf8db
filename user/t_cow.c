/* Copy-on-write across generations: three generations write different parts
   of a 32 MiB region at the same time and each sees only its own writes; then
   hundreds of fork/fork/exit rounds over the region leave the parent's data and
   the frame count as they were. */
#include "test.h"

#define SIZE (32UL << 20)
#define PAGES (SIZE / 4096)
#define ROUNDS 300

static uint64_t *mem;

/* Write `tag` into every page whose index is a multiple of `stride` (from `first`). */
static void scribble(uint64_t tag, long first, long stride)
{
    for (long i = first; i < (long)PAGES; i += stride)
        mem[i * 512 + 1] = tag;
}

/* Every page must hold `tag` where this generation wrote, the original elsewhere. */
static int verify(uint64_t tag, long first, long stride)
{
    for (long i = 0; i < (long)PAGES; i++) {
        uint64_t want = (i >= first && (i - first) % stride == 0) ? tag : (uint64_t)i;
        if (mem[i * 512 + 1] != want) {
            printf("page %ld: %lx, want %lx\n", i, mem[i * 512 + 1], want);
            return 1;
        }
    }
    return 0;
}

static long accounted(void)
{
    static struct region_info ri[32];
    long n = pmap(getpid(), ri, 32), own = 0;
    struct vmstat st;
    vmstat(&st);
    for (long i = 0; i < n && i < 32; i++)
        own += (long)ri[i].resident;
    return (long)st.frames_free + own;
}

int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    mem = mmap(0, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(mem != MAP_FAILED);
    for (long i = 0; i < (long)PAGES; i++)
        mem[i * 512 + 1] = (uint64_t)i;

    int child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        int grandchild = fork();
        if (grandchild < 0)
            exit(3);
        if (grandchild == 0) {
            scribble(0x3333, 2, 3);       /* a third of the pages */
            exit(verify(0x3333, 2, 3));
        }
        scribble(0x2222, 1, 2);           /* half */
        int st, r = verify(0x2222, 1, 2);
        if (waitpid(grandchild, &st, 0) != grandchild || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            r = 4;
        exit(r);
    }
    scribble(0x1111, 0, 4);               /* a quarter */
    CHECK_EQ(verify(0x1111, 0, 4), 0);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);

    struct vmstat v0, v1;
    vmstat(&v0);
    long before = accounted();
    for (int r = 0; r < ROUNDS; r++) {
        int a = fork();
        CHECK(a >= 0);
        if (a == 0) {
            int b = fork();
            mem[(r % PAGES) * 512 + 1] = 0xbad;    /* both write one page */
            if (b > 0)
                waitpid(b, NULL, 0);
            exit(0);
        }
        CHECK_EQ(waitpid(a, &status, 0), a);
        CHECK(WIFEXITED(status));
    }
    CHECK_EQ(verify(0x1111, 0, 4), 0);
    long after = accounted();
    vmstat(&v1);
    if (v1.evict_clean + v1.evict_dirty == v0.evict_clean + v0.evict_dirty)
        CHECK_EQ(after, before); /* with nothing evicted meanwhile, free frames are comparable */
    else
        printf("t_cow: pages were evicted meanwhile (memory is short): the frame count is not comparable\n");
    return 0;
}
