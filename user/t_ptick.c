/* The policy's tick (policy.h): under a policy that has one (PG_STAT
   POLICY_TICK; clock's sweeps frames ahead of its hand, looking at their
   accessed bits), a task that keeps the pager busy for a while without
   any memory pressure sees vmstat's scans grow: the loop calls the tick
   every 100 ms or so of the pager's time. Under the others nothing is
   asserted (printed after half a second). Waits at most 20 s. */
#include "test.h"

int main(void)
{
    struct pager_stat st;
    CHECK_EQ(pager_stat(&st), 0);
    bool tick = st.policy_flags & POLICY_TICK;
    struct vmstat v;
    CHECK_EQ(vmstat(&v), 0);
    uint64_t s0 = v.scans, t0 = rdtime(), limit = tick ? 20 * RDTIME_HZ : RDTIME_HZ / 2;
    long calls = 0;
    /* messages to the pager (each one a turn of its loop), until the scans
       grow twice or the limit has passed */
    do {
        CHECK_EQ(vmstat(&v), 0);
        calls++;
    } while (v.scans < s0 + 2 && rdtime() - t0 < limit);
    printf("t_ptick: policy %s%s: scans %lu -> %lu after %ld calls in %lu ms\n", st.policy,
           tick ? " (tick)" : "", (unsigned long)s0, (unsigned long)v.scans, calls,
           (unsigned long)((rdtime() - t0) / (RDTIME_HZ / 1000)));
    if (tick)
        CHECK(v.scans >= s0 + 2);
    printf("t_ptick: ok\n");
    return 0;
}
