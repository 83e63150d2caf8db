/* The pager's file layer, shared by vfs.c (the job queue to the file server,
   vnodes and their page cache, dirty pages and write-back, parked requests,
   the exec name cache) and filereq.c (the requests of processes: open, read,
   write, path operations, readdir, msync). Not for the rest of the pager:
   it uses pager.h. */
#pragma once
#include "pager.h"

struct vnode {
    uint32_t inum, type;
    uint64_t size;
    uint32_t refs;               /* open files */
    bool unlinked;               /* its last name is gone: release it when closed */
    long werr;                   /* an error of the write-back under way */
    struct memobj *cache;        /* pages[i]: the frame of page i, or 0 */
    uint8_t *dirty;              /* dirty[i]: page i waits to be written back (NULL: none yet) */
    uint64_t ndirty, dirty_lo;   /* how many; none below dirty_lo */
    uint32_t wb_jobs;            /* its write-back jobs queued or in flight */
    uint64_t disk_size;          /* the size the disk has, as far as finished jobs tell */
    bool prog;                   /* exec ran it: kept with its cache when the last reference goes */
    uint64_t idle_at;            /* kept so (refs 0, cache set): when, for reuse of the oldest first */
};

struct job {
    struct msg m;                /* what the file server gets */
    void (*done)(struct job *j, struct msg *r); /* what to do with its answer */
    struct vnode *v;             /* READPAGE/WRITEPAGE: the page */
    uint64_t idx, pa;
    struct proc *p;              /* the request it serves, if any */
    long slot, flags;            /*   its reply cap, open flags */
    uint64_t n;                  /*   readdir: where the name goes */
    char path[PATH_MAX];           /* the path it works on, put in the job page when it is handed out */
    char path2[PATH_MAX];          /* link: the new name, at offset 2048 */
    bool has_path;
};

#define WB_KEY (1UL << 62)       /* parked until a file has no dirty page left */

extern struct proc *fsproc;      /* the file server, once ready */
extern uint64_t fs_page;         /* its job page */

/* the job queue */
struct job *job_add(long label);  /* NULL when full or there is no file server */
struct job *job_for(struct req *rq, long label, void (*done)(struct job *, struct msg *));
void job_reply(struct job *j, long value, long w1, long w2);
void fs_kick(void);               /* hand the file server its next job if it waits */

/* vnodes and the cache */
struct vnode *vnode_find(uint32_t inum);
/* A new reference to inode inum's vnode; NULL when none is free, or when only
   the reserve is left and reserve is false (a level-2 process's open: one task
   cannot take the last vnodes that exec needs). */
struct vnode *vnode_get(uint32_t inum, uint32_t type, uint64_t size, bool reserve);
bool vnode_grow(struct vnode *v, uint64_t npages);
bool mark_dirty(struct vnode *v, uint64_t idx);
void vnode_truncate(struct vnode *v, uint64_t len);
void release_inode(uint32_t inum);
void wb_fill(void);               /* the write-back pump */
void cache_track(struct vnode *v, uint64_t idx, uint64_t pa); /* pa is now page idx: evictable */
void names_forget(void);          /* a directory changed */
void vfs_each_idle(void (*fn)(void *arg, struct vnode *v), void *arg); /* programs kept for the next exec */

/* parking rq->p's request m (its reply cap taken from rq): false (parked), or
   true with rq->reply set (-ENOMEM: no room; or the answer right away) */
bool park(struct req *rq, struct msg *m, struct vnode *v, uint64_t idx);
bool answer_when_clean(struct req *rq, struct vnode *v, long value);
bool park_for_memory(struct req *rq, struct msg *m);
