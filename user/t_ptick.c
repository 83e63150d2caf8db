/* The policy's tick (policy.h): under a policy that has one (PG_STAT
   POLICY_TICK; twoq's and clock's sweep frames ahead of the hand, looking
   at their accessed bits), a task that keeps the pager busy for a while
   sees vmstat's scans grow once fewer than a quarter of the frames are
   free, with no shortage (nothing is evicted): the loop calls the tick
   every 100 ms or so of the pager's time then. The test first writes
   enough memory to leave 3/16 of the frames free, and checks that with
   more than a quarter free there are no ticks (no scans in half a second
   of requests). Under the others nothing is asserted. Waits at most 20 s. */
#include "test.h"

/* Requests to the pager (each one a turn of its loop) until the scans grow
   twice or `limit` of rdtime has passed; the scans at the end. */
static uint64_t busy(uint64_t s0, uint64_t limit, long *calls)
{
    struct vmstat v;
    uint64_t t0 = rdtime();
    do {
        CHECK_EQ(vmstat(&v), 0);
        (*calls)++;
    } while (v.scans < s0 + 2 && rdtime() - t0 < limit);
    return v.scans;
}

int main(void)
{
    struct pager_stat st;
    CHECK_EQ(pager_stat(&st), 0);
    bool tick = st.policy_flags & POLICY_TICK;
    struct vmstat v;
    CHECK_EQ(vmstat(&v), 0);
    long calls = 0;
    bool plenty = v.frames_free > v.frames_total / 4;
    uint64_t s0 = v.scans, s1 = busy(s0, plenty || !tick ? RDTIME_HZ / 2 : 20 * RDTIME_HZ, &calls);
    printf("t_ptick: policy %s%s: %lu of %lu frames free: scans %lu -> %lu after %ld calls\n", st.policy,
           tick ? " (tick)" : "", (unsigned long)v.frames_free, (unsigned long)v.frames_total,
           (unsigned long)s0, (unsigned long)s1, calls);
    if (tick)                   /* memory plentiful: no tick; else ticks */
        CHECK(plenty ? s1 == s0 : s1 >= s0 + 2);
    if (plenty) {               /* leave 3/16 free: ticks, but no shortage */
        uint64_t pages = v.frames_free - v.frames_total * 3 / 16;
        char *m = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(m != MAP_FAILED);
        for (uint64_t i = 0; i < pages; i++)
            m[i * 4096] = 1;
        CHECK_EQ(vmstat(&v), 0);
        calls = 0;
        uint64_t t0 = rdtime(), s2 = v.scans, s3 = busy(s2, tick ? 20 * RDTIME_HZ : RDTIME_HZ / 2, &calls);
        printf("t_ptick: %lu frames free: scans %lu -> %lu after %ld calls in %lu ms\n",
               (unsigned long)v.frames_free, (unsigned long)s2, (unsigned long)s3, calls,
               (unsigned long)((rdtime() - t0) / (RDTIME_HZ / 1000)));
        if (tick)
            CHECK(s3 >= s2 + 2);
        CHECK_EQ(munmap(m, pages * 4096), 0);
    }
    printf("t_ptick: ok\n");
    return 0;
}
