/* Host unit tests of the pager policies' victim choice (servers/pager/
   policies) and of pagesim's MIN (tools/pagesim/sim.c), each against a
   simple reference model: arrays searched and shifted in O(n). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sim.h"
#include "frameq.h"

extern const struct policy clock_policy, fifo_policy, twoq_policy, eager_policy;

#define N 64                     /* frames in the randomized cases */

/* ---- the environment the policies get -------------------------------------- */

static bool abit[N];
static bool t_accessed(uint32_t f)
{
    bool a = abit[f];
    abit[f] = false;
    return a;
}

static struct policy_env env = { N, t_accessed, sim_alloc };

static void start(const struct policy *p)
{
    sim_alloc_reset();
    memset(abit, 0, sizeof abit);
    REQUIRE(p->init(&env) == 0);
}

/* ---- reference models --------------------------------------------------- */

/* An ordered list of frames, oldest first. */
struct rlist { uint32_t f[N]; int n; };
static int rfind(const struct rlist *l, uint32_t f)
{
    for (int i = 0; i < l->n; i++)
        if (l->f[i] == f)
            return i;
    return -1;
}
static void rdel(struct rlist *l, int i)
{
    memmove(&l->f[i], &l->f[i + 1], (size_t)(l->n - i - 1) * sizeof l->f[0]);
    l->n--;
}
static void rpush(struct rlist *l, uint32_t f) { l->f[l->n++] = f; }
static void rrot(struct rlist *l) { uint32_t f = l->f[0]; rdel(l, 0); rpush(l, f); }

/* Second chance on the reference list, with the reference's own bits. */
static bool rbit[N];
static uint32_t rsecond(struct rlist *l)
{
    if (!l->n)
        return NO_FRAME;
    for (int looked = 0;; looked++) {
        uint32_t f = l->f[0];
        rrot(l);
        bool a = rbit[f];
        rbit[f] = false;
        if (looked == l->n || !a)
            return f;
    }
}

/* 2Q's reference: two lists, and every eviction from `in` in order; the
   ghosts are the last N/2 of those whose page has not come back since. */
#define MAXEV 200000
struct r2q { struct rlist in, main; uint64_t key[N]; uint64_t ev[MAXEV]; bool back[MAXEV]; int nev; };
static void r2q_insert(struct r2q *m, uint32_t f, uint64_t key)
{
    m->key[f] = key;
    for (int i = m->nev - 1; i >= 0 && i >= m->nev - N / 2; i--) {
        if (!m->back[i] && m->ev[i] == key) {
            m->back[i] = true;
            rpush(&m->main, f);
            return;
        }
    }
    rpush(&m->in, f);
}
static void r2q_remove(struct r2q *m, uint32_t f, bool evicted)
{
    int i = rfind(&m->in, f);
    if (i >= 0) {
        rdel(&m->in, i);
        if (evicted) {
            m->back[m->nev] = false;
            m->ev[m->nev++] = m->key[f];
        }
    } else {
        rdel(&m->main, rfind(&m->main, f));
    }
}
static uint32_t r2q_victim(struct r2q *m)
{
    if (m->in.n && (m->main.n == 0 || m->in.n > (m->in.n + m->main.n) / 4)) {
        uint32_t f = m->in.f[0];
        rrot(&m->in);
        return f;
    }
    return rsecond(&m->main);
}

/* ---- randomized comparisons ------------------------------------------------ */

enum model { FIFO, SECOND, TWOQ };

/* Random inserts, removes (evictions or not), victim calls and accessed
   bits, on policy p and its reference model; every victim must agree. */
static void compare(const struct policy *p, enum model model, uint64_t seed_)
{
    start(p);
    rng_state = seed_;
    struct rlist ref = { .n = 0 };
    static struct r2q m2;
    memset(&m2, 0, sizeof m2);
    memset(rbit, 0, sizeof rbit);
    bool in[N] = { false };
    uint64_t keyof[N];
    for (int step = 0; step < 100000; step++) {
        uint32_t f = (uint32_t)(rng() % N);
        int what = (int)(rng() % 8);
        bool resident = false;
        uint64_t key = rng() % (N + N / 4);       /* keys repeat: ghosts get hits */
        for (uint32_t g = 0; g < N; g++)
            resident |= in[g] && keyof[g] == key; /* but a page is in one frame at most */
        if (what < 3 && !in[f] && !resident) {
            keyof[f] = key;
            p->insert(f, key);
            if (model == TWOQ)
                r2q_insert(&m2, f, key);
            else
                rpush(&ref, f);
            in[f] = true;
        } else if (what < 5 && in[f]) {
            bool ev = rng() % 4 != 0;
            p->remove(f, ev);
            if (model == TWOQ)
                r2q_remove(&m2, f, ev);
            else
                rdel(&ref, rfind(&ref, f));
            in[f] = false;
        } else if (what < 7) {
            abit[f] = rbit[f] = true;             /* a use of whatever page f holds */
        } else {
            uint32_t want = model == FIFO ? (ref.n ? ref.f[0] : NO_FRAME) : model == SECOND ? rsecond(&ref)
                                                                                          : r2q_victim(&m2);
            if (model == FIFO && ref.n)
                rrot(&ref);
            uint32_t got = p->victim();
            REQUIREF(got == want, "%s step %d: victim %u, the model says %u", p->name, step, got, want);
            REQUIREF(got == NO_FRAME || in[got], "%s step %d: victim %u is not inserted", p->name, step, got);
        }
    }
}

static void test_fifo(void) { compare(&fifo_policy, FIFO, 1); }
static void test_clock(void) { compare(&clock_policy, SECOND, 2); }
static void test_eager(void) { compare(&eager_policy, SECOND, 3); }
static void test_twoq(void) { compare(&twoq_policy, TWOQ, 4); }

/* A frame the mechanism could not evict is not offered again before the others. */
static void test_busy_victim_rotates(void)
{
    const struct policy *ps[] = { &fifo_policy, &clock_policy, &eager_policy, &twoq_policy };
    for (size_t i = 0; i < 4; i++) {
        start(ps[i]);
        for (uint32_t f = 0; f < 8; f++)
            ps[i]->insert(f, f);
        bool seen[8] = { false };
        for (int k = 0; k < 8; k++) {
            uint32_t v = ps[i]->victim();
            REQUIREF(v < 8 && !seen[v], "%s: frame %u offered twice in a row of 8", ps[i]->name, v);
            seen[v] = true;
        }
    }
}

/* An empty policy offers nothing. */
static void test_empty(void)
{
    const struct policy *ps[] = { &fifo_policy, &clock_policy, &eager_policy, &twoq_policy };
    for (size_t i = 0; i < 4; i++) {
        start(ps[i]);
        CHECK(ps[i]->victim() == NO_FRAME);
        ps[i]->insert(5, 1);
        ps[i]->remove(5, true);
        CHECK(ps[i]->victim() == NO_FRAME);
    }
}

/* clock's tick ages the frames: it clears the accessed bits of what it
   passes and moves the used frames to the back without evicting, so that
   the first victim after it is the oldest frame not used since the tick,
   not (as with bits set since the frames came in) the oldest of all. */
static void test_clock_tick(void)
{
    REQUIRE(clock_policy.tick != NULL);
    start(&clock_policy);
    for (uint32_t f = 0; f < 8; f++) {
        clock_policy.insert(f, f);
        abit[f] = true;                 /* every frame used once, long ago */
    }
    clock_policy.tick();
    for (uint32_t f = 0; f < 8; f++)
        CHECK(!abit[f]);                /* looked at and cleared */
    abit[0] = abit[1] = true;           /* used since the tick */
    CHECK(clock_policy.victim() == 2);  /* no tick: 0 (one whole turn, then the oldest) */
    CHECK(!abit[0] && !abit[1]);
    CHECK(clock_policy.victim() == 3);
}

/* An empty queue q over fresh links, every accessed bit clear. */
static void sweep_start(struct frameq *q)
{
    static struct frameq_links l;
    sim_alloc_reset();
    memset(abit, 0, sizeof abit);
    REQUIRE(frameq_links_init(&l, N, sim_alloc) == 0);
    frameq_init(q, &l, 1);
}

/* A sweep looks at no more frames than it is given and goes on where it
   stopped; frames that were not used stay where they are. */
static void test_sweep_bounded(void)
{
    struct frameq q;
    sweep_start(&q);
    for (uint32_t f = 0; f < 10; f++) {
        frameq_push(&q, f);
        abit[f] = f % 2 == 1;           /* the odd ones were used */
    }
    frameq_sweep(&q, 4, t_accessed);    /* looks at 0..3: 1 and 3 go to the back */
    for (uint32_t f = 0; f < 10; f++)
        CHECK(abit[f] == (f % 2 == 1 && f > 3));
    frameq_sweep(&q, 6, t_accessed);    /* 4..9: 5, 7 and 9 go to the back */
    const uint32_t want[10] = { 0, 2, 4, 6, 8, 1, 3, 5, 7, 9 };
    for (uint32_t i = 0; i < 10; i++)
        CHECK(frameq_pop(&q) == want[i]);
    CHECK(q.count == 0);
    frameq_sweep(&q, 4, t_accessed);    /* empty: nothing to do */
    frameq_push(&q, 3);
    frameq_sweep(&q, 100, t_accessed);  /* one frame, looked at once */
    CHECK(frameq_pop(&q) == 3);
}

/* Removing the frame the sweep would look at next moves it on. */
static void test_sweep_hand_removed(void)
{
    struct frameq q;
    sweep_start(&q);
    for (uint32_t f = 0; f < 4; f++)
        frameq_push(&q, f);
    frameq_sweep(&q, 2, t_accessed);    /* the hand is at 2 */
    frameq_del(&q, 2);
    abit[3] = true;
    frameq_sweep(&q, 1, t_accessed);    /* looks at 3 */
    CHECK(!abit[3]);
    frameq_del(&q, 0);
    frameq_del(&q, 1);
    frameq_del(&q, 3);
    CHECK(q.count == 0 && q.hand == NO_FRAME);
}

/* ---- MIN -------------------------------------------------------------------- */

/* The fewest faults any eviction choice gives, by trying them all. */
static uint64_t brute(const struct ref *r, size_t n, size_t i, uint32_t *res, uint32_t nres, uint32_t frames)
{
    for (; i < n; i++) {
        uint32_t j;
        for (j = 0; j < nres && res[j] != r[i].page; j++)
            ;
        if (j < nres)
            continue;
        if (nres < frames) {
            res[nres++] = r[i].page;
            return 1 + brute(r, n, i + 1, res, nres, frames);
        }
        uint64_t best = UINT64_MAX;
        for (j = 0; j < nres; j++) {
            uint32_t save[8];
            memcpy(save, res, nres * sizeof *res);
            res[j] = r[i].page;
            uint64_t c = brute(r, n, i + 1, res, nres, frames);
            if (c < best)
                best = c;
            memcpy(res, save, nres * sizeof *res);
        }
        return 1 + best;
    }
    return 0;
}

static void test_min_is_optimal(void)
{
    rng_state = 11;
    for (int k = 0; k < 300; k++) {
        struct ref r[14];
        uint32_t pages = 3 + (uint32_t)(rng() % 4), frames = 1 + (uint32_t)(rng() % 3);
        for (int i = 0; i < 14; i++)
            r[i] = (struct ref){ (uint32_t)(rng() % pages), false };
        struct trace t = { .r = r, .n = 14, .pages = pages };
        uint32_t res[8];
        uint64_t want = brute(r, 14, 0, res, 0, frames);
        REQUIREF(run_min(&t, frames).faults == want, "case %d: MIN %lu, the optimum %lu", k, (unsigned long)run_min(&t, frames).faults, (unsigned long)want);
    }
}

/* No policy beats MIN, and with room for every page all fault once per page. */
static void test_min_bounds_policies(void)
{
    const struct policy *ps[] = { &fifo_policy, &clock_policy, &twoq_policy };
    rng_state = 12;
    static struct ref r[4000];
    for (int k = 0; k < 20; k++) {
        uint32_t pages = 16 + (uint32_t)(rng() % 100);
        for (int i = 0; i < 4000; i++)
            r[i] = (struct ref){ (uint32_t)(rng() % pages), rng() % 3 == 0 };
        struct trace t = { .r = r, .n = 4000, .pages = pages };
        uint32_t frames = 4 + (uint32_t)(rng() % 40);
        uint64_t m = run_min(&t, frames).faults;
        for (size_t i = 0; i < 3; i++) {
            REQUIRE(run_policy(ps[i], &t, frames).faults >= m);
            REQUIRE(run_policy(ps[i], &t, pages).faults == pages - 0 * m || run_policy(ps[i], &t, pages).faults <= pages);
        }
        REQUIRE(run_min(&t, pages).faults <= pages);
    }
}

int main(void)
{
    CHECK_RUN(policies, fifo);
    CHECK_RUN(policies, clock);
    CHECK_RUN(policies, eager);
    CHECK_RUN(policies, twoq);
    CHECK_RUN(policies, busy_victim_rotates);
    CHECK_RUN(policies, empty);
    CHECK_RUN(policies, clock_tick);
    CHECK_RUN(policies, sweep_bounded);
    CHECK_RUN(policies, sweep_hand_removed);
    CHECK_RUN(policies, min_is_optimal);
    CHECK_RUN(policies, min_bounds_policies);
    return check_exit_code();
}
