/* Benchmark rows across harts (scons bench SMP=n; bench runs this last, arg 1;
   as init, init=b_smp, it runs alone and powers off). Prints "@@BENCH name
   value" lines like bench.

   pf_scale_nN (every hart count): N forked tasks each map an anonymous region
   of PF_PAGES pages, write one byte a page (a zero-fill fault each) and unmap
   it, PF_ROUNDS times. The row is the instructions all harts retired
   (instret_all) per fault: the run less the same forks, exits and waits with
   no rounds, over N * PF_ROUNDS * PF_PAGES faults.

   With two harts or more, threads pinned to harts (thread_pin; the pager with
   PG_PIN) give the rows across harts, each the median of SMP_RUNS samples:
   ipc_call_reply_smp   a call and its reply, this task on hart 0 and the
                        server (b_ipcsrv) on hart 1: all harts' instructions
                        (instret_all), and _caller: hart 0's alone (rdinstret)
   fault_roundtrip_smp  bench's fault_roundtrip with the pager on hart 1: the
                        same two counts
   shootdown_asker      what one remote TLB flush adds to munmap of one page
                        on the asking hart: munmap after this task last ran
                        on hart 1 while a spinning task keeps hart 1 busy (so
                        hart 1 may still hold the entry and must flush it),
                        less the same with hart 1 idle (an idle hart has
                        flushed everything). */
#include "bench.h"

#define PF_PAGES 128
#define PF_ROUNDS 32
#define SMP_RUNS 51

static uint64_t all_samples[SMP_RUNS], own_samples[SMP_RUNS];


/* One task of pf_scale: rounds of map, touch, unmap. Exits 1 if a map
   fails, else 2 + the hart it ended on. */
static void pf_task(int rounds)
{
    const size_t len = PF_PAGES * 4096UL;
    for (int r = 0; r < rounds; r++) {
        volatile char *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            exit(1);
        for (size_t i = 0; i < len; i += 4096)
            p[i] = 1;
        munmap((void *)p, len);
    }
    exit(2 + (int)sys_thread_hart(-1));
}

/* Instructions all harts retired while n forked tasks ran `rounds` rounds
   and were waited for; 0 if a fork failed or a task did not end well. The
   harts the tasks ended on go into *harts (a mask). */
static uint64_t pf_run(int n, int rounds, uint64_t *harts)
{
    int pids[4];
    bool ok = true;
    uint64_t a = sys_instret_all();
    for (int k = 0; k < n; k++) {
        pids[k] = fork();
        if (pids[k] == 0)
            pf_task(rounds);
        ok = ok && pids[k] > 0;
    }
    for (int k = 0; k < n; k++) {
        int status;
        if (pids[k] <= 0)
            continue;
        if (waitpid(pids[k], &status, 0) != pids[k] || !WIFEXITED(status) || WEXITSTATUS(status) < 2)
            ok = false;
        else
            *harts |= 1UL << (WEXITSTATUS(status) - 2);
    }
    uint64_t b = sys_instret_all();
    return ok ? b - a : 0;
}

static void pf_scale(void)
{
    static const int ns[] = { 1, 2, 4 };
    for (int i = 0; i < 3; i++) {
        int n = ns[i];
        uint64_t harts = 0;
        pf_run(n, 1, &harts); /* warm up: the pager's tables for the region */
        uint64_t base = pf_run(n, 0, &harts);
        harts = 0;
        uint64_t all = pf_run(n, PF_ROUNDS, &harts);
        char name[32];
        snprintf(name, sizeof name, "pf_scale_n%d", n);
        if (!base || !all || all < base) {
            printf("b_smp: %s: a task failed\n", name);
            continue;
        }
        printf("b_smp: %s: the tasks ended on harts %#lx\n", name, (unsigned long)harts);
        report(name, (all - base) / ((uint64_t)n * PF_ROUNDS * PF_PAGES));
    }
}

/* The cost of an empty measurement, subtracted from each sample: instret_all
   around nothing (*aovh) and rdinstret around nothing (*oovh). */
static void overheads(uint64_t *aovh, uint64_t *oovh)
{
    for (int i = 0; i < SMP_RUNS; i++) {
        uint64_t a0 = sys_instret_all(), b0 = sys_instret_all();
        uint64_t a = rdinstret(), b = rdinstret();
        all_samples[i] = b0 - a0;
        own_samples[i] = b - a;
    }
    *aovh = median(all_samples, SMP_RUNS);
    *oovh = median(own_samples, SMP_RUNS);
}

/* Report both medians of a row: name (all harts) and name_caller (this hart). */
static void report_pair(const char *name, uint64_t aovh, uint64_t oovh)
{
    char caller[64];
    snprintf(caller, sizeof caller, "%s_caller", name);
    for (int i = 0; i < SMP_RUNS; i++) {
        all_samples[i] -= aovh;
        own_samples[i] -= oovh;
    }
    report(name, median(all_samples, SMP_RUNS));
    report(caller, median(own_samples, SMP_RUNS));
}

/* ipc_call_reply_smp: this task on hart 0, b_ipcsrv on hart 1 (its arg). */
static void ipc_smp(uint64_t aovh, uint64_t oovh)
{
    long ep = sys_ep_create();
    sys_cap_copy(-1, ep, -1, GRANT_SLOT, 0);
    long pid = spawn("b_ipcsrv", 2); /* arg 2: it pins itself to hart 1 */
    struct msg m = { .label = 1 };
    sys_call(GRANT_SLOT, &m); /* the server is waiting on hart 1 after this */
    for (int i = 0; i < SMP_RUNS; i++) {
        m.label = 1;
        uint64_t a0 = sys_instret_all(), a = rdinstret();
        sys_call(GRANT_SLOT, &m);
        uint64_t b = rdinstret(), b0 = sys_instret_all();
        all_samples[i] = b0 - a0;
        own_samples[i] = b - a;
    }
    report_pair("ipc_call_reply_smp", aovh, oovh);
    m.label = 0; /* tells the server to quit */
    sys_call(GRANT_SLOT, &m);
    wait_how(pid, NULL, NULL);
    sys_cap_delete(GRANT_SLOT);
    sys_cap_delete(ep);
}

/* fault_roundtrip_smp: as bench's fault_roundtrip (the frame is the pager's,
   only the mapping went), the pager on hart 1. */
static void fault_smp(uint64_t aovh, uint64_t oovh)
{
    const size_t len = SMP_RUNS * 4096UL;
    volatile char *r = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED || pager_pin(1) != 0) {
        printf("b_smp: fault_roundtrip_smp: no mapping, or the pager cannot be pinned\n");
        return;
    }
    for (int i = 0; i < SMP_RUNS; i++)
        r[i * 4096UL] = 1;
    mprotect((void *)r, len, PROT_NONE);
    mprotect((void *)r, len, PROT_READ | PROT_WRITE);
    for (int i = 0; i < SMP_RUNS; i++) {
        uint64_t a0 = sys_instret_all(), a = rdinstret();
        (void)r[i * 4096UL];
        uint64_t b = rdinstret(), b0 = sys_instret_all();
        all_samples[i] = b0 - a0;
        own_samples[i] = b - a;
    }
    pager_pin(-1);
    report_pair("fault_roundtrip_smp", aovh, oovh);
    munmap((void *)r, len);
}

/* The asking hart's instructions for munmap of one page each of SMP_RUNS
   pages, this task having written the page on hart 1 just before. */
static uint64_t munmap_after_hart1(uint64_t oovh)
{
    const size_t len = SMP_RUNS * 4096UL;
    volatile char *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 0;
    for (int i = 0; i < SMP_RUNS; i++)
        p[i * 4096UL] = 1; /* faulted in here: the samples below fault nowhere */
    for (int i = 0; i < SMP_RUNS; i++) {
        sys_thread_pin(-1, 1);
        p[i * 4096UL] = 2;
        sys_thread_pin(-1, 0);
        uint64_t a = rdinstret();
        munmap((void *)(p + i * 4096UL), 4096);
        uint64_t b = rdinstret();
        own_samples[i] = b - a - oovh;
    }
    return median(own_samples, SMP_RUNS);
}

static void shootdown_smp(uint64_t oovh)
{
    uint64_t idle = munmap_after_hart1(oovh);
    long spinner = fork();
    if (spinner == 0) {
        sys_thread_pin(-1, 1);
        for (;;)
            ;
    }
    uint64_t busy = spinner > 0 ? munmap_after_hart1(oovh) : 0;
    if (spinner > 0) {
        kill(spinner, SIGKILL);
        waitpid(spinner, NULL, 0);
    }
    printf("b_smp: munmap of one page after hart 1 ran the task: %lu with hart 1 busy, %lu with it idle\n",
           (unsigned long)busy, (unsigned long)idle);
    if (!idle || !busy || busy < idle)
        printf("b_smp: shootdown_asker: not measured\n");
    else
        report("shootdown_asker", busy - idle);
}

static void across_harts(void)
{
    sys_thread_pin(-1, 0);
    uint64_t aovh, oovh;
    overheads(&aovh, &oovh);
    ipc_smp(aovh, oovh);
    fault_smp(aovh, oovh);
    shootdown_smp(oovh);
    sys_thread_pin(-1, -1);
}

int main(int argc, char **argv)
{
    long arg = argc > 1 ? atol(argv[1]) : 0;
    struct pager_stat st;
    long nharts = pg_stat(&st) == 0 ? st.nharts : 1;
    pf_scale();
    if (nharts > 1)
        across_harts();
    if (arg == 0) { /* init=b_smp: alone */
        printf("@@BENCH DONE\n");
        shutdown();
    }
    return 0;
}
