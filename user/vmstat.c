/* vmstat: print the pager's memory counters, one per line; used frames and the
   pager's bookkeeping broken down by what holds them (abi/vmstat.h). */
#include "sys.h"

int main(void)
{
    struct vmstat st;
    long r = vmstat(&st);
    if (r < 0) {
        dprintf(2, "vmstat: %s\n", strerror(r));
        return 1;
    }
    printf("frames free: %lu\n", st.frames_free);
    printf("frames total: %lu\n", st.frames_total);
    printf("frames used: %lu = private %lu + servers %lu + file cache %lu + programs %lu + shared %lu"
           " + zero page %lu + in flight %lu\n", st.frames_used, st.used_private, st.used_fs, st.used_cache,
           st.used_image, st.used_object, st.used_zero, st.used_io);
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
    return 0;
}
