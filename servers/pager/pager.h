/* The pager's upper layer: processes, faults as requests, descriptors,
   drivers' devices, the swap driver's requests and files (the file layer's
   inside is vfs.h). Built on vm.h and frames.h; calls nothing of the loop
   (main.c): the file layer reaches it only through the hooks main.c sets
   (vfs_init), and a request's state comes down in its struct req. */
#pragma once
#include "vm.h"

/* ---- proc.c: processes ---- */
#define NPROC 128
#define NFD ((long)FD_MAX) /* abi.def */
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
    char *cwd_path;              /* and its path (PATH_MAX bytes of proc.c's), "" for the root */
    uint64_t faults;             /* page faults served (ps shows them) */
    bool server;                 /* the file server the pager started: runs at server priority */
    uint32_t rights;             /* RIGHT_*: kept by exec, inherited by fork */
    uint32_t devices;            /* bit i: device i this driver asked for (reset when it dies) */
    uint8_t level;               /* 0: started by the pager; 1: by a level-0 process; 2: any other */
    long job;                    /* level 2: the pid that leads its job (JOB_MAX processes at most) */
    long pgid;                   /* its process group (signal.c): inherited by fork, set by setpgid */
    uint64_t sig_pending, sig_mask;      /* bit s: signal s (signal.c) */
    uint64_t sig_catch, sig_ignore;      /* its actions: caught, ignored, else the default */
    uint64_t sig_entry;                  /* the C library's signal entry (PG_SIGACTION) */
    uint64_t sig_amask[NSIG];            /* blocked while the handler of each runs */
    bool sig_held;                       /* its thread is held (REGS_HOLD) until signal_run delivers
                                            (last: the hot fields keep their offsets) */
};
struct proc *proc_find(long pid);
struct proc *proc_first(void);
struct vmspace *proc_space(uint8_t id);     /* slot id's live address space, or NULL */
struct proc *proc_next(struct proc *p);
/* -EAGAIN from_disk: the file server is asked for the program (*w says what to wait for) */
long proc_spawn(const char *name, char *const argv[], struct proc *parent, bool from_disk, uint32_t rights,
                struct vm_wait *w);
bool proc_may_act_on(struct proc *p, struct proc *t); /* t is p, a descendant of p, or p holds RIGHT_PROCS */
long proc_fork(struct proc *parent);
long proc_exec(struct req *rq, const char *path, uint64_t uargv, uint64_t uenvp); /* rq->p's exec; only returns on failure */
void proc_exit(struct proc *p, long how, long code);
long proc_wait(struct req *rq, long pid);      /* 1: reply now; 0: deferred; <0 error */
extern long init_pid;                      /* the first program's pid (set by the loop) */

/* ---- signal.c: signals, process groups, the console's foreground group ---- */
void signal_send(struct proc *t, int sig);  /* SIGKILL ends t now; others wait for signal_run */
extern bool signal_pending_work;             /* signal_run has something to do */
void signal_run(void);                      /* deliver what can be (the loop, after each answer) */
void signal_hold(struct proc *p);           /* before answering p: a waiting signal is delivered first (several harts) */
bool signal_fault(struct req *rq, int sig); /* true: the fault that would end rq->p went to its handler */
void signal_console_interrupt(void);        /* Ctrl-C */
void signal_fork(struct proc *c, const struct proc *parent);
void signal_exec(struct proc *p);
long signal_kill(struct req *rq);
long signal_killpg(struct req *rq);
long signal_action(struct req *rq);
long signal_mask(struct req *rq);
bool signal_return(struct req *rq);
long signal_setpgid(struct req *rq);
long signal_getpgid(struct req *rq);
long signal_tcpgrp(struct req *rq);

/* ---- fault.c ---- */
bool handle_fault(struct req *rq);          /* true: rq->reply is the answer now */

/* ---- fd.c: descriptors, pipes, the console ---- */
void fd_init(void);
void fd_interrupt(struct proc *p);          /* its blocked read or write returns -EINTR (a signal) */
bool fd_has_console(struct proc *p);
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
long device_time(struct req *rq);
void devices_driver_gone(struct proc *p);  /* p held RIGHT_DRIVER and is over: reset what it drove */
struct vmstat;
long frames_census(struct vmstat *st);      /* memstat.c: every frame by what holds it; 0 or -ENOMEM */

/* ---- swapdev.c: the swap disk, through the swap driver ---- */
void swap_set_driver(long pid);            /* the swap driver the pager started */
bool swap_is_driver(struct proc *p);
bool swap_settled(void);                   /* swap is ready, or known to be absent */
void swap_on_settled(void (*fn)(void));    /* call fn when it is (now if it is) */
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
bool vnode_clean(struct vnode *v);                /* no page of v waits to be written */
void vnode_keep(struct vnode *v);                 /* a program: kept idle with its cache after its last reference */
uint64_t vfs_idle_pages(uint64_t *meta);          /* idle programs' cached pages (their page lists' pages in *meta) */
bool vfs_msync(struct req *rq);
bool vfs_sync(struct req *rq);
bool vfs_park(struct req *rq, struct msg *m);     /* park request m of rq on rq->wait (false: parked) */
void vfs_wake(uint64_t key, long err);            /* handle again (err: fail) what waits on {NULL, key} */
bool cache_accessed(uint8_t file, uint64_t idx, uint64_t pa); /* eviction's hooks for page-cache frames */
int cache_drop(uint8_t file, uint64_t idx, uint64_t pa);
bool vfs_park_call(void (*fn)(void), const struct vm_wait *w); /* call fn once *w's page is in; false: no room */
long vfs_lookup(uint32_t dir, const char *path, struct vnode **vp, struct vm_wait *w); /* from inode dir: 0, -EAGAIN (*w set) or -errno; *vp referenced */
bool vfs_open(struct req *rq);
bool vfs_read(struct req *rq, struct vnode *v, uint64_t *off);
bool vfs_write(struct req *rq, struct vnode *v, uint64_t *off, long flags);
bool vfs_readdir(struct req *rq, struct vnode *v);
bool vfs_path_op(struct req *rq);
bool vfs_chdir(struct req *rq);
bool vfs_link(struct req *rq);
uint32_t vnode_type(struct vnode *v);             /* FT_FILE or FT_DIR */
bool vfs_fstat(struct req *rq, struct vnode *v);
bool vfs_ftruncate(struct req *rq, struct vnode *v, long len);
bool vfs_fsync(struct req *rq, struct vnode *v);
bool vfs_rename(struct req *rq);
bool vfs_fs_next(struct req *rq);
void vfs_proc_gone(struct proc *p);
