/* A working set of 2.5 times the RAM (the pager's frames): memstress writes
   it, the pager swaps it out and in, memstress checks every byte and must
   print ok and exit 0. With more than RAM written, vmstat's swap-outs and
   swap-ins must have grown, and the vmstat program shows them. Afterwards
   the swap slots that no live task holds (swap_unowned: testinit's pages may
   have gone to swap meanwhile) are as many as before.
   argv[1]: percent of the size (testinit's scale; 100 when 0). */
#include "test.h"

int main(int argc, char **argv)
{
    long pct;
    uint64_t ram = paging_start("t_swapmem", argc, argv, &pct);
    uint64_t pages = scaled(ram * 5 / 2, pct);
    long mib = (long)((pages * 4096 + (1 << 20) - 1) >> 20);
    struct vmstat before = vm_now();
    long unowned = swap_unowned();
    char arg[24];
    snprintf(arg, sizeof arg, "%ld", mib);
    char *av[] = { "memstress", arg, NULL };
    static char out[256];
    long how, code;
    run_capture(av, out, sizeof out, &how, &code);
    printf("t_swapmem: memstress %ld: %s", mib, out);
    PCHECK_EQ(how, WAIT_EXITED);
    PCHECK_EQ(code, 0);
    PCHECK(strncmp(out, "ok", 2) == 0);
    struct vmstat after = vm_now();
    printf("t_swapmem: swap-outs %lu, swap-ins %lu, major faults %lu\n", after.swap_out - before.swap_out,
           after.swap_in - before.swap_in, after.faults_major - before.faults_major);
    if ((uint64_t)mib << 20 > ram * 4096) { /* more than RAM: it cannot have fitted */
        PCHECK(after.swap_out > before.swap_out);
        PCHECK(after.swap_in > before.swap_in);
    }
    /* vmstat shows the paging counters (they only grow: at least what we saw). */
    static char vm[4096];
    char *vav[] = { "vmstat", NULL };
    run_capture(vav, vm, sizeof vm, &how, &code);
    PCHECK_EQ(how, WAIT_EXITED);
    PCHECK_EQ(code, 0);
    PCHECK(number_after(vm, "swap-outs:") >= (long)after.swap_out);
    PCHECK(number_after(vm, "swap-ins:") >= (long)after.swap_in);
    PCHECK(number_after(vm, "faults major:") >= (long)after.faults_major);
    PCHECK(number_after(vm, "faults minor:") >= (long)after.faults_minor);
    PCHECK(number_after(vm, "evictions clean:") >= (long)after.evict_clean);
    PCHECK(number_after(vm, "evictions dirty:") >= (long)after.evict_dirty);
    PCHECK(number_after(vm, "reclaim scans:") >= (long)after.scans);
    PCHECK(number_after(vm, "swap used:") >= 0 && number_after(vm, "swap free:") >= 0);
    PCHECK(number_after(vm, "swap used:") + number_after(vm, "swap free:") == (long)after.swap_total);
    PCHECK(number_after(vm, "oom kills:") >= (long)after.oom_kills);
    PCHECK(number_after(vm, "swap cache") >= 0);
    slots_back_ok("t_swapmem", unowned);
    return 0;
}
