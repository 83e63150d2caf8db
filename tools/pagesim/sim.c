/* The simulated mechanism of pagesim and the host tests: runs a policy's
   victim choice, or Belady's MIN, over a reference trace (sim.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"

/* ---- the simulated mechanism ----------------------------------------------- */

static uint32_t *frame_page;     /* per frame: its page, NO_FRAME if free */
static uint32_t *page_frame;     /* per page: its frame, NO_FRAME if not resident */
static bool *acc, *dirty;        /* per frame */

static bool sim_accessed(uint32_t f)
{
    bool a = acc[f];
    acc[f] = false;
    return a;
}

static char arena[1 << 22];
static size_t arena_used;

void sim_alloc_reset(void)
{
    arena_used = 0;
}

void *sim_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (arena_used + n > sizeof arena)
        return NULL;
    void *p = arena + arena_used;
    arena_used += n;
    memset(p, 0, n);
    return p;
}

/* Run trace t on `frames` frames under policy pol. */
struct result run_policy(const struct policy *pol, const struct trace *t, uint32_t frames)
{
    sim_alloc_reset();
    struct policy_env env = { frames, sim_accessed, sim_alloc };
    frame_page = sim_alloc(frames * sizeof *frame_page);
    page_frame = sim_alloc(t->pages * sizeof *page_frame);
    acc = sim_alloc(frames);
    dirty = sim_alloc(frames);
    if (!frame_page || !page_frame || !acc || !dirty || pol->init(&env) < 0) {
        fprintf(stderr, "pagesim: arena too small\n");
        exit(1);
    }
    for (uint32_t f = 0; f < frames; f++)
        frame_page[f] = NO_FRAME;
    for (uint32_t p = 0; p < t->pages; p++)
        page_frame[p] = NO_FRAME;
    struct result res = { 0, 0 };
    uint32_t used = 0;
    for (size_t i = 0; i < t->n; i++) {
        uint32_t p = t->r[i].page, f = page_frame[p];
        if (f == NO_FRAME) {
            res.faults++;
            if (used < frames) {
                f = used++;
            } else {
                f = pol->victim();
                if (f == NO_FRAME || frame_page[f] == NO_FRAME) {
                    fprintf(stderr, "pagesim: %s offered no resident frame\n", pol->name);
                    exit(1);
                }
                pol->remove(f, true);
                res.writes += dirty[f];
                page_frame[frame_page[f]] = NO_FRAME;
            }
            frame_page[f] = p;
            page_frame[p] = f;
            dirty[f] = false;
            pol->insert(f, p);
        }
        acc[f] = true;
        dirty[f] |= t->r[i].write;
    }
    return res;
}

/* Belady's MIN: on a fault with memory full, evict the resident page used
   again farthest in the future (never again counts as farthest). A max-heap
   of (next use, page) with stale entries skipped. Writes count the same way
   (a dirty victim is written). */
struct hent { size_t next; uint32_t page; };
static struct hent *heap;
static size_t hn;
static void hpush(struct hent e)
{
    size_t i = hn++;
    while (i && heap[(i - 1) / 2].next < e.next) {
        heap[i] = heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    heap[i] = e;
}
static struct hent hpop(void)
{
    struct hent top = heap[0], last = heap[--hn];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= hn)
            break;
        if (c + 1 < hn && heap[c + 1].next > heap[c].next)
            c++;
        if (heap[c].next <= last.next)
            break;
        heap[i] = heap[c];
        i = c;
    }
    heap[i] = last;
    return top;
}

struct result run_min(const struct trace *t, uint32_t frames)
{
    size_t *next = malloc(t->n * sizeof *next), *last = malloc(t->pages * sizeof *last);
    size_t *cur_next = malloc(t->pages * sizeof *cur_next);
    bool *res_ = calloc(t->pages, 1), *dirty_ = calloc(t->pages, 1);
    heap = malloc((t->n + 1) * sizeof *heap);
    if (!next || !last || !cur_next || !res_ || !dirty_ || !heap) {
        perror("pagesim");
        exit(1);
    }
    for (uint32_t p = 0; p < t->pages; p++)
        last[p] = SIZE_MAX;
    for (size_t i = t->n; i-- > 0;) {
        next[i] = last[t->r[i].page];
        last[t->r[i].page] = i;
    }
    hn = 0;
    struct result r = { 0, 0 };
    uint32_t used = 0;
    for (size_t i = 0; i < t->n; i++) {
        uint32_t p = t->r[i].page;
        if (!res_[p]) {
            r.faults++;
            if (used < frames) {
                used++;
            } else {
                for (;;) { /* the live entry of a resident page has next == its cur_next */
                    struct hent e = hpop();
                    if (res_[e.page] && cur_next[e.page] == e.next) {
                        res_[e.page] = false;
                        r.writes += dirty_[e.page];
                        break;
                    }
                }
            }
            res_[p] = true;
            dirty_[p] = false;
        }
        dirty_[p] |= t->r[i].write;
        cur_next[p] = next[i];
        hpush((struct hent){ next[i], p });
    }
    free(next);
    free(last);
    free(cur_next);
    free(res_);
    free(dirty_);
    free(heap);
    return r;
}

