// Host unit tests for kernel/asid.c: edge cases, then random runs
// checked against a model of every hart's TLB.
//
// The model: a hart's TLB is the set of (ASID, address space) pairs it
// may hold entries of: a full flush empties it, asid_free's remote
// flush of an ASID removes that ASID's pairs on every hart, and a hart
// running space X under ASID n adds (n, X). At every switch the ASID
// asid_switch returns must not be in the hart's set for another space
// (asid.h's invariant); and two live spaces of the current generation
// never hold the same ASID. Unmaps check asid.h's rule for remote
// flushes: afterwards no hart running the space (or loading it) may
// hold an entry of it from before. ASID_STATS=1 in the environment prints
// each random run's counts (switches, flushes, frees, generations).

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asid.h"
#include "check.h"

#define GEN(tag)  ((tag) >> ASID_MAXBITS)
#define ASIDOF(tag) ((unsigned)((tag) & (ASID_MAX - 1)))

static struct asids A;      // 8 KiB of bitmap: not on the stack

// ---- edge cases ---------------------------------------------------------------

// bits 0: only ASID 0, a flush at every switch, the tag left alone.
static void
test_nobits(void)
{
    asid_init(&A, 0, 2);
    uint64_t t1 = 0, t2 = 0;
    for (int i = 0; i < 10; i++) {
        bool f = false;
        CHECK(asid_switch(&A, i % 2 ? &t1 : &t2, (unsigned)i % 2, &f) == 0);
        CHECK(f);
    }
    CHECK(t1 == 0 && t2 == 0);
    asid_free(&A, t1);
    CHECK(A.gen == 1);
}

// Enough ASIDs: every space keeps its own (never 0), each hart flushes
// once (its first switch), and never again.
static void
test_noneedlessflush(void)
{
    enum { NS = 20, NH = 4 };
    uint64_t tag[NS] = {0};
    unsigned first[NS] = {0};
    int flushes = 0;
    asid_init(&A, 16, NH);
    rng_state = 7;
    for (int i = 0; i < 20000; i++) {
        unsigned s = (unsigned)rng_below(NS), h = (unsigned)rng_below(NH);
        bool f;
        unsigned n = asid_switch(&A, &tag[s], h, &f);
        flushes += f;
        CHECKF(n != 0 && n < ASID_MAX, "ASID %u", n);
        if (first[s] == 0)
            first[s] = n;
        CHECKF(n == first[s], "space %u moved from ASID %u to %u", s, first[s], n);
    }
    CHECKF(flushes == NH, "%d flushes, want %d", flushes, NH);
    CHECK(A.gen == 1);
}

// bits 2 (ASIDs 1..3): a freed ASID is reused without a rollover; a
// fourth space rolls over; a stale tag's free leaves the ASID alone.
static void
test_freereuse(void)
{
    uint64_t t[5] = {0};
    bool f;
    asid_init(&A, 2, 1);
    for (int s = 0; s < 3; s++)
        CHECK(asid_switch(&A, &t[s], 0, &f) == (unsigned)s + 1);
    asid_free(&A, t[1]);
    CHECK(asid_switch(&A, &t[3], 0, &f) == 2);
    CHECK(!f && A.gen == 1);
    CHECK(asid_switch(&A, &t[4], 0, &f) == 1);      // none free: generation 2
    CHECK(f && A.gen == 2);
    CHECK(GEN(t[4]) == 2);
    asid_free(&A, t[0]);                            // gen 1, ASID 1: t[4]'s now
    uint64_t t5 = 0;
    unsigned n = asid_switch(&A, &t5, 0, &f);
    CHECKF(n == 2, "got %u, want 2 (1 is t[4]'s)", n);
    CHECK(!f);
}

// The search for a free ASID goes on from where the last one ended and
// wraps around to 1 before it rolls the generation over.
static void
test_wrap(void)
{
    uint64_t t[10] = {0};
    bool f;
    asid_init(&A, 3, 1);
    for (int s = 0; s < 7; s++)
        asid_switch(&A, &t[s], 0, &f);              // 1 .. 7
    asid_free(&A, t[2]);
    asid_free(&A, t[5]);
    CHECK(asid_switch(&A, &t[7], 0, &f) == 3);
    CHECK(asid_switch(&A, &t[8], 0, &f) == 6);
    asid_free(&A, t[1]);
    CHECK(asid_switch(&A, &t[9], 0, &f) == 2);      // past 7: from 1 again
    CHECK(A.gen == 1 && !f);
}

// bits above 16 count as 16; harts beyond nharts (or ASID_MAXHARTS)
// are not tracked and flush every time.
static void
test_limits(void)
{
    asid_init(&A, 40, 100);
    CHECK(A.nasids == ASID_MAX);
    CHECK(A.nharts == ASID_MAXHARTS);
    uint64_t t = 0;
    bool f;
    for (int i = 0; i < 3; i++) {
        asid_switch(&A, &t, ASID_MAXHARTS, &f);
        CHECK(f);
    }
    asid_init(&A, 4, 2);
    t = 0;
    asid_switch(&A, &t, 0, &f);
    CHECK(f);
    asid_switch(&A, &t, 0, &f);
    CHECK(!f);
    asid_switch(&A, &t, 2, &f);
    CHECK(f);
    asid_switch(&A, &t, 2, &f);
    CHECK(f);
}

// Every ASID 1 .. 2^bits - 1 is handed out once before a rollover;
// then three freed ones (where a bitmap word begins, in the middle of
// one, the last) are found in order, and only then does it roll over.
static void
test_allused(void)
{
    static uint64_t t[ASID_MAX];
    static bool seen[ASID_MAX];
    unsigned bits[] = {1, 3, 7, 16};
    for (size_t k = 0; k < sizeof bits / sizeof bits[0]; k++) {
        unsigned n = 1u << bits[k];
        asid_init(&A, bits[k], 1);
        memset(t, 0, sizeof t);
        memset(seen, 0, sizeof seen);
        bool f;
        for (unsigned s = 1; s < n; s++) {
            unsigned a = asid_switch(&A, &t[s], 0, &f);
            CHECKF(a != 0 && a < n && !seen[a], "bits %u: ASID %u", bits[k], a);
            if (a < ASID_MAX)
                seen[a] = true;
        }
        CHECK(A.gen == 1);
        unsigned fr[3] = {n > 128 ? 128 : n / 2, n > 128 ? 64 * 700 + 37 : n - 2, n - 1};
        if (n >= 8) {
            for (int i = 0; i < 3; i++)
                asid_free(&A, ASID_TAG(1, fr[i]));
            for (int i = 0; i < 3; i++) {
                uint64_t tt = 0;
                unsigned a = asid_switch(&A, &tt, 0, &f);
                CHECKF(a == fr[i], "bits %u: got ASID %u, want the freed %u", bits[k], a, fr[i]);
            }
            CHECK(A.gen == 1);
        }
        asid_switch(&A, &t[0], 0, &f);
        CHECKF(A.gen == 2 && f, "bits %u: no rollover", bits[k]);
    }
}

// ---- random runs against the model ----------------------------------------------

#define NSLOTS 48                   // live spaces at most (a bit each in tlb[])
#define DEAD   (1ull << 63)         // entries of spaces destroyed since

struct space {
    bool live;
    uint64_t tag;
    uint64_t id;                    // unique over the run
};

struct model {
    unsigned bits, nharts, nasids;
    struct space sp[NSLOTS];
    int cur[ASID_MAXHARTS];         // slot whose table is in the hart's satp, -1: the kernel's
    uint64_t *tlb;                  // [hart * nasids + asid]: slots (and DEAD) the hart may hold under asid
    unsigned maxasid;               // highest ASID handed out so far
    uint64_t nextid;
    uint64_t *stale;                // [hart * nasids + asid]: slots whose entries there may be older than an unmap
    unsigned curasid[ASID_MAXHARTS];// the ASID in the hart's satp (when cur >= 0)
    uint32_t *stamp;                // [asid]: for the uniqueness check
    uint32_t ncheck;
    unsigned switches, flushes, frees, unmaps;
};

static uint64_t *
tlb(struct model *m, unsigned h, unsigned asid)
{
    return &m->tlb[(size_t)h * m->nasids + asid];
}

static uint64_t *
stale(struct model *m, unsigned h, unsigned asid)
{
    return &m->stale[(size_t)h * m->nasids + asid];
}

// sfence.vma zero, asid on hart h.
static void
flush_asid(struct model *m, unsigned h, unsigned asid)
{
    *tlb(m, h, asid) = 0;
    *stale(m, h, asid) = 0;
}

// No two live spaces of the current generation hold the same ASID.
static bool
unique(struct model *m)
{
    m->ncheck++;
    for (int s = 0; s < NSLOTS; s++) {
        uint64_t t = m->sp[s].tag;
        if (!m->sp[s].live || t == 0 || GEN(t) != A.gen)
            continue;
        if (m->stamp[ASIDOF(t)] == m->ncheck) {
            CHECKF(false, "bits %u: two live spaces hold ASID %u in generation %llu",
                   m->bits, ASIDOF(t), (unsigned long long)A.gen);
            return false;
        }
        m->stamp[ASIDOF(t)] = m->ncheck;
    }
    return true;
}

// Hart h loads space s's table. False on a broken invariant.
static bool
load(struct model *m, unsigned h, int s)
{
    bool f;
    unsigned n = asid_switch(&A, &m->sp[s].tag, h, &f);
    m->switches++;
    if (m->nasids == 1 && !(n == 0 && f)) {
        CHECKF(false, "bits 0: ASID %u, flush %d", n, f);
        return false;
    }
    if (!(n < m->nasids && (n != 0 || m->nasids == 1))) {
        CHECKF(false, "bits %u: ASID %u handed out", m->bits, n);
        return false;
    }
    if (m->nasids > 1 && (ASIDOF(m->sp[s].tag) != n || GEN(m->sp[s].tag) != A.gen)) {
        CHECKF(false, "tag %llx does not say ASID %u of generation %llu",
               (unsigned long long)m->sp[s].tag, n, (unsigned long long)A.gen);
        return false;
    }
    if (f) {
        m->flushes++;
        memset(tlb(m, h, 0), 0, m->nasids * sizeof(uint64_t));
        memset(stale(m, h, 0), 0, m->nasids * sizeof(uint64_t));
    }
    if (n > m->maxasid)
        m->maxasid = n;
    uint64_t other = *tlb(m, h, n) & ~(1ull << s);
    if (other) {
        CHECKF(false, "bits %u, %u harts, switch %u: hart %u runs space %llu under ASID %u "
               "while its TLB may hold entries of %s under it",
               m->bits, m->nharts, m->switches, h, (unsigned long long)m->sp[s].id, n,
               other & DEAD ? "a destroyed space" : "another live space");
        return false;
    }
    if (*stale(m, h, n) & 1ull << s) {
        CHECKF(false, "bits %u, %u harts, switch %u: hart %u runs space %llu under ASID %u "
               "while its TLB may hold entries from before an unmap", m->bits, m->nharts,
               m->switches, h, (unsigned long long)m->sp[s].id, n);
        return false;
    }
    *tlb(m, h, n) |= 1ull << s;
    m->cur[h] = s;
    m->curasid[h] = n;
    return true;
}

// Space s's mappings change (unmap, write-protect): the remote flushes
// asid.h asks for (on a hart running s the ASID in its satp, on every
// hart the ASID of s's tag); the entries of s left anywhere are stale.
// False when a hart running s may still use one.
static bool
unmap(struct model *m, int s)
{
    uint64_t t = m->sp[s].tag;
    m->unmaps++;
    for (unsigned h = 0; h < m->nharts; h++) {
        if (m->cur[h] == s)
            flush_asid(m, h, m->curasid[h]);
        if (t != 0)
            flush_asid(m, h, ASIDOF(t));
        for (unsigned n = 0; n <= m->maxasid; n++)
            *stale(m, h, n) |= *tlb(m, h, n) & 1ull << s;
    }
    for (unsigned h = 0; h < m->nharts; h++) {
        if (m->cur[h] != s)
            continue;
        if (*stale(m, h, m->curasid[h]) & 1ull << s) {
            CHECKF(false, "bits %u, %u harts, unmap %u: hart %u runs space %llu under ASID %u "
                   "with entries from before the unmap", m->bits, m->nharts, m->unmaps, h,
                   (unsigned long long)m->sp[s].id, m->curasid[h]);
            return false;
        }
        *tlb(m, h, m->curasid[h]) |= 1ull << s;     // it goes on running s
    }
    return true;
}

// Destroy space s (no hart runs it): the caller's remote flush of its
// tag's ASID on every hart, its other entries marked DEAD, asid_free.
static void
destroy(struct model *m, int s)
{
    uint64_t t = m->sp[s].tag;
    for (unsigned h = 0; h < m->nharts; h++) {
        if (t != 0)
            flush_asid(m, h, ASIDOF(t));
        for (unsigned n = 0; n <= m->maxasid; n++) {
            uint64_t *e = tlb(m, h, n);
            if (*e & 1ull << s)
                *e = (*e & ~(1ull << s)) | DEAD;
            *stale(m, h, n) &= ~(1ull << s);
        }
    }
    asid_free(&A, t);
    m->sp[s].live = false;
    m->frees++;
}

static int
pick_live(struct model *m, bool not_running)
{
    int s = (int)rng_below(NSLOTS);
    for (int i = 0; i < NSLOTS; i++, s = (s + 1) % NSLOTS) {
        if (!m->sp[s].live)
            continue;
        bool running = false;
        for (unsigned h = 0; h < m->nharts; h++)
            running |= m->cur[h] == s;
        if (!not_running || !running)
            return s;
    }
    return -1;
}

// ops random operations with H harts and 2^bits ASIDs.
static void
random_run(uint64_t seed, unsigned bits, unsigned nharts, unsigned ops)
{
    static struct model m;
    memset(&m, 0, sizeof m);
    m.bits = bits, m.nharts = nharts, m.nasids = 1u << bits;
    m.tlb = calloc((size_t)nharts * m.nasids, sizeof(uint64_t));
    m.stale = calloc((size_t)nharts * m.nasids, sizeof(uint64_t));
    m.stamp = calloc(m.nasids, sizeof(uint32_t));
    REQUIRE(m.tlb && m.stale && m.stamp);
    for (unsigned h = 0; h < nharts; h++)
        m.cur[h] = -1;
    asid_init(&A, bits, nharts);
    rng_state = seed;
    for (unsigned i = 0; i < ops && check_case_failures() == 0; i++) {
        unsigned h = (unsigned)rng_below(nharts), r = (unsigned)rng_below(100);
        int s;
        if (r < 15) {                               // a new space
            for (s = 0; s < NSLOTS && m.sp[s].live; s++)
                ;
            if (s < NSLOTS)
                m.sp[s] = (struct space){.live = true, .tag = 0, .id = ++m.nextid};
        } else if (r < 30) {                        // a space no hart runs ends
            if ((s = pick_live(&m, true)) >= 0)
                destroy(&m, s);
        } else if (r < 38) {                        // h goes idle (the kernel's table)
            m.cur[h] = -1;
        } else if (r < 46) {                        // a space's mappings change
            s = m.cur[h] >= 0 && rng_below(2) ? m.cur[h] : pick_live(&m, false);
            if (s >= 0 && !unmap(&m, s))
                break;
        } else if ((s = pick_live(&m, false)) >= 0 && s != m.cur[h]) {
            if (!load(&m, h, s))
                break;
        }
        if (!unique(&m))
            break;
    }
    // Enough happened: spaces came and went, and few ASIDs forced rollovers.
    CHECKF(m.switches > ops / 4 && m.frees > ops / 20, "bits %u: %u switches, %u frees",
           bits, m.switches, m.frees);
    if (bits > 0 && bits <= 2)
        CHECKF(A.gen > ops / 50, "bits %u: only %llu generations", bits, (unsigned long long)A.gen);
    if (getenv("ASID_STATS"))
        printf("bits %u harts %u: %u switches, %u flushes, %u frees, %u unmaps, %llu generations, max ASID %u\n",
               bits, nharts, m.switches, m.flushes, m.frees, m.unmaps, (unsigned long long)A.gen, m.maxasid);
    free(m.tlb);
    free(m.stale);
    free(m.stamp);
}

static void
test_random(void)
{
    unsigned bits[] = {0, 1, 2, 3, 5, 16};
    unsigned harts[] = {1, 2, 4, ASID_MAXHARTS};
    for (size_t b = 0; b < sizeof bits / sizeof bits[0]; b++)
        for (size_t h = 0; h < sizeof harts / sizeof harts[0]; h++)
            for (uint64_t seed = 1; seed <= 3 && check_case_failures() == 0; seed++)
                random_run(seed * 0x9E3779B97F4A7C15ull + bits[b] * 31 + harts[h], bits[b], harts[h],
                           20000);
}

int
main(void)
{
    CHECK_RUN(asid, nobits);
    CHECK_RUN(asid, noneedlessflush);
    CHECK_RUN(asid, freereuse);
    CHECK_RUN(asid, wrap);
    CHECK_RUN(asid, limits);
    CHECK_RUN(asid, allused);
    CHECK_RUN(asid, random);
    return check_exit_code();
}
