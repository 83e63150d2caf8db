/* Per-thread instruction accounting (sys_thread_instret, docs/design.md): a
   thread's count grows by what it runs, user and kernel, and by nothing another
   task runs meanwhile. The suite runs without -icount, where rdinstret counts host
   ticks instead of instructions; every check compares the per-thread counts with
   rdinstret itself, so it holds in either unit. */
#include "test.h"

#define TRIES 10

/* 2 * n instructions (addi, bnez per turn) and a few. */
static void spin(uint64_t n)
{
    asm volatile("1: addi %0, %0, -1\n bnez %0, 1b" : "+r"(n));
}

/* Counts only grow: each read retires instructions of its own. */
static void check_monotonic(void)
{
    uint64_t prev = my_instret();
    for (int i = 0; i < 1000; i++) {
        uint64_t c = my_instret();
        CHECK(c > prev);
        prev = c;
    }
}

/* A slot that holds no THREAD cap is refused. */
static void check_bad_slots(void)
{
    const long bad[] = { 0, PAGER_SLOT, NSLOTS - 1, NSLOTS, -2, 1L << 40 };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ(sys_thread_instret(bad[i]), -EBADCAP);
}

/* Everything rdinstret saw during a loop of ours is in our count (unless some
   other thread ran meanwhile: then we try again), and our count never grows by
   more than rdinstret around it. */
static void check_own_loop(void)
{
    for (int i = 0; i < TRIES; i++) {
        uint64_t rb = rdinstret(), c0 = my_instret(), r0 = rdinstret();
        spin(2000000);
        uint64_t r1 = rdinstret(), c1 = my_instret(), ra = rdinstret();
        CHECK(c1 > c0);
        CHECK(c1 - c0 <= ra - rb);
        if (c1 - c0 >= r1 - r0)
            return;
    }
    printf("t_instret: the loop was never charged in full to its thread\n");
    exit(1);
}

struct shared {
    volatile uint64_t loop;                 /* the busy child's count over its loop */
    volatile uint64_t seq, count, when;     /* the spinner's own count and rdinstret then (seq odd: changing) */
};

/* A child spins (2 * 10M instructions) while we wait for it to exit: we are
   charged for far less than the child's loop. */
static void check_blocked_parent(struct shared *sh)
{
    for (int i = 0; i < TRIES; i++) {
        uint64_t p0 = my_instret();
        int pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            uint64_t c0 = my_instret();
            spin(10000000);
            sh->loop = my_instret() - c0;
            exit(0);
        }
        int st;
        CHECK_EQ(waitpid(pid, &st, 0), pid);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        uint64_t p1 = my_instret();
        CHECK(p1 > p0);
        if (p1 - p0 < sh->loop / 8)
            return;
    }
    printf("t_instret: a parent waiting for its child was charged for the child's loop\n");
    exit(1);
}

/* The spinner's last published count and the rdinstret just after it. */
static void published(struct shared *sh, uint64_t *count, uint64_t *when)
{
    for (;;) {
        uint64_t s = sh->seq;
        *count = sh->count;
        *when = sh->when;
        if (!(s & 1) && sh->seq == s)
            return;
        sys_yield(); /* the spinner was stopped halfway: let it finish */
    }
}

static void spinner(struct shared *sh)
{
    for (;;) {
        spin(100000);
        uint64_t c = my_instret(), w = rdinstret();
        sh->seq++;
        sh->count = c;
        sh->when = w;
        sh->seq++;
    }
}

/* A child spins for ever at our priority, publishing its own count; meanwhile we
   spin too, so the timer shares the processor between us. Our count and the
   child's, from its publication before we began (at rdinstret w0) to the one
   before we ended, add up to no more than rdinstret over that stretch (on one
   hart; on several, where both run at once and rdinstret is the hart's own,
   only that both counts grow). */
static void check_concurrent(struct shared *sh)
{
    struct pager_stat st;
    CHECK_EQ(pg_stat(&st), 0);
    uint64_t nharts = (uint64_t)st.nharts;
    CHECK(nharts >= 1);
    sh->seq = sh->count = 0;
    int pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        spinner(sh);
    while (sh->count == 0)
        sys_yield();
    bool ok = false;
    for (int i = 0; i < TRIES && !ok; i++) {
        uint64_t k0, w0, k1, w1;
        published(sh, &k0, &w0);
        uint64_t r0 = rdinstret(), p0 = my_instret();
        for (int j = 0; j < 100; j++)
            spin(1000000); /* 200M instructions: many timer ticks */
        uint64_t p1 = my_instret();
        published(sh, &k1, &w1);
        uint64_t r1 = rdinstret(), mine = p1 - p0, childs = k1 - k0;
        CHECK(p1 > p0 && k1 >= k0);
        if (nharts == 1) {
            CHECK(r0 >= w0);
            CHECK(mine + childs <= r1 - w0);
        } /* else both may run at once, and each hart's rdinstret counts its own: no bound */
        ok = childs > (r1 - r0) / 8; /* the child did run meanwhile, a lot */
    }
    CHECK_EQ(kill(pid, SIGKILL), 0);
    long how, code;
    CHECK_EQ(wait_how(pid, &how, &code), pid);
    CHECK_EQ(how, WAIT_KILLED);
    CHECK(ok);
}

int main(void)
{
    check_monotonic();
    check_bad_slots();
    check_own_loop();
    struct shared *sh = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(sh != MAP_FAILED);
    check_blocked_parent(sh);
    check_concurrent(sh);
    return 0;
}
