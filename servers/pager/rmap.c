/* Reverse map from frames to (address space, va). See rmap.h. */
#include "rmap.h"
#include "abi.h"    /* errno numbers only */

/* ---- layout and hashing ---------------------------------------------------- */

/* The smallest power of two >= n, at least 2 (so hash_shift stays below 64). */
static uint64_t
buckets_for(uint32_t n)
{
    uint64_t b = 2;
    while (b < n)
        b <<= 1;
    return b;
}

static bool
limit_ok(uint32_t n)
{
    return n > 0 && n <= RMAP_MAX;
}

size_t
rmap_bytes(uint32_t nframes, uint32_t nas, uint32_t nentries)
{
    if (!limit_ok(nframes) || !limit_ok(nas) || !limit_ok(nentries))
        return 0;
    uint64_t words = 2 * (uint64_t)nframes + nas + buckets_for(nentries);
    uint64_t bytes = (uint64_t)nentries * sizeof(struct rmap_entry) + words * sizeof(uint32_t);
    return (size_t)bytes;
}

/* The bucket of (as, va): Fibonacci hashing of the page number mixed with as. */
static uint32_t
hash(const struct rmap *m, uint32_t as, uint64_t va)
{
    uint64_t x = (va / RMAP_PAGE) ^ ((uint64_t)as * 0xc2b2ae3d27d4eb4fULL);
    return (uint32_t)((x * 0x9e3779b97f4a7c15ULL) >> m->hash_shift);
}

/* Fill n entries of a with v. */
static void
fill32(uint32_t *a, uint64_t n, uint32_t v)
{
    for (uint64_t i = 0; i < n; i++)
        a[i] = v;
}

int
rmap_init(struct rmap *m, void *buf, size_t len,
          uint32_t nframes, uint32_t nas, uint32_t nentries)
{
    size_t need = rmap_bytes(nframes, nas, nentries);
    if (need == 0 || !buf || ((uintptr_t)buf & 7) || len < need)
        return -EINVAL;
    uint64_t nb = buckets_for(nentries);
    m->e = buf;
    m->fhead = (uint32_t *)(m->e + nentries);
    m->fcount = m->fhead + nframes;
    m->ahead = m->fcount + nframes;
    m->bucket = m->ahead + nas;
    m->nframes = nframes;
    m->nas = nas;
    m->nentries = nentries;
    m->nbuckets = (uint32_t)nb;
    m->hash_shift = 64;
    for (uint64_t b = nb; b > 1; b >>= 1)
        m->hash_shift--;
    fill32(m->fhead, nframes, RMAP_NIL);
    fill32(m->fcount, nframes, 0);
    fill32(m->ahead, nas, RMAP_NIL);
    fill32(m->bucket, nb, RMAP_NIL);
    for (uint32_t i = 0; i < nentries; i++) {
        struct rmap_entry *e = &m->e[i];
        e->va = 0;
        e->frame = RMAP_NIL;
        e->as = 0;
        e->fprev = e->fnext = e->aprev = e->anext = RMAP_NIL;
        e->hnext = i + 1 < nentries ? i + 1 : RMAP_NIL;
        e->pad = 0;
    }
    m->free = 0;
    m->used = 0;
    return 0;
}

/* ---- list primitives ------------------------------------------------------- */

/* True if the arguments name a frame, an address space and a page. */
static bool
args_ok(const struct rmap *m, uint32_t frame, uint32_t as, uint64_t va)
{
    return frame < m->nframes && as < m->nas && (va & (RMAP_PAGE - 1)) == 0;
}

/* The entry recorded for (as, va), or RMAP_NIL; *prevp (if not NULL) gets its
   predecessor in the hash chain (RMAP_NIL when it is first). */
static uint32_t
find(const struct rmap *m, uint32_t as, uint64_t va, uint32_t *prevp)
{
    uint32_t prev = RMAP_NIL;
    for (uint32_t i = m->bucket[hash(m, as, va)]; i != RMAP_NIL; i = m->e[i].hnext) {
        if (m->e[i].as == as && m->e[i].va == va) {
            if (prevp)
                *prevp = prev;
            return i;
        }
        prev = i;
    }
    return RMAP_NIL;
}

/* Put entry i, with its frame set, at the head of its frame's list. */
static void
frame_link(struct rmap *m, uint32_t i)
{
    struct rmap_entry *e = &m->e[i];
    e->fprev = RMAP_NIL;
    e->fnext = m->fhead[e->frame];
    if (e->fnext != RMAP_NIL)
        m->e[e->fnext].fprev = i;
    m->fhead[e->frame] = i;
    m->fcount[e->frame]++;
}

/* Take entry i off its frame's list. */
static void
frame_unlink(struct rmap *m, uint32_t i)
{
    struct rmap_entry *e = &m->e[i];
    if (e->fprev != RMAP_NIL)
        m->e[e->fprev].fnext = e->fnext;
    else
        m->fhead[e->frame] = e->fnext;
    if (e->fnext != RMAP_NIL)
        m->e[e->fnext].fprev = e->fprev;
    e->fprev = e->fnext = RMAP_NIL;
    m->fcount[e->frame]--;
}

/* Put entry i at the head of its address space's list. */
static void
as_link(struct rmap *m, uint32_t i)
{
    struct rmap_entry *e = &m->e[i];
    e->aprev = RMAP_NIL;
    e->anext = m->ahead[e->as];
    if (e->anext != RMAP_NIL)
        m->e[e->anext].aprev = i;
    m->ahead[e->as] = i;
}

/* Take entry i off its address space's list. */
static void
as_unlink(struct rmap *m, uint32_t i)
{
    struct rmap_entry *e = &m->e[i];
    if (e->aprev != RMAP_NIL)
        m->e[e->aprev].anext = e->anext;
    else
        m->ahead[e->as] = e->anext;
    if (e->anext != RMAP_NIL)
        m->e[e->anext].aprev = e->aprev;
    e->aprev = e->anext = RMAP_NIL;
}

/* Take entry i, whose hash-chain predecessor is prev, off every list and
   return it to the free list. */
static void
release(struct rmap *m, uint32_t i, uint32_t prev)
{
    struct rmap_entry *e = &m->e[i];
    if (prev != RMAP_NIL)
        m->e[prev].hnext = e->hnext;
    else
        m->bucket[hash(m, e->as, e->va)] = e->hnext;
    frame_unlink(m, i);
    as_unlink(m, i);
    e->frame = RMAP_NIL;
    e->hnext = m->free;
    m->free = i;
    m->used--;
}

/* ---- operations ------------------------------------------------------------ */

int
rmap_add(struct rmap *m, uint32_t frame, uint32_t as, uint64_t va)
{
    if (!args_ok(m, frame, as, va))
        return -EINVAL;
    if (find(m, as, va, NULL) != RMAP_NIL)
        return -EEXIST;
    uint32_t i = m->free;
    if (i == RMAP_NIL)
        return -ENOMEM;
    struct rmap_entry *e = &m->e[i];
    m->free = e->hnext;
    m->used++;
    e->frame = frame;
    e->as = as;
    e->va = va;
    uint32_t b = hash(m, as, va);
    e->hnext = m->bucket[b];
    m->bucket[b] = i;
    frame_link(m, i);
    as_link(m, i);
    return 0;
}

int
rmap_remove(struct rmap *m, uint32_t frame, uint32_t as, uint64_t va)
{
    if (!args_ok(m, frame, as, va))
        return -EINVAL;
    uint32_t prev;
    uint32_t i = find(m, as, va, &prev);
    if (i == RMAP_NIL || m->e[i].frame != frame)
        return -ENOENT;
    release(m, i, prev);
    return 0;
}

int
rmap_move(struct rmap *m, uint32_t from, uint32_t to, uint32_t as, uint64_t va)
{
    if (!args_ok(m, from, as, va) || to >= m->nframes)
        return -EINVAL;
    uint32_t i = find(m, as, va, NULL);
    if (i == RMAP_NIL || m->e[i].frame != from)
        return -ENOENT;
    frame_unlink(m, i);
    m->e[i].frame = to;
    frame_link(m, i);
    return 0;
}

int
rmap_lookup(const struct rmap *m, uint32_t as, uint64_t va)
{
    if (!args_ok(m, 0, as, va))
        return -EINVAL;
    uint32_t i = find(m, as, va, NULL);
    return i == RMAP_NIL ? -ENOENT : (int)m->e[i].frame;
}

uint32_t
rmap_count(const struct rmap *m, uint32_t frame)
{
    return frame < m->nframes ? m->fcount[frame] : 0;
}

int
rmap_remove_as(struct rmap *m, uint32_t as)
{
    if (as >= m->nas)
        return -EINVAL;
    int n = 0;
    while (m->ahead[as] != RMAP_NIL) {
        uint32_t i = m->ahead[as], prev;
        if (find(m, as, m->e[i].va, &prev) != i)
            return n;   /* unreachable while the invariants hold (rmap_check) */
        release(m, i, prev);
        n++;
    }
    return n;
}

uint32_t
rmap_free(const struct rmap *m)
{
    return m->nentries - m->used;
}

void
rmap_iter_init(const struct rmap *m, uint32_t frame, struct rmap_iter *it)
{
    it->next = frame < m->nframes ? m->fhead[frame] : RMAP_NIL;
}

bool
rmap_iter_next(const struct rmap *m, struct rmap_iter *it, uint32_t *as, uint64_t *va)
{
    if (it->next == RMAP_NIL)
        return false;
    const struct rmap_entry *e = &m->e[it->next];
    *as = e->as;
    *va = e->va;
    it->next = e->fnext;    /* read now: the caller may remove e */
    return true;
}

int
rmap_foreach(struct rmap *m, uint32_t frame,
             int (*fn)(void *arg, uint32_t as, uint64_t va), void *arg)
{
    struct rmap_iter it;
    uint32_t as;
    uint64_t va;
    rmap_iter_init(m, frame, &it);
    while (rmap_iter_next(m, &it, &as, &va)) {
        int r = fn(arg, as, va);
        if (r)
            return r;
    }
    return 0;
}

/* ---- checking -------------------------------------------------------------- */

/* Walk the free list. Returns 0 if it is acyclic, holds only free entries and
   has nentries - used of them, and that many entries are marked free. */
static int
check_free(const struct rmap *m)
{
    uint64_t n = 0, marked = 0;
    for (uint32_t i = m->free; i != RMAP_NIL; i = m->e[i].hnext) {
        if (i >= m->nentries || m->e[i].frame != RMAP_NIL || ++n > m->nentries)
            return RMAP_EFREE;
    }
    for (uint32_t i = 0; i < m->nentries; i++)
        marked += m->e[i].frame == RMAP_NIL;
    if (n != (uint64_t)m->nentries - m->used || marked != n)
        return RMAP_EFREE;
    return 0;
}

/* Walk every frame's list: links both ways, members of that frame, lengths
   equal to the counts. Returns 0 and the total in *total, or RMAP_EFRAME. */
static int
check_frames(const struct rmap *m, uint64_t *total)
{
    *total = 0;
    for (uint32_t f = 0; f < m->nframes; f++) {
        uint32_t prev = RMAP_NIL;
        uint64_t n = 0;
        for (uint32_t i = m->fhead[f]; i != RMAP_NIL; prev = i, i = m->e[i].fnext) {
            if (i >= m->nentries || m->e[i].frame != f || m->e[i].fprev != prev ||
                ++n > m->nentries)
                return RMAP_EFRAME;
        }
        if (n != m->fcount[f])
            return RMAP_EFRAME;
        *total += n;
    }
    return 0;
}

/* Walk every address space's list the same way. Returns 0 and the total in
   *total, or RMAP_EAS. */
static int
check_as(const struct rmap *m, uint64_t *total)
{
    *total = 0;
    for (uint32_t a = 0; a < m->nas; a++) {
        uint32_t prev = RMAP_NIL;
        for (uint32_t i = m->ahead[a]; i != RMAP_NIL; prev = i, i = m->e[i].anext) {
            const struct rmap_entry *e = &m->e[i];
            if (i >= m->nentries || e->frame == RMAP_NIL || e->as != a || e->aprev != prev ||
                (e->va & (RMAP_PAGE - 1)) || ++*total > m->nentries)
                return RMAP_EAS;
        }
    }
    return 0;
}

/* Walk every hash chain: used members in their own bucket, no (as, va)
   twice. Returns 0 and the total in *total, or RMAP_EHASH. */
static int
check_hash(const struct rmap *m, uint64_t *total)
{
    *total = 0;
    for (uint32_t b = 0; b < m->nbuckets; b++) {
        for (uint32_t i = m->bucket[b]; i != RMAP_NIL; i = m->e[i].hnext) {
            const struct rmap_entry *e = &m->e[i];
            if (i >= m->nentries || e->frame == RMAP_NIL || hash(m, e->as, e->va) != b ||
                ++*total > m->nentries)
                return RMAP_EHASH;
            uint64_t steps = 0;
            for (uint32_t j = e->hnext; j != RMAP_NIL; j = m->e[j].hnext)
                if (j >= m->nentries || ++steps > m->nentries ||
                    (m->e[j].as == e->as && m->e[j].va == e->va))
                    return RMAP_EHASH;
        }
    }
    return 0;
}

int
rmap_check(const struct rmap *m)
{
    uint64_t nf, na, nh;
    int r;
    if ((r = check_free(m)) || (r = check_frames(m, &nf)) || (r = check_as(m, &na)) ||
        (r = check_hash(m, &nh)))
        return r;
    /* Each used entry has one frame, one address space and one bucket, and
       every list is duplicate-free: equal totals put it on each exactly once. */
    if (nf != m->used || na != m->used || nh != m->used)
        return RMAP_ECOUNT;
    return 0;
}
