/* fork with swapped pages: 1.25 times the RAM of anonymous memory is filled
   with a pattern (much of it goes to swap), then the task forks. Child and
   parent each check all of it, each writes a pattern of its own over part of
   it (copy-on-write after swap-in; the parts overlap), and each checks all of
   it again: its own pattern where it wrote, the first everywhere else. After
   both are done and the region is gone, the swap slots that no live task
   holds (swap_unowned) are as many as before.
   Before the fork, pmap and ps must show pages of this task on swap (needs
   RIGHT_PROCS for pmap of itself from a child).
   argv[1]: percent of the size (testinit's scale; 100 when 0). */
#include "test.h"

#define FIRST 1
#define CHILD 2
#define PARENT 3

static uint64_t *mem;
static uint64_t pages;

/* Child writes every third page, the parent every second one: page 0 and
   every sixth page are written by both, after the fork. */
static bool writes(uint64_t seed, uint64_t i)
{
    return seed == CHILD ? i % 3 == 0 : i % 2 == 0;
}

/* Check all pages: `mine` where this side wrote (after it did), FIRST elsewhere. */
static bool check_all(const char *who, uint64_t mine, bool written)
{
    for (uint64_t i = 0; i < pages; i++)
        if (!pat_check_page(who, mem, i, written && writes(mine, i) ? mine : FIRST))
            return false;
    return true;
}

/* One side's part after the fork; true when all of its data was right. */
static bool side(const char *who, uint64_t mine)
{
    if (!check_all(who, mine, false))
        return false;
    for (uint64_t i = 0; i < pages; i++)
        if (writes(mine, i))
            pat_fill_page(mem, i, mine);
    return check_all(who, mine, true);
}

static int child(long arg)
{
    (void)arg;
    return side("t_swapfork child", CHILD) ? 0 : 1;
}

/* ps and pmap show that pages of this task are on swap (it has more than RAM
   written: some must be). */
static void check_tools(void)
{
    static char out[8192];
    char me[24];
    snprintf(me, sizeof me, "%ld", (long)getpid());
    char *pav[] = { "pmap", me, NULL };
    long how, code;
    run_capture(pav, out, sizeof out, &how, &code);
    PCHECK(how == WAIT_EXITED && code == 0);
    long swapped = number_after(out, "K) resident,");
    printf("t_swapfork: pmap says %ld pages on swap\n", swapped);
    PCHECK(swapped > 0);
    char *sav[] = { "ps", NULL };
    run_capture(sav, out, sizeof out, &how, &code);
    PCHECK(how == WAIT_EXITED && code == 0);
    for (char *line = out; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : line + strlen(line)) {
        char *f = line;
        long field[6];
        for (int k = 0; k < 6; k++) { /* PID PPID STATE FAULTS RES SWAP */
            while (*f == ' ')
                f++;
            field[k] = atol(f);
            while (*f && *f != ' ' && *f != '\n')
                f++;
        }
        if (field[0] == getpid()) {
            printf("t_swapfork: ps says %ld resident, %ld on swap\n", field[4], field[5]);
            PCHECK(field[5] > 0);
            return;
        }
    }
    PCHECK(!"ps lists this task");
}

int main(int argc, char **argv)
{
    long pct;
    uint64_t ram = paging_start("t_swapfork", argc, argv, &pct);
    pages = scaled(ram * 5 / 4, pct); /* more than RAM: part of it is on swap when it forks */
    struct vmstat before = vm_now();
    long unowned = swap_unowned();
    mem = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    PCHECK(mem != MAP_FAILED);
    for (uint64_t i = 0; i < pages; i++)
        pat_fill_page(mem, i, FIRST);
    struct vmstat filled = vm_now();
    printf("t_swapfork: %lu pages filled; swap used %lu slots\n", pages, filled.swap_used);
    if (pages > ram)
        check_tools();
    long pid = kid_fork(child, 0);
    bool ok = side("t_swapfork parent", PARENT);
    long how, code;
    kid_wait(pid, &how, &code);
    PCHECK(ok);
    PCHECK_EQ(how, WAIT_EXITED);
    PCHECK_EQ(code, 0);
    struct vmstat after = vm_now();
    printf("t_swapfork: swap-outs %lu, swap-ins %lu, cow copies %lu\n", after.swap_out - before.swap_out,
           after.swap_in - before.swap_in, after.cow_copy - before.cow_copy);
    if (pages > ram) {
        PCHECK(after.swap_out > before.swap_out);
        PCHECK(after.swap_in > before.swap_in);
    }
    PCHECK_EQ(munmap(mem, pages * 4096), 0);
    slots_back_ok("t_swapfork", unowned);
    return 0;
}
