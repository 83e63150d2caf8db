// fsck: check a file-system image (format: servers/fs/fsformat.h).
//
//   fsck IMAGE
//   fsck -y IMAGE
//   fsck IMAGE --ls PATH
//   fsck IMAGE --cat PATH
//
// Loads the whole image into memory (without -y the file is never
// written), replays a committed log into that copy, then checks:
//   - every inode: fields (fs_check_inode), block pointers in indirect
//     blocks, no block mapped beyond the size, no block used twice;
//   - the tree from the root: directories have no holes, well-formed
//     entries, "." and ".." first and correct, unique names, no second
//     name for a directory; every allocated inode is reachable;
//   - nlink equals the number of directory entries naming the inode;
//   - the bitmap marks exactly the metadata blocks and the used data
//     blocks, and nothing past the end of the disk.
// Exit status: 0 and "fsck: clean" if all is well; 1 after printing each
// problem (the first MAX_SHOWN, then a count); 2 with a one-line reason if
// IMAGE cannot be read or is not an image at all (bad magic or layout,
// truncated).
//
// -y repairs the image, then checks it again: it prints the problems as
// above, fixes them in memory (repeating the passes until they find
// nothing, at most MAX_ROUNDS times) and writes the image back:
//   - a committed log is installed, a corrupt log header emptied;
//   - inodes: garbage (bad type, a free inode not zero) is freed, reserved
//     fields are zeroed, a bad size is corrected (a directory of size 0 is
//     freed); pointers outside the data area or past the size, and the
//     second owner's pointer to a block owned twice, are cleared;
//   - directories: malformed entries, entries naming a free or invalid
//     inode, extra "."/"..", repeated names and second names of a
//     directory are cleared; "." and ".." are rewritten; a directory is
//     cut at its first hole (a hole in block 0 gets a new block); a root
//     that is not a directory is made anew (empty);
//   - inodes no directory reaches, orphans included, are freed;
//   - link counts are set to the entries found; the bitmap is rebuilt
//     from the blocks the inodes own.
// Exit status 0 if the image is clean afterwards ("fsck: clean"), 1 if
// something could not be repaired, 2 as above.
//
// When its own passes find nothing, fsck also runs the file server's mount
// check (servers/fs/fscheck.c) on the image: a problem only that check
// finds is reported too ("mount check: ..."), so "fsck: clean" means the
// server mounts the image read-write.
//
// --ls and --cat skip the checks: after the log replay they list the
// directory PATH ("inum type nlink size name" per entry) or copy the file
// PATH to stdout (holes and unreadable blocks as zeros); exit 1 if PATH is
// not found or of the wrong type, 2 as above.

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
#include <unistd.h>

#include "fscheck.h"
#include "fslib.h"

#define MAX_SHOWN 100           // problems printed before only counting
#define MAX_ROUNDS 8            // -y: repair passes before giving up
#define META UINT32_MAX         // owner of the blocks before data_start

// The image under check and what the passes learn about it.
struct fsck {
    const char *path;
    struct superblock sb;
    uint8_t (*blk)[FS_BLOCK_SIZE];  // nblocks blocks
    uint32_t *owner;            // per block: 0, META or the owning inode
    uint32_t *refs;             // per inode: directory entries naming it
    uint32_t *parent;           // per directory inode: where it is named
    bool *reached;              // per inode: reachable from the root
    long problems;
    FILE *report;               // where problems go
    bool fix;                   // -y: repair as well
    bool quiet;                 // -y after the first round: do not print
    bool changed;               // the in-memory image differs from the file
    bool broken;                // -y found something it cannot repair
};

static struct fsck fk;

// Report one problem.
__attribute__((format(printf, 1, 2)))
static void
problem(const char *fmt, ...)
{
    if (fk.problems++ >= MAX_SHOWN || fk.quiet)
        return;
    va_list ap;
    fprintf(fk.report, "fsck: ");
    va_start(ap, fmt);
    vfprintf(fk.report, fmt, ap);
    va_end(ap);
    fputc('\n', fk.report);
}

// Give up on something that is not a readable image: exit status 2.
__attribute__((format(printf, 1, 2), noreturn))
static void
not_image(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "fsck: %s: ", fk.path);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static struct dinode *
inode(uint32_t inum)
{
    uint8_t *b = fk.blk[fs_inode_block(&fk.sb, inum)];
    return (struct dinode *)(b + fs_inode_offset(inum));
}

// ---- loading -------------------------------------------------------------

// Read exactly n bytes at off. Returns false on error or end of file.
static bool
read_at(int fd, void *buf, size_t n, off_t off)
{
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t got = pread(fd, p, n, off);
        if (got <= 0)
            return false;
        p += got;
        n -= (size_t)got;
        off += got;
    }
    return true;
}

// Open the image, validate its superblock and load it. Exits 2 on failure.
static void
load(void)
{
    int fd = open(fk.path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        not_image("%s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        not_image("not a regular file");
    uint64_t disk_blocks = (uint64_t)st.st_size / FS_BLOCK_SIZE;
    if (disk_blocks < 2)
        not_image("not a file system image (only %lld bytes)",
                  (long long)st.st_size);
    uint8_t sbuf[FS_BLOCK_SIZE];
    if (!read_at(fd, sbuf, sizeof sbuf, (off_t)FS_SUPER_BLOCK * FS_BLOCK_SIZE))
        not_image("cannot read the superblock");
    memcpy(&fk.sb, sbuf, sizeof fk.sb);
    int err = fs_check_super(&fk.sb, disk_blocks);
    if (err == FSE_TRUNC)
        not_image("truncated image: the superblock says %u blocks, the file has %llu",
                  fk.sb.nblocks, (unsigned long long)disk_blocks);
    if (err < 0)
        not_image("not a file system image: %s", fs_strerror(err));
    fk.blk = malloc((size_t)fk.sb.nblocks * FS_BLOCK_SIZE);
    fk.owner = calloc(fk.sb.nblocks, sizeof *fk.owner);
    fk.refs = calloc(fk.sb.ninodes, sizeof *fk.refs);
    fk.parent = calloc(fk.sb.ninodes, sizeof *fk.parent);
    fk.reached = calloc(fk.sb.ninodes, sizeof *fk.reached);
    if (!fk.blk || !fk.owner || !fk.refs || !fk.parent || !fk.reached)
        not_image("out of memory");
    if (!read_at(fd, fk.blk, (size_t)fk.sb.nblocks * FS_BLOCK_SIZE, 0))
        not_image("cannot read the image");
    close(fd);
}

// ---- log -------------------------------------------------------------------

static int
mem_read(void *ctx, uint64_t b, void *buf)
{
    (void)ctx;
    if (b >= fk.sb.nblocks)
        return -1;
    memcpy(buf, fk.blk[b], FS_BLOCK_SIZE);
    return 0;
}

static int
mem_write(void *ctx, uint64_t b, const void *buf)
{
    (void)ctx;
    if (b >= fk.sb.nblocks)
        return -1;
    memcpy(fk.blk[b], buf, FS_BLOCK_SIZE);
    return 0;
}

// Replay a committed log into the in-memory copy, as a mount would.
static void
replay_log(void)
{
    static const struct blockdev dev = { mem_read, mem_write, NULL };
    static uint8_t buf[FS_BLOCK_SIZE];
    static struct fslog lg;
    const struct logheader *h = (const void *)fk.blk[fk.sb.log_start];
    uint32_t count = h->count;
    if (log_init(&lg, &dev, &fk.sb, buf, 1) < 0) {
        problem("cannot set up the log");
        return;
    }
    int n = log_recover(&lg);
    if (n == FSE_BADLOG)
        problem("log header is corrupt (count %u, log holds %u blocks); not replayed",
                count, fk.sb.log_blocks);
    else if (n < 0)
        problem("log replay failed: %s", fs_strerror(n));
    else if (n > 0)
        fprintf(fk.report, "fsck: log holds %d committed blocks; replayed them\n", n);
    if (fk.fix && n != 0) {         // replayed (write it home) or corrupt (empty it)
        memset(fk.blk[fk.sb.log_start], 0, FS_BLOCK_SIZE);
        fk.changed = true;
    }
}

// ---- blocks of inodes --------------------------------------------------------

// Record that inode inum uses block b (b is a data block). Returns false
// if another inode (or this one, elsewhere) has it already.
static bool
claim(uint32_t b, uint32_t inum)
{
    if (fk.owner[b] != 0) {
        problem("block %u is used twice (inode %u and inode %u)", b,
                fk.owner[b], inum);
        return false;
    }
    fk.owner[b] = inum;
    return true;
}

// -y: clear the pointer *p (a bad one); returns false so that callers can
// write `ok = keep(...)`.
static bool
drop(uint32_t *p)
{
    if (fk.fix) {
        *p = 0;
        fk.changed = true;
    }
    return false;
}

// Check and claim the blocks an indirect block maps: slot s stands for
// file block first + s of an inode whose size needs nb blocks.
static void
walk_ind(uint32_t inum, uint32_t ind, uint64_t first, uint64_t nb)
{
    uint32_t *slot = (uint32_t *)fk.blk[ind];
    for (uint32_t s = 0; s < FS_NINDIRECT; s++) {
        uint32_t b = slot[s];
        if (b == 0)
            continue;
        if (!fs_data_block_valid(&fk.sb, b)) {
            problem("inode %u: indirect block %u slot %u points outside the data area (%u)",
                    inum, ind, s, b);
            drop(&slot[s]);
            continue;
        }
        if (first + s >= nb) {
            problem("inode %u: block %u mapped at file block %llu, beyond the size",
                    inum, b, (unsigned long long)(first + s));
            if (fk.fix) {
                drop(&slot[s]);
                continue;
            }
        }
        if (!claim(b, inum))
            drop(&slot[s]);
    }
}

// Claim the double-indirect block ind of inode inum and everything below.
static void
walk_dind(uint32_t inum, uint32_t dind, uint64_t nb)
{
    uint32_t *slot = (uint32_t *)fk.blk[dind];
    for (uint32_t s = 0; s < FS_NINDIRECT; s++) {
        uint32_t ind = slot[s];
        uint64_t first = FS_DIND_FIRST + (uint64_t)s * FS_NINDIRECT;
        if (ind == 0)
            continue;
        if (!fs_data_block_valid(&fk.sb, ind)) {
            problem("inode %u: double-indirect slot %u points outside the data area (%u)",
                    inum, s, ind);
            drop(&slot[s]);
            continue;
        }
        if (first >= nb) {
            problem("inode %u: indirect block %u covers only blocks beyond the size",
                    inum, ind);
            if (fk.fix) {
                drop(&slot[s]);
                continue;
            }
        }
        if (claim(ind, inum))
            walk_ind(inum, ind, first, nb);
        else
            drop(&slot[s]);
    }
}

// -y: whether the inode's own pointer *p (standing for file blocks from
// first on, of nb) may stay; clears it if not (fs_check_inode reported it).
static bool
own_pointer_ok(uint32_t *p, uint64_t first, uint64_t nb)
{
    if (*p == 0)
        return false;
    if (!fs_data_block_valid(&fk.sb, *p) || (fk.fix && first >= nb))
        return drop(p);
    return true;
}

// Claim every block of inode inum. Pointers that fs_check_inode already
// reported as bad are skipped here (and cleared with -y).
static void
walk_blocks(uint32_t inum)
{
    struct dinode *ip = inode(inum);
    uint64_t nb = fs_size_blocks(ip->size);
    for (uint32_t i = 0; i < FS_NDIRECT; i++)
        if (own_pointer_ok(&ip->direct[i], i, nb) && !claim(ip->direct[i], inum))
            drop(&ip->direct[i]);
    if (own_pointer_ok(&ip->indirect, FS_IND_FIRST, nb)) {
        if (claim(ip->indirect, inum))
            walk_ind(inum, ip->indirect, FS_IND_FIRST, nb);
        else
            drop(&ip->indirect);
    }
    if (own_pointer_ok(&ip->dindirect, FS_DIND_FIRST, nb)) {
        if (claim(ip->dindirect, inum))
            walk_dind(inum, ip->dindirect, nb);
        else
            drop(&ip->dindirect);
    }
}

// -y: mend the fields of inode inum that fs_check_inode rejects (err):
// garbage is freed, reserved fields zeroed, a bad size corrected. Bad
// pointers are left to walk_blocks. Returns the inode's new error.
static int
fix_inode(uint32_t inum, int err)
{
    struct dinode *ip = inode(inum);
    for (int round = 0; round < 4 && err < 0; round++) {
        if (err == FSE_IFREE || err == FSE_ITYPE ||
            (err == FSE_ISIZE && ip->type == FS_T_DIR && ip->size == 0)) {
            memset(ip, 0, sizeof *ip);
        } else if (err == FSE_IRESERVED) {
            ip->flags = 0;
            memset(ip->reserved, 0, sizeof ip->reserved);
        } else if (err == FSE_ISIZE) {
            if (ip->size > FS_MAX_FILE_SIZE)
                ip->size = FS_MAX_FILE_SIZE;
            if (ip->type == FS_T_DIR)
                ip->size = fs_size_blocks(ip->size) * FS_BLOCK_SIZE;
        } else {
            break;                  // nlink 0 or pointers: later passes
        }
        fk.changed = true;
        err = fs_check_inode(&fk.sb, ip);
    }
    return err;
}

// Check every inode's fields and claim the blocks of the used ones.
static void
check_inodes(void)
{
    static const char zero[FS_INODE_SIZE];
    if (memcmp(inode(0), zero, sizeof zero) != 0) {
        problem("inode 0 is not zero");
        if (fk.fix) {
            memset(inode(0), 0, FS_INODE_SIZE);
            fk.changed = true;
        }
    }
    for (uint32_t b = 0; b < fk.sb.data_start; b++)
        fk.owner[b] = META;
    for (uint32_t i = 1; i < fk.sb.ninodes; i++) {
        const struct dinode *ip = inode(i);
        int err = fs_check_inode(&fk.sb, ip);
        if (err < 0 && err != FSE_INLINK) /* nlink 0: an orphan if unreachable (check_links) */
            problem("inode %u: %s", i, fs_strerror(err));
        if (fk.fix)
            err = fix_inode(i, err);
        // Garbage (bad type or reserved fields) is not walked: its block
        // map could make the walk take very long.
        if (err != FSE_ITYPE && err != FSE_IRESERVED && ip->type != FS_T_FREE)
            walk_blocks(i);
    }
}

// Block number of file block f of ip, or 0 for a hole or a bad pointer.
static uint32_t
file_block(const struct dinode *ip, uint64_t f)
{
    struct fs_bmap m;
    int level = fs_bmap(f, &m);
    if (level < 0)
        return 0;
    uint32_t b = level == 0 ? ip->direct[m.slot[0]] :
                 level == 1 ? ip->indirect : ip->dindirect;
    for (int i = 0; i < level; i++) {
        if (!fs_data_block_valid(&fk.sb, b))
            return 0;
        b = fs_ind_get(fk.blk[b], m.slot[i]);
    }
    return fs_data_block_valid(&fk.sb, b) ? b : 0;
}

// ---- the directory tree ----------------------------------------------------

// A queue of directories still to check.
struct queue {
    uint32_t *v;
    uint32_t head, tail;
};

// The names seen in one directory, for the uniqueness check.
struct names {
    const char **v;
    size_t n, cap;
};

// Append name to l (exits 2 if out of memory).
static void
names_add(struct names *l, const char *name)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (l->v == NULL)
            not_image("out of memory");
    }
    l->v[l->n++] = name;
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

// Report names that occur twice in directory d (sorts the list).
static void
check_unique(uint32_t d, struct names *l)
{
    if (l->n > 1)
        qsort(l->v, l->n, sizeof *l->v, cmp_names);
    for (size_t i = 1; i < l->n; i++)
        if (strcmp(l->v[i - 1], l->v[i]) == 0)
            problem("directory %u: name \"%s\" appears twice", d, l->v[i]);
}

// -y: clear directory entry de.
static void
drop_entry(struct fs_dirent *de)
{
    if (fk.fix) {
        memset(de, 0, sizeof *de);
        fk.changed = true;
    }
}

// -y: make de the entry (inum, name).
static void
set_entry(struct fs_dirent *de, uint32_t inum, const char *name)
{
    memset(de, 0, sizeof *de);
    de->inum = inum;
    strcpy(de->name, name);
    fk.changed = true;
}

// Check the entry in slot 0 or 1 of directory d's first block, which must
// be "." or "..". Returns true if it has that name (its inode number may
// still be wrong, which is reported); with -y it is rewritten if wrong
// and true is returned.
static bool
check_dot(uint32_t d, int slot, struct fs_dirent *de)
{
    const char *want = slot == 0 ? "." : "..";
    uint32_t inum = slot == 0 ? d : fk.parent[d];
    if (de->inum == 0 || strcmp(de->name, want) != 0) {
        problem("directory %u: entry %d is not \"%s\"", d, slot, want);
        if (!fk.fix)
            return false;
        set_entry(de, inum, want);
    }
    if (de->inum != inum) {
        problem("directory %u: \"%s\" names inode %u, not %u", d, want,
                de->inum, inum);
        if (fk.fix)
            set_entry(de, inum, want);
    }
    return true;
}

// Check one used entry (not in a "."/".." slot) of directory d; queue the
// directories it names for the first time. Returns false if the entry is
// bad (with -y it has been cleared).
static bool
check_entry(uint32_t d, struct fs_dirent *de, struct queue *q)
{
    if (fs_name_is_dot(de->name, strlen(de->name))) {
        problem("directory %u: extra \"%s\" entry", d, de->name);
        drop_entry(de);
        return false;
    }
    const struct dinode *ip = inode(de->inum);
    if (ip->type == FS_T_DIR) {
        if (fk.parent[de->inum] != 0 || de->inum == FS_ROOT_INUM) {
            problem("directory %u has a second name \"%s\" in directory %u",
                    de->inum, de->name, d);
            drop_entry(de);
            return false;
        }
        fk.parent[de->inum] = d;
        q->v[q->tail++] = de->inum;
    }
    fk.reached[de->inum] = true;
    return true;
}

// -y: true (after clearing the entry) if l already has de's name.
static bool
fix_duplicate(uint32_t d, const struct names *l, struct fs_dirent *de)
{
    for (size_t i = 0; fk.fix && i < l->n; i++) {
        if (strcmp(l->v[i], de->name) == 0) {
            problem("directory %u: name \"%s\" appears twice", d, de->name);
            drop_entry(de);
            return true;
        }
    }
    return false;
}

// Check every entry of directory block de (file block f of directory d),
// collecting the names in l.
static void
check_dirblock(uint32_t d, uint64_t f, struct fs_dirent *de,
               struct names *l, struct queue *q)
{
    for (int s = 0; s < (int)FS_DIRENTS_PER_BLOCK; s++) {
        if (fs_check_dirent(&de[s]) < 0) {
            problem("directory %u: malformed entry %llu", d,
                    (unsigned long long)(f * FS_DIRENTS_PER_BLOCK + (uint64_t)s));
            drop_entry(&de[s]);
            continue;
        }
        bool is_dot = f == 0 && s < 2 && check_dot(d, s, &de[s]);
        if (de[s].inum == 0)
            continue;
        if (!fs_inum_valid(&fk.sb, de[s].inum) ||
            inode(de[s].inum)->type == FS_T_FREE) {
            problem("directory %u: \"%s\" names %s inode %u", d, de[s].name,
                    fs_inum_valid(&fk.sb, de[s].inum) ? "free" : "invalid",
                    de[s].inum);
            drop_entry(&de[s]);
            continue;
        }
        if (fix_duplicate(d, l, &de[s]))
            continue;
        if (!is_dot && fk.fix && !check_entry(d, &de[s], q))
            continue;
        fk.refs[de[s].inum]++;
        names_add(l, de[s].name);
        if (!is_dot && !fk.fix)
            check_entry(d, &de[s], q);
    }
}

// -y: a free data block, taken (owned by inum) and zeroed, or 0 if the
// disk is full.
static uint32_t
take_block(uint32_t inum)
{
    for (uint32_t b = fk.sb.data_start; b < fk.sb.nblocks; b++) {
        if (fk.owner[b] == 0) {
            fk.owner[b] = inum;
            memset(fk.blk[b], 0, FS_BLOCK_SIZE);
            fk.changed = true;
            return b;
        }
    }
    return 0;
}

// -y: directory d (contents *dp) has a hole at file block f: cut it there
// (the blocks past the new size are freed by the next round), or give
// block 0 a fresh block with "." and "..". Returns the block now at f, or
// 0 if there is none.
static uint32_t
fix_hole(uint32_t d, struct dinode *dp, uint64_t f)
{
    fk.changed = true;
    if (f > 0) {
        dp->size = f * FS_BLOCK_SIZE;
        return 0;
    }
    uint32_t b = take_block(d);
    if (b == 0) {
        fk.broken = true;
        return 0;
    }
    dirblk_init(fk.blk[b], d, fk.parent[d]);
    dp->direct[0] = b;
    return b;
}

// Check directory d: every block present, its entries, unique names.
static void
check_dir(uint32_t d, struct queue *q)
{
    struct dinode *dp = inode(d);
    uint64_t nb = fs_size_blocks(dp->size);
    if (nb > FS_MAX_FILE_BLOCKS)
        nb = FS_MAX_FILE_BLOCKS;
    struct names l = { NULL, 0, 0 };
    if (nb == 0)
        problem("directory %u is empty (no \".\" and \"..\")", d);
    for (uint64_t f = 0; f < nb; f++) {
        uint32_t b = file_block(dp, f);
        if (b == 0) {
            problem("directory %u has a hole at block %llu", d, (unsigned long long)f);
            if (!fk.fix)
                continue;
            if ((b = fix_hole(d, dp, f)) == 0)
                break;
        }
        check_dirblock(d, f, (struct fs_dirent *)fk.blk[b], &l, q);
    }
    if (!fk.fix)
        check_unique(d, &l);
    free(l.v);
}

// -y: make the root an empty directory again (what it held is no longer
// reachable and is freed by check_links). Returns false if the disk is
// full.
static bool
fix_root(void)
{
    struct dinode *ip = inode(FS_ROOT_INUM);
    for (uint32_t b = 0; b < fk.sb.nblocks; b++)
        if (fk.owner[b] == FS_ROOT_INUM)
            fk.owner[b] = 0;
    memset(ip, 0, sizeof *ip);
    uint32_t b = take_block(FS_ROOT_INUM);
    if (b == 0) {
        fk.broken = true;
        return false;
    }
    dirblk_init(fk.blk[b], FS_ROOT_INUM, FS_ROOT_INUM);
    ip->type = FS_T_DIR;
    ip->nlink = 2;
    ip->size = FS_BLOCK_SIZE;
    ip->direct[0] = b;
    return true;
}

// Walk the tree from the root, breadth first; each directory is queued
// once (when its one name is found), so the queue needs ninodes slots.
static void
check_tree(void)
{
    if (inode(FS_ROOT_INUM)->type != FS_T_DIR) {
        problem("root inode %u is not a directory", FS_ROOT_INUM);
        if (!fk.fix || !fix_root())
            return;
    }
    struct queue q = { calloc(fk.sb.ninodes, sizeof(uint32_t)), 0, 0 };
    if (q.v == NULL)
        not_image("out of memory");
    fk.parent[FS_ROOT_INUM] = FS_ROOT_INUM;
    fk.reached[FS_ROOT_INUM] = true;
    q.v[q.tail++] = FS_ROOT_INUM;
    while (q.head < q.tail)
        check_dir(q.v[q.head++], &q);
    free(q.v);
}

// -y: free inode inum and the blocks it owns.
static void
free_inode(uint32_t inum)
{
    for (uint32_t b = fk.sb.data_start; b < fk.sb.nblocks; b++)
        if (fk.owner[b] == inum)
            fk.owner[b] = 0;
    memset(inode(inum), 0, FS_INODE_SIZE);
    fk.changed = true;
}

// Every used inode is reachable and has the right link count, except orphans
// (nlink 0: unlinked while open, freed at the next mount). -y frees the
// unreachable ones, orphans included, and sets the link counts.
static void
check_links(void)
{
    for (uint32_t i = 1; i < fk.sb.ninodes; i++) {
        struct dinode *ip = inode(i);
        if (ip->type == FS_T_FREE)
            continue;
        if (!fk.reached[i] && ip->nlink == 0) {
            if (!fk.quiet)
                printf("fsck: note: inode %u is an orphan (unlinked while open); %s\n", i,
                       fk.fix ? "freed" : "the file server frees it at mount");
        } else if (!fk.reached[i])
            problem("inode %u is in use but not reachable from the root", i);
        else if (ip->nlink != fk.refs[i])
            problem("inode %u: nlink is %u but %u directory entries name it",
                    i, ip->nlink, fk.refs[i]);
        if (fk.fix && !fk.reached[i]) {
            free_inode(i);
        } else if (fk.fix && ip->nlink != fk.refs[i]) {
            ip->nlink = (uint16_t)(fk.refs[i] > UINT16_MAX ? UINT16_MAX : fk.refs[i]);
            fk.changed = true;
        }
    }
}

// ---- bitmap ----------------------------------------------------------------

static void
check_bitmap(void)
{
    uint8_t *map = fk.blk[fk.sb.bitmap_start];          // areas are contiguous
    for (uint32_t b = 0; b < fk.sb.nblocks; b++) {
        bool used = fk.owner[b] != 0, marked = bitmap_get(map, b);
        if (used && !marked)
            problem("block %u is in use but free in the bitmap", b);
        else if (!used && marked)
            problem("block %u is marked in the bitmap but not in use", b);
        if (fk.fix && used != marked) {
            if (used)
                bitmap_set(map, b);
            else
                bitmap_clear(map, b);
            fk.changed = true;
        }
    }
    uint64_t end = (uint64_t)fk.sb.bitmap_blocks * FS_BITS_PER_BLOCK;
    for (uint64_t b = fk.sb.nblocks; b < end; b++) {
        if (bitmap_get(map, (uint32_t)b)) {
            problem("bitmap bit %llu (past the last block) is set",
                    (unsigned long long)b);
            if (fk.fix) {
                bitmap_clear(map, (uint32_t)b);
                fk.changed = true;
            }
        }
    }
}

// ---- --ls and --cat ---------------------------------------------------------

// Inode number of name[0..len) in directory d, or 0.
static uint32_t
dir_find(uint32_t d, const char *name, size_t len)
{
    const struct dinode *dp = inode(d);
    uint64_t nb = fs_size_blocks(dp->size);
    for (uint64_t f = 0; f < nb && f < FS_MAX_FILE_BLOCKS; f++) {
        uint32_t b = file_block(dp, f);
        if (b == 0)
            continue;
        const struct fs_dirent *de = (const void *)fk.blk[b];
        int s = dirblk_lookup(de, name, len);
        if (s >= 0 && fs_check_dirent(&de[s]) == 0 &&
            fs_inum_valid(&fk.sb, de[s].inum))
            return de[s].inum;
    }
    return 0;
}

// Inode number of the absolute or root-relative path, or 0.
static uint32_t
lookup_path(const char *path)
{
    uint32_t inum = FS_ROOT_INUM;
    while (*path != '\0') {
        const char *end = strchrnul(path, '/');
        if (end > path) {
            if (inode(inum)->type != FS_T_DIR)
                return 0;
            inum = dir_find(inum, path, (size_t)(end - path));
            if (inum == 0)
                return 0;
        }
        path = *end ? end + 1 : end;
    }
    return inum;
}

// Print the entries of directory d. Returns 0.
static int
list_dir(uint32_t d)
{
    const struct dinode *dp = inode(d);
    uint64_t nb = fs_size_blocks(dp->size);
    for (uint64_t f = 0; f < nb && f < FS_MAX_FILE_BLOCKS; f++) {
        uint32_t b = file_block(dp, f);
        const struct fs_dirent *de = (const void *)fk.blk[b];
        for (int s = b ? dirblk_next(de, 0) : -1; s >= 0; s = dirblk_next(de, s + 1)) {
            if (fs_check_dirent(&de[s]) < 0 || !fs_inum_valid(&fk.sb, de[s].inum))
                continue;
            const struct dinode *ip = inode(de[s].inum);
            printf("%u %s %u %llu %s\n", de[s].inum,
                   ip->type == FS_T_DIR ? "dir" : ip->type == FS_T_FILE ? "file" : "?",
                   ip->nlink, (unsigned long long)ip->size, de[s].name);
        }
    }
    return 0;
}

// Copy file inum to stdout. Returns 0, or 1 on a write error.
static int
cat_file(uint32_t inum)
{
    static const uint8_t zero[FS_BLOCK_SIZE];
    const struct dinode *ip = inode(inum);
    uint64_t size = ip->size < FS_MAX_FILE_SIZE ? ip->size : FS_MAX_FILE_SIZE;
    for (uint64_t off = 0; off < size; off += FS_BLOCK_SIZE) {
        uint32_t b = file_block(ip, off / FS_BLOCK_SIZE);
        size_t n = size - off < FS_BLOCK_SIZE ? (size_t)(size - off) : FS_BLOCK_SIZE;
        if (fwrite(b ? fk.blk[b] : zero, 1, n, stdout) != n)
            return 1;
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

// fsck IMAGE --ls|--cat PATH. Returns the exit status.
static int
extract(const char *op, const char *path)
{
    fk.report = stderr;
    load();
    replay_log();
    uint32_t inum = lookup_path(path);
    uint16_t type = inum ? inode(inum)->type : FS_T_FREE;
    if (strcmp(op, "--ls") == 0 && type == FS_T_DIR)
        return list_dir(inum);
    if (strcmp(op, "--cat") == 0 && type == FS_T_FILE)
        return cat_file(inum);
    fprintf(stderr, "fsck: %s: %s: %s\n", fk.path, path,
            inum == 0 ? "not found" : op[2] == 'l' ? "not a directory" : "not a file");
    return 1;
}

static void
usage(void)
{
    fprintf(stderr, "usage: fsck [-y] IMAGE | fsck IMAGE --ls PATH | fsck IMAGE --cat PATH\n");
    exit(2);
}

// fscheck's callback.
static void
mount_problem(void *ctx, const struct fscheck_problem *p)
{
    char buf[200];
    (void)ctx;
    problem("mount check: %s", fscheck_describe(p, buf, sizeof buf));
}

// The file server's mount check over the in-memory image.
static void
mount_check(void)
{
    static const struct blockdev dev = { mem_read, mem_write, NULL };
    void *map = malloc(fscheck_map_size(&fk.sb));
    void *work = malloc(fscheck_work_size(&fk.sb));
    if (map == NULL || work == NULL)
        not_image("out of memory");
    long n = fscheck_run(&fk.sb, &dev, map, work, mount_problem, NULL);
    if (n < 0)
        problem("mount check failed: %s", fs_strerror((int)n));
    free(map);
    free(work);
}

// One round of every pass over the in-memory image.
static void
check_all(void)
{
    memset(fk.owner, 0, (size_t)fk.sb.nblocks * sizeof *fk.owner);
    memset(fk.refs, 0, (size_t)fk.sb.ninodes * sizeof *fk.refs);
    memset(fk.parent, 0, (size_t)fk.sb.ninodes * sizeof *fk.parent);
    memset(fk.reached, 0, (size_t)fk.sb.ninodes * sizeof *fk.reached);
    fk.problems = 0;
    check_inodes();
    check_tree();
    check_links();
    check_bitmap();
    if (fk.problems == 0)
        mount_check();
}

// Write the in-memory image back to the file. Exits 2 on failure.
static void
write_back(void)
{
    int fd = open(fk.path, O_WRONLY);
    size_t n = (size_t)fk.sb.nblocks * FS_BLOCK_SIZE;
    const uint8_t *p = (const uint8_t *)fk.blk;
    for (size_t done = 0; fd >= 0 && done < n;) {
        ssize_t w = pwrite(fd, p + done, n - done, (off_t)done);
        if (w <= 0) {
            close(fd);
            fd = -1;
            break;
        }
        done += (size_t)w;
    }
    if (fd < 0 || fsync(fd) < 0 || close(fd) < 0)
        not_image("cannot write the repaired image: %s", strerror(errno));
}

// fsck -y: repair, write back, check again. Returns the exit status.
static int
repair(void)
{
    long found = fk.problems;       // the log's
    check_all();
    found += fk.problems;
    for (int round = 1; round < MAX_ROUNDS && fk.problems > 0; round++) {
        fk.quiet = true;
        check_all();
    }
    fk.quiet = true;
    fk.fix = false;
    check_all();                    // what is left, if anything
    if (fk.changed)
        write_back();
    if (found > MAX_SHOWN)
        printf("fsck: ... %ld more problems not shown\n", found - MAX_SHOWN);
    if (fk.problems > 0 || fk.broken) {
        printf("fsck: %s: %ld problem%s found; could not repair everything\n",
               fk.path, found, found == 1 ? "" : "s");
        return 1;
    }
    if (found > 0)
        printf("fsck: %s: %ld problem%s found and repaired\n", fk.path, found,
               found == 1 ? "" : "s");
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "-y") == 0) {
        fk.fix = true;
        argv++;
        argc--;
    }
    if (argc != 2 && argc != 4)
        usage();
    fk.path = argv[1];
    fk.report = stdout;
    if (argc == 4) {
        if (fk.fix || (strcmp(argv[2], "--ls") != 0 && strcmp(argv[2], "--cat") != 0))
            usage();
        return extract(argv[2], argv[3]);
    }
    load();
    replay_log();
    int rc = 0;
    if (fk.fix) {
        rc = repair();
    } else {
        check_all();
        if (fk.problems > MAX_SHOWN)
            printf("fsck: ... %ld more problems not shown\n", fk.problems - MAX_SHOWN);
    }
    if (rc == 0 && fk.problems > 0) {
        printf("fsck: %s: %ld problem%s\n", fk.path, fk.problems,
               fk.problems == 1 ? "" : "s");
        rc = 1;
    }
    if (rc == 0) {
        uint32_t used = 0, inodes = 0;
        for (uint32_t b = fk.sb.data_start; b < fk.sb.nblocks; b++)
            used += fk.owner[b] != 0;
        for (uint32_t i = 1; i < fk.sb.ninodes; i++)
            inodes += inode(i)->type != FS_T_FREE;
        printf("fsck: %s: %u of %u data blocks, %u of %u inodes in use\n", fk.path,
               used, fk.sb.data_blocks, inodes, fk.sb.ninodes - 1);
        printf("fsck: clean\n");
    }
    free(fk.blk);
    free(fk.owner);
    free(fk.refs);
    free(fk.parent);
    free(fk.reached);
    return rc;
}
