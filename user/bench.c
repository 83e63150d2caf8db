/* init of the benchmark image (scons bench, -icount shift=0): measures in
   retired instructions (rdinstret) and prints "@@BENCH name value" lines, each
   the median of many runs. */
#include "bench.h"

#define RUNS 501

static uint64_t samples[RUNS];

/* rdinstret of an empty measurement, subtracted from every sample */
static uint64_t overhead(void)
{
    for (int i = 0; i < RUNS; i++) {
        uint64_t a = rdinstret();
        uint64_t b = rdinstret();
        samples[i] = b - a;
    }
    return median(samples, RUNS);
}

/* The faulting thread's own part of a fault (its count from thread_instret: the
   trap, the kernel up to the switch to the pager, the return), read around the
   same measurement as the row's; the pager's and file server's work is not in
   it, nor disk time: exact even where the row is not. */
static uint64_t own_samples[RUNS];

/* my_instret around an empty measurement, subtracted from every own sample */
static uint64_t own_overhead(void)
{
    for (int i = 0; i < RUNS; i++) {
        uint64_t o0 = my_instret();
        uint64_t a = rdinstret();
        uint64_t b = rdinstret();
        uint64_t o1 = my_instret();
        (void)a; (void)b;
        own_samples[i] = o1 - o0;
    }
    return median(own_samples, RUNS);
}

/* Faults on file pages (with a disk: `scons bench` boots with one). Every
   count includes what the kernel, the pager and the file server execute. */
static void file_benches(uint64_t ovh)
{
    static char page[4096];
    const long n = RUNS * 4096L;
    int fd = open("/bench.dat", O_RDWR | O_CREAT | O_TRUNC);
    for (long i = 0; i < RUNS; i++) {
        page[0] = (char)i;
        write(fd, page, sizeof page);
    }
    /* the pages are in the page cache (write put them there) */
    volatile char *s = mmap(0, (size_t)n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    for (int i = 0; i < RUNS; i++) {
        uint64_t a = rdinstret();
        (void)s[i * 4096L];
        uint64_t b = rdinstret();
        samples[i] = b - a - ovh;
    }
    report("file_shared_fault_cached", median(samples, RUNS));
    volatile char *pv = mmap(0, (size_t)n, PROT_READ, MAP_PRIVATE, fd, 0);
    for (int i = 0; i < RUNS; i++) {
        uint64_t a = rdinstret();
        (void)pv[i * 4096L];
        uint64_t b = rdinstret();
        samples[i] = b - a - ovh;
    }
    report("file_private_fault_cached", median(samples, RUNS));
    munmap((void *)pv, (size_t)n);
    /* msync of one dirty page: the dirty bits, the WRITEPAGE job, the disk write and its interrupt */
    for (int i = 0; i < RUNS; i++) {
        s[i * 4096L + 1] = 1;
        uint64_t a = rdinstret();
        msync((void *)s, (size_t)n, MS_SYNC);
        uint64_t b = rdinstret();
        samples[i] = b - a - ovh;
    }
    report("msync_one_dirty_page_of_501", median(samples, RUNS));
    munmap((void *)s, (size_t)n);
    close(fd);
    /* nobody has the file now: its pages leave the cache; a fault reads one from the disk */
    fd = open("/bench.dat", O_RDONLY);
    volatile char *d = mmap(0, (size_t)n, PROT_READ, MAP_SHARED, fd, 0);
    uint64_t oovh = own_overhead();
    for (int i = 0; i < RUNS; i++) {
        uint64_t o0 = my_instret();
        uint64_t a = rdinstret();
        (void)d[i * 4096L];
        uint64_t b = rdinstret();
        uint64_t o1 = my_instret();
        samples[i] = b - a - ovh;
        own_samples[i] = o1 - o0 - oovh;
    }
    report("file_fault_from_disk", median(samples, RUNS));
    report("file_fault_from_disk_faulter", median(own_samples, RUNS));
    munmap((void *)d, (size_t)n);
    close(fd);
    unlink("/bench.dat");
}

/* Fault latency while another task moves 256 MiB through the pager: it
   writes 1 MiB at a time (write(2) of a mapped 1 MiB buffer) over the first
   MiB of a file, 256 times (or reads that MiB back from the page cache, 256
   times); meanwhile a faulter touches fresh pages, yielding before each touch
   so that whatever else is ready runs (the other task's requests, the file
   server). A sample is the instructions between the ends of two consecutive
   faults: one fault plus one turn of everyone else. Median and max. */
#define LAT_IO (1UL << 20)
#define LAT_ROUNDS 256
#define LAT_HIST 262144            /* samples below this are counted here, */
#define LAT_BIG 4096               /* the (few) others kept in a list */

struct lat_shared {
    volatile long started, done, bad;
    volatile uint64_t t_start, t_end;  /* rdinstret when the transfers began and ended */
    volatile uint64_t samples, median, max;
};

static uint32_t lat_hist[LAT_HIST];
static uint64_t lat_big[LAT_BIG];
static uint64_t lat_nbig;

static void lat_mover(struct lat_shared *sh, int fd, bool rd)
{
    char *buf = anon_map(LAT_IO);
    for (uint64_t i = 0; i < LAT_IO; i += 64)
        buf[i] = (char)(i >> 12);
    sh->t_start = rdinstret();
    sh->started = 1;
    for (int r = 0; r < LAT_ROUNDS; r++)
        if (lseek(fd, 0, SEEK_SET) != 0 || (rd ? read(fd, buf, LAT_IO) : write(fd, buf, LAT_IO)) != (long)LAT_IO)
            sh->bad = 1;
    sh->t_end = rdinstret();
    sh->done = 1;
    exit(0);
}

static void lat_sample(uint64_t d, uint64_t *n, uint64_t *max)
{
    if (d < LAT_HIST)
        lat_hist[d]++;
    else if (lat_nbig < LAT_BIG)
        lat_big[lat_nbig++] = d;
    if (d > *max)
        *max = d;
    (*n)++;
}

/* The last sample ends with the transfers (what follows, the other task's
   exit, is not counted); a faulter that never ran while they went on waited
   for all of them. */
static void lat_faulter(struct lat_shared *sh, uint64_t ovh)
{
    const uint64_t pages = 256;
    uint64_t n = 0, max = 0;
    memset(lat_hist, 0, sizeof lat_hist);
    volatile char *p = anon_map(pages * 4096);
    while (!sh->started)
        sys_yield();
    uint64_t prev = rdinstret();
    if (sh->done)
        lat_sample(sh->t_end - sh->t_start, &n, &max);
    while (!sh->done) {
        for (uint64_t i = 0; i < pages; i++) {
            sys_yield();
            p[i * 4096] = 1;
            uint64_t now = rdinstret();
            if (sh->done) {
                if (sh->t_end > prev)
                    lat_sample(sh->t_end - prev, &n, &max);
                break;
            }
            lat_sample(now - prev - ovh, &n, &max);
            prev = now;
        }
        munmap((void *)p, pages * 4096); /* fresh pages again (not counted) */
        p = anon_map(pages * 4096);
        prev = rdinstret();
    }
    uint64_t seen = 0, med = 0;
    while (med < LAT_HIST && (seen += lat_hist[med]) <= n / 2)
        med++;
    if (med == LAT_HIST) { /* among the big ones (sorted; past LAT_BIG of them, the last kept) */
        for (uint64_t i = 1; i < lat_nbig; i++)
            for (uint64_t j = i; j > 0 && lat_big[j - 1] > lat_big[j]; j--) {
                uint64_t t = lat_big[j]; lat_big[j] = lat_big[j - 1]; lat_big[j - 1] = t;
            }
        uint64_t k = n / 2 - seen; /* seen: every sample below LAT_HIST */
        med = lat_nbig ? lat_big[k < lat_nbig ? k : lat_nbig - 1] : 0;
    }
    sh->samples = n;
    sh->median = med;
    sh->max = max;
    exit(0);
}

static void io_latency_bench(const char *name, bool rd, uint64_t ovh)
{
    struct lat_shared *sh = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int fd = open("/lat.dat", O_RDWR | O_CREAT | O_TRUNC);
    char *init = anon_map(LAT_IO);
    if (sh == MAP_FAILED || fd < 0 || !init || write(fd, init, LAT_IO) != (long)LAT_IO) {
        printf("bench: %s: no file\n", name);
        return;
    }
    munmap(init, LAT_IO);
    int w = fork();
    if (w == 0)
        lat_mover(sh, fd, rd);
    int f = fork();
    if (f == 0)
        lat_faulter(sh, ovh);
    waitpid(w, NULL, 0);
    waitpid(f, NULL, 0);
    close(fd);
    unlink("/lat.dat");
    if (sh->bad || !sh->samples) {
        printf("bench: %s: the transfers failed\n", name);
        return;
    }
    char key[64];
    printf("bench: %s: %lu faults during the 256 MiB\n", name, (unsigned long)sh->samples);
    snprintf(key, sizeof key, "%s_median", name);
    report(key, sh->median);
    snprintf(key, sizeof key, "%s_max", name);
    report(key, sh->max);
    munmap((void *)sh, 4096);
}

/* Paging (with a swap disk, swap=N): evictions and swap-ins, in
   instructions of the threads involved (thread_instret, summed by the pager
   and the swap driver into vmstat), so disk time is not in them. Each is a
   mean over the pages of one run: the pager's part and the driver's part;
   for a swap-in also the faulting thread's own part (median). */
static void swap_benches(void)
{
    struct vmstat a, b;
    struct pager_stat ps;
    if (vmstat(&a) < 0 || a.swap_total == 0 || pager_stat(&ps) < 0)
        return;
    uint64_t n = (uint64_t)ps.free_frames + 8192; /* 32 MiB more than is free: thousands of evictions */
    if (n - (uint64_t)ps.free_frames + 1024 > a.swap_total)
        return; /* swap too small: the bench would be killed */
    volatile char *m = anon_map(n * 4096);
    if (!m)
        return;
    for (uint64_t i = 0; i < n; i++)
        m[i * 4096] = 1;
    vmstat(&b);
    uint64_t ev = b.evict_dirty - a.evict_dirty, out = b.swap_out - a.swap_out;
    if (ev && out) {
        report("evict_pager", (b.evict_instr - a.evict_instr) / ev);
        report("evict_driver", (b.swapdrv_write_instr - a.swapdrv_write_instr) / out);
    }
    /* the first pages went first: reading them back swaps them in (a touch
       that found its page in memory is not a sample) */
    uint64_t oovh = own_overhead();
    struct vmstat s0, s1;
    vmstat(&a);
    int k = 0;
    for (uint64_t i = 0; i < n && k < RUNS; i++) {
        vmstat(&s0);
        uint64_t o0 = my_instret();
        (void)m[i * 4096];
        uint64_t o1 = my_instret();
        vmstat(&s1);
        if (s1.swap_in > s0.swap_in)
            own_samples[k++] = o1 - o0 - oovh;
    }
    vmstat(&b);
    uint64_t in = b.swap_in - a.swap_in;
    if (in && k) {
        report("swapin_pager", (b.swapin_instr - a.swapin_instr) / in);
        report("swapin_driver", (b.swapdrv_read_instr - a.swapdrv_read_instr) / in);
        report("swapin_faulter", median(own_samples, k));
    }
    munmap((void *)m, n * 4096);
}


/* Fork, exec of path with argv, wait: the instructions retired meanwhile, by
   everyone (the child, the pager, the file server); -1 if the child failed. */
static uint64_t run_program(const char *path, char *const argv[])
{
    uint64_t a = rdinstret();
    int pid = fork();
    if (pid == 0) {
        execv(path, argv);
        exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    uint64_t b = rdinstret();
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? b - a : (uint64_t)-1;
}

/* A fixed Lua script: arithmetic, strings, tables and closures. */
static const char lua_script[] =
    "local s = 0 for i = 1, 20000 do s = s + i * 3 % 7 end "
    "local t = {} for i = 1, 2000 do t[#t + 1] = string.format('%d:%s', i, string.rep('x', i % 10)) end "
    "local c = table.concat(t, ',') local n = 0 for w in c:gmatch('%d+') do n = n + #w end "
    "local function counter() local k = 0 return function() k = k + 1 return k end end "
    "local f = counter() for i = 1, 5000 do f() end "
    "table.sort(t) assert(s > 0 and n > 0 and f() == 5001)";

/* Starting programs, and the two ports (issue 10): the median of 5 runs after
   one that brings the programs into the page cache. */
static void program_benches(void)
{
    static char *true_argv[] = { "true", NULL };
    static char *lua_argv[] = { "lua", "-e", (char *)lua_script, NULL };
    static char *sql_argv[] = { "sqlite3", "/bench.db",
        "drop table if exists t; create table t(a integer primary key, b text); begin; "
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 10000) "
        "insert into t(b) select 'row ' || i from n; commit; select count(*), sum(length(b)) from t;", NULL };
    static const struct { const char *name, *path; char *const *argv; } rows[] = {
        { "fork_exec_wait_true", "/bin/true", true_argv },
        { "lua_script", "/bin/lua", lua_argv },
        { "sqlite_10k_insert_select", "/bin/sqlite3", sql_argv },
    };
    for (unsigned r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        uint64_t runs[5];
        run_program(rows[r].path, rows[r].argv);
        for (int i = 0; i < 5; i++)
            runs[i] = run_program(rows[r].path, rows[r].argv);
        report(rows[r].name, median(runs, 5));
    }
}

int main(int argc, char **argv)
{
    long arg = argc > 1 ? atol(argv[1]) : 0;
    (void)arg;
    uint64_t ovh = overhead();
    swap_benches(); /* first: the pages it evicts are its own */

    for (int i = 0; i < RUNS; i++) {
        uint64_t a = rdinstret();
        sys_nop();
        uint64_t b = rdinstret();
        samples[i] = b - a - ovh;
    }
    report("null_syscall", median(samples, RUNS));

    long ep = sys_ep_create();
    sys_cap_copy(-1, ep, -1, GRANT_SLOT, 0);
    long pid = spawn("b_ipcsrv", 0);
    struct msg m = { .label = 1 };
    sys_call(GRANT_SLOT, &m); /* warm up: the server is waiting after this */
    for (int i = 0; i < RUNS; i++) {
        m.label = 1;
        uint64_t a = rdinstret();
        sys_call(GRANT_SLOT, &m);
        uint64_t b = rdinstret();
        samples[i] = b - a - ovh;
    }
    report("ipc_call_reply", median(samples, RUNS));
    m.label = 0; /* tells the server to quit */
    sys_call(GRANT_SLOT, &m);
    wait_how(pid, NULL, NULL);

    volatile char *p = anon_map(RUNS * 4096UL);
    for (int i = 0; i < RUNS; i++) {
        uint64_t a = rdinstret();
        p[i * 4096UL] = 1;
        uint64_t b = rdinstret();
        samples[i] = b - a - ovh;
    }
    report("zero_fill_fault", median(samples, RUNS));

    volatile char *q = anon_map(RUNS * 4096UL);
    for (int i = 0; i < RUNS; i++) {
        uint64_t a = rdinstret();
        (void)q[i * 4096UL];
        uint64_t b = rdinstret();
        samples[i] = b - a - ovh;
    }
    report("zero_page_read_fault", median(samples, RUNS));

    /* a fault with no data work: the page has its frame, only the mapping went
       (PROT_NONE and back unmaps it in the kernel; the pager still has it) */
    volatile char *r = anon_map(RUNS * 4096UL);
    for (int i = 0; i < RUNS; i++)
        r[i * 4096UL] = 1;
    mprotect((void *)r, RUNS * 4096UL, PROT_NONE);
    mprotect((void *)r, RUNS * 4096UL, PROT_READ | PROT_WRITE);
    uint64_t oovh = own_overhead();
    for (int i = 0; i < RUNS; i++) {
        uint64_t o0 = my_instret();
        uint64_t a = rdinstret();
        (void)r[i * 4096UL];
        uint64_t b = rdinstret();
        uint64_t o1 = my_instret();
        samples[i] = b - a - ovh;
        own_samples[i] = o1 - o0 - oovh;
    }
    report("fault_roundtrip", median(samples, RUNS));
    report("fault_roundtrip_faulter", median(own_samples, RUNS));

    /* fork + exit + wait of a parent with 48 MiB touched */
    uint64_t big = 48UL << 20;
    char *bm = mmap(0, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (uint64_t i = 0; i < big; i += 4096)
        bm[i] = 1;
    uint64_t fork_runs[5];
    for (int r = 0; r < 5; r++) {
        uint64_t a = rdinstret();
        int pid = fork();
        if (pid == 0)
            exit(0);
        waitpid(pid, NULL, 0);
        uint64_t b = rdinstret();
        fork_runs[r] = b - a;
    }
    report("fork_exit_wait_48MiB", median(fork_runs, 5));

    /* write faults on copy-on-write pages: with a child still holding them (copy),
       then after it is gone (one reference left: just made writable) */
    int hold[2];
    pipe(hold);
    int holder = fork();
    if (holder == 0) {
        char c;
        close(hold[1]);
        read(hold[0], &c, 1);
        exit(0);
    }
    for (int i = 0; i < RUNS; i++) {
        uint64_t a = rdinstret();
        bm[(uint64_t)i * 4096 + 8] = 2;
        uint64_t b = rdinstret();
        samples[i] = b - a - ovh;
    }
    report("cow_copy_fault", median(samples, RUNS));
    close(hold[1]);
    waitpid(holder, NULL, 0);
    for (int i = 0; i < RUNS; i++) {
        uint64_t a = rdinstret();
        bm[(uint64_t)(RUNS + i) * 4096 + 8] = 2;
        uint64_t b = rdinstret();
        samples[i] = b - a - ovh;
    }
    report("cow_reuse_fault", median(samples, RUNS));
    munmap(bm, big); /* the rows below fork from a small parent */
    munmap((void *)p, RUNS * 4096UL);
    munmap((void *)q, RUNS * 4096UL);
    munmap((void *)r, RUNS * 4096UL);

    /* 16 pages mapped one by one and in one map_batch (b_mapbatch: device pages, so RIGHT_DRIVER) */
    wait_how(spawn_rights("b_mapbatch", 0, RIGHT_DRIVER), NULL, NULL);

    if (open("/bin", O_RDONLY) >= 0) {
        file_benches(ovh);
        io_latency_bench("write_fault_latency", false, ovh);
        io_latency_bench("read_fault_latency", true, ovh);
        program_benches();
    }
    /* the rows across harts (pf_scale_n*, and with several harts the _smp rows): last,
       so that the one-hart rows above see what they always saw */
    wait_how(spawn_rights("b_smp", 1, RIGHT_PROCS), NULL, NULL); /* it pins the pager */
    printf("@@BENCH DONE\n");
    shutdown();
    return 0;
}
