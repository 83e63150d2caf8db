/* Things every kernel file uses: basic types, console output, panic, memory helpers. */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include "abi.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ROUNDUP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ROUNDDOWN(x, a) ((x) & ~((uint64_t)(a) - 1))

/* console.c */
void console_init(uint64_t uart_pa);
void console_putc(char c);
void console_write(const char *s, size_t n);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void panic(const char *msg) __attribute__((noreturn));

#include "mem.h" /* memset, memcpy, memmove, memcmp, strlen, strncmp */

/* kmem.c: memory for the kernel's own objects. All of it returns NULL when out of memory. */
void kmem_setup(uint64_t pa_start, uint64_t pa_end);
void *page_alloc(void);     /* one zeroed page (kernel virtual address) */
void page_free(void *page);
void *pages_alloc(unsigned order); /* 2^order zeroed contiguous pages */
void pages_free(void *p, unsigned order);
void *kzalloc(size_t size); /* zeroed object of at most 2048 bytes */
void kfree(void *p);
uint64_t kmem_free_pages(void);
