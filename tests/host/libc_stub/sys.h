// The host's stand-in for libc/include/sys.h when libc/malloc.c is built for
// tests/host/test_malloc.c: the C library's headers first, then malloc's
// names and its sbrk and abort renamed, so the allocator under test lives
// beside the host's own (and ASan's) and takes its memory from the test's
// arena.
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define malloc um_malloc
#define free um_free
#define calloc um_calloc
#define realloc um_realloc
#define sbrk um_sbrk
#define abort um_abort

void *um_malloc(size_t n);
void um_free(void *p);
void *um_calloc(size_t n, size_t size);
void *um_realloc(void *p, size_t n);
void *um_sbrk(ptrdiff_t incr);
void um_abort(void);
