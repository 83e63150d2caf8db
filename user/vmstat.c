/* vmstat: print the pager's memory counters, one per line; used frames and the
   pager's bookkeeping broken down by what holds them (abi/vmstat.h); then
   paging: major and minor faults, swap-outs and swap-ins, evictions (clean:
   no write needed; dirty: written out), frames the policy scanned, swap
   slots used and free (pages, and KiB), tasks killed for want of memory. */
#include "sys.h"

int main(void)
{
    struct vmstat st;
    long r = vmstat(&st);
    if (r < 0) {
        dprintf(2, "vmstat: %s\n", errstr(r));
        return 1;
    }
    printf("frames free: %lu\n", st.frames_free);
    printf("frames total: %lu\n", st.frames_total);
    printf("frames used: %lu = private %lu + servers %lu + file cache %lu + programs %lu + shared %lu"
           " + zero page %lu + in flight %lu + swap cache %lu\n", st.frames_used, st.used_private, st.used_fs,
           st.used_cache, st.used_image, st.used_object, st.used_zero, st.used_io, st.used_swap);
    printf("frames bookkeeping: %lu = fixed %lu + shadow tables %lu + heap %lu + page lists %lu + other %lu\n",
           st.meta_total, st.meta_fixed, st.meta_shadow, st.meta_heap, st.meta_tables, st.meta_other);
    if (st.frames_lost)
        printf("frames lost: %lu\n", st.frames_lost);
    printf("frames shared: %lu\n", st.frames_shared);
    printf("faults zero page: %lu\n", st.zero_page);
    printf("faults zero fill: %lu\n", st.zero_fill);
    printf("faults cow copy: %lu\n", st.cow_copy);
    printf("faults cow reuse: %lu\n", st.cow_reuse);
    printf("file pages read: %lu\n", st.file);
    printf("faults invalid: %lu\n", st.invalid);
    printf("forks: %lu\n", st.forks);
    printf("execs: %lu\n", st.execs);
    printf("fork pages: %lu\n", st.fork_pages);
    printf("pages written back: %lu\n", st.writeback);
    printf("bus errors: %lu\n", st.bus_error);
    printf("faults major: %lu\n", st.faults_major);
    printf("faults minor: %lu\n", st.faults_minor);
    printf("pages mapped around faults: %lu\n", st.fault_around);
    printf("swap-outs: %lu\n", st.swap_out);
    printf("swap-ins: %lu\n", st.swap_in);
    printf("evictions clean: %lu\n", st.evict_clean);
    printf("evictions dirty: %lu\n", st.evict_dirty);
    printf("evictions shared: %lu\n", st.evict_shared);
    printf("reclaim scans: %lu\n", st.scans);
    printf("swap used: %lu (%luK)\n", st.swap_used, st.swap_used * 4);
    printf("swap free: %lu (%luK)\n", st.swap_total - st.swap_used, (st.swap_total - st.swap_used) * 4);
    printf("oom kills: %lu\n", st.oom_kills);
    return 0;
}
