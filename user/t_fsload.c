/* Not a test of the suite: the write-heavy workload of the crash tests
   (tests/fs/crashloop.py boots it as the first program with init=t_fsload
   and kills QEMU at random moments). For ever it does one operation at a
   time on file /load/f<k> or directory /load/d<k> (k < NFILES), printing
       @@OP seq kind k len off
   before it and
       @@DONE seq
   once it has returned, so that the host knows which writes must survive a
   crash. Kinds: w (open with O_TRUNC, write len bytes), a (O_APPEND write of
   len bytes), p (len bytes at off through a MAP_SHARED mapping, then msync
   MS_SYNC), u (unlink), m (mkdir), r (rmdir), s (sync). Byte i of what
   operation seq writes is fill(seq, i). seq starts at 1,000,000 times the
   argument (the boot number, given as teststart=), so each boot writes bytes
   of its own. An operation that fails prints "fsload: ... failed" and exits. */
#include "sys.h"

#define NFILES 16
#define MAXLEN 24000
#define MAXSIZE (160 * 1024L)

static uint8_t buf[MAXLEN];
static uint64_t rnd;

static uint8_t fill(uint64_t seq, uint64_t i)
{
    return (uint8_t)(seq * 131 + i * 7 + (i >> 10));
}

static uint64_t next(uint64_t n)
{
    rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
    return (rnd >> 33) % n;
}

static void die(uint64_t seq, const char *what)
{
    printf("fsload: operation %lu: %s failed: %s\n", (unsigned long)seq, what, errstr(errno));
    exit(1);
}

/* Write len bytes of fill(seq) to fd (opened with flags). */
static void write_file(uint64_t seq, const char *path, int flags, long len)
{
    int fd = open(path, O_WRONLY | O_CREAT | flags);
    if (fd < 0)
        die(seq, "open");
    for (long i = 0; i < len; i++)
        buf[i] = fill(seq, (uint64_t)i);
    if (write(fd, buf, (size_t)len) != len)
        die(seq, "write");
    close(fd);
}

/* len bytes of fill(seq) at off through a shared mapping of the whole file. */
static void map_write(uint64_t seq, const char *path, long size, long off, long len)
{
    int fd = open(path, O_RDWR);
    if (fd < 0)
        die(seq, "open");
    uint8_t *m = mmap(0, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        die(seq, "mmap");
    for (long i = 0; i < len; i++)
        m[off + i] = fill(seq, (uint64_t)i);
    if (msync(m, (size_t)size, MS_SYNC) < 0)
        die(seq, "msync");
    munmap(m, (size_t)size);
    close(fd);
}

/* One operation: choose it from what is there now, say it, do it, say done. */
static void one_op(uint64_t seq)
{
    char f[32], d[32];
    long k = (long)next(NFILES), len = 1 + (long)next(MAXLEN), off = 0;
    snprintf(f, sizeof f, "/load/f%ld", k);
    snprintf(d, sizeof d, "/load/d%ld", k);
    struct stat st;
    long size = stat(f, &st) == 0 ? (long)st.st_size : -1;
    bool dir = stat(d, &st) == 0;
    uint64_t c = next(100);
    char kind = c < 25 ? 'w' : c < 60 ? 'a' : c < 75 ? 'p' : c < 83 ? 'u' : c < 91 ? 'd' : 's';
    if (kind == 'a' && size + len > MAXSIZE)
        kind = 'w';
    if ((kind == 'p' && size < 1) || (kind == 'u' && size < 0))
        kind = 'a';
    if (kind == 'a' && size < 0)
        kind = 'w';
    if (kind == 'd')
        kind = dir ? 'r' : 'm';
    if (kind == 'p') {
        off = (long)next((uint64_t)size);
        len = 1 + (long)next((uint64_t)(size - off));
    }
    printf("@@OP %lu %c %ld %ld %ld\n", (unsigned long)seq, kind, k, len, off);
    switch (kind) {
    case 'w': write_file(seq, f, O_TRUNC, len); break;
    case 'a': write_file(seq, f, O_APPEND, len); break;
    case 'p': map_write(seq, f, size, off, len); break;
    case 'u': if (unlink(f) < 0) die(seq, "unlink"); break;
    case 'm': if (mkdir(d, 0755) < 0) die(seq, "mkdir"); break;
    case 'r': if (rmdir(d) < 0) die(seq, "rmdir"); break;
    default: if (sync_all() < 0) die(seq, "sync"); break;
    }
    printf("@@DONE %lu\n", (unsigned long)seq);
}

int main(int argc, char **argv)
{
    uint64_t seq = (uint64_t)(argc > 1 ? atol(argv[1]) : 0) * 1000000;
    rnd = seq + 12345;
    if (mkdir("/load", 0755) < 0 && errno != EEXIST)
        die(seq, "mkdir /load");
    printf("fsload: started\n");
    for (;; seq++)
        one_op(seq);
}
