/* Sv39 page tables. The kernel half (root entries 256..511) is the same gigapage
   direct map in every address space; the user half belongs to one address space. */
#pragma once
#include "riscv.h"

uint64_t boot_pagetable(void);  /* runs with the MMU off; returns satp for the boot map */
void vm_init(uint64_t ram_end); /* the kernel's own root; switch to it */
/* The table pages of one address space below its root, and the most it may hold
   (limit 0: no limit). Every map that needs a new table is charged here. */
struct ptquota {
    uint64_t used, limit;
    uint64_t ran[8]; /* per hart (harts[i]): its flush_epoch when it last ran it; 0: never (sched.c) */
    bool refused;   /* the last table that could not be had was refused by the limit (not the pool) */
};


/* sched.c: flush the range of q's address space on every other hart that may cache
   it (ran it since its last full flush: q->ran); returns once they have. */
void tlb_shootdown_remote(const struct ptquota *q, uint64_t va, uint64_t npages);
extern uint32_t nharts;
static inline void tlb_shootdown(const struct ptquota *q, uint64_t va, uint64_t npages)
{
    if (nharts > 1)
        tlb_shootdown_remote(q, va, npages);
}

pte_t *pt_create(void);         /* new root sharing the kernel half; NULL if out of memory */
void pt_destroy(pte_t *root);   /* free the user-half table pages (not the frames they map) */
/* Switch to root's address space (inline: every switch between address spaces does it). */
static inline void pt_activate(pte_t *root)
{
    csr_write(satp, MAKE_SATP(V2P(root)));
    sfence_vma();
}
/* This hart flushed its whole TLB (sched.c: its flush_epoch moves on). */
void tlb_flushed_all(void);
void pt_activate_kernel(void);
unsigned vm_asid_bits(void);    /* how many ASID bits satp keeps (0..16), probed */
/* Map one page (level 0) or megapage (level 1) at va; replaces what was there.
   Returns 0, or -ENOMEM when a table page cannot be had (pool empty, or q's limit). */
int pt_map(pte_t *root, struct ptquota *q, uint64_t va, uint64_t pa, uint64_t pteflags, int level);
int pt_map_page(pte_t *root, struct ptquota *q, uint64_t va, uint64_t pa, uint64_t pteflags); /* level 0, faster */
/* Clear the leaves of the range; table pages left empty are freed and uncharged. */
bool pt_unmap(pte_t *root, struct ptquota *q, uint64_t va, uint64_t npages); /* true: a page it removed was dirty */
void pt_protect(pte_t *root, const struct ptquota *q, uint64_t va, uint64_t npages, uint64_t pteflags);
/* Bitmaps of the pages of [va, va + npages pages) (npages <= 64) whose A and D are
   set; then clears the PTE bits named in `clear` (PTE_A, PTE_D) and flushes those pages. */
void pt_adbits(pte_t *root, const struct ptquota *q, uint64_t va, uint64_t npages, uint64_t clear, uint64_t *acc,
               uint64_t *dirty);
bool pt_set_ad(pte_t *root, uint64_t va, uint64_t access); /* Svade fault answered here? */
bool vm_hw_ad(void);            /* true if the hardware sets A and D itself (Svadu) */
pte_t pt_lookup(pte_t *root, uint64_t va); /* the leaf PTE mapping va, or 0 */
/* Copy the leaf mappings of [va, va + npages pages) from src to dst (write-protecting
   both when wp). Returns the number copied, or -ENOMEM if a table could not be had
   (charged to dq). */
long pt_copy(pte_t *dst, struct ptquota *dq, pte_t *src, const struct ptquota *sq, uint64_t va, uint64_t npages,
             bool wp);
