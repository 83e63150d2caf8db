/* libsys: what user programs (and servers) use: system-call stubs, console
   output, strings, and the pager protocol. */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>
#include "sysstubs.h"

/* string.c */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strncpy(char *d, const char *s, size_t n);
long atol(const char *s);
const char *strerror(long err); /* err may be negative */

/* printf.c: %d %u %x %p %s %c with l/ll, width and '0' flag */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void puts_raw(const char *s);

/* proc.c: the pager protocol. Negative returns are -errno. */
void exit(long status) __attribute__((noreturn));
long spawn(const char *name, long arg);         /* pid */
long waitpid(long pid, long *how, long *code);  /* pid; how = WAIT_EXITED or WAIT_KILLED */
long kill(long pid);
long getpid(void);
void *anon_map(size_t len);                     /* NULL on error */
struct pager_stat { long free_frames, total_frames, zero_fill, zero_page; };
long pager_stat(struct pager_stat *st);
long shutdown(void);
long device_info(long which, long *size, long *irq); /* base; drivers also get DRV_*_SLOT caps */

static inline uint64_t rdinstret(void) { uint64_t v; asm volatile("rdinstret %0" : "=r"(v)); return v; }
static inline uint64_t rdtime(void) { uint64_t v; asm volatile("rdtime %0" : "=r"(v)); return v; }
