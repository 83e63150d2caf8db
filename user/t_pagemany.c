/* Several tasks page hard at once: three workers, each with two thirds of
   the RAM's worth of anonymous memory (twice the RAM in all), write a pattern of its own over all of it and
   then check all of it. While all three are at it, a shell
   command (`echo hi | wc`, a pipeline of two programs) must complete with the
   right output, and then every worker must finish with its data right;
   afterwards the swap slots that no live task holds are as many as before.
   argv[1]: percent of the sizes (testinit's scale; 100 when 0). */
#include "test.h"

#define WORKERS 3

struct ctl {
    volatile uint64_t progress[WORKERS]; /* pages a worker has written */
};

static struct ctl *ctl;
static uint64_t pages;

static int worker(long w)
{
    uint64_t *mem = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        printf("t_pagemany worker %ld: cannot map %lu pages: %s\n", w, pages, errstr(errno));
        return 2;
    }
    uint64_t seed = (uint64_t)w + 41;
    for (uint64_t i = 0; i < pages; i++) {
        pat_fill_page(mem, i, seed);
        ctl->progress[w] = i + 1;
    }
    for (uint64_t i = 0; i < pages; i++)
        if (!pat_check_page("t_pagemany worker", mem, i, seed))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    long pct;
    uint64_t ram = paging_start("t_pagemany", argc, argv, &pct);
    pages = scaled(ram * 2 / 3, pct); /* each: twice the RAM in all */
    struct vmstat before = vm_now();
    long unowned = swap_unowned();
    ctl = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    PCHECK(ctl != MAP_FAILED);
    long pid[WORKERS];
    for (long w = 0; w < WORKERS; w++)
        pid[w] = kid_fork(worker, w);
    /* Every worker has written half of its pages (or is done, at a small scale): memory is full. */
    for (long w = 0; w < WORKERS; w++) {
        while (ctl->progress[w] < pages / 2 && proc_running(pid[w]))
            nap(RDTIME_HZ / 20);
        PCHECK(ctl->progress[w] >= pages / 2);
    }
    static char out[256];
    char *av[] = { "sh", "-c", "echo hi | wc", NULL };
    long how, code;
    uint64_t t0 = rdtime();
    run_capture(av, out, sizeof out, &how, &code);
    printf("t_pagemany: the shell command took %lu ms: %s", (rdtime() - t0) / (RDTIME_HZ / 1000), out);
    PCHECK_EQ(how, WAIT_EXITED);
    PCHECK_EQ(code, 0);
    PCHECK(strcmp(out, "      1       1       3\n") == 0);
    bool done_first = true; /* the shell was done while they still paged */
    for (long w = 0; w < WORKERS; w++)
        if (!proc_running(pid[w]))
            done_first = false;
    for (long w = 0; w < WORKERS; w++) {
        kid_wait(pid[w], &how, &code);
        if (how != WAIT_EXITED || code != 0)
            printf("t_pagemany: worker %ld %s %ld\n", w, how == WAIT_EXITED ? "exited" : "killed, cause", code);
        PCHECK_EQ(how, WAIT_EXITED);
        PCHECK_EQ(code, 0);
    }
    struct vmstat after = vm_now();
    printf("t_pagemany: swap-outs %lu, swap-ins %lu; the shell %s\n", after.swap_out - before.swap_out,
           after.swap_in - before.swap_in, done_first ? "finished while all three paged" : "finished after a worker");
    if (pages * WORKERS > ram)
        PCHECK(after.swap_out > before.swap_out);
    PCHECK_EQ(munmap(ctl, 4096), 0);
    slots_back_ok("t_pagemany", unowned);
    return 0;
}
