/* Memory and string routines shared by the kernel and user space (the compiler
   may also call memset and memcpy on its own). Pure: no other dependency. */
#include <stdint.h>
#include "mem.h"

void *memset(void *d, int c, size_t n)
{
    unsigned char *p = d;
    if ((((uintptr_t)p | n) & 7) == 0) {
        uint64_t v = (unsigned char)c;
        v |= v << 8; v |= v << 16; v |= v << 32;
        for (uint64_t *q = d; n; n -= 8)
            *q++ = v;
        return d;
    }
    while (n--)
        *p++ = (unsigned char)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    if ((((uintptr_t)d | (uintptr_t)s | n) & 7) == 0) {
        uint64_t *dq = d;
        const uint64_t *sq = s;
        for (; n; n -= 8)
            *dq++ = *sq++;
        return d;
    }
    unsigned char *dp = d;
    const unsigned char *sp = s;
    while (n--)
        *dp++ = *sp++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;
    if (dp <= sp || dp >= sp + n)
        return memcpy(d, s, n);
    while (n--)
        dp[n] = sp[n];
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p - *q;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}
