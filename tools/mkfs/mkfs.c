// mkfs: build a file-system image (format: servers/fs/fsformat.h).
//
//   mkfs IMAGE SIZE_MB [--dir HOSTDIR] [FILE ...]
//
// Creates IMAGE of SIZE_MB MiB (1 .. 1048576) holding a root directory
// and /bin; each FILE (PATH or NAME=PATH) is stored in /bin under its basename or NAME. With --dir the
// tree under HOSTDIR (regular files and directories, sorted by name; other
// kinds are skipped with a warning) is copied into the root first; FILEs
// then go into its bin directory (created if missing).
//
// Inodes: one per 8 blocks, at least 64, at most 65536. Log: FS_LOG_BLOCKS.
// Times: files and copied directories get their host mtime, the others
// the current time; if SOURCE_DATE_EPOCH is set, everything gets that
// (for reproducible images).
// Blocks and inodes are handed out in order and never freed, so a newly
// allocated block is still zero in the freshly truncated image file.
// Exits 0 on success; on any error prints "mkfs: reason", removes the
// image and exits 1.

#define _GNU_SOURCE
#include <dirent.h>
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

#include "fslib.h"

#define MAX_MB      (1u << 20)      // 1 TiB
#define MIN_INODES  64u
#define MAX_INODES  65536u

// The image being built.
struct img {
    const char *path;
    int fd;
    struct superblock sb;
    uint8_t *bitmap;            // bitmap_blocks blocks
    struct dinode *inodes;      // ninodes inodes
    uint32_t next_inum;         // next free inode
    uint32_t next_block;        // next free data block
};

static struct img im = { .fd = -1 };
static bool fixed_time;         // SOURCE_DATE_EPOCH is set
static uint64_t now;            // current time or SOURCE_DATE_EPOCH

// Print "mkfs: message", remove the partial image and exit 1.
__attribute__((format(printf, 1, 2), noreturn))
static void
die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "mkfs: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (im.fd >= 0)
        unlink(im.path);
    exit(1);
}

// ---- block and inode allocation --------------------------------------------

// Read block b of the image (exits on error).
static void
blk_read(uint32_t b, void *buf)
{
    ssize_t n = pread(im.fd, buf, FS_BLOCK_SIZE, (off_t)b * FS_BLOCK_SIZE);
    if (n != FS_BLOCK_SIZE)
        die("%s: read of block %u failed: %s", im.path, b,
            n < 0 ? strerror(errno) : "short read");
}

// Write block b of the image (exits on error).
static void
blk_write(uint32_t b, const void *buf)
{
    ssize_t n = pwrite(im.fd, buf, FS_BLOCK_SIZE, (off_t)b * FS_BLOCK_SIZE);
    if (n != FS_BLOCK_SIZE)
        die("%s: write of block %u failed: %s", im.path, b,
            n < 0 ? strerror(errno) : "short write");
}

// A fresh (all-zero) data block, marked in the bitmap. Exits when the
// image is full.
static uint32_t
alloc_block(void)
{
    if (im.next_block >= im.sb.nblocks)
        die("image too small: out of data blocks (%u)", im.sb.data_blocks);
    uint32_t b = im.next_block++;
    bitmap_set(im.bitmap, b);
    return b;
}

// A fresh inode of the given type with nlink 0 and modification time
// mtime (unless times are fixed). Exits when none is left.
static uint32_t
alloc_inode(uint16_t type, uint64_t mtime)
{
    if (fixed_time)
        mtime = now;
    if (im.next_inum >= im.sb.ninodes)
        die("too many files: out of inodes (%u)", im.sb.ninodes - 1);
    uint32_t inum = im.next_inum++;
    struct dinode *ip = &im.inodes[inum];
    ip->type = type;
    ip->mtime = mtime;
    return inum;
}

// Block number in slot of the indirect block *ind, allocating the indirect
// block and the slot's block when they are missing.
static uint32_t
ind_slot(uint32_t *ind, uint32_t slot)
{
    static uint8_t buf[FS_BLOCK_SIZE];
    if (*ind == 0)
        *ind = alloc_block();
    blk_read(*ind, buf);
    uint32_t b = fs_ind_get(buf, slot);
    if (b == 0) {
        b = alloc_block();
        fs_ind_set(buf, slot, b);
        blk_write(*ind, buf);
    }
    return b;
}

// Block number of file block fbn of ip, allocating it (and any indirect
// blocks on the way) if missing. Exits if fbn is past the largest file.
static uint32_t
bmap_alloc(struct dinode *ip, uint64_t fbn)
{
    struct fs_bmap m;
    int level = fs_bmap(fbn, &m);
    if (level < 0)
        die("file too large for the file system (max %llu bytes)",
            (unsigned long long)FS_MAX_FILE_SIZE);
    if (level == 0) {
        if (ip->direct[m.slot[0]] == 0)
            ip->direct[m.slot[0]] = alloc_block();
        return ip->direct[m.slot[0]];
    }
    if (level == 1)
        return ind_slot(&ip->indirect, m.slot[0]);
    uint32_t mid = ind_slot(&ip->dindirect, m.slot[0]);
    return ind_slot(&mid, m.slot[1]);
}

// Block number of file block fbn of ip, or 0 if it is not mapped.
static uint32_t
bmap_get(const struct dinode *ip, uint64_t fbn)
{
    static uint8_t buf[FS_BLOCK_SIZE];
    struct fs_bmap m;
    int level = fs_bmap(fbn, &m);
    if (level < 0)
        return 0;
    if (level == 0)
        return ip->direct[m.slot[0]];
    uint32_t b = level == 1 ? ip->indirect : ip->dindirect;
    for (int i = 0; i < level && b != 0; i++) {
        blk_read(b, buf);
        b = fs_ind_get(buf, m.slot[i]);
    }
    return b;
}

// ---- directories -----------------------------------------------------------

// Exit with a message about name (from what), which fs_check_name rejected
// with err.
__attribute__((noreturn))
static void
bad_name(const char *what, const char *name, int err)
{
    if (err == FSE_NAME_LONG)
        die("%s: name \"%s\" is too long (%zu bytes, at most %u)", what, name,
            strlen(name), FS_NAME_MAX);
    die("%s: cannot store \"%s\": %s", what, name, fs_strerror(err));
}

// Inode number of name in directory dinum, or 0.
static uint32_t
dir_lookup(uint32_t dinum, const char *name)
{
    static uint8_t buf[FS_BLOCK_SIZE];
    const struct dinode *dp = &im.inodes[dinum];
    for (uint64_t f = 0; f < fs_size_blocks(dp->size); f++) {
        blk_read(bmap_get(dp, f), buf);
        int slot = dirblk_lookup(buf, name, strlen(name));
        if (slot >= 0)
            return ((struct fs_dirent *)buf)[slot].inum;
    }
    return 0;
}

// Add (name, inum) to directory dinum, growing it by a block if all are
// full, and count the new link. Exits on a bad or duplicate name.
static void
dir_add(uint32_t dinum, const char *name, uint32_t inum)
{
    static uint8_t buf[FS_BLOCK_SIZE];
    size_t len = strlen(name);
    int err = fs_check_name(name, len);
    if (err < 0)
        bad_name(im.path, name, err);
    if (dir_lookup(dinum, name) != 0)
        die("duplicate name \"%s\" in one directory", name);
    struct dinode *dp = &im.inodes[dinum];
    uint64_t nb = fs_size_blocks(dp->size);
    for (uint64_t f = 0; f <= nb; f++) {
        uint32_t b = f < nb ? bmap_get(dp, f) : bmap_alloc(dp, f);
        blk_read(b, buf);
        if (dirblk_add(buf, name, len, inum) >= 0) {
            blk_write(b, buf);
            if (f == nb)
                dp->size += FS_BLOCK_SIZE;
            im.inodes[inum].nlink++;
            return;
        }
    }
    die("cannot add \"%s\" to a directory", name);
}

// Make a directory inode whose parent is parent (itself for the root).
// Its "." is counted; the caller links it into the parent.
static uint32_t
make_dir(uint32_t parent, uint64_t mtime)
{
    static uint8_t buf[FS_BLOCK_SIZE];
    uint32_t inum = alloc_inode(FS_T_DIR, mtime);
    if (parent == 0)
        parent = inum;
    struct dinode *dp = &im.inodes[inum];
    dirblk_init(buf, inum, parent);
    blk_write(bmap_alloc(dp, 0), buf);
    dp->size = FS_BLOCK_SIZE;
    dp->nlink = 1;                      // "."
    im.inodes[parent].nlink++;          // ".."
    return inum;
}

// Create directory name in parent. Returns its inode number.
static uint32_t
add_dir(uint32_t parent, const char *name, uint64_t mtime)
{
    uint32_t inum = make_dir(parent, mtime);
    dir_add(parent, name, inum);
    return inum;
}

// ---- copying host files ----------------------------------------------------

// Store the host file at path as name in directory dinum.
static void
add_file(uint32_t dinum, const char *name, const char *path)
{
    static uint8_t buf[FS_BLOCK_SIZE];
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        die("%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        die("%s: not a regular file", path);
    uint32_t inum = alloc_inode(FS_T_FILE, (uint64_t)st.st_mtime);
    struct dinode *ip = &im.inodes[inum];
    for (uint64_t f = 0;; f++) {
        size_t got = 0;
        while (got < sizeof buf) {
            ssize_t n = read(fd, buf + got, sizeof buf - got);
            if (n < 0)
                die("%s: %s", path, strerror(errno));
            if (n == 0)
                break;
            got += (size_t)n;
        }
        if (got == 0)
            break;
        memset(buf + got, 0, sizeof buf - got);
        blk_write(bmap_alloc(ip, f), buf);
        ip->size += got;
        if (got < sizeof buf)
            break;
    }
    close(fd);
    dir_add(dinum, name, inum);
}

// Keep all entries but "." and ".." when scanning a host directory.
static int
not_dot(const struct dirent *d)
{
    return !fs_name_is_dot(d->d_name, strlen(d->d_name));
}

static void copy_tree(uint32_t dinum, const char *hostdir);

// Copy one entry (name) of host directory hostdir into directory dinum.
static void
copy_entry(uint32_t dinum, const char *hostdir, const char *name)
{
    char path[4096];
    struct stat st;
    if (snprintf(path, sizeof path, "%s/%s", hostdir, name) >= (int)sizeof path)
        die("%s/%s: path too long", hostdir, name);
    if (lstat(path, &st) < 0)
        die("%s: %s", path, strerror(errno));
    if (S_ISREG(st.st_mode)) {
        add_file(dinum, name, path);
    } else if (S_ISDIR(st.st_mode)) {
        copy_tree(add_dir(dinum, name, (uint64_t)st.st_mtime), path);
    } else {
        fprintf(stderr, "mkfs: warning: skipping %s (not a file or directory)\n",
                path);
    }
}

// Copy the contents of hostdir into directory dinum, sorted by name.
static void
copy_tree(uint32_t dinum, const char *hostdir)
{
    struct dirent **list;
    int n = scandir(hostdir, &list, not_dot, alphasort);
    if (n < 0)
        die("%s: %s", hostdir, strerror(errno));
    for (int i = 0; i < n; i++) {
        copy_entry(dinum, hostdir, list[i]->d_name);
        free(list[i]);
    }
    free(list);
}

// The part of path after its last '/'.
static const char *
base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

// A FILE argument is PATH (stored under its basename) or NAME=PATH.
// The name is returned in a static buffer, the path through *path.
static const char *
file_arg(const char *arg, const char **path)
{
    static char name[FS_NAME_MAX + 2];
    const char *eq = strchr(arg, '=');
    if (!eq) {
        *path = arg;
        return base_name(arg);
    }
    size_t n = (size_t)(eq - arg);
    if (n > FS_NAME_MAX)
        n = FS_NAME_MAX + 1; // too long: the name check reports it
    memcpy(name, arg, n);
    name[n] = '\0';
    *path = eq + 1;
    return name;
}

// Check that the FILE arguments make valid, distinct names before any is
// copied. Exits on the first bad one.
static void
check_files(char **files, int nfiles)
{
    for (int i = 0; i < nfiles; i++) {
        const char *path;
        char base[FS_NAME_MAX + 2];
        snprintf(base, sizeof base, "%s", file_arg(files[i], &path));
        size_t len = strlen(base);
        int err = fs_check_name(base, len);
        if (err < 0)
            bad_name(files[i], base, err);
        if (fs_name_is_dot(base, len))
            die("%s: cannot store a file named \"%s\"", files[i], base);
        for (int j = 0; j < i; j++) {
            const char *other = file_arg(files[j], &path);
            if (strcmp(base, other) == 0)
                die("%s and %s have the same name", files[j], files[i]);
        }
    }
}

// Store each host file in directory dinum under its name (see file_arg).
static void
add_files(uint32_t dinum, char **files, int nfiles)
{
    for (int i = 0; i < nfiles; i++) {
        const char *path;
        char name[FS_NAME_MAX + 2];
        snprintf(name, sizeof name, "%s", file_arg(files[i], &path));
        add_file(dinum, name, path);
    }
}

// ---- the image -------------------------------------------------------------

// Parse SIZE_MB. Exits unless it is a whole number in 1 .. MAX_MB.
static uint32_t
parse_size(const char *s)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v == 0 ||
        v > MAX_MB)
        die("bad size \"%s\" (MiB, 1 .. %u)", s, MAX_MB);
    return (uint32_t)v;
}

// Create the empty image file and the in-memory tables.
static void
img_create(const char *path, uint32_t mb)
{
    uint32_t nblocks = mb * (uint32_t)(1048576 / FS_BLOCK_SIZE);
    uint32_t ninodes = nblocks / 8;
    ninodes = ninodes < MIN_INODES ? MIN_INODES :
              ninodes > MAX_INODES ? MAX_INODES : ninodes;
    int err = fs_layout(&im.sb, nblocks, ninodes, FS_LOG_BLOCKS);
    if (err < 0)
        die("cannot lay out %u MiB: %s", mb, fs_strerror(err));
    im.path = path;
    im.fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (im.fd < 0) {
        fprintf(stderr, "mkfs: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    if (ftruncate(im.fd, (off_t)nblocks * FS_BLOCK_SIZE) < 0)
        die("%s: %s", path, strerror(errno));
    im.bitmap = calloc(im.sb.bitmap_blocks, FS_BLOCK_SIZE);
    im.inodes = calloc(im.sb.ninodes, sizeof(struct dinode));
    if (im.bitmap == NULL || im.inodes == NULL)
        die("out of memory");
    for (uint32_t b = 0; b < im.sb.data_start; b++)
        bitmap_set(im.bitmap, b);
    im.next_inum = FS_ROOT_INUM;
    im.next_block = im.sb.data_start;
}

// Write the inode table, bitmap and superblock, and close the image.
static void
img_finish(void)
{
    static uint8_t buf[FS_BLOCK_SIZE];
    for (uint32_t i = 0; i < im.sb.inode_blocks; i++)
        blk_write(im.sb.inode_start + i,
                  (uint8_t *)im.inodes + (size_t)i * FS_BLOCK_SIZE);
    for (uint32_t i = 0; i < im.sb.bitmap_blocks; i++)
        blk_write(im.sb.bitmap_start + i, im.bitmap + (size_t)i * FS_BLOCK_SIZE);
    memset(buf, 0, sizeof buf);
    memcpy(buf, &im.sb, sizeof im.sb);
    blk_write(FS_SUPER_BLOCK, buf);
    if (close(im.fd) < 0)
        die("%s: %s", im.path, strerror(errno));
    im.fd = -1;
}

static void
usage(void)
{
    fprintf(stderr, "usage: mkfs IMAGE SIZE_MB [--dir HOSTDIR] [FILE ...]\n");
    exit(1);
}

int
main(int argc, char **argv)
{
    if (argc < 3)
        usage();
    const char *hostdir = NULL;
    int first = 3;
    if (argc > 3 && strcmp(argv[3], "--dir") == 0) {
        if (argc < 5)
            usage();
        hostdir = argv[4];
        first = 5;
    }
    uint32_t mb = parse_size(argv[2]);
    check_files(argv + first, argc - first);
    img_create(argv[1], mb);

    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    fixed_time = epoch != NULL && *epoch != '\0';
    now = fixed_time ? strtoull(epoch, NULL, 10) : (uint64_t)time(NULL);
    uint32_t root = make_dir(0, now);
    if (hostdir != NULL)
        copy_tree(root, hostdir);
    uint32_t bin = dir_lookup(root, "bin");
    if (bin == 0)
        bin = add_dir(root, "bin", now);
    else if (im.inodes[bin].type != FS_T_DIR)
        die("%s/bin is not a directory", hostdir);
    add_files(bin, argv + first, argc - first);

    uint32_t used_blocks = im.next_block - im.sb.data_start;
    uint32_t used_inodes = im.next_inum - 1;
    img_finish();
    printf("mkfs: %s: %u blocks (%u MiB), %u of %u data blocks and %u of %u "
           "inodes used\n", argv[1], im.sb.nblocks, mb, used_blocks,
           im.sb.data_blocks, used_inodes, im.sb.ninodes - 1);
    return 0;
}
