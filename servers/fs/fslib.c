// File-system logic shared by the file server, mkfs and fsck. See fslib.h
// for the contracts and fsformat.h for the on-disk format.
//
// Pure module: only <stdint.h>, <stddef.h> and <stdbool.h>; the few memory
// helpers it needs are below.

#include "fslib.h"

// ---- helpers -------------------------------------------------------------

static void
mem_zero(void *dst, size_t n)
{
    uint8_t *d = dst;
    while (n-- > 0)
        *d++ = 0;
}

static void
mem_copy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n-- > 0)
        *d++ = *s++;
}

// True if all n bytes at p are zero.
static bool
mem_is_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return false;
    return true;
}

static uint64_t
div_up(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

// ---- errors --------------------------------------------------------------

static const char *const errnames[FSE_NERRORS + 1] = {
    [0] = "success",
    [-FSE_MAGIC] = "bad magic number (not a file system image)",
    [-FSE_VERSION] = "unsupported file system version",
    [-FSE_BSIZE] = "block size is not 4096",
    [-FSE_SBRESERVED] = "reserved superblock fields are not zero",
    [-FSE_ROOT] = "bad root inode number",
    [-FSE_LOG] = "bad log area in superblock",
    [-FSE_INODES] = "bad inode table area in superblock",
    [-FSE_BITMAP] = "bad bitmap area in superblock",
    [-FSE_DATA] = "bad data area or block count in superblock",
    [-FSE_TRUNC] = "disk is smaller than the file system (truncated image)",
    [-FSE_NAME_EMPTY] = "empty name",
    [-FSE_NAME_LONG] = "name too long",
    [-FSE_NAME_SLASH] = "name contains '/'",
    [-FSE_NAME_NUL] = "name contains a NUL byte",
    [-FSE_EXIST] = "name already exists",
    [-FSE_NOENT] = "no such entry",
    [-FSE_DIRFULL] = "directory block full",
    [-FSE_DIRENT] = "malformed directory entry",
    [-FSE_RANGE] = "block or offset out of range",
    [-FSE_ITYPE] = "inode has a bad type",
    [-FSE_ISIZE] = "inode has a bad size",
    [-FSE_IBLOCK] = "inode points outside the data area",
    [-FSE_IBEYOND] = "inode maps blocks beyond its size",
    [-FSE_INLINK] = "inode in use with link count 0",
    [-FSE_IFREE] = "free inode is not zeroed",
    [-FSE_LOGSTATE] = "log call out of order",
    [-FSE_LOGFULL] = "transaction too large for the log",
    [-FSE_BADLOG] = "corrupt log header",
    [-FSE_IO] = "block device error",
    [-FSE_INVAL] = "invalid argument",
    [-FSE_IRESERVED] = "inode reserved fields are not zero",
};

const char *
fs_strerror(int err)
{
    if (err > 0 || err < -FSE_NERRORS || errnames[-err] == NULL)
        return "unknown error";
    return errnames[-err];
}

// ---- superblock ----------------------------------------------------------

int
fs_layout(struct superblock *sb, uint32_t nblocks, uint32_t ninodes,
          uint32_t log_blocks)
{
    if (log_blocks == 0 || log_blocks > FS_LOG_MAX)
        return FSE_LOG;
    if (ninodes < 2 || ninodes > UINT32_MAX - FS_INODES_PER_BLOCK)
        return FSE_INODES;
    mem_zero(sb, sizeof *sb);
    sb->magic = FS_MAGIC;
    sb->version = FS_VERSION;
    sb->block_size = FS_BLOCK_SIZE;
    sb->nblocks = nblocks;
    sb->log_start = FS_LOG_START;
    sb->log_blocks = log_blocks;
    sb->inode_start = FS_LOG_START + 1 + log_blocks;
    sb->inode_blocks = (uint32_t)div_up(ninodes, FS_INODES_PER_BLOCK);
    sb->ninodes = sb->inode_blocks * FS_INODES_PER_BLOCK;
    sb->bitmap_blocks = (uint32_t)div_up(nblocks, FS_BITS_PER_BLOCK);
    uint64_t bstart = (uint64_t)sb->inode_start + sb->inode_blocks;
    uint64_t dstart = bstart + sb->bitmap_blocks;
    if (dstart >= nblocks)
        return FSE_DATA;
    sb->bitmap_start = (uint32_t)bstart;
    sb->data_start = (uint32_t)dstart;
    sb->data_blocks = nblocks - sb->data_start;
    sb->root_inum = FS_ROOT_INUM;
    return 0;
}

// The area checks of fs_check_super, in on-disk order. Sums are done in
// 64 bits so that hostile values cannot wrap around.
static int
check_areas(const struct superblock *sb)
{
    if (sb->log_start != FS_LOG_START || sb->log_blocks == 0 ||
        sb->log_blocks > FS_LOG_MAX)
        return FSE_LOG;
    if (sb->inode_start != (uint64_t)sb->log_start + 1 + sb->log_blocks ||
        sb->inode_blocks == 0 ||
        (uint64_t)sb->inode_blocks * FS_INODES_PER_BLOCK != sb->ninodes ||
        sb->ninodes <= sb->root_inum)
        return FSE_INODES;
    if (sb->bitmap_start != (uint64_t)sb->inode_start + sb->inode_blocks ||
        sb->bitmap_blocks != div_up(sb->nblocks, FS_BITS_PER_BLOCK))
        return FSE_BITMAP;
    if (sb->data_start != (uint64_t)sb->bitmap_start + sb->bitmap_blocks ||
        sb->data_start >= sb->nblocks ||
        sb->data_blocks != sb->nblocks - sb->data_start)
        return FSE_DATA;
    return 0;
}

int
fs_check_super(const struct superblock *sb, uint64_t disk_blocks)
{
    if (sb->magic != FS_MAGIC)
        return FSE_MAGIC;
    if (sb->version != FS_VERSION)
        return FSE_VERSION;
    if (sb->block_size != FS_BLOCK_SIZE)
        return FSE_BSIZE;
    if (!mem_is_zero(sb->reserved, sizeof sb->reserved))
        return FSE_SBRESERVED;
    if (sb->root_inum != FS_ROOT_INUM)
        return FSE_ROOT;
    int err = check_areas(sb);
    if (err < 0)
        return err;
    if (sb->nblocks > disk_blocks)
        return FSE_TRUNC;
    return 0;
}

// ---- inodes --------------------------------------------------------------

bool
fs_inum_valid(const struct superblock *sb, uint32_t inum)
{
    return inum >= 1 && inum < sb->ninodes;
}

uint32_t
fs_inode_block(const struct superblock *sb, uint32_t inum)
{
    return sb->inode_start + inum / FS_INODES_PER_BLOCK;
}

uint32_t
fs_inode_offset(uint32_t inum)
{
    return (inum % FS_INODES_PER_BLOCK) * FS_INODE_SIZE;
}

bool
fs_data_block_valid(const struct superblock *sb, uint32_t b)
{
    return b >= sb->data_start && b < sb->nblocks;
}

uint64_t
fs_size_blocks(uint64_t size)
{
    return size / FS_BLOCK_SIZE + (size % FS_BLOCK_SIZE != 0);
}

// Returns FSE_IBLOCK if b is neither 0 nor a data block, else 0.
static int
check_ptr(const struct superblock *sb, uint32_t b)
{
    return (b == 0 || fs_data_block_valid(sb, b)) ? 0 : FSE_IBLOCK;
}

// Pointer checks of fs_check_inode. Returns 0, FSE_IBLOCK or FSE_IBEYOND.
static int
check_inode_ptrs(const struct superblock *sb, const struct dinode *ip)
{
    uint64_t nb = fs_size_blocks(ip->size);
    for (uint32_t i = 0; i < FS_NDIRECT; i++) {
        if (check_ptr(sb, ip->direct[i]) < 0)
            return FSE_IBLOCK;
        if (ip->direct[i] != 0 && i >= nb)
            return FSE_IBEYOND;
    }
    if (check_ptr(sb, ip->indirect) < 0 || check_ptr(sb, ip->dindirect) < 0)
        return FSE_IBLOCK;
    if (ip->indirect != 0 && nb <= FS_IND_FIRST)
        return FSE_IBEYOND;
    if (ip->dindirect != 0 && nb <= FS_DIND_FIRST)
        return FSE_IBEYOND;
    return 0;
}

int
fs_check_inode(const struct superblock *sb, const struct dinode *ip)
{
    if (ip->type == FS_T_FREE)
        return mem_is_zero(ip, sizeof *ip) ? 0 : FSE_IFREE;
    if (ip->type != FS_T_FILE && ip->type != FS_T_DIR)
        return FSE_ITYPE;
    if (ip->nlink == 0)
        return FSE_INLINK;
    if (ip->size > FS_MAX_FILE_SIZE)
        return FSE_ISIZE;
    if (ip->type == FS_T_DIR &&
        (ip->size == 0 || ip->size % FS_BLOCK_SIZE != 0))
        return FSE_ISIZE;
    if (ip->flags != 0 || !mem_is_zero(ip->reserved, sizeof ip->reserved))
        return FSE_IRESERVED;
    return check_inode_ptrs(sb, ip);
}

// ---- block map -----------------------------------------------------------

int
fs_bmap(uint64_t fbn, struct fs_bmap *m)
{
    if (fbn < FS_IND_FIRST) {
        m->level = 0;
        m->slot[0] = (uint32_t)fbn;
        m->slot[1] = 0;
    } else if (fbn < FS_DIND_FIRST) {
        m->level = 1;
        m->slot[0] = (uint32_t)(fbn - FS_IND_FIRST);
        m->slot[1] = 0;
    } else if (fbn < FS_MAX_FILE_BLOCKS) {
        uint64_t g = fbn - FS_DIND_FIRST;
        m->level = 2;
        m->slot[0] = (uint32_t)(g / FS_NINDIRECT);
        m->slot[1] = (uint32_t)(g % FS_NINDIRECT);
    } else {
        return FSE_RANGE;
    }
    return m->level;
}

uint32_t
fs_ind_get(const void *blk, uint32_t slot)
{
    return ((const uint32_t *)blk)[slot];
}

void
fs_ind_set(void *blk, uint32_t slot, uint32_t b)
{
    ((uint32_t *)blk)[slot] = b;
}

// ---- bitmap --------------------------------------------------------------

bool
bitmap_get(const uint8_t *map, uint32_t i)
{
    return (map[i / 8] >> (i % 8)) & 1;
}

void
bitmap_set(uint8_t *map, uint32_t i)
{
    map[i / 8] |= (uint8_t)(1u << (i % 8));
}

void
bitmap_clear(uint8_t *map, uint32_t i)
{
    map[i / 8] &= (uint8_t)~(1u << (i % 8));
}

int64_t
bitmap_find_clear(const uint8_t *map, uint32_t start, uint32_t nbits)
{
    uint32_t i = start;
    while (i < nbits) {
        if (i % 8 == 0 && map[i / 8] == 0xff) {     // skip full bytes
            i += 8;
            continue;
        }
        if (!bitmap_get(map, i))
            return i;
        i++;
    }
    return -1;
}

uint32_t
fs_bitmap_block(const struct superblock *sb, uint32_t b)
{
    return sb->bitmap_start + b / FS_BITS_PER_BLOCK;
}

uint32_t
fs_bitmap_bit(uint32_t b)
{
    return b % FS_BITS_PER_BLOCK;
}

uint32_t
fs_bitmap_nbits(const struct superblock *sb, uint32_t i)
{
    if (i >= sb->bitmap_blocks)
        return 0;
    uint64_t first = (uint64_t)i * FS_BITS_PER_BLOCK;
    uint64_t left = sb->nblocks - first;
    return left < FS_BITS_PER_BLOCK ? (uint32_t)left : FS_BITS_PER_BLOCK;
}

// ---- names and directory blocks -------------------------------------------

int
fs_check_name(const char *name, size_t len)
{
    if (len == 0)
        return FSE_NAME_EMPTY;
    if (len > FS_NAME_MAX)
        return FSE_NAME_LONG;
    for (size_t i = 0; i < len; i++) {
        if (name[i] == '/')
            return FSE_NAME_SLASH;
        if (name[i] == '\0')
            return FSE_NAME_NUL;
    }
    return 0;
}

bool
fs_name_is_dot(const char *name, size_t len)
{
    return (len == 1 && name[0] == '.') ||
           (len == 2 && name[0] == '.' && name[1] == '.');
}

size_t
fs_dirent_namelen(const struct fs_dirent *de)
{
    size_t n = 0;
    while (n < sizeof de->name && de->name[n] != '\0')
        n++;
    return n;
}

int
fs_check_dirent(const struct fs_dirent *de)
{
    if (de->inum == 0)
        return mem_is_zero(de, sizeof *de) ? 0 : FSE_DIRENT;
    size_t n = fs_dirent_namelen(de);
    if (n > FS_NAME_MAX || fs_check_name(de->name, n) < 0)
        return FSE_DIRENT;
    if (!mem_is_zero(de->name + n, sizeof de->name - n))
        return FSE_DIRENT;
    return 0;
}

// Fill entry de with (name, inum), NUL-padded. len <= FS_NAME_MAX.
static void
dirent_set(struct fs_dirent *de, const char *name, size_t len, uint32_t inum)
{
    mem_zero(de, sizeof *de);
    de->inum = inum;
    mem_copy(de->name, name, len);
}

// True if used entry de is named exactly name[0..len).
static bool
dirent_named(const struct fs_dirent *de, const char *name, size_t len)
{
    if (de->inum == 0 || len > FS_NAME_MAX || de->name[len] != '\0')
        return false;
    for (size_t i = 0; i < len; i++)
        if (de->name[i] != name[i])
            return false;
    return true;
}

void
dirblk_init(void *blk, uint32_t self, uint32_t parent)
{
    struct fs_dirent *de = blk;
    mem_zero(blk, FS_BLOCK_SIZE);
    dirent_set(&de[0], ".", 1, self);
    dirent_set(&de[1], "..", 2, parent);
}

int
dirblk_lookup(const void *blk, const char *name, size_t len)
{
    const struct fs_dirent *de = blk;
    if (fs_check_name(name, len) < 0)
        return FSE_NOENT;
    for (uint32_t i = 0; i < FS_DIRENTS_PER_BLOCK; i++)
        if (dirent_named(&de[i], name, len))
            return (int)i;
    return FSE_NOENT;
}

int
dirblk_add(void *blk, const char *name, size_t len, uint32_t inum)
{
    struct fs_dirent *de = blk;
    int err = fs_check_name(name, len);
    if (err < 0)
        return err;
    if (inum == 0)
        return FSE_INVAL;
    if (dirblk_lookup(blk, name, len) >= 0)
        return FSE_EXIST;
    for (uint32_t i = 0; i < FS_DIRENTS_PER_BLOCK; i++) {
        if (de[i].inum == 0) {
            dirent_set(&de[i], name, len, inum);
            return (int)i;
        }
    }
    return FSE_DIRFULL;
}

int
dirblk_remove(void *blk, const char *name, size_t len, uint32_t *inum)
{
    struct fs_dirent *de = blk;
    int slot = dirblk_lookup(blk, name, len);
    if (slot < 0)
        return slot;
    if (inum != NULL)
        *inum = de[slot].inum;
    mem_zero(&de[slot], sizeof de[slot]);
    return slot;
}

int
dirblk_next(const void *blk, int slot)
{
    const struct fs_dirent *de = blk;
    for (int i = slot < 0 ? 0 : slot; i < (int)FS_DIRENTS_PER_BLOCK; i++)
        if (de[i].inum != 0)
            return i;
    return FSE_NOENT;
}

uint32_t
dirblk_count(const void *blk)
{
    const struct fs_dirent *de = blk;
    uint32_t n = 0;
    for (uint32_t i = 0; i < FS_DIRENTS_PER_BLOCK; i++)
        n += de[i].inum != 0;
    return n;
}

// ---- write-ahead log -----------------------------------------------------

// True if h is a plausible header for a log of size blocks whose home
// blocks must lie in [lo, hi).
static bool
header_ok(const struct logheader *h, uint32_t size, uint32_t lo, uint32_t hi)
{
    if (h->count > size || h->count > FS_LOG_MAX)
        return false;
    for (uint32_t i = 0; i < h->count; i++)
        if (h->home[i] < lo || h->home[i] >= hi)
            return false;
    return true;
}

int
log_check_header(const struct superblock *sb, const struct logheader *h)
{
    return header_ok(h, sb->log_blocks, sb->inode_start, sb->nblocks)
        ? 0 : FSE_BADLOG;
}

int
log_init(struct fslog *lg, const struct blockdev *dev,
         const struct superblock *sb, void *bufs, uint32_t nbufs)
{
    if (dev == NULL || sb == NULL || bufs == NULL || nbufs == 0)
        return FSE_INVAL;
    mem_zero(lg, sizeof *lg);
    lg->dev = dev;
    lg->start = sb->log_start;
    lg->size = sb->log_blocks;
    lg->cap = nbufs < sb->log_blocks ? nbufs : sb->log_blocks;
    lg->lo = sb->inode_start;
    lg->hi = sb->nblocks;
    lg->buf = bufs;
    return 0;
}

// Write the in-memory header with count n. Returns 0 or FSE_IO.
static int
write_header(struct fslog *lg, uint32_t n)
{
    lg->hdr.h.count = n;
    int r = lg->dev->write(lg->dev->ctx, lg->start, lg->hdr.raw);
    return r < 0 ? FSE_IO : 0;
}

// Forget the header contents (count and homes).
static void
clear_header(struct fslog *lg)
{
    mem_zero(lg->hdr.raw, sizeof lg->hdr.raw);
}

int
log_recover(struct fslog *lg)
{
    if (lg->active)
        return FSE_LOGSTATE;
    const struct blockdev *d = lg->dev;
    if (d->read(d->ctx, lg->start, lg->hdr.raw) < 0)
        return FSE_IO;
    if (!header_ok(&lg->hdr.h, lg->size, lg->lo, lg->hi)) {
        clear_header(lg);
        return FSE_BADLOG;
    }
    uint32_t n = lg->hdr.h.count;
    for (uint32_t i = 0; i < n; i++) {
        if (d->read(d->ctx, lg->start + 1 + i, lg->buf[0]) < 0 ||
            d->write(d->ctx, lg->hdr.h.home[i], lg->buf[0]) < 0) {
            clear_header(lg);
            return FSE_IO;
        }
    }
    int err = 0;
    if (n > 0) {
        clear_header(lg);
        err = write_header(lg, 0);
    }
    clear_header(lg);
    return err < 0 ? err : (int)n;
}

int
log_begin(struct fslog *lg)
{
    if (lg->active)
        return FSE_LOGSTATE;
    lg->active = true;
    lg->n = 0;
    clear_header(lg);
    return 0;
}

// Index of blockno among the pending blocks, or -1.
static int
pending_index(const struct fslog *lg, uint64_t blockno)
{
    for (uint32_t i = 0; i < lg->n; i++)
        if (lg->hdr.h.home[i] == blockno)
            return (int)i;
    return -1;
}

int
log_write(struct fslog *lg, uint64_t blockno, const void *data)
{
    if (!lg->active)
        return FSE_LOGSTATE;
    if (blockno < lg->lo || blockno >= lg->hi)
        return FSE_RANGE;
    int i = pending_index(lg, blockno);
    if (i < 0) {
        if (lg->n >= lg->cap)
            return FSE_LOGFULL;
        i = (int)lg->n++;
        lg->hdr.h.home[i] = (uint32_t)blockno;
    }
    mem_copy(lg->buf[i], data, FS_BLOCK_SIZE);
    return 0;
}

const void *
log_pending(const struct fslog *lg, uint64_t blockno)
{
    if (!lg->active)
        return NULL;
    int i = pending_index(lg, blockno);
    return i < 0 ? NULL : lg->buf[i];
}

int
log_read(const struct fslog *lg, uint64_t blockno, void *buf)
{
    const void *p = log_pending(lg, blockno);
    if (p != NULL) {
        mem_copy(buf, p, FS_BLOCK_SIZE);
        return 0;
    }
    return lg->dev->read(lg->dev->ctx, blockno, buf) < 0 ? FSE_IO : 0;
}

uint32_t
log_room(const struct fslog *lg)
{
    return lg->active ? lg->cap - lg->n : lg->cap;
}

void
log_abort(struct fslog *lg)
{
    lg->active = false;
    lg->n = 0;
    clear_header(lg);
}

// Steps 1-4 of a commit of the n > 0 pending blocks. Returns 0 or FSE_IO.
static int
commit_blocks(struct fslog *lg)
{
    const struct blockdev *d = lg->dev;
    for (uint32_t i = 0; i < lg->n; i++)
        if (d->write(d->ctx, lg->start + 1 + i, lg->buf[i]) < 0)
            return FSE_IO;
    if (write_header(lg, lg->n) < 0)                // the commit point
        return FSE_IO;
    for (uint32_t i = 0; i < lg->n; i++)
        if (d->write(d->ctx, lg->hdr.h.home[i], lg->buf[i]) < 0)
            return FSE_IO;
    clear_header(lg);
    return write_header(lg, 0);
}

int
log_commit(struct fslog *lg)
{
    if (!lg->active)
        return FSE_LOGSTATE;
    int err = lg->n > 0 ? commit_blocks(lg) : 0;
    log_abort(lg);
    return err;
}
