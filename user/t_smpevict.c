/* Eviction across harts (issue 11): this task keeps writing while the pager
   evicts its pages, and no write is lost. The writer fills WRITER_PCT% of
   the RAM's worth of anonymous memory with a pattern while a second process
   (the presser) keeps PRESS_PCT% of the RAM in use, writing a counter into
   each of its pages pass after pass (little CPU: it naps often). Then,
   PASSES times, the writer sweeps its memory: each page must still hold the
   pattern of the pass before, and gets this pass's (whole pages; forward and
   backward in turn; a short nap now and then lets the presser run in the
   middle of a pass; the two together are more than the RAM, so the sweep
   evicts its own pages and the presser's faults take more of them).
   Between two steps of the sweep it writes a counter into each page of a
   small hot set, checking the one before: pages it writes over and over,
   so on several harts they sit writable in its TLB while the pager's clock
   hand clears their accessed bits and may evict them from another hart. A write that went into a frame after the pager had copied
   it out (a stale TLB entry, a dirty bit read too early, a frame freed
   while still mapped) comes back from swap as the older value, and the next
   check sees it; the presser checks its counters the same way. At the end
   every page holds its last value, ps showed pages of the writer on swap in
   the middle of a pass (eviction happened while it wrote), and the swap
   slots that no live task holds are as many as before. Bounded by passes,
   not by time.
   argv[1]: percent of the sizes (testinit's scale; 100 when 0). */
#include "test.h"

#define PASSES 3
#define SEED 700            /* sweep pass p writes pattern SEED + p; the first fill is pass 0 */
#define WRITER_PCT 85       /* the writer's sweep memory, percent of the RAM: more than fits beside the rest */
#define PRESS_PCT 25        /* the presser's */
#define HOT 32              /* pages of the hot set */
#define HOT_EVERY 16        /* a hot round after every HOT_EVERY pages of the sweep */
#define NAP_EVERY 128       /* a nap of a millisecond after every NAP_EVERY pages of the sweep */

/* The presser's control page (MAP_SHARED). */
struct press {
    volatile uint64_t stop, passes, bad;
    uint64_t pages;
};

static uint64_t *mem;                 /* the sweep's pages */
static uint64_t pages;
static volatile uint64_t *hot;        /* the hot set: word i of page i counts its rounds */
static uint64_t hot_rounds;

/* Pages of this task's region at va on swap (pmap), or -1 when there is none. */
static long swapped_at(const void *va)
{
    static struct region_info ri[32];
    long n = pmap(getpid(), ri, 32);
    for (long i = 0; i < n && i < 32; i++)
        if (ri[i].start == (uint64_t)va)
            return (long)ri[i].swapped;
    return -1;
}

/* The presser: writes pass p into one word of each of its pages, after
   checking it holds p - 1 (0, a new page, in the first pass), until told to
   stop; naps a millisecond every 64 pages. Returns 0, 1 for a wrong word,
   2 when it cannot map its memory. */
static int presser(long arg)
{
    struct press *c = (struct press *)arg;
    volatile uint64_t *m = mmap(NULL, c->pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return 2;
    for (uint64_t pass = 1; !c->stop; pass++) {
        for (uint64_t i = 0; i < c->pages; i++) {
            if (m[i * 512 + i % 512] != pass - 1) {
                printf("t_smpevict presser: page %lu holds %lu in pass %lu\n", i, m[i * 512 + i % 512], pass);
                c->bad = 1;
                return 1;
            }
            m[i * 512 + i % 512] = pass;
            if (i % 64 == 63)
                nap(RDTIME_HZ / 1000);
        }
        c->passes = pass;
    }
    return 0;
}

/* One round over the hot set: every page must hold the count of rounds so
   far, and gets one more. Returns false at a wrong page. */
static bool hot_round(void)
{
    for (uint64_t i = 0; i < HOT; i++) {
        volatile uint64_t *w = hot + i * 512 + i;
        if (*w != hot_rounds) {
            printf("t_smpevict: hot page %lu holds %lu after %lu rounds\n", i, *w, hot_rounds);
            return false;
        }
        *w = hot_rounds + 1;
    }
    hot_rounds++;
    return true;
}

/* The k-th page a pass visits: forward in even passes, backward in odd ones. */
static uint64_t nth(uint64_t pass, uint64_t k)
{
    return pass % 2 ? pages - 1 - k : k;
}

/* Sweep pass `pass` (>= 1): check pass - 1's pattern, write this pass's,
   page by page, with a hot round every HOT_EVERY pages and a nap every NAP_EVERY. Returns false at the
   first wrong page; *swapped gets the sweep's pages on swap in the middle. */
static bool one_pass(uint64_t pass, long *swapped)
{
    for (uint64_t k = 0; k < pages; k++) {
        uint64_t i = nth(pass, k);
        if (!pat_check_page("t_smpevict", mem, i, SEED + pass - 1)) {
            printf("t_smpevict: pass %lu found page %lu not as pass %lu left it\n", pass, i, pass - 1);
            return false;
        }
        pat_fill_page(mem, i, SEED + pass);
        if (k % HOT_EVERY == 0 && !hot_round())
            return false;
        if (k % NAP_EVERY == NAP_EVERY - 1)
            nap(RDTIME_HZ / 1000); /* the presser runs meanwhile, and takes frames from the sweep */
        if (k == pages / 2)
            *swapped = swapped_at(mem);
    }
    return true;
}

int main(int argc, char **argv)
{
    long pct;
    uint64_t ram = paging_start("t_smpevict", argc, argv, &pct);
    pages = scaled(ram * WRITER_PCT / 100, pct);
    struct press *c = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    PCHECK(c != MAP_FAILED);
    c->pages = scaled(ram * PRESS_PCT / 100, pct);
    bool over = pages + c->pages > ram; /* more than RAM: pages must go to swap */
    long unowned = swap_unowned();
    mem = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    hot = mmap(NULL, HOT * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    PCHECK(mem != MAP_FAILED && hot != MAP_FAILED);
    for (uint64_t i = 0; i < pages; i++)
        pat_fill_page(mem, i, SEED);
    long pid = kid_fork(presser, (long)c);
    while (c->passes == 0) { /* its memory is in use from now on */
        PCHECK(proc_running(pid));
        nap(RDTIME_HZ / 20);
    }
    struct vmstat before = vm_now();
    long most = 0;
    for (uint64_t pass = 1; pass <= PASSES; pass++) {
        long swapped = -1;
        uint64_t t0 = rdtime();
        PCHECK(one_pass(pass, &swapped));
        long h = swapped_at((void *)hot);
        printf("t_smpevict: pass %lu over %lu pages in %lu ms; %ld of them on swap in the middle, %ld hot pages at "
               "the end\n", pass, pages, (rdtime() - t0) / (RDTIME_HZ / 1000), swapped, h);
        most = swapped > most ? swapped : most;
    }
    struct vmstat after = vm_now();
    c->stop = 1;
    long how, code;
    kid_wait(pid, &how, &code);
    printf("t_smpevict: the presser made %lu passes over %lu pages\n", c->passes, c->pages);
    PCHECK_EQ(how, WAIT_EXITED);
    PCHECK_EQ(code, 0);
    for (uint64_t i = 0; i < pages; i++)
        PCHECK(pat_check_page("t_smpevict", mem, i, SEED + PASSES));
    for (uint64_t i = 0; i < HOT; i++)
        PCHECK_EQ(hot[i * 512 + i], hot_rounds);
    printf("t_smpevict: %lu hot rounds; swap-outs %lu, swap-ins %lu, dirty evictions %lu during the passes\n",
           hot_rounds, after.swap_out - before.swap_out, after.swap_in - before.swap_in,
           after.evict_dirty - before.evict_dirty);
    if (over) {
        PCHECK(most > 0);
        PCHECK(after.swap_out > before.swap_out);
        PCHECK(after.swap_in > before.swap_in);
    }
    PCHECK_EQ(munmap(mem, pages * 4096), 0);
    PCHECK_EQ(munmap((void *)hot, HOT * 4096), 0);
    PCHECK_EQ(munmap(c, 4096), 0);
    slots_back_ok("t_smpevict", unowned);
    return 0;
}
