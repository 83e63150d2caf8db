/* The pager: owner of every user frame, every address space's regions, and the
   processes. This header is shared by the pager's files. */
#pragma once
#include "sys.h"
#include "bootinfo.h"
#include "shadow.h"
#include "vmatree.h"
#include "policy.h"
#include "req.h"

#define PAGE 4096UL
#define PG_ROUNDUP(x) (((x) + PAGE - 1) & ~(PAGE - 1))
#define PG_ROUNDDOWN(x) ((x) & ~(PAGE - 1))
/* Page-table pages the kernel may hold for one task (as_limit; 4 KiB each, 4 MiB
   in all): a 1 GiB range touched every 2 MiB takes 513, so such a range and the
   program's own text, heap and stack fit with room to spare. */
#define PT_QUOTA 1024
/* The heap may grow this far above its start (the mmap area begins above
   it); how much of it may be promised is the policy's commitment rule. */
#define HEAP_MAX (4UL << 30)

extern const struct bootinfo *bootinfo;
void pager_panic(const char *why) __attribute__((noreturn)); /* the system cannot go on */

/* ---- frames.c: the user pool, reference counts, the zero page, pager heap ---- */
void frames_init(const struct bootinfo *bi);
uint64_t frame_alloc(void);                 /* zeroed frame with one reference; 0 when none left */
uint64_t frame_copy(uint64_t src);          /* a copy of src with one reference; 0 when none left */
void frame_ref(uint64_t pa);                /* one more reference */
void frame_unref(uint64_t pa);              /* one less; the frame is free at zero */
int frame_refs(uint64_t pa);
unsigned frames_ref_run(spte_t *e, spte_t *d, unsigned n, bool cow); /* fork: +1 on each present entry */
void frames_unref_run(spte_t *e, unsigned n);
uint64_t frames_alloc_contig(unsigned order);                     /* 2^order contiguous zeroed frames, one reference each; 0 when none */                     /* -1 on each present entry; clears them */
void *frame_ptr(uint64_t pa);               /* where the pager sees the frame */
uint64_t zero_page(void);                   /* the one shared zero frame (not counted) */
void *meta_alloc(size_t bytes);             /* zeroed bookkeeping memory from the pool; NULL when full */
void meta_free(void *p, size_t bytes);
void *pmalloc(size_t bytes);                /* small zeroed objects (<= 2048 bytes); NULL when full */
void pfree(void *p);
/* fixed: buddy metadata and counts; meta: pages of meta_alloc (heap pages and shadow nodes included) */
struct frame_stats { uint64_t free, total, used, shared, fixed, meta, heap; };
void frames_stats(struct frame_stats *st);
size_t meta_pages(size_t bytes);            /* pages meta_alloc(bytes) takes */
struct vmstat;
long frames_census(struct vmstat *st);      /* memstat.c: every frame by what holds it; 0 or -ENOMEM */

/* Counters shown by vmstat (PG_VMSTAT). */
struct counters {
    uint64_t zero_page, zero_fill, cow_copy, cow_reuse, file, invalid;
    uint64_t forks, execs, fork_pages;
    uint64_t writeback, bus_error;
};
extern struct counters cnt;

/* ---- vm.c: address spaces, regions and the fault path ---- */
struct vmspace;
struct vma;

/* An object behind shared or file regions: pages by index, shared by every
   region that maps it. Anonymous private regions have none. */
struct memobj {
    uint32_t refs;               /* regions naming it */
    uint64_t npages;
    uint64_t *pages;             /* per page: frame pa (holding one reference) or 0 */
    const uint8_t *data;         /* image objects: the file bytes behind page 0 */
    uint64_t datalen;            /* bytes of data; pages past it read as zeros */
    uint64_t key;                /* image objects: which program segment (for sharing) */
    uint64_t charged;            /* pages of the commitment it holds (shared anonymous memory) */
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
};

struct vma {
    struct vma_node node;        /* [node.start, node.end) */
    uint32_t prot;               /* PERM_R | PERM_W | PERM_X, 0 for PROT_NONE */
    uint32_t flags;              /* VMA_* */
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

/* Shadow entry bit of shared file regions: the pager wrote the page (copy_out)
   or a write fault mapped it; the hardware dirty bit covers the rest. */
#define SPTE_DIRTY (1 << SPTE_USER_SHIFT)

#define MAX_REGIONS 1024          /* regions of one address space: more is ENOMEM */

struct vmspace {
    long as_slot;
    struct shadow shadow;
    struct vma_tree vmas;
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
   pages that need I/O or a frame that is not there stay for their fault). */
#define EAGER_PAGES 4096
void vm_populate(struct vmspace *vs, uint64_t start, uint64_t end);

int vm_create(struct vmspace *vs);                 /* 0 or -ENOMEM */
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
/* Copies for request rq (NULL: the pager's own, with no request to park) fail
   with -EAGAIN on a file page that is not read yet, setting rq->waited and
   rq->wait; a request that then fails is parked and handled again once the
   page is in (the loop does that). */
int copy_in(struct req *rq, struct vmspace *vs, void *dst, uint64_t uva, size_t n); /* 0 or -EFAULT/-ENOMEM/-EAGAIN */
int copy_out(struct req *rq, struct vmspace *vs, uint64_t uva, const void *src, size_t n);
int copy_in_str(struct req *rq, struct vmspace *vs, char *dst, uint64_t uva, size_t max); /* length, or -EFAULT/-ENAMETOOLONG */
int user_probe(struct req *rq, struct vmspace *vs, uint64_t uva, size_t n); /* 0, or -EAGAIN: a page waits for the file server */
int cow_resolve(spte_t *e, int access, uint32_t prot, uint64_t *pa, uint32_t *perms);
int zero_resolve(spte_t *e, int access, uint32_t prot, uint64_t *pa, uint32_t *perms);

/* ---- image.c: program files of the boot archive as objects ---- */
struct memobj *image_obj(uint64_t key, const uint8_t *data, uint64_t datalen, uint64_t npages);
const uint8_t *archive_file(const char *name, uint64_t *size);

/* ---- shared.c ---- */
struct memobj *shared_obj(uint64_t npages);
void memobj_free(struct memobj *o);   /* frees it and drops its pages' references */

/* ---- proc.c: processes ---- */
#define NPROC 128
#define NFD 16
enum pstate { P_FREE = 0, P_RUN, P_ZOMBIE };
struct file;
struct proc {
    enum pstate state;
    long pid, parent;
    char name[32];
    long thread_slot;
    struct vmspace vm;
    struct file *fd[NFD];
    long how, code;              /* exit status once a zombie */
    long wait_slot;              /* reply cap of a waiting PG_WAIT, 0 if none */
    long wait_pid;
    long blocked_slot;           /* reply cap while blocked in read/write, 0 if none */
    uint32_t cwd;                /* working directory: inode (0: the root) */
    char cwd_path[128];          /* and its path, "" for the root */
    uint64_t faults;             /* page faults served (ps shows them) */
    bool server;                 /* the file server the pager started: runs at server priority */
    uint32_t rights;             /* RIGHT_*: kept by exec, inherited by fork */
    uint32_t devices;            /* bit i: device i this driver asked for (reset when it dies) */
    uint8_t level;               /* 0: started by the pager; 1: by a level-0 process; 2: any other */
    long job;                    /* level 2: the pid that leads its job (JOB_MAX processes at most) */
};
struct proc *proc_find(long pid);
struct proc *proc_first(void);
struct proc *proc_next(struct proc *p);
/* -EAGAIN from_disk: the file server is asked for the program (*w says what to wait for) */
long proc_spawn(const char *name, char *const argv[], struct proc *parent, bool from_disk, uint32_t rights,
                struct vm_wait *w);
bool proc_may_act_on(struct proc *p, struct proc *t); /* t is p, a descendant of p, or p holds RIGHT_PROCS */
long proc_fork(struct proc *parent);
long proc_exec(struct req *rq, const char *path, uint64_t uargv); /* rq->p's exec; only returns on failure */
void proc_exit(struct proc *p, long how, long code);
long proc_wait(struct req *rq, long pid);      /* 1: reply now; 0: deferred; <0 error */
extern long init_pid;                      /* the first program's pid (set by the loop) */

/* ---- fault.c ---- */
bool handle_fault(struct req *rq);          /* true: rq->reply is the answer now */

/* ---- fd.c: descriptors, pipes, the console ---- */
void fd_init(void);
void fd_fork(struct proc *child, struct proc *parent);
void fd_close_all(struct proc *p);
bool fd_request(struct req *rq);            /* PG_READ etc; false: reply deferred */
void console_input(void);                  /* the UART interrupt arrived */
void fd_proc_gone(struct proc *p);         /* p exits: forget its blocked requests */
struct vnode;
long fd_open_file(struct proc *p, struct vnode *v, long flags);   /* a new fd for an open file, or -errno */
struct vnode *fd_vnode(struct proc *p, long fd, long *flags, long *err); /* the file behind fd, or NULL and *err */

/* ---- devices.c: drivers' devices ---- */
long device_query(struct proc *p, long which, long flags, struct msg *reply);
long device_dma(struct proc *p, uint64_t len, struct msg *reply);
void devices_driver_gone(struct proc *p);  /* p held RIGHT_DRIVER and is over: reset what it drove */

/* ---- swapdev.c: the swap disk, through the swap driver ---- */
void swap_set_driver(long pid);            /* the swap driver the pager started */
bool swap_is_driver(struct proc *p);
uint64_t swap_slots(void);                 /* slots of the swap disk; 0: no swap (yet) */
int swap_io(bool write, uint64_t slot, uint64_t pa, void (*done)(void *arg, long result), void *arg);
bool swap_next(struct req *rq);             /* PG_SWAP_NEXT */
void swap_proc_gone(struct proc *p);

/* ---- vfs.c: files, through the file server ---- */
/* What the file layer needs of the loop, set once at start-up (so it never calls up into main.c). */
struct vfs_hooks {
    void (*redispatch)(struct proc *p, struct msg *m, long slot); /* handle a parked request again */
    void (*settled)(void);                 /* the file server is ready, or gone before it was */
};
void vfs_init(const struct vfs_hooks *h);
bool vfs_ready(void);
long vnode_page(struct vnode *v, uint64_t idx, struct vm_wait *w); /* frame of a file page, -EAGAIN (*w set) while it is read, -errno */
void vnode_dirty(struct vnode *v, uint64_t idx, uint64_t pa); /* page idx (frame pa) needs writing back */
bool vnode_clean(struct vnode *v);                /* no page of v waits to be written */
bool vfs_msync(struct req *rq);
bool vfs_sync(struct req *rq);
void vnode_ref(struct vnode *v);
bool vfs_park(struct req *rq, struct msg *m);     /* park request m of rq on rq->wait (false: parked) */
bool vfs_park_call(void (*fn)(void), const struct vm_wait *w); /* call fn once *w's page is in; false: no room */
long vfs_lookup(const char *path, struct vnode **vp, struct vm_wait *w); /* 0, -EAGAIN (*w set) or -errno; *vp referenced */
bool vfs_open(struct req *rq);
bool vfs_read(struct req *rq, struct vnode *v, uint64_t *off);
bool vfs_write(struct req *rq, struct vnode *v, uint64_t *off, long flags);
bool vfs_readdir(struct req *rq, struct vnode *v);
bool vfs_path_op(struct req *rq);
bool vfs_chdir(struct req *rq);
bool vfs_link(struct req *rq);
uint64_t vnode_size(struct vnode *v);
uint32_t vnode_type(struct vnode *v);             /* FT_FILE or FT_DIR */
long vfs_stat(struct req *rq, struct vnode *v, uint64_t uva);
bool vfs_fs_next(struct req *rq);
void vfs_proc_gone(struct proc *p);
void vnode_put(struct vnode *v);
