#include "sys.h"

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
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

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}
