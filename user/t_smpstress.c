/* A stress run (issue 11): STORMS processes at once (on several harts at
   once there, on one hart by preemption), each ROUNDS rounds of a fork storm
   (FORKS children at once, each writing a copy-on-write page and exiting with
   a code of its own), an exec storm (echo into a pipe, read back and
   compared; true; false), a fault storm (fresh anonymous pages read as zero,
   written, checked, unmapped) and a pipe storm (a child writes PIPE_BYTES in
   uneven pieces, every byte must arrive in order). Bounded by rounds, not by
   time. Afterwards, with every child reaped, the pager's counters must be
   what they were before: free frames (vmstat and PG_STAT), every kind of
   used frame and of bookkeeping, lost frames (0), swap slots in use, and the
   processes (how many, and which). Caches keep frames legitimately: the
   program cache keeps echo, true and false for the next exec, the file
   server its blocks, the pager's heap its high-water mark of slabs; so one
   warm-up round of the same storms runs before the "before" counts. The
   file server's code (boot-archive program, paged in on first use) may grow
   only by frames that left the free count, as in t_frameacct.
   argv[1]: the rounds (ROUNDS when 0 or none; `t_smpstress 3000` at the
   shell storms for minutes). */
#include "test.h"

#define STORMS 6
#define ROUNDS 60
#define FORKS 4
#define FAULT_PAGES 128
#define PIPE_BYTES (48 * 1024)

static uint64_t cowpage[512] __attribute__((aligned(4096)));

/* A failure inside a storm: say what, and end the storm with status 1. */
#define SCHECK(cond) do { \
    if (!(cond)) { printf("t_smpstress: storm %ld round %d: %s failed (line %d)\n", id, r, #cond, __LINE__); \
                   return false; } \
} while (0)

/* FORKS children at once; child k writes cowpage and exits with its own code. */
static bool fork_storm(long id, int r)
{
    int pid[FORKS];
    for (int k = 0; k < FORKS; k++) {
        pid[k] = fork();
        SCHECK(pid[k] >= 0);
        if (pid[k] == 0) {
            cowpage[k] = (uint64_t)(id * 1000 + r);
            exit(cowpage[k] == (uint64_t)(id * 1000 + r) ? (int)(id * 16 + k) : 99);
        }
    }
    for (int k = 0; k < FORKS; k++) {
        int st;
        SCHECK(waitpid(pid[k], &st, 0) == pid[k]);
        SCHECK(WIFEXITED(st) && WEXITSTATUS(st) == id * 16 + k);
    }
    SCHECK(cowpage[0] == 0); /* the children's writes were their own */
    return true;
}

/* Fork and exec av[0] with av, its standard output on a pipe; what it printed
   (up to cap - 1 bytes) in out, its exit status in *status. */
static bool exec_capture(long id, int r, char *const av[], char *out, long cap, int *status)
{
    int fds[2];
    SCHECK(pipe(fds) == 0);
    int pid = fork();
    SCHECK(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv(av[0], av);
        exit(126);
    }
    close(fds[1]);
    long len = 0, n;
    while (len < cap - 1 && (n = read(fds[0], out + len, (size_t)(cap - 1 - len))) > 0)
        len += n;
    out[len] = 0;
    close(fds[0]);
    SCHECK(waitpid(pid, status, 0) == pid);
    return true;
}

/* echo into a pipe (read back), true and false. */
static bool exec_storm(long id, int r)
{
    char a1[16], a2[16], want[48], out[64];
    snprintf(a1, sizeof a1, "%ld", id);
    snprintf(a2, sizeof a2, "%d", r);
    snprintf(want, sizeof want, "storm %ld %d\n", id, r);
    char *echo[] = { "/bin/echo", "storm", a1, a2, NULL };
    char *yes[] = { "/bin/true", NULL }, *no[] = { "/bin/false", NULL };
    int st;
    if (!exec_capture(id, r, echo, out, sizeof out, &st))
        return false;
    SCHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    SCHECK(strcmp(out, want) == 0);
    if (!exec_capture(id, r, yes, out, sizeof out, &st))
        return false;
    SCHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0 && out[0] == 0);
    if (!exec_capture(id, r, no, out, sizeof out, &st))
        return false;
    SCHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    return true;
}

/* Fresh anonymous pages: read as zero, written, checked, unmapped. */
static bool fault_storm(long id, int r)
{
    volatile uint64_t *m = mmap(NULL, FAULT_PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    SCHECK(m != MAP_FAILED);
    for (uint64_t i = 0; i < FAULT_PAGES; i += 2)
        SCHECK(m[i * 512 + 7] == 0); /* every other page read first: the zero page, then a copy */
    for (uint64_t i = 0; i < FAULT_PAGES; i++)
        m[i * 512 + i % 512] = (uint64_t)id << 32 | (uint64_t)r << 16 | i;
    for (uint64_t i = 0; i < FAULT_PAGES; i++)
        SCHECK(m[i * 512 + i % 512] == ((uint64_t)id << 32 | (uint64_t)r << 16 | i));
    SCHECK(munmap((void *)m, FAULT_PAGES * 4096) == 0);
    return true;
}

/* The byte at offset i of storm id's pipe stream in round r. */
static uint8_t pipe_byte(long id, int r, long i)
{
    return (uint8_t)(i * 131 + id * 7 + r);
}

/* A child writes PIPE_BYTES in pieces of 1 to 4,000 bytes; all arrive in order. */
static bool pipe_storm(long id, int r)
{
    int fds[2];
    SCHECK(pipe(fds) == 0);
    int pid = fork();
    SCHECK(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        static uint8_t buf[4096];
        long off = 0;
        for (long piece = 1; off < PIPE_BYTES; piece = piece * 7 % 4001 + 1) {
            long n = piece < PIPE_BYTES - off ? piece : PIPE_BYTES - off;
            for (long i = 0; i < n; i++)
                buf[i] = pipe_byte(id, r, off + i);
            if (!write_all(fds[1], buf, (size_t)n))
                exit(1);
            off += n;
        }
        exit(0);
    }
    close(fds[1]);
    static uint8_t in[1000];
    long got = 0, n;
    while ((n = read(fds[0], in, sizeof in)) > 0) {
        for (long i = 0; i < n; i++)
            SCHECK(in[i] == pipe_byte(id, r, got + i));
        got += n;
    }
    close(fds[0]);
    SCHECK(got == PIPE_BYTES);
    int st;
    SCHECK(waitpid(pid, &st, 0) == pid);
    SCHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return true;
}

/* Storm id: `rounds` rounds of the four storms. Returns 0 or 1. */
static int storm(long id, int rounds)
{
    for (int r = 0; r < rounds; r++)
        if (!fork_storm(id, r) || !exec_storm(id, r) || !fault_storm(id, r) || !pipe_storm(id, r))
            return 1;
    return 0;
}

static int rounds_now;

static int storm_main(long id)
{
    return storm(id, rounds_now);
}

/* STORMS storms of `rounds` rounds at once; each must exit 0. */
static void run_storms(int rounds)
{
    rounds_now = rounds;
    long pid[STORMS];
    for (long s = 0; s < STORMS; s++)
        pid[s] = kid_fork(storm_main, s + 1);
    for (long s = 0; s < STORMS; s++) {
        long how, code;
        kid_wait(pid[s], &how, &code);
        PCHECK_EQ(how, WAIT_EXITED);
        PCHECK_EQ(code, 0);
    }
}

/* What is compared before and after. */
struct census {
    struct vmstat vs;
    long pg_free;               /* PG_STAT's free frames */
    long nproc;
    int64_t pid[64];            /* the processes, in ps's order */
};

/* The counters once nothing waits to be written (sync), with the sums that
   must hold at rest checked. */
static void take(struct census *c)
{
    sync();
    static struct proc_info pi[64];
    c->nproc = ps(pi, 64);
    PCHECK(c->nproc > 0 && c->nproc <= 64);
    for (long i = 0; i < c->nproc; i++) {
        c->pid[i] = pi[i].pid;
        PCHECK_EQ(pi[i].state, 1); /* no zombie left */
    }
    struct pager_stat st;
    PCHECK_EQ(vmstat(&c->vs), 0);
    PCHECK_EQ(pager_stat(&st), 0);
    c->pg_free = st.free_frames;
    PCHECK_EQ(c->vs.frames_lost, 0);
    PCHECK_EQ(c->vs.frames_total, c->vs.frames_free + c->vs.frames_used + c->vs.meta_total);
}

static void show(const char *what, const struct census *c)
{
    const struct vmstat *s = &c->vs;
    printf("t_smpstress: %s: %ld processes; free %lu (PG_STAT %ld) used %lu (private %lu fs %lu cache %lu programs %lu "
           "shared %lu zero %lu io %lu swap cache %lu) bookkeeping %lu (shadow %lu heap %lu lists %lu other %lu) "
           "swap used %lu\n", what, c->nproc, s->frames_free, c->pg_free, s->frames_used, s->used_private, s->used_fs,
           s->used_cache, s->used_image, s->used_object, s->used_zero, s->used_io, s->used_swap, s->meta_total,
           s->meta_shadow, s->meta_heap, s->meta_tables, s->meta_other, s->swap_used);
}

/* Whether field f of vmstat is the same in a and b; says so when not. */
#define SAME(f) same_field(#f, a->vs.f, b->vs.f)

static bool same_field(const char *name, uint64_t x, uint64_t y)
{
    if (x != y)
        printf("t_smpstress: %s: %lu before, %lu after\n", name, x, y);
    return x == y;
}

/* Whether a and b are the same, but for the file server's code (may grow by
   frames that are no longer free); says what differs. */
static bool same(const struct census *a, const struct census *b)
{
    bool ok = SAME(used_private) & SAME(used_fs) & SAME(used_cache) & SAME(used_object) & SAME(used_zero) &
              SAME(used_io) & SAME(used_swap) & SAME(meta_total) & SAME(meta_shadow) & SAME(meta_heap) &
              SAME(meta_tables) & SAME(meta_other) & SAME(swap_used);
    ok &= same_field("frames_free + used_image", a->vs.frames_free + a->vs.used_image,
                     b->vs.frames_free + b->vs.used_image);
    ok &= same_field("PG_STAT free + used_image", (uint64_t)a->pg_free + a->vs.used_image,
                     (uint64_t)b->pg_free + b->vs.used_image);
    if (a->vs.used_image > b->vs.used_image)
        ok &= same_field("used_image", a->vs.used_image, b->vs.used_image);
    ok &= same_field("processes", (uint64_t)a->nproc, (uint64_t)b->nproc);
    for (long i = 0; i < a->nproc && i < b->nproc; i++)
        ok &= same_field("a process's pid", (uint64_t)a->pid[i], (uint64_t)b->pid[i]);
    return ok;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 && atoi(argv[1]) > 0 ? atoi(argv[1]) : ROUNDS;
    touch_own_image(); /* its pages from the disk are resident from now on */
    run_storms(1);     /* warm-up: the caches fill (see above) */
    struct census before, after;
    take(&before);
    show("before", &before);
    struct vmstat v0 = before.vs;
    uint64_t t0 = rdtime();
    run_storms(rounds);
    uint64_t ms = (rdtime() - t0) / (RDTIME_HZ / 1000);
    take(&after);
    show("after", &after);
    printf("t_smpstress: %d storms of %d rounds in %lu ms: %lu forks, %lu execs, %lu zero-fill faults\n", STORMS,
           rounds, ms, after.vs.forks - v0.forks, after.vs.execs - v0.execs, after.vs.zero_fill - v0.zero_fill);
    PCHECK(after.vs.forks - v0.forks >= (uint64_t)(STORMS * rounds * (FORKS + 4)));
    PCHECK(after.vs.execs - v0.execs >= (uint64_t)(STORMS * rounds * 3));
    PCHECK(same(&before, &after));
    printf("t_smpstress: ok\n");
    return 0;
}
