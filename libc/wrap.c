/* Where the system replaces a picolibc function, through the linker's --wrap
   (SConstruct: user LINKFLAGS): calls to f reach __wrap_f here, and
   __real_f is picolibc's own. */
#include "sys.h"
#include <math.h>

char *__real_strerror(int err);
double __wrap_ceil(double x);
double __real_strtod(const char *s, char **end);

/* The system's wording for its errors (abi.def's texts, the same the servers
   print); picolibc's for any number abi.def does not name. */
char *__wrap_strerror(int err)
{
    switch (err) {
#define X(name, num, text) case num: return (char *)text;
    ABI_ERRNO_TABLE(X)
#undef X
    default:
        return __real_strerror(err);
    }
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A hexadecimal float after the sign and "0x" (C99: hex digits with at most one
   point, then an optional binary exponent p[+-]d...). The first 15 significant
   digits (60 bits) are kept exactly, any nonzero digit beyond sets a sticky bit,
   so the one rounding, to double, is right. *end: past the last character used;
   NULL when there is no digit (then nothing is converted). */
static double hex_float(const char *s, const char **end)
{
    uint64_t mant = 0;
    long exp = 0;
    int digits = 0, kept = 0;
    bool point = false, sticky = false;
    for (;; s++) {
        if (*s == '.' && !point) {
            point = true;
            continue;
        }
        int v = hexval(*s);
        if (v < 0)
            break;
        digits++;
        if (kept < 15 && (mant || v)) {
            mant = mant << 4 | (uint64_t)v;
            kept += mant != 0;
            if (point)
                exp -= 4;
        } else if (kept < 15) {      /* a leading zero */
            if (point)
                exp -= 4;
        } else {                      /* beyond what is kept */
            sticky |= v != 0;
            if (!point)
                exp += 4;
        }
    }
    if (!digits) {
        *end = NULL;
        return 0;
    }
    if ((*s == 'p' || *s == 'P')) {
        const char *e = s + 1;
        bool neg = *e == '-';
        if (*e == '+' || *e == '-')
            e++;
        if (*e >= '0' && *e <= '9') {
            long x = 0;
            for (; *e >= '0' && *e <= '9'; e++)
                if (x < 100000)
                    x = x * 10 + (*e - '0');
            exp += neg ? -x : x;
            s = e;
        }
    }
    *end = s;
    if (sticky)
        mant = mant << 1 | 1, exp -= 1;
    return ldexp((double)mant, (int)exp);
}

/* strtod(3). picolibc 1.8's misreads hexadecimal fractions ("0xAA.0" gives
   1360.0), so hex floats are converted here; everything else by picolibc,
   except that a decimal number ends before any 'x' ("00x2" is 0, then "x2"). */
double __wrap_strtod(const char *str, char **endp)
{
    const char *s = str;
    while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
        s++;
    bool neg = *s == '-';
    if (*s == '+' || *s == '-')
        s++;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        const char *e;
        double v = hex_float(s + 2, &e);
        if (!e) {                     /* "0x" and no digit: the number is the 0 */
            if (endp)
                *endp = (char *)s + 1;
            return neg ? -0.0 : 0.0;
        }
        if (endp)
            *endp = (char *)e;
        if (isinf(v))
            errno = ERANGE;
        return neg ? -v : v;
    }
    /* A decimal number never holds an 'x': picolibc reads "00x2" as 2. Where
       it went past one, read again only what came before it. */
    char *e;
    double v = __real_strtod(str, &e);
    const char *x = s;
    while (x < e && *x != 'x' && *x != 'X')
        x++;
    if (x < e) {
        char buf[64], *b = buf, *e2;
        size_t n = (size_t)(x - str);
        if (n >= sizeof buf && !(b = malloc(n + 1)))
            return __real_strtod("", endp); /* no memory: nothing converted */
        memcpy(b, str, n);
        b[n] = 0;
        v = __real_strtod(b, &e2);
        e = (char *)str + (e2 - b);
        if (b != buf)
            free(b);
    }
    if (endp)
        *endp = e;
    return v;
}

/* ceil(3). picolibc 1.8's is wrong for large halves: ceil(2^31 - 0.5) gave
   2147482624. Doubles from 2^52 up are integers already. */
double __wrap_ceil(double x)
{
    if (!(fabs(x) < 0x1p52))
        return x;                       /* integral, infinite or NaN */
    double t = (double)(int64_t)x;      /* toward zero: exact here */
    if (t < x)
        t += 1;
    return t == 0 ? copysign(0.0, x) : t;
}

/* Reading a stream not open for reading, or writing one not open for
   writing, is an error: the stream's error flag and errno EBADF (what the
   descriptor underneath would say). picolibc 1.8 only returns EOF or 0, which
   looks like the end of a file (Lua's files.lua checks the difference). */
int __real_fgetc(FILE *f);
int __real_fputc(int c, FILE *f);
size_t __real_fread(void *buf, size_t size, size_t n, FILE *f);
size_t __real_fwrite(const void *buf, size_t size, size_t n, FILE *f);
int __wrap_fgetc(FILE *f);
int __wrap_fputc(int c, FILE *f);
size_t __wrap_fread(void *buf, size_t size, size_t n, FILE *f);
size_t __wrap_fwrite(const void *buf, size_t size, size_t n, FILE *f);

/* True (and f's error set) when f may not be used for `mode` (__SRD or __SWR). */
static bool refused(FILE *f, uint8_t mode)
{
    if (f->flags & mode)
        return false;
    f->flags |= __SERR;
    errno = EBADF;
    return true;
}

int __wrap_fgetc(FILE *f) { return refused(f, __SRD) ? EOF : __real_fgetc(f); }
int __wrap_fputc(int c, FILE *f) { return refused(f, __SWR) ? EOF : __real_fputc(c, f); }

size_t __wrap_fread(void *buf, size_t size, size_t n, FILE *f)
{
    return size && n && refused(f, __SRD) ? 0 : __real_fread(buf, size, n, f);
}

size_t __wrap_fwrite(const void *buf, size_t size, size_t n, FILE *f)
{
    return size && n && refused(f, __SWR) ? 0 : __real_fwrite(buf, size, n, f);
}

/* setenv(3) and unsetenv(3): a name that is empty or holds '=' is EINVAL, as
   POSIX says (picolibc 1.8 takes setenv("", ...)). */
int __real_setenv(const char *name, const char *value, int overwrite);
int __real_unsetenv(const char *name);
int __wrap_setenv(const char *name, const char *value, int overwrite);
int __wrap_unsetenv(const char *name);

static bool bad_name(const char *name)
{
    if (name && name[0] && !strchr(name, '='))
        return false;
    errno = EINVAL;
    return true;
}

int __wrap_setenv(const char *name, const char *value, int overwrite)
{
    return bad_name(name) ? -1 : __real_setenv(name, value, overwrite);
}

int __wrap_unsetenv(const char *name) { return bad_name(name) ? -1 : __real_unsetenv(name); }
