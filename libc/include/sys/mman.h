/* Memory mappings (picolibc has no <sys/mman.h>): the flags are abi.def's. */
#pragma once
#include <stddef.h>
#include <sys/types.h>
#include "abi.h"

#define MAP_FAILED ((void *)-1)
#define MAP_ANON MAP_ANONYMOUS
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int munmap(void *addr, size_t len);
int mprotect(void *addr, size_t len, int prot);
int msync(void *addr, size_t len, int flags);
