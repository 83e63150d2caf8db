/* The system's own calls beyond POSIX, and small helpers (sys.h). */
#include "sys.h"

long spawn_rights(const char *name, long arg, long rights) { return pg_spawn(name, arg, rights); }
long spawn(const char *name, long arg) { return pg_spawn(name, arg, 0); }
long rights_keep(long rights) { return pg_call3(MSG_PG_RIGHTS, rights, 0, 0); }
long pager_stat(struct pager_stat *st) { return pg_stat(st); }
long vmstat(struct vmstat *st) { return pg_call3(MSG_PG_VMSTAT, (long)st, 0, 0); }
long pmap(long pid, struct region_info *ri, long max) { return pg_call3(MSG_PG_PMAP, pid, (long)ri, max); }
long ps(struct proc_info *pi, long max) { return pg_call3(MSG_PG_PS, (long)pi, max, 0); }
long dropmaps(long pid) { return pg_call3(MSG_PG_DROPMAPS, pid, 0, 0); }
long shutdown(void) { return pg_call3(MSG_PG_SHUTDOWN, 0, 0, 0); }
long device_claim(long which) { return pg_call3(MSG_PG_DEVICE, which, DEVICE_CLAIM, 0); }
void *dma_alloc(size_t len, uint64_t *pa) { return pg_dma(len, pa); } /* drivers only: pa is trusted */
long sync_all(void) { return pg_call3(MSG_PG_SYNC, 0, 0, 0); }
long pager_pin(long hart) { return pg_call3(MSG_PG_PIN, hart, 0, 0); }

/* The calls below hand results back through the caller's pointers: a bad
   one gets -EFAULT (never a fault), found before anything is done that
   cannot be undone. */

/* Would a long go to p (NULL: none wanted)? 0 or -EFAULT. */
static long check_long(long *p) { return p ? __check_user(p, sizeof *p) : 0; }

static long put_long(long *p, long v) { return p ? __put_user(p, &v, sizeof v) : 0; }

long wait_how(long pid, long *how, long *code)
{
    long h, c, r = check_long(how);
    if (r < 0 || (r = check_long(code)) < 0)
        return r;
    r = pg_wait(pid, 0, &h, &c);
    if (r >= 0) {
        put_long(how, h);
        put_long(code, c);
    }
    return r;
}

long device_info(long which, long *size, long *irq)
{
    long s, i, r = check_long(size);
    if (r < 0 || (r = check_long(irq)) < 0)
        return r;
    r = pg_device(which, &s, &i);
    if (r >= 0) {
        put_long(size, s);
        put_long(irq, i);
    }
    return r;
}


/* The name is written by the pager (EFAULT there); the cookie is read and
   written back, the inode number written. */
long getdent(int fd, long *cookie, char name[64], long *inum)
{
    long c, i = 0, r = __get_user(&c, cookie, sizeof c);
    if (r < 0 || (r = __check_user(cookie, sizeof c)) < 0 || (r = check_long(inum)) < 0)
        return r;
    r = pg_readdir(fd, &c, name, &i);
    if (r == 1) {
        __put_user(cookie, &c, sizeof c);
        put_long(inum, i);
    }
    return r;
}

void *anon_map(size_t len)
{
    long r = pg_call3(MSG_PG_ANON, (long)len, 0, 0);
    return r < 0 ? NULL : (void *)r;
}

/* Write all n bytes of buf to fd, going on after short writes. False if that failed. */
bool write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        long r = pg_write(fd, p, n);
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

/* Is s a decimal number (at least one digit, nothing else)? */
bool is_number(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

const char *errstr(long err) { return strerror((int)(err < 0 ? -err : err)); }

/* dprintf(3): picolibc's stdio has none. Formats into a buffer (the heap for
   long output) and writes it in one go; returns the length or -1. */
int dprintf(int fd, const char *fmt, ...)
{
    char small[256], *buf = small;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n >= sizeof small) {
        buf = malloc((size_t)n + 1);
        if (!buf)
            return -1;
        va_start(ap, fmt);
        vsnprintf(buf, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    bool ok = write_all(fd, buf, (size_t)n);
    if (buf != small)
        free(buf);
    return ok ? n : -1;
}
