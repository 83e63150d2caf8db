// fsput: add files to an existing file-system image, or replace them.
//
//   fsput IMAGE HOSTFILE GUESTPATH [HOSTFILE GUESTPATH ...]
//
// Stores each HOSTFILE in IMAGE as GUESTPATH (taken from the root: "/bin/x"
// and "bin/x" are the same). A missing file is created, an existing one
// cut to 0 and rewritten. The directory GUESTPATH names must exist: fsput
// makes no directories (mkfs --dir does). There are no permission bits:
// any file in /bin can be run.
//
// The work is done by the file server's own code (servers/fs/fsops.c over
// a file-backed block device): the mount replays a committed log, runs the
// server's consistency check and frees orphans, and every change is made in
// the server's logged transactions, so a crash of fsput at any moment
// leaves a consistent image (the file being written may be short).
//
// fsput first rehearses the whole job on a copy-on-write view of the image
// (its writes kept in memory), then does it for real only if the rehearsal
// succeeded. So every error the file system reports (no such directory, no
// space left, not an image, an image whose check finds problems) leaves
// the image exactly as it was. While it works, fsput holds a write lock on
// the image (fcntl, as QEMU's image locking uses): an image QEMU has open is
// refused.
//
// Exits 0 on success (one line per file on stdout); on any error prints
// "fsput: reason" and exits 1.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsops.h"

#define BS FS_BLOCK_SIZE

// The image file. In a rehearsal, writes go to memory (over) and reads see
// them; otherwise they go to the file.
struct disk {
    const char *path;
    int fd;
    uint64_t nblocks;
    uint8_t **over;             // per block: its rehearsed contents or NULL
    bool rehearse;
    bool nomem;                 // a rehearsed write found no memory
};

// One HOSTFILE GUESTPATH pair, with the host file's contents.
struct put {
    const char *host;
    const char *guest;
    uint8_t *data;
    size_t len;
};

static struct disk dk = { .fd = -1 };
static uint64_t now;            // mtime of the written files

// Print "fsput: message" and exit 1.
__attribute__((format(printf, 1, 2), noreturn))
static void
die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "fsput: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

// ---- the block device ------------------------------------------------------

// Read block b of the image as the current pass sees it. Returns 0, or -1
// (past the end, a read error or a short read).
static int
dk_read(void *ctx, uint64_t b, void *buf)
{
    struct disk *d = ctx;
    if (b >= d->nblocks)
        return -1;
    if (d->over != NULL && d->over[b] != NULL) {
        memcpy(buf, d->over[b], BS);
        return 0;
    }
    return pread(d->fd, buf, BS, (off_t)(b * BS)) == BS ? 0 : -1;
}

// Write block b: to memory in a rehearsal, else to the file. Returns 0 or
// -1 (past the end, no memory, a write error).
static int
dk_write(void *ctx, uint64_t b, const void *buf)
{
    struct disk *d = ctx;
    if (b >= d->nblocks)
        return -1;
    if (d->rehearse) {
        if (d->over[b] == NULL && (d->over[b] = malloc(BS)) == NULL) {
            d->nomem = true;
            return -1;
        }
        memcpy(d->over[b], buf, BS);
        return 0;
    }
    return pwrite(d->fd, buf, BS, (off_t)(b * BS)) == BS ? 0 : -1;
}

static const struct blockdev dev = { dk_read, dk_write, &dk };

// Forget the rehearsal's writes and make writes real.
static void
end_rehearsal(void)
{
    for (uint64_t b = 0; b < dk.nblocks; b++)
        free(dk.over[b]);
    free(dk.over);
    dk.over = NULL;
    dk.rehearse = false;
}

// ---- setting up ----------------------------------------------------------------

// Load the host file of p into memory. Exits 1 if it cannot be read, is not
// a regular file or is too big for the file system.
static void
load_host(struct put *p)
{
    int fd = open(p->host, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        die("%s: %s", p->host, strerror(errno));
    if (!S_ISREG(st.st_mode))
        die("%s: not a regular file", p->host);
    if ((uint64_t)st.st_size > FS_MAX_FILE_SIZE)
        die("%s: %lld bytes, more than the largest file of the file system (%llu)",
            p->host, (long long)st.st_size, (unsigned long long)FS_MAX_FILE_SIZE);
    p->len = (size_t)st.st_size;
    if ((p->data = malloc(p->len + 1)) == NULL)
        die("%s: out of memory", p->host);
    size_t got = 0;
    while (got < p->len) {
        ssize_t n = read(fd, p->data + got, p->len - got);
        if (n < 0)
            die("%s: %s", p->host, strerror(errno));
        if (n == 0)
            die("%s: the file shrank while being read", p->host);
        got += (size_t)n;
    }
    close(fd);
}

// Open the image read-write and lock it against other writers (QEMU
// included). Exits 1 if it cannot be opened, is not a regular file, is too
// small to be an image or is in use.
static void
open_image(void)
{
    struct stat st;
    if ((dk.fd = open(dk.path, O_RDWR)) < 0 || fstat(dk.fd, &st) < 0)
        die("%s: %s", dk.path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        die("%s: not a regular file", dk.path);
    if (st.st_size < 2 * BS)
        die("%s: not a file system image (only %lld bytes)", dk.path, (long long)st.st_size);
    dk.nblocks = (uint64_t)st.st_size / BS;
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
    if (fcntl(dk.fd, F_OFD_SETLK, &fl) < 0 && (errno == EAGAIN || errno == EACCES))
        die("%s: in use by another program (a QEMU running on it?); not changed", dk.path);
    if ((dk.over = calloc(dk.nblocks, sizeof *dk.over)) == NULL)
        die("out of memory");
}

// Mount the image in *fs. Exits 1 with the reason if it is not an image,
// cannot be read, or the mount check finds problems (then nothing at all
// has been written in a rehearsal).
static void
mount(struct fs *fs)
{
    static void *mem;
    size_t n = FS_MEM_SIZE(FS_LOG_BLOCKS, FS_CACHE_MAX) + FS_MAP_BYTES(dk.nblocks);
    free(mem);
    if ((mem = malloc(n)) == NULL)
        die("out of memory");
    int r = fs_mount(fs, &dev, dk.nblocks, mem, n);
    if (r == -FS_EINVAL)
        die("%s: not a usable file system image: %s; not changed", dk.path, fs_mount_error(fs));
    if (r < 0)
        die("%s: cannot mount: %s%s", dk.path, fs_mount_error(fs),
            dk.nomem ? " (out of memory)" : "");
    if (fs_readonly(fs))
        die("%s: the file system check found problems: %s; not changed (fsck -y repairs it)",
            dk.path, fs_check_report(fs));
    fs->now = now;
}

// ---- putting files -----------------------------------------------------------------

// Store p in the mounted file system: create its path (or take the file
// there), cut it to 0, write the contents. Returns 0 or a negative FS_E
// error number (-FS_ENOSPC also if the disk filled part way).
static int
put_one(struct fs *fs, const struct put *p)
{
    uint32_t inum;
    int r = fs_create(fs, FS_ROOT_INUM, p->guest, FS_T_FILE, &inum, false);
    if (r < 0)
        return r;
    if ((r = fs_truncate(fs, inum, 0)) < 0 || p->len == 0)
        return r;
    long w = fs_write(fs, inum, 0, p->data, p->len);
    if (w < 0)
        return (int)w;
    return (size_t)w == p->len ? 0 : -FS_ENOSPC;
}

// What error err of put_one means for p, in words.
static const char *
explain(int err, const struct put *p)
{
    static char buf[FS_PATH_MAX + 200];
    switch (-err) {
    case FS_ENOENT: {
        const char *slash = strrchr(p->guest, '/');
        int n = slash == NULL ? 0 : slash == p->guest ? 1 : (int)(slash - p->guest);
        snprintf(buf, sizeof buf, "no directory %.*s in the image "
                 "(fsput makes no directories; mkfs --dir does)", n, n ? p->guest : "/");
        return buf;
    }
    case FS_ENOTDIR:    return "a component of the path is a file, not a directory";
    case FS_EISDIR:     return "is a directory";
    case FS_ENOSPC:     return "no space left in the image (ENOSPC)";
    case FS_EFBIG:      return "too big for the file system (EFBIG)";
    case FS_ENAMETOOLONG: return "name too long (a component has at most 59 bytes)";
    case FS_EIO:        return dk.nomem ? "out of memory" : "I/O error on the image";
    }
    snprintf(buf, sizeof buf, "error %d", -err);
    return buf;
}

int
main(int argc, char **argv)
{
    if (argc < 4 || argc % 2 != 0) {
        fprintf(stderr, "usage: fsput IMAGE HOSTFILE GUESTPATH [HOSTFILE GUESTPATH ...]\n");
        return 1;
    }
    dk.path = argv[1];
    int nput = (argc - 2) / 2;
    struct put *puts = calloc((size_t)nput, sizeof *puts);
    if (puts == NULL)
        die("out of memory");
    for (int i = 0; i < nput; i++) {
        puts[i].host = argv[2 + 2 * i];
        puts[i].guest = argv[3 + 2 * i];
        if (puts[i].guest[0] == '\0')
            die("an empty GUESTPATH (for %s)", puts[i].host);
        load_host(&puts[i]);
    }
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    now = epoch != NULL ? strtoull(epoch, NULL, 10) : (uint64_t)time(NULL);
    open_image();

    static struct fs fs;
    dk.rehearse = true;
    mount(&fs);
    for (int i = 0; i < nput; i++) {
        int r = put_one(&fs, &puts[i]);
        if (r < 0)
            die("%s: %s: %s; the image is not changed", dk.path, puts[i].guest, explain(r, &puts[i]));
    }
    end_rehearsal();
    mount(&fs);
    for (int i = 0; i < nput; i++) {
        int r = put_one(&fs, &puts[i]);
        if (r < 0)
            die("%s: %s: %s; the image is consistent, the files before it are in",
                dk.path, puts[i].guest, explain(r, &puts[i]));
        printf("fsput: %s: %s (%zu bytes)\n", dk.path, puts[i].guest, puts[i].len);
    }
    if (fsync(dk.fd) < 0)
        die("%s: %s", dk.path, strerror(errno));
    for (int i = 0; i < nput; i++)
        free(puts[i].data);
    free(puts);
    return 0;
}
