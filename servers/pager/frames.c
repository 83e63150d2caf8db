/* Frames of the user pool: a buddy allocator over page indices plus a reference
   count per frame. The pager sees frame pa at PAGER_WINDOW + (pa - pool_base).
   Its own bookkeeping (buddy metadata, counts, shadow tables, objects) comes from
   the pool too. */
#include "frames.h"
#include "buddy.h"
#include "frametab.h"
#include "slab.h"
#include "policy.h"

static struct buddy pool;
static struct frametab refs;
static struct kmem heap;
static uint64_t base, npages, zero_pa;
static uint64_t fixed_pages;   /* buddy metadata and counts, at the front of the pool */
static uint64_t meta_held;     /* pages meta_alloc handed out and not yet freed */
static uint64_t reserve;       /* free frames only the pager and the servers may take */
/* own[i]: what eviction knows of frame i: the page it backs (OWN_VPN: the
   virtual page when it is private, the page index in its file or object
   otherwise), and whether the policy has it (OWN_INSERTED). 0 when free. */
static uint32_t *own;
static uint16_t *own_space;    /* own_space[i]: the address space that took frame i (or its file, or object) */
static uint64_t *touched;      /* bit i: the pager copied to or from frame i since the policy last looked */
#define OWN_TRACKED  (1U << 30)
#define OWN_INSERTED (1U << 31)
#define OWN_CACHE    (1U << 29)  /* a page-cache frame: the low bits are its page index */
#define OWN_OBJ      (1U << 28)  /* a page of a shared anonymous object: the low bits are its index */
#define OWN_VPN      ((1U << 28) - 1)
struct counters cnt;

void *frame_ptr(uint64_t pa)
{
    return (void *)(PAGER_WINDOW + (pa - base));
}

static void *heap_page_alloc(void *ctx)
{
    (void)ctx;
    return meta_alloc(PAGE);
}

static void heap_page_free(void *ctx, void *page)
{
    (void)ctx;
    meta_free(page, PAGE);
}

/* The buddy metadata and the reference counts sit at the front of the pool. */
void frames_init(const struct bootinfo *bi)
{
    base = bi->pool_base;
    npages = bi->pool_pages;
    size_t meta = PG_ROUNDUP(buddy_meta_bytes((uint32_t)npages));
    size_t counts = PG_ROUNDUP(npages * sizeof(uint32_t));
    buddy_init_empty(&pool, (uint32_t)npages, (struct buddy_page *)PAGER_WINDOW);
    ft_init(&refs, (uint32_t *)(PAGER_WINDOW + meta), base, npages);
    own = (uint32_t *)(PAGER_WINDOW + meta + counts);
    size_t spaces = PG_ROUNDUP(npages * sizeof *own_space);
    own_space = (uint16_t *)(PAGER_WINDOW + meta + 2 * counts);
    touched = (uint64_t *)(PAGER_WINDOW + meta + 2 * counts + spaces);
    uint64_t reserved = (meta + 2 * counts + spaces + PG_ROUNDUP((npages + 63) / 64 * 8)) / PAGE;
    reserve = npages / 128 > 16 ? npages / 128 : 16;
    fixed_pages = reserved;
    buddy_free_range(&pool, (uint32_t)reserved, (uint32_t)(npages - reserved));
    kmem_init(&heap, heap_page_alloc, heap_page_free, NULL);
    zero_pa = frame_alloc();
    if (!zero_pa)
        pager_panic("no memory for the zero page");
}

/* 32 words a round: the loop's own instructions are 2 in 34 */
static void page_zero(uint64_t *p)
{
    for (uint64_t *end = p + PAGE / 8; p < end; p += 32) {
        p[0] = 0; p[1] = 0; p[2] = 0; p[3] = 0; p[4] = 0; p[5] = 0; p[6] = 0; p[7] = 0;
        p[8] = 0; p[9] = 0; p[10] = 0; p[11] = 0; p[12] = 0; p[13] = 0; p[14] = 0; p[15] = 0;
        p[16] = 0; p[17] = 0; p[18] = 0; p[19] = 0; p[20] = 0; p[21] = 0; p[22] = 0; p[23] = 0;
        p[24] = 0; p[25] = 0; p[26] = 0; p[27] = 0; p[28] = 0; p[29] = 0; p[30] = 0; p[31] = 0;
    }
}

/* 16 words a round: the loop's own instructions are 3 in 35 */
static void page_copy(uint64_t *d, const uint64_t *s)
{
    for (uint64_t *end = d + PAGE / 8; d < end; d += 16, s += 16) {
        uint64_t a = s[0], b = s[1], c = s[2], e = s[3], f = s[4], g = s[5], h = s[6], i = s[7];
        uint64_t j = s[8], k = s[9], l = s[10], m = s[11], n = s[12], o = s[13], p = s[14], q = s[15];
        d[0] = a; d[1] = b; d[2] = c; d[3] = e; d[4] = f; d[5] = g; d[6] = h; d[7] = i;
        d[8] = j; d[9] = k; d[10] = l; d[11] = m; d[12] = n; d[13] = o; d[14] = p; d[15] = q;
    }
}

static uint64_t frame_take(void)
{
    int64_t i = buddy_alloc(&pool, 0);
    if (i < 0)
        return 0;
    uint64_t pa = base + (uint64_t)i * PAGE;
    ft_inc(&refs, pa);
    return pa;
}

uint64_t frame_alloc(void)
{
    uint64_t pa = frame_take();
    if (pa)
        page_zero(frame_ptr(pa));
    return pa;
}

uint64_t frame_copy(uint64_t src)
{
    uint64_t pa = frame_take();
    if (pa)
        page_copy(frame_ptr(pa), frame_ptr(src));
    return pa;
}

uint64_t frame_alloc_user(void)
{
    uint64_t pa = pool.nfree > reserve ? frame_take() : 0;
    if (pa)
        page_zero(frame_ptr(pa));
    return pa;
}

uint64_t frame_take_user(void)
{
    return pool.nfree > reserve ? frame_take() : 0;
}

uint64_t frame_copy_user(uint64_t src)
{
    uint64_t pa = pool.nfree > reserve ? frame_take() : 0;
    if (pa)
        page_copy(frame_ptr(pa), frame_ptr(src));
    return pa;
}

uint64_t frames_free(void)
{
    return pool.nfree;
}

bool frames_low(void)
{
    return pool.nfree < 2 * reserve;
}

uint64_t frames_high(void)
{
    return 3 * reserve;
}

uint32_t frame_index(uint64_t pa)
{
    return (uint32_t)((pa - base) >> 12);
}

uint64_t frame_addr(uint32_t idx)
{
    return base + ((uint64_t)idx << 12);
}

/* A frame's last reference is gone: the policy forgets it. */
static void untrack_freed(uint64_t k)
{
    if (own[k] & OWN_INSERTED)
        the_policy->remove((uint32_t)k, false);
    own[k] = 0;
}

/* Frame pa (fresh: one reference, just taken for page va) is private:
   eviction may take it when evictable. */
/* The key the policy knows frame k's page by: its virtual address when
   private; a file page or an object page otherwise (top bits apart). */
static uint64_t own_key(uint64_t k)
{
    uint64_t page = own[k] & OWN_VPN;
    if (own[k] & OWN_CACHE)
        return (1UL << 63) | ((uint64_t)own_space[k] << 40) | page;
    if (own[k] & OWN_OBJ)
        return (1UL << 62) | ((uint64_t)own_space[k] << 40) | page;
    return page << 12;
}

void frame_track(uint64_t pa, uint64_t va, bool evictable, uint8_t space)
{
    uint64_t k = (pa - base) >> 12;
    own[k] = (uint32_t)(va >> 12) | OWN_TRACKED;
    own_space[k] = space;
    if (evictable) {
        own[k] |= OWN_INSERTED;
        the_policy->insert((uint32_t)k, va);
    }
}

void frame_untrack(uint64_t pa, bool evicted)
{
    uint64_t k = (pa - base) >> 12;
    if (own[k] & OWN_INSERTED) {
        own[k] &= ~OWN_INSERTED;
        the_policy->remove((uint32_t)k, evicted);
    }
}

void frame_retrack(uint64_t pa)
{
    uint64_t k = (pa - base) >> 12;
    if ((own[k] & OWN_TRACKED) && !(own[k] & OWN_INSERTED) && refs.ref[k]) {
        own[k] |= OWN_INSERTED;
        the_policy->insert((uint32_t)k, own_key(k));
    }
}

/* Frame pa (one reference: the object's) holds page `page` of shared
   anonymous object number obj (evict_obj_add); evictable: the policy gets it. */
void frame_track_obj(uint64_t pa, uint16_t obj, uint64_t page, bool evictable)
{
    uint64_t k = (pa - base) >> 12;
    own[k] = (uint32_t)(page & OWN_VPN) | OWN_OBJ | OWN_TRACKED;
    own_space[k] = obj;
    if (evictable) {
        own[k] |= OWN_INSERTED;
        the_policy->insert((uint32_t)k, own_key(k));
    }
}

/* read() and write() use a page-cache frame without a mapping, so no
   accessed bit says so: they mark it here, and eviction's look reads and
   clears the mark with the bits. */
void frame_touch(uint64_t pa)
{
    uint64_t k = (pa - base) >> 12;
    touched[k / 64] |= 1UL << (k % 64);
}

bool frame_touched(uint32_t idx)
{
    bool t = touched[idx / 64] >> (idx % 64) & 1;
    touched[idx / 64] &= ~(1UL << (idx % 64));
    return t;
}

bool frame_is_obj(uint32_t idx)
{
    return own[idx] & OWN_OBJ;
}

uint64_t frame_va(uint32_t idx)
{
    return (uint64_t)(own[idx] & OWN_VPN) << 12;
}

uint16_t frame_space(uint32_t idx)
{
    return own_space[idx];
}

/* Frame pa (one reference: the cache's) now holds page `page` of the file
   whose vnode is number `file`: the policy may evict it (dropped when
   clean, read again when needed). */
void frame_track_cache(uint64_t pa, uint8_t file, uint64_t page)
{
    uint64_t k = (pa - base) >> 12;
    own[k] = (uint32_t)(page & OWN_VPN) | OWN_CACHE | OWN_TRACKED | OWN_INSERTED;
    own_space[k] = file;
    the_policy->insert((uint32_t)k, own_key(k));
}

bool frame_is_cache(uint32_t idx)
{
    return own[idx] & OWN_CACHE;
}

void frame_ref(uint64_t pa)
{
    if (ft_inc(&refs, pa) < 0)
        pager_panic("frame_ref: bad frame or count overflow");
}

void frame_unref(uint64_t pa)
{
    int n = ft_dec(&refs, pa);
    if (n < 0)
        pager_panic("frame_unref: frame without references");
    if (n == 0) {
        untrack_freed((pa - base) / PAGE);
        if (buddy_free(&pool, (uint32_t)((pa - base) / PAGE), 0) < 0)
            pager_panic("frame_unref: frame was not allocated");
    }
}

int frame_refs(uint64_t pa)
{
    return ft_get(&refs, pa);
}

const uint32_t *frame_refcounts(void)
{
    return refs.ref;
}

uint64_t frame_pool_base(void)
{
    return base;
}

uint64_t zero_page(void)
{
    return zero_pa;
}

static unsigned order_for(size_t bytes);

/* 2^order physically contiguous zeroed frames, each with one reference; 0 when none. */
uint64_t frames_alloc_contig(unsigned order)
{
    int64_t i = buddy_alloc(&pool, order);
    if (i < 0)
        return 0;
    for (uint64_t k = 0; k < (1UL << order); k++) {
        uint64_t pa = base + ((uint64_t)i + k) * PAGE;
        ft_inc(&refs, pa);
        page_zero(frame_ptr(pa));
    }
    buddy_split_alloc(&pool, (uint32_t)i, order); /* each frame is freed on its own */
    return base + (uint64_t)i * PAGE;
}

static unsigned order_for(size_t bytes)
{
    unsigned o = 0;
    while ((PAGE << o) < bytes)
        o++;
    return o;
}

void *meta_alloc(size_t bytes)
{
    unsigned o = order_for(bytes);
    if (o > BUDDY_MAX_ORDER)
        return NULL;
    int64_t i = buddy_alloc(&pool, o);
    if (i < 0)
        return NULL;
    void *p = frame_ptr(base + (uint64_t)i * PAGE);
    for (uint64_t k = 0; k < (1UL << o); k++)
        page_zero((uint64_t *)((char *)p + k * PAGE));
    meta_held += 1UL << o;
    return p;
}

void meta_free(void *p, size_t bytes)
{
    uint64_t idx = ((uint64_t)p - PAGER_WINDOW) / PAGE;
    if (buddy_free(&pool, (uint32_t)idx, order_for(bytes)) < 0)
        pager_panic("meta_free: bad block");
    meta_held -= 1UL << order_for(bytes);
}

/* Never fails. */
size_t meta_pages(size_t bytes)
{
    return 1UL << order_for(bytes);
}

void *pmalloc(size_t bytes)
{
    void *p = kmem_alloc(&heap, bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

void pfree(void *p)
{
    kmem_free(&heap, p);
}

void frames_stats(struct frame_stats *st)
{
    kmem_shrink(&heap); /* cached empty heap pages count as free */
    st->free = buddy_free_pages(&pool);
    st->total = npages;
    st->used = refs.used;
    st->shared = refs.shared;
    st->fixed = fixed_pages;
    st->meta = meta_held;
    st->heap = kmem_pages_in_use(&heap);
}

/* One more reference on the frame of every present entry of e[0..n) (fork);
   with cow the entries in e and d become copy-on-write. Returns how many. */
unsigned frames_ref_run(spte_t *e, spte_t *d, unsigned n, bool cow)
{
    uint32_t *ref = refs.ref;
    unsigned present = 0;
    for (unsigned i = 0; i < n; i++) {
        spte_t x = e[i];
        if (!(x & SPTE_PRESENT)) {
            if (x & SPTE_SWAP)
                slot_get(SPTE_SLOT(x)); /* the child names the swapped page too */
            continue;
        }
        uint64_t k = (SPTE_PA(x) - base) >> 12;
        if (k >= npages || ref[k] == 0 || ref[k] == FT_REF_MAX)
            pager_panic("frames_ref_run: bad frame or count");
        if (ref[k]++ == 1)
            refs.shared++;
        if (cow) {
            e[i] = x | SPTE_COW;
            d[i] = x | SPTE_COW;
        }
        present++;
    }
    return present;
}

/* Drop the reference of every present entry of e[0..n) and clear them; frames
   whose last reference goes are freed. */
void frames_unref_run(spte_t *e, unsigned n)
{
    uint32_t *ref = refs.ref;
    for (unsigned i = 0; i < n; i++) {
        spte_t x = e[i];
        e[i] = 0;
        if (!(x & SPTE_PRESENT)) {
            if (x & SPTE_SWAP)
                slot_put(SPTE_SLOT(x));
            continue;
        }
        uint64_t k = (SPTE_PA(x) - base) >> 12;
        if (k >= npages || ref[k] == 0)
            pager_panic("frames_unref_run: frame without references");
        uint32_t now = --ref[k];
        if (now == 1)
            refs.shared--;
        else if (now == 0) {
            refs.used--;
            untrack_freed(k);
            buddy_free(&pool, (uint32_t)k, 0);
        }
    }
}
