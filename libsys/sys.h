/* libsys: what user programs (and servers) use: system-call stubs, console
   output, strings, and the pager protocol. */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>
#include "sysstubs.h"

/* string.c */
#include "mem.h" /* memset, memcpy, memmove, memcmp, strlen, strncmp (lib/mem.c) */
int strcmp(const char *a, const char *b);
char *strchr(const char *s, int c);
char *strncpy(char *d, const char *s, size_t n);
long atol(const char *s);
bool is_number(const char *s);   /* decimal digits only, at least one */
const char *strerror(long err); /* err may be negative */

/* printf.c: %d %u %x %p %s %c with l/ll, width and '0' flag */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int dprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void puts_raw(const char *s);

/* proc.c: processes, memory and descriptors (the pager protocol). POSIX-shaped
   calls return -1 and set errno; the others return -errno. */
extern int errno;
#define MAP_FAILED ((void *)-1)
void exit(int status) __attribute__((noreturn));
int fork(void);
int execv(const char *path, char *const argv[]);
int wait(int *status);                          /* status: exit code << 8, or the fault cause */
int waitstatus(long pid, int *status);          /* waitpid(pid, &status, 0) */
#define WIFEXITED(s) (((s) & 0x7f) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WTERMSIG(s) ((s) & 0x7f)
long spawn(const char *name, long arg);         /* pid or -errno; argv = {name, arg} */
long spawn_rights(const char *name, long arg, long rights); /* spawn giving RIGHT_* the caller may give */
long rights_keep(long rights);                  /* drop every right not in rights; returns those left */
long waitpid(long pid, long *how, long *code);  /* pid or -errno; how = WAIT_EXITED or WAIT_KILLED */
long kill(long pid);                            /* 0 or -errno */
long getpid(void);
long getppid(void);
void *sbrk(long incr);                          /* the old break, or (void *)-1 */
void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off);
int munmap(void *addr, size_t len);
int mprotect(void *addr, size_t len, int prot);
int msync(void *addr, size_t len, int flags);
int sync(void);                                 /* returns once every dirty file page is on the disk */
long dropmaps(long pid);                        /* pid's pages leave its page table (they fault back); 0 or -errno */   /* MS_SYNC waits until dirty shared file pages are on the disk */
void *anon_map(size_t len);                     /* NULL on error */
long read(int fd, void *buf, size_t n);
long write(int fd, const void *buf, size_t n);
bool write_all(int fd, const void *buf, size_t n); /* all n bytes, through short writes */
int close(int fd);
int dup(int fd);
int dup2(int fd, int nfd);
int pipe(int fds[2]);
struct pager_stat { long free_frames, total_frames, zero_fill, zero_page, policy_flags; char policy[17]; };
long pager_stat(struct pager_stat *st);
#include "vmstat.h"
long vmstat(struct vmstat *st);
long pmap(long pid, struct region_info *ri, long max);  /* how many regions, or -errno */
long ps(struct proc_info *pi, long max);
long shutdown(void);
long device_info(long which, long *size, long *irq); /* base; drivers also get DRV_*_SLOT caps */
long device_claim(long which);                 /* drivers: become the device's one driver (reset when we die); base or -errno */
void *dma_alloc(size_t len, uint64_t *pa);   /* drivers: physically contiguous memory; NULL on error */
#include "stat.h"
int open(const char *path, int flags, ...);  /* read-only files so far; -1 and errno ENOSYS without a file server */
int fstat(int fd, struct stat *st);
int unlink(const char *path);
int mkdir(const char *path, int mode);
int rmdir(const char *path);
int chdir(const char *path);
int link(const char *oldpath, const char *newpath);
int stat(const char *path, struct stat *st);
int lstat(const char *path, struct stat *st);   /* = stat: the file system has no symbolic links */
int ftruncate(int fd, long len);                /* shrinks or grows a file open for writing */
int rename(const char *oldpath, const char *newpath); /* atomic; replaces an existing newpath */
int fsync(int fd);                              /* returns once the file's data and size are on the disk */
int fdatasync(int fd);                          /* = fsync */
char *getcwd(char *buf, size_t size);
long lseek(int fd, long off, int whence);
int readdir(int fd, long *cookie, char name[64], long *inum); /* 1: an entry; 0: the end; -1: error */
long fs_next(struct msg *m);                 /* the file server: result in m->w, the next job comes back in m */

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
