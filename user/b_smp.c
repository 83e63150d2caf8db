/* Benchmark rows across harts (scons bench SMP=n; bench runs this last, arg 1;
   as init, init=b_smp, it runs alone and powers off). Prints "@@BENCH name
   value" lines like bench.

   pf_scale_nN (every hart count): N forked tasks each map an anonymous region
   of PF_PAGES pages, write one byte a page (a zero-fill fault each) and unmap
   it, PF_ROUNDS times. The row is the instructions all harts retired
   (instret_all) per fault: the run less the same forks, exits and waits with
   no rounds, over N * PF_ROUNDS * PF_PAGES faults.

   With more than one hart it also says how often the IPC server (b_ipcsrv)
   had last run on another hart than its caller before a call. It gives no
   ipc_call_reply_smp or fault_roundtrip_smp row: the kernel moves a receiver
   to its caller's hart, and no call puts a thread on a given hart, so the
   server (or the pager) is on the caller's hart at every call but the rare
   one after a timer tick moved the caller (README, "Performance"). */
#include "sys.h"

#define PF_PAGES 128
#define PF_ROUNDS 32
#define IPC_PROBES 21

static void report(const char *name, uint64_t value)
{
    printf("@@BENCH %s %lu\n", name, value);
}

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

/* The hart pid last ran on (ps), or -1. */
static long proc_hart(long pid)
{
    static struct proc_info pi[64];
    long np = ps(pi, 64);
    for (long i = 0; i < np; i++)
        if (pi[i].pid == pid)
            return pi[i].hart;
    return -1;
}

/* Call/reply with b_ipcsrv as bench's ipc_call_reply does, looking before each
   call at the server's hart (ps) and the caller's: how often they differ. */
static void ipc_harts(void)
{
    long ep = sys_ep_create();
    sys_cap_copy(-1, ep, -1, GRANT_SLOT, 0);
    long pid = spawn("b_ipcsrv", 0);
    struct msg m = { .label = 1 };
    sys_call(GRANT_SLOT, &m); /* the server is waiting after this */
    int differ = 0;
    for (int i = 0; i < IPC_PROBES; i++) {
        long srv = proc_hart(pid);
        long h = sys_thread_hart(-1);
        m.label = 1;
        sys_call(GRANT_SLOT, &m);
        differ += srv != h;
    }
    m.label = 0; /* tells the server to quit */
    sys_call(GRANT_SLOT, &m);
    wait_how(pid, NULL, NULL);
    sys_cap_delete(GRANT_SLOT);
    sys_cap_delete(ep);
    printf("b_smp: ipc: the server had last run on another hart than the caller before %d of %d calls\n",
           differ, IPC_PROBES);
}

int main(int argc, char **argv)
{
    long arg = argc > 1 ? atol(argv[1]) : 0;
    struct pager_stat st;
    long nharts = pg_stat(&st) == 0 ? st.nharts : 1;
    pf_scale();
    if (nharts > 1)
        ipc_harts();
    if (arg == 0) { /* init=b_smp: alone */
        printf("@@BENCH DONE\n");
        shutdown();
    }
    return 0;
}
