#include "sys.h"

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

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
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

/* Copy at most n bytes; the result is always NUL-terminated when n > 0. */
char *strncpy(char *d, const char *s, size_t n)
{
    size_t i = 0;
    for (; i + 1 < n && s[i]; i++)
        d[i] = s[i];
    for (; i < n; i++)
        d[i] = 0;
    return d;
}

long atol(const char *s)
{
    long v = 0, neg = 0;
    if (*s == '-')
        neg = 1, s++;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (*s++ - '0');
    return neg ? -v : v;
}

const char *strerror(long err)
{
    if (err < 0)
        err = -err;
    switch (err) {
#define X(name, num, text) case num: return text;
    ABI_ERRNO_TABLE(X)
#undef X
    default:
        return "unknown error";
    }
}
