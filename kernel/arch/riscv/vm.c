#include "kernel.h"
#include "vm.h"

/* The boot page table: the gigapage holding the kernel identity-mapped (so the
   instruction after the satp write still runs) and the first 16 GiB of physical
   address space at KBASE. */
static pte_t boot_root[512] __attribute__((aligned(4096), section(".data"))); /* not .bss: kmain clears that */
static pte_t *kernel_root;

#define GIGA (1UL << 30)
#define KFLAGS (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | PTE_G)

/* Called from _entry at the physical address: only pc-relative accesses here. */
uint64_t boot_pagetable(void)
{
    for (int i = 0; i < 512; i++)
        boot_root[i] = 0;
    boot_root[2] = PA_PTE(2 * GIGA) | KFLAGS;          /* identity for 0x80000000.. */
    for (uint64_t i = 0; i < 16; i++)
        boot_root[256 + i] = PA_PTE(i * GIGA) | KFLAGS;
    return MAKE_SATP((uint64_t)boot_root);
}

/* Build the kernel's own root (direct map of every gigabyte up to ram_end) and use it. */
void vm_init(uint64_t ram_end)
{
    kernel_root = page_alloc();
    if (!kernel_root)
        panic("vm_init: no memory");
    uint64_t ngiga = (ram_end + GIGA - 1) / GIGA;
    if (ngiga > 256)
        panic("vm_init: physical memory beyond the direct map");
    for (uint64_t i = 0; i < ngiga; i++)
        kernel_root[256 + i] = PA_PTE(i * GIGA) | KFLAGS;
    pt_activate(kernel_root);
}

/* The ASID bits satp implements: write ones, read back (the privileged spec's
   probe), with the kernel's root in satp, which then runs under ASID 0 again. */
unsigned vm_asid_bits(void)
{
    uint64_t s = MAKE_SATP(V2P(kernel_root));
    csr_write(satp, s | (0xffffUL << SATP_ASID_SHIFT));
    uint64_t got = csr_read(satp) >> SATP_ASID_SHIFT & 0xffff;
    csr_write(satp, s);
    sfence_vma();
    unsigned bits = 0;
    while (bits < 16 && (got >> bits & 1))
        bits++;
    return bits;
}

/* A table is a valid entry without R/W/X (a leaf has at least one). */
static bool is_table(pte_t e)
{
    return (e & PTE_V) && !(e & (PTE_R | PTE_W | PTE_X));
}

pte_t *pt_create(void)
{
    pte_t *root = page_alloc();
    if (!root)
        return NULL;
    for (int i = 256; i < 512; i++)
        root[i] = kernel_root[i];
    return root;
}

static void free_level(pte_t *table, int level)
{
    for (int i = 0; i < 512; i++) {
        pte_t e = table[i];
        if (is_table(e) && level > 0)
            free_level(P2V(PTE_PA(e)), level - 1);
    }
    page_free(table);
}

void pt_destroy(pte_t *root)
{
    for (int i = 0; i < 256; i++) {
        if (is_table(root[i]))
            free_level(P2V(PTE_PA(root[i])), 1);
    }
    page_free(root);
}

void pt_activate_kernel(void)
{
    pt_activate(kernel_root);
    tlb_flushed_all();
}

/* Make the table missing at *e, charged to q, if q's limit leaves room for the
   `need` tables missing from here down. NULL if refused or the pool is empty. */
static __attribute__((noinline)) pte_t *table_new(struct ptquota *q, pte_t *e, uint64_t need)
{
    q->refused = q->limit && q->used + need > q->limit;
    pte_t *t = q->refused ? NULL : page_alloc();
    if (t) {
        q->used++;
        *e = PA_PTE(V2P(t)) | PTE_V;
    }
    return t;
}

/* The entry for va at `level`, creating tables above it when alloc is set (each
   charged to q; all that are missing must fit in q's limit, or none is made).
   NULL if a table is missing (or cannot be had), or a bigger page is in the way. */
static pte_t *walk(pte_t *root, struct ptquota *q, uint64_t va, int level, bool alloc)
{
    pte_t *table = root;
    for (int l = 2; l > level; l--) {
        pte_t e = table[PX(l, va)];
        if (e & PTE_V) {
            if (e & (PTE_R | PTE_W | PTE_X))
                return NULL;
            table = P2V(PTE_PA(e));
        } else if (!alloc || !(table = table_new(q, &table[PX(l, va)], (uint64_t)(l - level)))) {
            return NULL;
        }
    }
    return &table[PX(level, va)];
}

/* A leaf of q's address space that was valid changed: flush va here and on the other harts. */
static __attribute__((noinline)) void leaf_changed(const struct ptquota *q, uint64_t va)
{
    sfence_vma_va(va);
    tlb_shootdown(q, va, 1);
}

/* Put the leaf into entry e (for va of q's address space). Returns 0, or -EINVAL when a table is in the way. */
static inline int set_leaf(const struct ptquota *q, uint64_t va, pte_t *e, uint64_t pa, uint64_t pteflags)
{
    pte_t old = *e;
    if (is_table(old))
        return -EINVAL; /* a table is in the way of a megapage */
    *e = PA_PTE(pa) | pteflags | PTE_V;
    if (old & PTE_V)
        leaf_changed(q, va);
    return 0;
}

/* pt_map when a table is missing: make the tables, then map. */
static __attribute__((noinline)) int map_slow(pte_t *root, struct ptquota *q, uint64_t va, uint64_t pa,
                                              uint64_t pteflags, int level)
{
    pte_t *e = walk(root, q, va, level, true);
    return e ? set_leaf(q, va, e, pa, pteflags) : -ENOMEM;
}

/* pt_map of a 4 KiB page, the walk unrolled: every fault answer maps one. */
int pt_map_page(pte_t *root, struct ptquota *q, uint64_t va, uint64_t pa, uint64_t pteflags)
{
    pte_t e2 = root[PX(2, va)];
    if ((e2 & (PTE_V | PTE_R | PTE_W | PTE_X)) != PTE_V)
        return map_slow(root, q, va, pa, pteflags, 0);
    pte_t e1 = ((pte_t *)P2V(PTE_PA(e2)))[PX(1, va)];
    if ((e1 & (PTE_V | PTE_R | PTE_W | PTE_X)) != PTE_V)
        return map_slow(root, q, va, pa, pteflags, 0);
    return set_leaf(q, va, &((pte_t *)P2V(PTE_PA(e1)))[PX(0, va)], pa, pteflags);
}

int pt_map(pte_t *root, struct ptquota *q, uint64_t va, uint64_t pa, uint64_t pteflags, int level)
{
    pte_t *table = root;
    for (int l = 2; l > level; l--) { /* the common case: every table is there */
        pte_t e = table[PX(l, va)];
        if ((e & (PTE_V | PTE_R | PTE_W | PTE_X)) != PTE_V)
            return map_slow(root, q, va, pa, pteflags, level);
        table = P2V(PTE_PA(e));
    }
    return set_leaf(q, va, &table[PX(level, va)], pa, pteflags);
}

/* The level-0 table covering va, or NULL (absent, or a bigger page is there). */
static pte_t *l0_table(pte_t *root, struct ptquota *q, uint64_t va, bool alloc)
{
    pte_t *e = walk(root, q, va, 0, alloc);
    return e ? e - PX(0, va) : NULL;
}

/* Apply fn to every present leaf in [va, va + npages pages), one level-0 table
   at a time; absent tables are skipped whole. */
static void for_each_leaf(pte_t *root, uint64_t va, uint64_t npages,
                          void (*fn)(pte_t *e, uint64_t i, void *arg), void *arg)
{
    for (uint64_t i = 0; i < npages;) {
        uint64_t a = va + i * PGSIZE;
        uint64_t in_table = 512 - PX(0, a);
        if (in_table > npages - i)
            in_table = npages - i;
        pte_t *t = l0_table(root, NULL, a, false);
        if (t) {
            for (uint64_t k = PX(0, a), n = 0; n < in_table; k++, n++)
                if (t[k] & PTE_V)
                    fn(&t[k], i + n, arg);
        }
        i += in_table;
    }
}

static bool table_empty(const pte_t *t)
{
    for (int i = 0; i < 512; i++)
        if (t[i])
            return false;
    return true;
}

/* Free the level-1 table covering va if it holds nothing any more. */
static void l1_drop_if_empty(pte_t *root, struct ptquota *q, uint64_t va)
{
    pte_t *e = &root[PX(2, va)];
    if (is_table(*e) && table_empty(P2V(PTE_PA(*e)))) {
        page_free(P2V(PTE_PA(*e)));
        *e = 0;
        q->used--;
    }
}

/* One level-0 table at a time: clear the leaves, and free a table left empty
   (and its level-1 table when that empties too, checked once per level-1 table).
   Megapages are left alone. The TLB is flushed once at the end; nothing is
   allocated before that, so no freed table is reused while still cached.
   Returns whether a leaf it cleared was dirty (D): each is swapped out
   atomically, so a D that another hart's walker sets before is seen, and one
   it would set after finds no valid entry and faults instead. */
bool pt_unmap(pte_t *root, struct ptquota *q, uint64_t va, uint64_t npages)
{
    pte_t dirty = 0;
    bool freed = false;    /* a level-0 table under the level-1 table of l1va was freed */
    bool any = false;      /* a table was freed: the harts flush all (an address flush may keep non-leaf entries) */
    uint64_t l1va = 0;
    for (uint64_t i = 0; i < npages;) {
        uint64_t a = va + i * PGSIZE;
        if (freed && PX(2, a) != PX(2, l1va)) {
            l1_drop_if_empty(root, q, l1va);
            freed = false;
        }
        pte_t r = root[PX(2, a)];
        uint64_t first = PX(0, a), n = is_table(r) ? 512 - first : (GIGA - (a & (GIGA - 1))) / PGSIZE;
        if (n > npages - i)
            n = npages - i;
        i += n;
        if (!is_table(r))
            continue; /* nothing in this gigabyte */
        pte_t *e = (pte_t *)P2V(PTE_PA(r)) + PX(1, a);
        if (!is_table(*e))
            continue;
        pte_t *t = P2V(PTE_PA(*e));
        for (uint64_t k = first; k < first + n; k++)
            dirty |= t[k] ? __atomic_exchange_n(&t[k], 0, __ATOMIC_RELAXED) : 0;
        if (n == 512 || table_empty(t)) {
            page_free(t);
            *e = 0;
            q->used--;
            freed = any = true;
            l1va = a;
        }
    }
    if (freed)
        l1_drop_if_empty(root, q, l1va);
    sfence_vma();
    tlb_shootdown(q, va, any ? UINT64_MAX : npages);
    return (dirty & PTE_D) != 0;
}

/* Entries of a live table change atomically: another hart's walker may set A
   or D in the same entry meanwhile, and those bits must not be lost. */
static void leaf_protect(pte_t *e, uint64_t i, void *arg)
{
    (void)i;
    uint64_t flags = *(uint64_t *)arg;
    pte_t old = __atomic_load_n(e, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(e, &old, (old & ~(uint64_t)(PTE_R | PTE_W | PTE_X)) | flags, false,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

void pt_protect(pte_t *root, const struct ptquota *q, uint64_t va, uint64_t npages, uint64_t pteflags)
{
    for_each_leaf(root, va, npages, leaf_protect, &pteflags);
    sfence_vma();
    tlb_shootdown(q, va, npages);
}

struct adbits { uint64_t va, clear, acc, dirty; bool cleared; };

static void leaf_ad(pte_t *e, uint64_t i, void *arg)
{
    struct adbits *ad = arg;
    pte_t old = *e;
    if (old & ad->clear) {
        old = __atomic_fetch_and(e, ~ad->clear, __ATOMIC_RELAXED); /* a bit set meanwhile is seen */
        sfence_vma_va(ad->va + i * PGSIZE); /* else the TLB goes on without setting the bit again */
        ad->cleared = true;
    }
    if (old & PTE_A)
        ad->acc |= 1UL << i;
    if (old & PTE_D)
        ad->dirty |= 1UL << i;
}

void pt_adbits(pte_t *root, const struct ptquota *q, uint64_t va, uint64_t npages, uint64_t clear, uint64_t *acc,
               uint64_t *dirty)
{
    struct adbits ad = { va, clear & (PTE_A | PTE_D), 0, 0, false };
    for_each_leaf(root, va, npages, leaf_ad, &ad);
    if (ad.cleared)
        tlb_shootdown(q, va, npages); /* the other harts set the bits again from now on */
    *acc = ad.acc;
    *dirty = ad.dirty;
}

/* Svade: a fault on a present user page that allows the access but lacks A (or D
   for a store) only asks for the bits: set them and say so. False when the fault
   is the pager's business. (The only user megapages, the pager's window, are made
   with A and D set.) */
bool pt_set_ad(pte_t *root, uint64_t va, uint64_t access)
{
    uint64_t need = PTE_V | PTE_U | (access == FAULT_WRITE ? PTE_W : access == FAULT_EXEC ? PTE_X : PTE_R);
    uint64_t bits = PTE_A | (access == FAULT_WRITE ? PTE_D : 0);
    pte_t *e = va < USER_LIMIT ? walk(root, NULL, va, 0, false) : NULL;
    if (!e || (*e & need) != need || (*e & bits) == bits)
        return false;
    *e |= bits;
    sfence_vma_va(va);
    return true;
}

/* A store to va: true if it trapped. stvec points past the store meanwhile. */
static bool store_traps(uint64_t va)
{
    uint64_t vec = csr_read(stvec), trapped;
    asm volatile("la t0, 1f\n csrw stvec, t0\n li %0, 0\n sb zero, 0(%1)\n j 2f\n"
                 ".balign 4\n1: li %0, 1\n2:" : "=&r"(trapped) : "r"(va) : "t0", "memory");
    csr_write(stvec, vec);
    csr_clear(sstatus, SSTATUS_SPP); /* a trap set it; user_return needs it clear */
    return trapped;
}

static uint8_t probe_byte;

/* Does the hardware set A and D itself (Svadu; QEMU 7.2 always does), or does it
   fault (Svade)? Stores through a scratch gigapage with A = D = 0 in the kernel
   root's user half, at boot before any task exists. */
bool vm_hw_ad(void)
{
    uint64_t pa = V2P(&probe_byte);
    kernel_root[0] = PA_PTE(ROUNDDOWN(pa, GIGA)) | PTE_V | PTE_R | PTE_W;
    sfence_vma();
    bool trapped = store_traps(pa % GIGA);
    pte_t e = kernel_root[0];
    kernel_root[0] = 0;
    sfence_vma();
    return !trapped && (e & (PTE_A | PTE_D)) == (PTE_A | PTE_D);
}

/* fork's copy: one level-0 table at a time, entries copied with plain stores. */
long pt_copy(pte_t *dst, struct ptquota *dq, pte_t *src, const struct ptquota *sq, uint64_t va, uint64_t npages,
             bool wp)
{
    long copied = 0;
    uint64_t clear = PTE_A | PTE_D | (wp ? PTE_W : 0);
    for (uint64_t i = 0; i < npages;) {
        uint64_t a = va + i * PGSIZE;
        uint64_t first = PX(0, a), in_table = 512 - first;
        if (in_table > npages - i)
            in_table = npages - i;
        i += in_table;
        pte_t *s = l0_table(src, NULL, a, false);
        if (!s)
            continue;
        pte_t *d = NULL;
        for (uint64_t k = first; k < first + in_table; k++) {
            pte_t e = s[k];
            if (!(e & PTE_V) || !(e & (PTE_R | PTE_W | PTE_X)))
                continue;
            if (!d && !(d = l0_table(dst, dq, a, true)))
                return -ENOMEM;
            if (wp && (e & PTE_W))
                e = __atomic_fetch_and(&s[k], ~(uint64_t)PTE_W, __ATOMIC_RELAXED);
            d[k] = e & ~clear;
            copied++;
        }
    }
    sfence_vma();
    if (wp)
        tlb_shootdown(sq, va, npages);
    return copied;
}

/* The leaf PTE that maps va, as a 4 KiB PTE (a megapage's is adjusted to va's page). */
pte_t pt_lookup(pte_t *root, uint64_t va)
{
    pte_t *table = root;
    for (int l = 2; l >= 0; l--) {
        pte_t e = table[PX(l, va)];
        if (!(e & PTE_V))
            return 0;
        if (e & (PTE_R | PTE_W | PTE_X)) {
            uint64_t off = va & ((1UL << (12 + 9 * l)) - 1) & ~(PGSIZE - 1);
            return e + PA_PTE(off);
        }
        table = P2V(PTE_PA(e));
    }
    return 0;
}
