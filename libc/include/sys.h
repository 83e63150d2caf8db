/* What user programs include: the C library (picolibc) and the system's own
   calls beyond POSIX (spawn, ps, pmap, vmstat, ...). libc/posix.c implements the
   POSIX calls picolibc leaves to the system; extra.c the rest. */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include "abicheck.h"   /* abi.def and the C library agree (before abi.h: see genabi.py) */
#include "sysstubs.h"
#include "pg.h"
#include "vmstat.h"

/* The system's own calls: results, or -errno (not errno). */
long spawn(const char *name, long arg);         /* pid; argv = {name, arg} */
long spawn_rights(const char *name, long arg, long rights); /* spawn giving RIGHT_* the caller may give */
long rights_keep(long rights);                  /* drop every right not in rights; returns those left */
long pager_pin(long hart);                      /* run the pager only on hart (-1: any; needs RIGHT_PROCS); 0 or -errno */
long wait_how(long pid, long *how, long *code); /* pid; *how = WAIT_EXITED or WAIT_KILLED, *code */
long pager_stat(struct pager_stat *st);
long vmstat(struct vmstat *st);
long pmap(long pid, struct region_info *ri, long max);  /* how many regions */
long ps(struct proc_info *pi, long max);
long dropmaps(long pid);                        /* pid's pages leave its page table (they fault back) */
long shutdown(void);
long device_info(long which, long *size, long *irq); /* base; drivers also get DRV_*_SLOT caps */
long device_claim(long which);                  /* become the device's one driver; base */
void *dma_alloc(size_t len, uint64_t *pa);      /* drivers: contiguous memory; NULL on error */
void *anon_map(size_t len);                     /* a lazy anonymous region; NULL on error */
long sync_all(void);                            /* sync(2) with a result: 0 once every dirty file page is on the disk */
long getdent(int fd, long *cookie, char name[64], long *inum); /* 1 an entry, 0 the end */

/* Results through a caller's pointer (posix.c): directly where the memory is
   surely the program's own, else through the pager. At most PG_TIME_BYTES;
   0 or -EFAULT, never a fault. */
long __put_user(void *dst, const void *src, size_t n);
long __get_user(void *dst, const void *src, size_t n);
long __check_user(void *dst, size_t n);            /* would a result go there? (nothing changes) */

/* Helpers (extra.c). */
bool write_all(int fd, const void *buf, size_t n); /* all n bytes, through short writes */
bool is_number(const char *s);                  /* decimal digits only, at least one */
long __libc_ntfn(void);                         /* the notification sleeping waits on (libc/signal.c) */
void __libc_ntfn_forget(void);                  /* fork's child: make a new one */
int sig_number(const char *s);                  /* "9", "KILL" or "SIGKILL" -> 9; -1 if none */
int kill_main(const char *prog, int argc, char **argv); /* kill [-SIGNAL] PID...: 0, 1 (a failure), 2 (usage) */
const char *errstr(long err);                   /* strerror of err or -err */
int dprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline uint64_t rdinstret(void) { uint64_t v; asm volatile("rdinstret %0" : "=r"(v)); return v; }
#define RDTIME_HZ 10000000UL /* rdtime ticks per second: QEMU virt's timebase-frequency */
static inline uint64_t rdtime(void) { uint64_t v; asm volatile("rdtime %0" : "=r"(v)); return v; }
/* The instructions this thread has retired, user and kernel, counted by the kernel
   (rdinstret counts everyone's); sys_thread_instret(slot) reads a THREAD cap's. */
static inline uint64_t my_instret(void) { return (uint64_t)sys_thread_instret(-1); }
