/* libsys for the servers: system-call stubs, the pager protocol (pg.h), console
   output, strings and malloc. User programs use the C library instead
   (libc/include/sys.h). */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>
#include "sysstubs.h"
#include "pg.h"

/* string.c */
#include "mem.h" /* memset, memcpy, memmove, memcmp, strlen, strncmp (lib/mem.c) */
int strcmp(const char *a, const char *b);
char *strchr(const char *s, int c);
char *strncpy(char *d, const char *s, size_t n);
long atol(const char *s);
const char *strerror(long err); /* err may be negative */

/* printf.c: %d %u %x %p %s %c with l/ll, width and '0' flag */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int dprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void puts_raw(const char *s);

/* proc.c: POSIX-shaped calls return -1 and set errno; the others return -errno. */
extern int errno;
void exit(int status) __attribute__((noreturn));
void *sbrk(long incr);                          /* the old break, or (void *)-1 */
long write(int fd, const void *buf, size_t n);
long device_info(long which, long *size, long *irq); /* base; drivers also get DRV_*_SLOT caps */
long device_claim(long which);                 /* drivers: become the device's one driver (reset when we die); base or -errno */
void *dma_alloc(size_t len, uint64_t *pa);   /* drivers: physically contiguous memory; NULL on error */
#define MAP_FAILED ((void *)-1)
void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off);
int munmap(void *addr, size_t len);
long fs_next(struct msg *m);                 /* the file server: result in m->w, the next job comes back in m */
#include "stat.h"
#include "vmstat.h"

/* malloc.c */
void *malloc(size_t n);
void free(void *p);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);

static inline uint64_t rdinstret(void) { uint64_t v; asm volatile("rdinstret %0" : "=r"(v)); return v; }
#define RDTIME_HZ 10000000UL /* rdtime ticks per second: QEMU virt's timebase-frequency */
static inline uint64_t rdtime(void) { uint64_t v; asm volatile("rdtime %0" : "=r"(v)); return v; }
/* The instructions this thread has retired, user and kernel, counted by the kernel
   (rdinstret counts everyone's); sys_thread_instret(slot) reads a THREAD cap's. */
static inline uint64_t my_instret(void) { return (uint64_t)sys_thread_instret(-1); }
