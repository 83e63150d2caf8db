/* Address spaces, regions and their kinds, the fault path (vm_resolve) and
   copies to and from process memory: the layer above frames.h. What it waits
   for it says in a struct vm_wait (req.h); it never calls the processes, the
   files' requests or the loop. The file kinds reach the page cache through
   the few vnode_* calls declared at the end. */
#pragma once
#include "frames.h"
#include "vmatree.h"
#include "policy.h"
#include "req.h"

/* Page-table pages the kernel may hold for one task (as_limit; 4 KiB each, 4 MiB
   in all): a 1 GiB range touched every 2 MiB takes 513, so such a range and the
   program's own text, heap and stack fit with room to spare. */
#define PT_QUOTA 1024
/* The heap may grow this far above its start (the mmap area begins above
   it); how much of it may be promised is the policy's commitment rule. */
#define HEAP_MAX (4UL << 30)

/* ---- vm.c: address spaces, regions and the fault path ---- */
struct vmspace;
struct vma;

/* An object behind shared or file regions: pages by index, shared by every
   region that maps it. Anonymous private regions have none. */
struct memobj {
    uint32_t refs;               /* regions naming it */
    uint64_t npages;
    uint64_t *pages;             /* per page: frame pa (holding one reference), 0, or (shared
                                    anonymous memory) slot << 12 | SPTE_SWAP: on the swap disk */
    const uint8_t *data;         /* image objects: the file bytes behind page 0 */
    uint64_t datalen;            /* bytes of data; pages past it read as zeros */
    uint64_t key;                /* image objects: which program segment (for sharing) */
    uint64_t charged;            /* pages of the commitment it holds (shared anonymous memory) */
    uint16_t id;                 /* shared anonymous memory: its number for eviction (evict_obj_add), or 0 */
    struct memobj *next;         /* list of image objects */
};

/* One kind of region. Every method is static in its own file (anon.c, shared.c, image.c). */
struct region_ops {
    const char *name;            /* as pmap shows it */
    bool private;                /* copy-on-write at fork, writes never reach the object */
    /* Resolve an access to va (rights already checked): update *e and say what to
       map. Returns 0, -ENOMEM, -EFAULT (nothing can back va), -ENXIO (past the end
       of a mapped file: a bus error), -EIO (the file page cannot be read) or
       -EAGAIN (the page is being read: *w says which). */
    int (*fault)(struct vma *v, uint64_t va, int access, spte_t *e, uint64_t *pa, uint32_t *perms,
                 struct vm_wait *w);
    void (*retain)(struct vma *v);   /* another region now names v's object */
    void (*release)(struct vma *v);  /* v is gone */
    /* Optional: [start, end) of v is about to be unmapped, or msync'd: hand
       its dirty pages to their file for writing back. */
    void (*sync)(struct vmspace *vs, struct vma *v, uint64_t start, uint64_t end);
    /* Optional (fault-around): if the page at va (whose entry is empty) can be
       had with no I/O and no new frame, set *e, *pa and *perms as a read
       fault would (*e takes a reference to the frame) and return 0; else
       return -1, changing nothing. */
    int (*around)(struct vma *v, uint64_t va, spte_t *e, uint64_t *pa, uint32_t *perms);
};

struct vma {
    struct vma_node node;        /* [node.start, node.end) */
    uint32_t prot;               /* PERM_R | PERM_W | PERM_X, 0 for PROT_NONE */
    uint32_t flags;              /* VMA_* */
    uint8_t space;               /* the id of its address space */
    const struct region_ops *ops;
    struct memobj *obj;
    uint64_t pgoff;              /* page of obj at node.start */
    struct vnode *vn;            /* file regions: the file */
    uint64_t file_end;           /* file regions: bytes of the file past this are zeros (bss) */
};
#define VMA_HEAP 1
#define VMA_STACK 2
#define VMA_EOF 4                /* file regions (mmap): a page wholly past the file's end is a bus error */
#define VMA_NOWRITE 8            /* shared file regions of a read-only descriptor: mprotect may not add PROT_WRITE */
#define VMA_PINNED 16            /* a region of a server: its frames may come from the reserve, and are never evicted */

/* Shadow entry bit of shared file regions: the pager wrote the page (copy_out)
   or a write fault mapped it; the hardware dirty bit covers the rest. */
#define SPTE_DIRTY (1 << SPTE_USER_SHIFT)

#define MAX_REGIONS 1024          /* regions of one address space: more is ENOMEM */

struct vmspace {
    long as_slot;
    bool pinned;                 /* a server's: never evicted (vm_create) */
    uint8_t id;                  /* its process's slot (vm_create): eviction's evict_hooks.space(id) */
    struct shadow shadow;
    struct vma_tree vmas;
    struct vma_node *hint;       /* the region of the last fault (NULL after a region went) */
    uint64_t brk_base, brk;      /* the heap: [brk_base, brk) */
};

extern const struct region_ops anon_ops, shared_ops, image_ops, file_ops, fshared_ops;

/* Commitments: pages promised to writable private regions and shared
   anonymous objects. A strict policy refuses a promise beyond RAM plus swap. */
int commit_charge(uint64_t pages);                 /* 0, or -ENOMEM (strict, over the limit) */
void commit_uncharge(uint64_t pages);
uint64_t commit_total(void);
uint64_t commit_limit(void);
/* Eager policies: map the pages of [start, end) now (at most EAGER_PAGES;
   pages that need I/O or a frame that is not there stay for their fault),
   a map_batch for each run of pages with the same rights. */
void vm_populate(struct vmspace *vs, uint64_t start, uint64_t end);

int vm_create(struct vmspace *vs, bool pinned, uint8_t id); /* 0 or -ENOMEM; pinned: a server's; id: its process slot */
void vm_destroy(struct vmspace *vs);                /* frees everything, destroys the address space */
int vm_fork(struct vmspace *child, struct vmspace *parent); /* 0 or -ENOMEM */
struct vma *vm_add(struct vmspace *vs, uint64_t start, uint64_t end, uint32_t prot,
                   const struct region_ops *ops, struct memobj *obj, uint64_t pgoff, uint32_t flags);
struct vma *vm_add_file(struct vmspace *vs, uint64_t start, uint64_t end, uint32_t prot,
                        const struct region_ops *ops, struct vnode *vn, uint64_t pgoff, uint64_t file_end,
                        uint32_t flags);
void vm_dropmaps(struct vmspace *vs);             /* every region out of the page table; frames stay
                                                    (the clock policy's sampling; tests use it) */
void vm_drop_file(struct vmspace *vs, struct vnode *vn, uint64_t from); /* truncate: pages >= from of vn's mmaps go */
int vm_sync(struct vmspace *vs, uint64_t start, uint64_t end); /* msync: 0, or -ENOMEM (a hole in the range) */
int vm_unmap(struct vmspace *vs, uint64_t start, uint64_t end);
int vm_protect(struct vmspace *vs, uint64_t start, uint64_t end, uint32_t prot);
/* Resolve va for access like a fault does. Returns 0 with the frame in *pa and the
   rights to map in *perms; -EFAULT (no region / no right), -ENOMEM, or -EAGAIN
   (a file page is being read: *w says which). */
int vm_resolve(struct vmspace *vs, uint64_t va, int access, uint64_t *pa, uint32_t *perms, struct vm_wait *w);
/* The same, but out of frames: reclaim and try again, or -EAGAIN with *w
   WAIT_MEM while evictions are under way (-ENOMEM: nothing can come back). */
int vm_resolve_wait(struct vmspace *vs, uint64_t va, int access, uint64_t *pa, uint32_t *perms, struct vm_wait *w);
/* After a fault at va resolved in vs->hint: map up to n following pages of
   that region (not past it, nor past va's 2 MiB page table, at most
   MAP_BATCH_MAX) that its kind gives with no I/O and no new frame, with one
   map_batch, stopping at the first page that already has an entry or that
   the kind cannot give. Returns how many were mapped (cnt.fault_around). */
unsigned vm_fault_around(struct vmspace *vs, uint64_t va, unsigned n);
/* Copies for request rq (NULL: the pager's own, with no request to park) fail
   with -EAGAIN on a file page that is not read yet, setting rq->waited and
   rq->wait; a request that then fails is parked and handled again once the
   page is in (the loop does that). */
int copy_in(struct req *rq, struct vmspace *vs, void *dst, uint64_t uva, size_t n); /* 0 or -EFAULT/-ENOMEM/-EAGAIN */
int copy_out(struct req *rq, struct vmspace *vs, uint64_t uva, const void *src, size_t n);
int copy_in_str(struct req *rq, struct vmspace *vs, char *dst, uint64_t uva, size_t max); /* length, or -EFAULT/-ENAMETOOLONG */
int user_probe(struct req *rq, struct vmspace *vs, uint64_t uva, size_t n); /* 0, or -EAGAIN: a page waits for the file server */
/* The two ways a private page gets a frame of its own (tracked for
   eviction as page va): 0 or -ENOMEM. */
int cow_resolve(const struct vma *v, uint64_t va, spte_t *e, int access, uint64_t *pa, uint32_t *perms);
int zero_resolve(const struct vma *v, uint64_t va, spte_t *e, int access, uint64_t *pa, uint32_t *perms);
/* A frame for region v: a server's may take the reserve. 0 when none. */
static inline uint64_t vma_frame(const struct vma *v)
{
    return v->flags & VMA_PINNED ? frame_alloc() : frame_alloc_user();
}
static inline uint64_t vma_frame_copy(const struct vma *v, uint64_t src)
{
    return v->flags & VMA_PINNED ? frame_copy(src) : frame_copy_user(src);
}

/* ---- evict.c: eviction to swap and swap-in (docs/design.md, "Eviction and swap") ---- */
/* What eviction needs of the layers above, set once by the loop. */
struct evict_hooks {
    struct vmspace *(*first)(void);          /* every live address space, in any order */
    struct vmspace *(*next)(struct vmspace *vs);
    struct vmspace *(*space)(uint8_t id);    /* the live address space with that id, or NULL */
    /* Page-cache frames (the file layer's): whether a mapping of page `page`
       of file number `file` (frame pa) was used since the last look (clears
       A); and dropping it: 1 dropped, 0 busy now (dirty, under I/O), -1 no
       longer the cache's. */
    bool (*cache_accessed)(uint8_t file, uint64_t page, uint64_t pa);
    int (*cache_drop)(uint8_t file, uint64_t page, uint64_t pa);
    void (*wake)(uint64_t key, long err);    /* handle again what waits on {NULL, key} (err: fail it) */
};
void evict_init(const struct evict_hooks *h); /* also starts the policy; panics when it cannot */
uint64_t evict_tables(void);                 /* bookkeeping pages of the policy's state and the slot table */
/* Free frames up to the high watermark: drop swap-cache frames, start
   writing victims out. Returns true while frames are on their way (a
   waiter on WAIT_MEM is woken when one is). */
bool vm_reclaim(void);
void vm_reclaim_idle(void);                  /* the loop's, between messages: rests after a pass that did nothing */
int swap_fault(struct vmspace *vs, uint64_t va, spte_t *e, struct vm_wait *w); /* 0, -EAGAIN (*w), -ENOMEM, -EIO */
/* Shared anonymous objects: a number lets eviction find an object from
   its frames (0, or -ENOMEM when all are taken); a page of it on the swap
   disk comes back as swap_fault says (into o->pages[page]). */
int evict_obj_add(struct memobj *o);
void evict_obj_forget(struct memobj *o);
int swap_fault_obj(struct memobj *o, uint64_t page, bool pinned, struct vm_wait *w);
uint64_t *swapin_meter_start(void);          /* count the pager's instructions of a swap-in (cnt.swapin_instr) */
void swapin_meter_stop(uint64_t *outer);
void vm_usage(struct vmspace *vs, uint64_t start, uint64_t end, uint64_t *resident, uint64_t *swapped);
bool vm_swapped(struct vmspace *vs, uint64_t va);   /* va's page is on the swap disk */

/* ---- image.c: program files of the boot archive as objects ---- */
struct memobj *image_obj(uint64_t key, const uint8_t *data, uint64_t datalen, uint64_t npages);
const uint8_t *archive_file(const char *name, uint64_t *size);

/* ---- shared.c ---- */
struct memobj *shared_obj(uint64_t npages);
struct memobj *shared_anon(uint64_t npages); /* shared_obj for MAP_SHARED|MAP_ANONYMOUS: its pages may go to swap */
void memobj_free(struct memobj *o);   /* frees it and drops its pages' references */

/* ---- the page cache (vfs.c), as the file kinds (file.c, fshared.c) see it ---- */
long vnode_page(struct vnode *v, uint64_t idx, struct vm_wait *w); /* frame of a file page, -EAGAIN (*w set) while it is read (*w left as it is when WAIT_NOIO), -errno */
uint64_t vnode_page_cached(struct vnode *v, uint64_t idx); /* frame of page idx if in the cache and read; else 0 (never asks, never allocates) */
void vnode_dirty(struct vnode *v, uint64_t idx, uint64_t pa); /* page idx (frame pa) needs writing back */
void vnode_ref(struct vnode *v);
void vnode_put(struct vnode *v);
uint64_t vnode_size(struct vnode *v);
