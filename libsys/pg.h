/* The pager protocol (abi.def: PG_*) as plain calls on PAGER_SLOT. Every call
   returns its result, or -errno; none touches errno or needs a C library, so the
   servers and the C library's POSIX layer (libc/posix.c) share them. */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include "sysstubs.h"

long pg_call(struct msg *m);                     /* w0 of the reply, or -errno */
long pg_call3(long label, long a, long b, long c);
void pg_exit(long status) __attribute__((noreturn));
long pg_spawn(const char *name, long arg, long rights);
long pg_wait(long pid, long flags, long *how, long *code); /* pid (0: WAIT_NOHANG and none over); *how WAIT_*, *code exit code or cause */
long pg_exec(const char *path, char *const argv[], char *const envp[]);
long pg_read(int fd, void *buf, size_t n);       /* to n or end of file (see pg.c) */
long pg_write(int fd, const void *buf, size_t n);/* all n bytes unless a request fails */
long pg_pipe(int fds[2]);
long pg_readdir(int fd, long *cookie, char name[64], long *inum); /* 1 an entry, 0 the end */
struct pager_stat { long free_frames, total_frames, zero_fill, zero_page, policy_flags, nharts; char policy[17]; };
long pg_stat(struct pager_stat *st);
long pg_device(long which, long *size, long *irq);
void *pg_dma(size_t len, uint64_t *pa);          /* NULL on error */
long pg_fs_next(struct msg *m);                  /* the file server: result in m->w, its next job back in m */
long pg_put(void *dst, const void *src, size_t n); /* n <= PG_TIME_BYTES to the caller's memory at dst: 0 or -EFAULT */
long pg_get(void *dst, const void *src, size_t n); /* n <= PG_TIME_BYTES from the caller's memory at src: 0 or -EFAULT */
