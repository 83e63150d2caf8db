/* Copy-on-write across harts (issue 11): a parent fills PAGES pages with a
   value of its own and forks; then parent and children all write every one of
   those pages, round after round, each round a value unique to (process,
   round), and each reads back what it wrote and checks, before it writes
   again, that a page still holds its own value of the round before (the
   parent's value from before the fork, in the first round). A stale writable
   TLB entry on one hart (a write-protect at fork, or a copy's new mapping,
   that another hart did not see) lets one side's write land in a frame that
   another side reads: that side then sees a foreign value and says whose.
   Several rounds of each side run while the others run theirs: on several
   harts at once, on one hart by preemption. Each side goes on (up to
   ROUNDS_MAX rounds: bounded by count, not by time) until it has seen the
   others' round counters move SWITCHES times, and fails if it never does.
   Fork generations: GENS with one child, then GENS3 with three children. */
#include "test.h"

#define PAGES 64
#define MAXSIDES 4          /* the parent and up to three children */
#define ROUNDS_MIN 1000     /* each side writes every page at least this often */
#define ROUNDS_MAX 2000000  /* and at most this often (a bound, not a time) */
#define SWITCHES 8          /* rounds at whose start another side was seen to have moved */
#define GENS 8              /* generations with one child */
#define GENS3 4             /* generations with three children */

/* What the sides share (MAP_SHARED, not part of the test's data). */
struct ctl {
    volatile uint64_t started;           /* sides that reached the start */
    volatile uint64_t round[MAXSIDES];   /* rounds each side has finished */
    volatile uint64_t happy[MAXSIDES];   /* 1: that side saw the others move SWITCHES times */
    volatile uint64_t failed;            /* a side found a wrong value: the others stop */
};

static struct ctl *ctl;
static uint64_t *mem;                    /* PAGES pages, MAP_PRIVATE: copied on write */
static const int words[] = { 0, 129, 300, 511 }; /* the words of a page each round writes */
#define NWORDS (int)(sizeof words / sizeof words[0])

/* The value side `side` writes into page `page` in round `round` of
   generation `gen` (round 0 of side 0: the parent's, before the fork). */
static uint64_t val(uint64_t gen, uint64_t side, uint64_t round, uint64_t page)
{
    return gen << 56 | side << 48 | round << 16 | page;
}

/* Print what v is when it is not want. */
static void tell(const char *what, int side, uint64_t page, int word, uint64_t v, uint64_t want)
{
    printf("t_smpcow: side %d, page %lu word %d %s: %lx (side %lu round %lu gen %lu), want %lx (round %lu)\n",
           side, page, word, what, v, (v >> 48) & 0xff, (v >> 16) & 0xffffffff, v >> 56, want,
           (want >> 16) & 0xffffffff);
}

/* One round of side `side`: every page must hold `prev`'s value; write the
   round's own value and read it back. Returns false at the first wrong word. */
static bool one_round(uint64_t gen, int side, uint64_t round, uint64_t prev_side, uint64_t prev_round)
{
    for (uint64_t i = 0; i < PAGES; i++) {
        volatile uint64_t *w = mem + i * 512;
        uint64_t old = val(gen, prev_side, prev_round, i), now = val(gen, (uint64_t)side, round, i);
        for (int k = 0; k < NWORDS; k++)
            if (w[words[k]] != old) {
                tell("before the write", side, i, words[k], w[words[k]], old);
                return false;
            }
        for (int k = 0; k < NWORDS; k++)
            w[words[k]] = now;
        for (int k = 0; k < NWORDS; k++)
            if (w[words[k]] != now) {
                tell("read back", side, i, words[k], w[words[k]], now);
                return false;
            }
    }
    return true;
}

static bool all_happy(int nsides)
{
    for (int s = 0; s < nsides; s++)
        if (!ctl->happy[s])
            return false;
    return true;
}

/* Side `side` of nsides in generation gen: rounds until it wrote ROUNDS_MIN
   times and every side saw the others move (ROUNDS_MAX at most), then one
   more check of all pages. Returns 0, 1 for a wrong value, 2 when the
   others were never seen to move, 3 when another side failed first. */
static int side_run(uint64_t gen, int side, int nsides)
{
    __atomic_fetch_add(&ctl->started, 1, __ATOMIC_SEQ_CST);
    while (ctl->started < (uint64_t)nsides)
        sys_yield();
    uint64_t seen[MAXSIDES] = { 0 }, switches = 0, r;
    for (r = 1; r <= ROUNDS_MAX; r++) {
        if (ctl->failed)
            return 3;
        bool moved = false;
        for (int s = 0; s < nsides; s++)
            if (s != side && ctl->round[s] != seen[s]) {
                seen[s] = ctl->round[s];
                moved = true;
            }
        if (moved && ++switches >= SWITCHES)
            ctl->happy[side] = 1;
        if (!one_round(gen, side, r, r == 1 ? 0 : (uint64_t)side, r - 1)) {
            ctl->failed = 1;
            return 1;
        }
        ctl->round[side] = r;
        if (r >= ROUNDS_MIN && all_happy(nsides))
            break;
    }
    if (r > ROUNDS_MAX) {
        ctl->failed = 1;
        printf("t_smpcow: side %d: %d rounds, the others moved during %lu of them\n", side, ROUNDS_MAX, switches);
        return 2;
    }
    return one_round(gen, side, r + 1, (uint64_t)side, r) ? 0 : 1; /* every page once more */
}

/* One generation: the parent writes its value into every page (its TLB holds
   them writable), forks `kids` children at once and takes part as side 0;
   every child must exit 0, and the pages must have been copied on write. */
static void generation(uint64_t gen, int kids)
{
    memset((void *)ctl, 0, sizeof *ctl);
    for (uint64_t i = 0; i < PAGES; i++)
        for (int k = 0; k < NWORDS; k++)
            mem[i * 512 + (uint64_t)words[k]] = val(gen, 0, 0, i);
    struct vmstat v0 = vm_now();
    uint64_t t0 = rdtime();
    long pid[MAXSIDES];
    for (int c = 1; c <= kids; c++) {
        pid[c] = fork();
        PCHECK(pid[c] >= 0);
        if (pid[c] == 0) {
            kids_forget();
            exit(side_run(gen, c, kids + 1));
        }
        kid_keep(pid[c]);
    }
    int mine = side_run(gen, 0, kids + 1);
    uint64_t rounds = ctl->round[0];
    for (int c = 1; c <= kids; c++) {
        long how, code;
        kid_wait(pid[c], &how, &code);
        if (how != WAIT_EXITED || code != 0)
            printf("t_smpcow: gen %lu child %d %s %ld\n", gen, c, how == WAIT_EXITED ? "exited" : "killed, cause", code);
        PCHECK_EQ(how, WAIT_EXITED);
        PCHECK_EQ(code, 0);
    }
    PCHECK_EQ(mine, 0);
    PCHECK(one_round(gen, 0, rounds + 2, 0, rounds + 1)); /* nothing of the children's stayed behind */
    struct vmstat v1 = vm_now();
    printf("t_smpcow: gen %lu, %d children: rounds %lu", gen, kids, rounds);
    for (int c = 1; c <= kids; c++)
        printf(" %lu", ctl->round[c]);
    printf("; cow copies %lu; %lu ms\n", v1.cow_copy - v0.cow_copy, (rdtime() - t0) / (RDTIME_HZ / 1000));
    /* With kids + 1 sides on each page, every side but the last to write it copied it. */
    PCHECK(v1.cow_copy - v0.cow_copy >= (uint64_t)kids * PAGES);
}

int main(void)
{
    ctl = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    PCHECK(ctl != MAP_FAILED);
    mem = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    PCHECK(mem != MAP_FAILED);
    uint64_t gen = 1;
    for (int g = 0; g < GENS; g++)
        generation(gen++, 1);
    for (int g = 0; g < GENS3; g++)
        generation(gen++, 3);
    PCHECK_EQ(munmap(mem, PAGES * 4096), 0);
    PCHECK_EQ(munmap((void *)ctl, 4096), 0);
    printf("t_smpcow: ok\n");
    return 0;
}
