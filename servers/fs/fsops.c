// File-system operations: see fsops.h for the contracts, fsformat.h for the
// on-disk format and fslib.h for the log.
//
// Structure, bottom up: memory helpers; the metadata cache and block
// access (bpeek sees the open transaction's copy first); transactions;
// inodes; the block bitmap; the block map (walk, allocate, free from the
// end); directories; path resolution; and the operations.
//
// Scratch blocks. Functions that must build a whole block before log_write
// use one of the FS_NSCRATCH scratch blocks, each owned by one layer so
// that nested calls never share one:
//   SC_INODE   iput                SC_BITMAP  bitmap_mark
//   SC_IND0    indirect block edits (bmap_alloc, shrink_ind_block)
//   SC_IND1    the double-indirect block while one of its indirect blocks
//              is edited (shrink_dind, count_blocks)
//   SC_DIR     directory edits, the inode scan at mount
//   SC_DATA    partial file blocks

#include "fsops.h"
#include "fscheck.h"

#include "abi.h"    // only to check that the FS_E* numbers are the system's

_Static_assert(FS_EPERM == EPERM && FS_ENOENT == ENOENT && FS_EIO == EIO &&
               FS_ENOMEM == ENOMEM && FS_EBUSY == EBUSY &&
               FS_EEXIST == EEXIST && FS_ENOTDIR == ENOTDIR &&
               FS_EISDIR == EISDIR && FS_EINVAL == EINVAL &&
               FS_EFBIG == EFBIG && FS_ENOSPC == ENOSPC &&
               FS_ENAMETOOLONG == ENAMETOOLONG && FS_ENOTEMPTY == ENOTEMPTY &&
               FS_EROFS == EROFS,
               "FS_E* must equal the errno values of abi/abi.def");

enum { SC_INODE, SC_BITMAP, SC_IND0, SC_IND1, SC_DIR, SC_DATA };

// Log room (blocks) one step of these needs, worst case, counting blocks
// that may not be in the transaction yet:
//   WRITE_ROOM  one file block written: the data block, a new indirect and
//               a new or changed double-indirect block, 3 bitmap blocks,
//               the inode block;
//   FREE_ROOM   one block freed: its bitmap block, then possibly an
//               indirect block rewritten or freed (bitmap), the
//               double-indirect block rewritten or freed (bitmap), the
//               inode block and a tail block zeroed.
// The namespace operations need at most 10 (mkdir growing its parent into
// a new double-indirect block); fs_mount insists on FS_TX_MIN.
#define WRITE_ROOM  8u
#define FREE_ROOM   8u

#define BS          FS_BLOCK_SIZE

typedef uint64_t __attribute__((may_alias)) word_t;

static const uint8_t zero_block[FS_BLOCK_SIZE];

// ---- memory helpers ----------------------------------------------------------

static void
mem_copy(void *dst, const void *src, size_t n)
{
    if ((((uintptr_t)dst | (uintptr_t)src | n) & 7) == 0) {
        word_t *d = dst;
        const word_t *s = src;
        for (size_t i = 0; i < n / 8; i++)
            d[i] = s[i];
        return;
    }
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n-- > 0)
        *d++ = *s++;
}

static void
mem_zero(void *dst, size_t n)
{
    uint8_t *d = dst;
    while (n-- > 0)
        *d++ = 0;
}

static uint64_t
min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static uint64_t
max64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

// ---- the metadata cache --------------------------------------------------------
// Holds committed copies of metadata blocks; the open transaction's changes
// live in the log buffers until commit, when cache_absorb copies them in.

// Slot caching block b, or -1.
static int
cache_find(const struct fs *fs, uint32_t b)
{
    for (uint32_t i = 0; i < fs->ncache; i++)
        if (fs->cslot[i].valid && fs->cslot[i].blockno == b)
            return (int)i;
    return -1;
}

// A slot to reuse: an empty one, else the least recently used.
static int
cache_victim(const struct fs *fs)
{
    uint32_t v = 0;
    for (uint32_t i = 0; i < fs->ncache; i++) {
        if (!fs->cslot[i].valid)
            return (int)i;
        if (fs->cslot[i].stamp < fs->cslot[v].stamp)
            v = i;
    }
    return (int)v;
}

// Drop block b from the cache (it is about to get a new use).
static void
cache_forget(struct fs *fs, uint32_t b)
{
    int i = cache_find(fs, b);
    if (i >= 0)
        fs->cslot[i].valid = 0;
}

static void
cache_drop_all(struct fs *fs)
{
    for (uint32_t i = 0; i < fs->ncache; i++)
        fs->cslot[i].valid = 0;
}

// Copy the open transaction's new contents into the cached blocks.
static void
cache_absorb(struct fs *fs)
{
    for (uint32_t i = 0; i < fs->ncache; i++) {
        if (!fs->cslot[i].valid)
            continue;
        const void *p = log_pending(&fs->log, fs->cslot[i].blockno);
        if (p != NULL)
            mem_copy(fs->cblk[i], p, BS);
    }
}

// ---- block access --------------------------------------------------------------

// Point *out at the current contents of metadata block b: the open
// transaction's copy, else the cached one (read from disk on a miss). The
// pointer is good until the next bpeek or bwrite. Returns 0 or -FS_EIO
// (read error, or b past the end of the disk).
static int
bpeek(struct fs *fs, uint32_t b, const uint8_t **out)
{
    if (b >= fs->sb.nblocks)
        return -FS_EIO;
    const void *p = log_pending(&fs->log, b);
    if (p != NULL) {
        *out = p;
        return 0;
    }
    int i = cache_find(fs, b);
    if (i < 0) {
        i = cache_victim(fs);
        fs->cslot[i].valid = 0;
        if (fs->dev->read(fs->dev->ctx, b, fs->cblk[i]) < 0)
            return -FS_EIO;
        fs->cslot[i].blockno = b;
        fs->cslot[i].valid = 1;
    }
    fs->cslot[i].stamp = ++fs->tick;
    *out = fs->cblk[i];
    return 0;
}

// Read file data block b into buf, bypassing the cache. Returns 0 or
// -FS_EIO.
static int
bread_data(struct fs *fs, uint32_t b, void *buf)
{
    const void *p = log_pending(&fs->log, b);
    if (p != NULL) {
        mem_copy(buf, p, BS);
        return 0;
    }
    return fs->dev->read(fs->dev->ctx, b, buf) < 0 ? -FS_EIO : 0;
}

// Put the new contents of block b in the open transaction. Returns 0 or
// -FS_EIO (also for a full log, which the room checks rule out).
static int
bwrite(struct fs *fs, uint32_t b, const void *data)
{
    return log_write(&fs->log, b, data) < 0 ? -FS_EIO : 0;
}

// ---- transactions ----------------------------------------------------------------

// Open a transaction, first recovering the log if a commit failed.
// Returns 0, -FS_EROFS (a read-only mount: nothing may be written) or
// -FS_EIO.
static int
tx_begin(struct fs *fs)
{
    if (fs->readonly)
        return -FS_EROFS;
    if (fs->broken) {
        cache_drop_all(fs);
        if (log_recover(&fs->log) < 0)
            return -FS_EIO;
        fs->broken = false;
    }
    return log_begin(&fs->log) < 0 ? -FS_EIO : 0;
}

// The blocks the open transaction frees (bitmap bits going from 1 to 0)
// are no longer owned: clear them in the allocator's map. The old bits
// come from the cache (committed copies) or the disk; if the read fails
// the map keeps them, and the blocks stay unused until the next mount.
static void
owned_commit(struct fs *fs)
{
    size_t mapbytes = FS_MAP_BYTES(fs->sb.nblocks);
    for (uint32_t k = 0; k < fs->log.n; k++) {
        uint32_t bb = fs->log.hdr.h.home[k];
        if (bb < fs->sb.bitmap_start || bb >= fs->sb.data_start)
            continue;
        const uint8_t *now = log_pending(&fs->log, bb), *old;
        int i = cache_find(fs, bb);
        if (i >= 0)
            old = fs->cblk[i];
        else if (fs->dev->read(fs->dev->ctx, bb, fs->scratch[SC_BITMAP]) == 0)
            old = fs->scratch[SC_BITMAP];
        else
            continue;
        size_t base = (size_t)(bb - fs->sb.bitmap_start) * BS;
        for (size_t j = 0; j < BS && base + j < mapbytes; j++)
            fs->owned[base + j] &= (uint8_t)~(old[j] & ~now[j]);
    }
}

// Commit the open transaction. Returns 0 or -FS_EIO (the disk then holds
// the old state or a committed log, which the next tx_begin replays).
static int
tx_commit(struct fs *fs)
{
    owned_commit(fs);
    cache_absorb(fs);
    if (log_commit(&fs->log) < 0) {
        cache_drop_all(fs);
        fs->broken = true;
        return -FS_EIO;
    }
    return 0;
}

static void
tx_abort(struct fs *fs)
{
    log_abort(&fs->log);
}

// Commit if r is 0, else abort. Returns r or the commit's error.
static int
tx_end(struct fs *fs, int r)
{
    if (r < 0) {
        tx_abort(fs);
        return r;
    }
    return tx_commit(fs);
}

// True if the open transaction has room for need more blocks.
static bool
tx_room(const struct fs *fs, uint32_t need)
{
    return log_room(&fs->log) >= need;
}

// ---- inodes ------------------------------------------------------------------------

// Copy inode inum into *ip. Returns 0, -FS_EINVAL (inum out of range) or
// -FS_EIO.
static int
iget(struct fs *fs, uint32_t inum, struct dinode *ip)
{
    const uint8_t *p;
    if (!fs_inum_valid(&fs->sb, inum))
        return -FS_EINVAL;
    int r = bpeek(fs, fs_inode_block(&fs->sb, inum), &p);
    if (r < 0)
        return r;
    mem_copy(ip, p + fs_inode_offset(inum), sizeof *ip);
    return 0;
}

// iget for an inode in use. Returns 0, -FS_ENOENT (free) or iget's errors.
static int
iget_used(struct fs *fs, uint32_t inum, struct dinode *ip)
{
    int r = iget(fs, inum, ip);
    if (r == 0 && ip->type == FS_T_FREE)
        r = -FS_ENOENT;
    return r;
}

// iget for a regular file. Returns 0, -FS_EISDIR or iget_used's errors.
static int
iget_file(struct fs *fs, uint32_t inum, struct dinode *ip)
{
    int r = iget_used(fs, inum, ip);
    if (r == 0 && ip->type != FS_T_FILE)
        r = -FS_EISDIR;
    return r;
}

// Store *ip as inode inum in the open transaction. Returns 0 or -FS_EIO.
static int
iput(struct fs *fs, uint32_t inum, const struct dinode *ip)
{
    const uint8_t *p;
    uint32_t b = fs_inode_block(&fs->sb, inum);
    int r = bpeek(fs, b, &p);
    if (r < 0)
        return r;
    uint8_t *buf = fs->scratch[SC_INODE];
    mem_copy(buf, p, BS);
    mem_copy(buf + fs_inode_offset(inum), ip, sizeof *ip);
    return bwrite(fs, b, buf);
}

// Set the modification time if the caller keeps a clock.
static void
touch(const struct fs *fs, struct dinode *ip)
{
    if (fs->now != 0)
        ip->mtime = fs->now;
}

// Claim a free inode as a new one of the given type and link count (size
// 0, no blocks), searching from the hint; *ip gets its contents. Returns
// 0 with *inum, -FS_ENOSPC or -FS_EIO.
static int
ialloc(struct fs *fs, uint16_t type, uint16_t nlink, uint32_t *inum,
       struct dinode *ip)
{
    uint32_t nblk = fs->sb.inode_blocks;
    uint32_t first = (fs->ihint / FS_INODES_PER_BLOCK) % nblk;
    for (uint32_t k = 0; k < nblk; k++) {
        uint32_t bi = (first + k) % nblk;
        const uint8_t *p;
        int r = bpeek(fs, fs->sb.inode_start + bi, &p);
        if (r < 0)
            return r;
        for (uint32_t j = 0; j < FS_INODES_PER_BLOCK; j++) {
            uint32_t i = bi * FS_INODES_PER_BLOCK + j;
            const struct dinode *d = (const void *)(p + j * FS_INODE_SIZE);
            if (i == 0 || d->type != FS_T_FREE)
                continue;
            mem_zero(ip, sizeof *ip);
            ip->type = type;
            ip->nlink = nlink;
            touch(fs, ip);
            fs->ihint = i + 1;
            *inum = i;
            return iput(fs, i, ip);
        }
    }
    return -FS_ENOSPC;
}

// ---- the block bitmap --------------------------------------------------------------

// First free block in [lo, hi). Returns 0 with *out, -FS_ENOSPC or
// -FS_EIO.
static int
bitmap_search(struct fs *fs, uint32_t lo, uint32_t hi, uint32_t *out)
{
    for (uint32_t i = lo / FS_BITS_PER_BLOCK;
         (uint64_t)i * FS_BITS_PER_BLOCK < hi; i++) {
        const uint8_t *p;
        int r = bpeek(fs, fs->sb.bitmap_start + i, &p);
        if (r < 0)
            return r;
        uint32_t base = i * FS_BITS_PER_BLOCK;
        uint32_t start = lo > base ? lo - base : 0;
        uint32_t end = (uint32_t)min64(hi - base, fs_bitmap_nbits(&fs->sb, i));
        int64_t f = bitmap_find_clear(p, start, end);
        if (f >= 0) {
            *out = base + (uint32_t)f;
            return 0;
        }
    }
    return -FS_ENOSPC;
}

// Mark block b used or free in the open transaction. Returns 0 or -FS_EIO.
static int
bitmap_mark(struct fs *fs, uint32_t b, bool used)
{
    const uint8_t *p;
    uint32_t bb = fs_bitmap_block(&fs->sb, b);
    int r = bpeek(fs, bb, &p);
    if (r < 0)
        return r;
    uint8_t *buf = fs->scratch[SC_BITMAP];
    mem_copy(buf, p, BS);
    if (used)
        bitmap_set(buf, fs_bitmap_bit(b));
    else
        bitmap_clear(buf, fs_bitmap_bit(b));
    return bwrite(fs, bb, buf);
}

// First block in [lo, hi) that is free in the bitmap and that no inode
// owns (fs->owned: a block the bitmap calls free by mistake is skipped).
// Returns 0 with *out, -FS_ENOSPC or -FS_EIO.
static int
free_search(struct fs *fs, uint32_t lo, uint32_t hi, uint32_t *out)
{
    while (lo < hi) {
        int r = bitmap_search(fs, lo, hi, out);
        if (r < 0 || !bitmap_get(fs->owned, *out))
            return r;
        lo = *out + 1;
    }
    return -FS_ENOSPC;
}

// Allocate a data block (its contents are not touched) and note it in
// the map of owned blocks. Returns 0 with *out, -FS_ENOSPC or -FS_EIO.
static int
balloc(struct fs *fs, uint32_t *out)
{
    uint32_t lo = fs->sb.data_start, hi = fs->sb.nblocks;
    uint32_t hint = fs->bhint >= lo && fs->bhint < hi ? fs->bhint : lo;
    int r = free_search(fs, hint, hi, out);
    if (r == -FS_ENOSPC && hint > lo)
        r = free_search(fs, lo, hint, out);
    if (r < 0)
        return r;
    fs->bhint = *out + 1;
    bitmap_set(fs->owned, *out);
    cache_forget(fs, *out);
    return bitmap_mark(fs, *out, true);
}

// Free data block b. Returns 0 or -FS_EIO (also if b is not a data block).
static int
bfree(struct fs *fs, uint32_t b)
{
    if (!fs_data_block_valid(&fs->sb, b))
        return -FS_EIO;
    return bitmap_mark(fs, b, false);
}

// ---- the block map: lookup and allocation ----------------------------------------------

// The path to one file block: blk[0] is the inode's pointer (direct slot,
// indirect or double-indirect), blk[i + 1] is slot m.slot[i] of block
// blk[i]. Entries after the first 0 are 0.
struct chain {
    int level;
    struct fs_bmap m;
    uint32_t blk[3];
};

// The inode's pointer at the top of chain c.
static uint32_t *
chain_root(struct dinode *ip, const struct chain *c)
{
    if (c->level == 0)
        return &ip->direct[c->m.slot[0]];
    return c->level == 1 ? &ip->indirect : &ip->dindirect;
}

// Its value.
static uint32_t
chain_root_get(const struct dinode *ip, const struct chain *c)
{
    if (c->level == 0)
        return ip->direct[c->m.slot[0]];
    return c->level == 1 ? ip->indirect : ip->dindirect;
}

// Walk ip's block map towards file block fbn, filling *c. Returns 0,
// -FS_EFBIG (fbn past the largest file) or -FS_EIO (read error or a
// pointer outside the data area).
static int
walk(struct fs *fs, const struct dinode *ip, uint64_t fbn, struct chain *c)
{
    c->level = fs_bmap(fbn, &c->m);
    if (c->level < 0)
        return -FS_EFBIG;
    c->blk[0] = chain_root_get(ip, c);
    c->blk[1] = c->blk[2] = 0;
    for (int i = 0; i <= c->level && c->blk[i] != 0; i++) {
        if (!fs_data_block_valid(&fs->sb, c->blk[i]))
            return -FS_EIO;
        if (i == c->level)
            break;
        const uint8_t *p;
        int r = bpeek(fs, c->blk[i], &p);
        if (r < 0)
            return r;
        c->blk[i + 1] = fs_ind_get(p, c->m.slot[i]);
    }
    return 0;
}

// Disk block of file block fbn of ip, 0 for a hole. Returns 0 with *b,
// or walk's errors.
static int
bmap_get(struct fs *fs, const struct dinode *ip, uint64_t fbn, uint32_t *b)
{
    struct chain c;
    int r = walk(fs, ip, fbn, &c);
    *b = r < 0 ? 0 : c.blk[c.level];
    return r;
}

// Set slot of indirect block ind to b in the open transaction. Returns 0
// or -FS_EIO.
static int
ind_store(struct fs *fs, uint32_t ind, uint32_t slot, uint32_t b)
{
    const uint8_t *p;
    int r = bpeek(fs, ind, &p);
    if (r < 0)
        return r;
    uint8_t *buf = fs->scratch[SC_IND0];
    mem_copy(buf, p, BS);
    fs_ind_set(buf, slot, b);
    return bwrite(fs, ind, buf);
}

// Allocate the n blocks c->blk[first ..] of a chain, all or none. Returns
// 0, -FS_ENOSPC (nothing allocated) or -FS_EIO.
static int
chain_alloc(struct fs *fs, struct chain *c, int first, int n)
{
    for (int k = 0; k < n; k++) {
        int r = balloc(fs, &c->blk[first + k]);
        if (r < 0) {
            while (k-- > 0)
                if (bfree(fs, c->blk[first + k]) < 0)
                    return -FS_EIO;
            return r;
        }
    }
    return 0;
}

// Disk block of file block fbn of ip, allocating it and any missing
// indirect blocks (zeroed, in the open transaction) on the way; ip's
// pointers may change (the caller stores ip). *fresh tells whether the
// data block is new: its contents are then garbage until written. All or
// nothing: on -FS_ENOSPC nothing has changed. Returns 0, -FS_ENOSPC,
// -FS_EFBIG or -FS_EIO.
static int
bmap_alloc(struct fs *fs, struct dinode *ip, uint64_t fbn, uint32_t *b,
           bool *fresh)
{
    struct chain c;
    int r = walk(fs, ip, fbn, &c);
    if (r < 0)
        return r;
    int first = 0;
    while (first <= c.level && c.blk[first] != 0)
        first++;
    *fresh = first <= c.level;
    if (!*fresh) {
        *b = c.blk[c.level];
        return 0;
    }
    r = chain_alloc(fs, &c, first, c.level + 1 - first);
    if (r < 0)
        return r;
    if (first == 0)
        *chain_root(ip, &c) = c.blk[0];
    else if ((r = ind_store(fs, c.blk[first - 1], c.m.slot[first - 1],
                            c.blk[first])) < 0)
        return r;
    for (int i = first; i < c.level; i++) {     // the new indirect blocks
        uint8_t *buf = fs->scratch[SC_IND0];
        mem_zero(buf, BS);
        fs_ind_set(buf, c.m.slot[i], c.blk[i + 1]);
        if ((r = bwrite(fs, c.blk[i], buf)) < 0)
            return r;
    }
    *b = c.blk[c.level];
    return 0;
}

// ---- the block map: freeing from the end --------------------------------------------
// Blocks are freed from the end of the file, and the size follows down in
// whole blocks, so that at every commit no block is mapped past the size
// and every indirect block covers some block below it.

// True if the open transaction can take one more freed block.
static bool
room_to_free(const struct fs *fs)
{
    return tx_room(fs, FREE_ROOM);
}

// Lower ip's size to top blocks if it is larger.
static void
set_top(struct dinode *ip, uint64_t top)
{
    ip->size = min64(ip->size, top * BS);
}

// Free the blocks that the indirect block copy ind (covering file blocks
// from first on) maps at [lo, *top), from the end, while the log has
// room; lowers *top. Returns 0 or -FS_EIO.
static int
free_slots(struct fs *fs, uint8_t *ind, uint64_t first, uint64_t lo,
           uint64_t *top)
{
    while (*top > lo && room_to_free(fs)) {
        uint32_t s = (uint32_t)(*top - 1 - first);
        uint32_t b = fs_ind_get(ind, s);
        if (b != 0) {
            int r = bfree(fs, b);
            if (r < 0)
                return r;
            fs_ind_set(ind, s, 0);
        }
        (*top)--;
    }
    return 0;
}

// Free what indirect block *ind (covering file blocks from first on) maps
// at [lo, *top), lo < *top; once nothing from first on is left, free *ind
// itself and set it to 0. Returns 0 or -FS_EIO.
static int
shrink_ind_block(struct fs *fs, uint32_t *ind, uint64_t first, uint64_t lo,
                 uint64_t *top)
{
    const uint8_t *p;
    if (*ind == 0) {
        *top = lo;
        return 0;
    }
    if (!fs_data_block_valid(&fs->sb, *ind))
        return -FS_EIO;
    int r = bpeek(fs, *ind, &p);
    if (r < 0)
        return r;
    uint8_t *buf = fs->scratch[SC_IND0];
    mem_copy(buf, p, BS);
    if ((r = free_slots(fs, buf, first, lo, top)) < 0)
        return r;
    if (*top == first) {
        r = bfree(fs, *ind);
        *ind = 0;
        return r;
    }
    return bwrite(fs, *ind, buf);
}

// shrink_some for a file whose top block top is direct.
static int
shrink_direct(struct fs *fs, struct dinode *ip, uint64_t keep, uint64_t top)
{
    while (top > keep && room_to_free(fs)) {
        uint32_t b = ip->direct[top - 1];
        if (b != 0) {
            int r = bfree(fs, b);
            if (r < 0)
                return r;
            ip->direct[top - 1] = 0;
        }
        top--;
    }
    set_top(ip, top);
    return 0;
}

// shrink_some for a file whose top block is in the indirect range.
static int
shrink_ind(struct fs *fs, struct dinode *ip, uint64_t keep, uint64_t top)
{
    uint64_t lo = max64(keep, FS_IND_FIRST);
    int r = shrink_ind_block(fs, &ip->indirect, FS_IND_FIRST, lo, &top);
    set_top(ip, top);
    return r;
}

// shrink_some for a file whose top block is in the double-indirect range:
// works on the indirect block holding block top - 1.
static int
shrink_dind(struct fs *fs, struct dinode *ip, uint64_t keep, uint64_t top)
{
    const uint8_t *p;
    int r = 0;
    uint32_t dind = ip->dindirect;
    if (dind == 0) {
        set_top(ip, max64(keep, FS_DIND_FIRST));
        return 0;
    }
    if (!fs_data_block_valid(&fs->sb, dind) || (r = bpeek(fs, dind, &p)) < 0)
        return r < 0 ? r : -FS_EIO;
    uint8_t *d = fs->scratch[SC_IND1];
    mem_copy(d, p, BS);
    uint32_t s = (uint32_t)((top - 1 - FS_DIND_FIRST) / FS_NINDIRECT);
    uint64_t first = FS_DIND_FIRST + (uint64_t)s * FS_NINDIRECT;
    uint32_t ind = fs_ind_get(d, s), old = ind;
    r = shrink_ind_block(fs, &ind, first, max64(keep, first), &top);
    if (r == 0 && top == FS_DIND_FIRST) {
        r = bfree(fs, dind);
        ip->dindirect = 0;
    } else if (r == 0 && ind != old) {
        fs_ind_set(d, s, ind);
        r = bwrite(fs, dind, d);
    }
    set_top(ip, top);
    return r;
}

// Free ip's blocks at file blocks keep and up, from the end, lowering the
// size with them, as far as the open transaction has room. Returns 1 when
// done, 0 when the caller must store ip, commit and call again, or -FS_EIO.
static int
shrink_some(struct fs *fs, struct dinode *ip, uint64_t keep)
{
    for (;;) {
        uint64_t top = fs_size_blocks(ip->size);
        int r;
        if (top <= keep)
            return 1;
        if (!room_to_free(fs))
            return 0;
        if (top > FS_DIND_FIRST)
            r = shrink_dind(fs, ip, keep, top);
        else if (top > FS_IND_FIRST)
            r = shrink_ind(fs, ip, keep, top);
        else
            r = shrink_direct(fs, ip, keep, top);
        if (r < 0)
            return r;
    }
}

// Zero the bytes of ip's file block holding byte pos from pos to the end
// of the block (nothing for a hole or a block boundary). Returns 0 or
// -FS_EIO.
static int
zero_tail(struct fs *fs, const struct dinode *ip, uint64_t pos)
{
    uint32_t b;
    if (pos % BS == 0)
        return 0;
    int r = bmap_get(fs, ip, pos / BS, &b);
    if (r < 0 || b == 0)
        return r;
    uint8_t *buf = fs->scratch[SC_DATA];
    if ((r = bread_data(fs, b, buf)) < 0)
        return r;
    mem_zero(buf + pos % BS, BS - pos % BS);
    return bwrite(fs, b, buf);
}

// Make the open transaction have room for need blocks, storing ip and
// committing into a new one if it has not. Returns 0 or -FS_EIO.
static int
tx_make_room(struct fs *fs, uint32_t inum, const struct dinode *ip,
             uint32_t need)
{
    if (tx_room(fs, need))
        return 0;
    int r = iput(fs, inum, ip);
    if (r == 0)
        r = tx_commit(fs);
    return r < 0 ? r : tx_begin(fs);
}

// Shrink inode inum (contents *ip, size > len) to len bytes: free the
// blocks past it, committing as the log fills, and zero the rest of the
// new last block. Ends with ip updated and a transaction open (the caller
// stores ip and commits). Returns 0 or -FS_EIO (the open transaction must
// then be aborted; earlier commits stay, consistent).
static int
shrink_to(struct fs *fs, uint32_t inum, struct dinode *ip, uint64_t len)
{
    int r;
    while ((r = shrink_some(fs, ip, fs_size_blocks(len))) == 0)
        if ((r = tx_make_room(fs, inum, ip, FREE_ROOM)) < 0)
            return r;
    if (r < 0 || (r = tx_make_room(fs, inum, ip, 2)) < 0 ||
        (r = zero_tail(fs, ip, len)) < 0)
        return r;
    ip->size = len;
    return 0;
}

// Count the blocks in use that indirect block ind maps. Returns 0 or
// -FS_EIO.
static int
count_ind(struct fs *fs, uint32_t ind, uint64_t *n)
{
    const uint8_t *p;
    int r = bpeek(fs, ind, &p);
    for (uint32_t s = 0; r == 0 && s < FS_NINDIRECT; s++)
        *n += fs_ind_get(p, s) != 0;
    return r;
}

// Number of blocks ip uses, indirect blocks included. Returns 0 with *n
// or -FS_EIO.
static int
count_blocks(struct fs *fs, const struct dinode *ip, uint64_t *n)
{
    const uint8_t *p;
    int r = 0;
    *n = 0;
    for (uint32_t i = 0; i < FS_NDIRECT; i++)
        *n += ip->direct[i] != 0;
    if (ip->indirect != 0) {
        *n += 1;
        if ((r = count_ind(fs, ip->indirect, n)) < 0)
            return r;
    }
    if (ip->dindirect == 0)
        return 0;
    if ((r = bpeek(fs, ip->dindirect, &p)) < 0)
        return r;
    uint8_t *d = fs->scratch[SC_IND1];
    mem_copy(d, p, BS);
    *n += 1;
    for (uint32_t s = 0; r == 0 && s < FS_NINDIRECT; s++) {
        uint32_t ind = fs_ind_get(d, s);
        if (ind != 0) {
            *n += 1;
            r = count_ind(fs, ind, n);
        }
    }
    return r;
}

// ---- directories ------------------------------------------------------------------

// Find name[0..len) in directory dp. Returns 0 with *inum (and, if not
// NULL, the file block *fbn and slot *slot of the entry), -FS_ENOENT or
// -FS_EIO.
static int
dir_lookup(struct fs *fs, const struct dinode *dp, const char *name,
           size_t len, uint32_t *inum, uint64_t *fbn, int *slot)
{
    uint64_t nb = fs_size_blocks(dp->size);
    for (uint64_t f = 0; f < nb; f++) {
        const uint8_t *p;
        uint32_t b;
        int r = bmap_get(fs, dp, f, &b);
        if (r == 0 && b != 0)
            r = bpeek(fs, b, &p);
        if (r < 0)
            return r;
        int s = b != 0 ? dirblk_lookup(p, name, len) : -1;
        if (s < 0)
            continue;
        *inum = ((const struct fs_dirent *)p)[s].inum;
        if (!fs_inum_valid(&fs->sb, *inum))
            return -FS_EIO;
        if (fbn != NULL)
            *fbn = f;
        if (slot != NULL)
            *slot = s;
        return 0;
    }
    return -FS_ENOENT;
}

// Add (name, inum) to directory dp (the caller checked that the name is
// new), in the first free slot or in a new block at the end; dp's size and
// pointers may change (the caller stores dp). Returns 0, -FS_ENOSPC or
// -FS_EIO.
static int
dir_add(struct fs *fs, struct dinode *dp, const char *name, size_t len,
        uint32_t inum)
{
    uint8_t *buf = fs->scratch[SC_DIR];
    uint64_t nb = fs_size_blocks(dp->size);
    uint32_t b;
    bool fresh;
    int r;
    for (uint64_t f = 0; f < nb; f++) {
        const uint8_t *p;
        if ((r = bmap_get(fs, dp, f, &b)) < 0 || b == 0 ||
            (r = bpeek(fs, b, &p)) < 0)
            return r < 0 ? r : -FS_EIO;
        if (dirblk_count(p) == FS_DIRENTS_PER_BLOCK)
            continue;
        mem_copy(buf, p, BS);
        if (dirblk_add(buf, name, len, inum) < 0)
            return -FS_EIO;
        return bwrite(fs, b, buf);
    }
    if ((r = bmap_alloc(fs, dp, nb, &b, &fresh)) < 0)
        return r;
    mem_zero(buf, BS);
    if (dirblk_add(buf, name, len, inum) < 0)
        return -FS_EIO;
    dp->size += BS;
    return bwrite(fs, b, buf);
}

// Clear the entry in slot of file block fbn of directory dp. Returns 0 or
// -FS_EIO.
static int
dir_clear(struct fs *fs, const struct dinode *dp, uint64_t fbn, int slot)
{
    const uint8_t *p;
    uint32_t b;
    int r = bmap_get(fs, dp, fbn, &b);
    if (r < 0 || b == 0 || (r = bpeek(fs, b, &p)) < 0)
        return r < 0 ? r : -FS_EIO;
    uint8_t *buf = fs->scratch[SC_DIR];
    mem_copy(buf, p, BS);
    mem_zero(buf + (size_t)slot * FS_DIRENT_SIZE, FS_DIRENT_SIZE);
    return bwrite(fs, b, buf);
}

// Whether directory dp holds nothing but "." and "..". Returns 1 (empty),
// 0 or -FS_EIO.
static int
dir_empty(struct fs *fs, const struct dinode *dp)
{
    uint64_t nb = fs_size_blocks(dp->size);
    for (uint64_t f = 0; f < nb; f++) {
        const uint8_t *p;
        uint32_t b;
        int r = bmap_get(fs, dp, f, &b);
        if (r == 0 && b != 0)
            r = bpeek(fs, b, &p);
        if (r < 0)
            return r;
        if (b != 0 && dirblk_next(p, f == 0 ? 2 : 0) >= 0)
            return 0;
    }
    return 1;
}

// ---- paths ------------------------------------------------------------------------

// Length of path. Returns it or -FS_ENAMETOOLONG (over FS_PATH_MAX).
static long
path_len(const char *path)
{
    long n = 0;
    while (path[n] != '\0')
        if (++n > (long)FS_PATH_MAX)
            return -FS_ENAMETOOLONG;
    return n;
}

// The next name in *pp, skipping '/'s: sets *name and *len and moves *pp
// just past it. Returns false (and leaves the rest alone) at the end.
static bool
next_name(const char **pp, const char **name, size_t *len)
{
    const char *p = *pp;
    while (*p == '/')
        p++;
    if (*p == '\0')
        return false;
    *name = p;
    while (*p != '\0' && *p != '/')
        p++;
    *len = (size_t)(p - *name);
    *pp = p;
    return true;
}

// Read directory inum into *dp, insisting that it is a directory that
// still has a name. Returns 0, -FS_ENOTDIR, -FS_ENOENT (free or removed),
// -FS_EINVAL or -FS_EIO.
static int
live_dir(struct fs *fs, uint32_t inum, struct dinode *dp)
{
    int r = iget_used(fs, inum, dp);
    if (r < 0)
        return r;
    if (dp->type != FS_T_DIR)
        return -FS_ENOTDIR;
    return dp->nlink == 0 ? -FS_ENOENT : 0;
}

// Look name[0..len) up in directory dir. Returns 0 with *out,
// -FS_ENAMETOOLONG, live_dir's errors, -FS_ENOENT or -FS_EIO.
static int
step(struct fs *fs, uint32_t dir, const char *name, size_t len, uint32_t *out)
{
    struct dinode d;
    if (len > FS_NAME_MAX)
        return -FS_ENAMETOOLONG;
    int r = live_dir(fs, dir, &d);
    return r < 0 ? r : dir_lookup(fs, &d, name, len, out, NULL, NULL);
}

// Where a path ends: the directory holding the last name, the name (len
// 0 when the path is only '/'s: then dir is the root) and whether '/'s
// follow it.
struct pathend {
    uint32_t dir;
    const char *name;
    size_t len;
    bool slash;
};

// Resolve every component of path but the last. Returns 0 with *e, or the
// path errors of fsops.h.
static int
walk_parent(struct fs *fs, uint32_t cwd, const char *path, struct pathend *e)
{
    long n = path_len(path);
    if (n <= 0)
        return n < 0 ? (int)n : -FS_ENOENT;
    e->dir = path[0] == '/' ? FS_ROOT_INUM : cwd;
    if (!fs_inum_valid(&fs->sb, e->dir))
        return -FS_EINVAL;
    e->len = 0;
    e->slash = true;
    const char *p = path, *name;
    size_t len;
    bool have = next_name(&p, &name, &len);
    while (have) {
        const char *q = p, *next;
        size_t nlen;
        if (!next_name(&q, &next, &nlen)) {
            e->name = name;
            e->len = len;
            e->slash = *p == '/';
            return len > FS_NAME_MAX ? -FS_ENAMETOOLONG : 0;
        }
        int r = step(fs, e->dir, name, len, &e->dir);
        if (r < 0)
            return r;
        p = q;
        name = next;
        len = nlen;
    }
    return 0;
}

// ---- mounting -------------------------------------------------------------------

// Record why a mount failed. Returns err.
static int
mount_fail(struct fs *fs, int err, const char *why)
{
    fs->why = why;
    fs->mounted = false;
    return err;
}

// Carve the aligned area mem (bytes long) into the map of owned blocks,
// scratch, log buffers and cache, for a log of fs->sb.log_blocks. Returns
// the number of log buffers, or 0 if the area is too small.
static uint32_t
carve(struct fs *fs, uint8_t *mem, size_t bytes)
{
    const size_t per_cache = BS + sizeof(struct fs_cslot);
    const size_t least = FS_CACHE_MIN * per_cache;
    size_t map = FS_MAP_BYTES(fs->sb.nblocks);
    size_t fixed = (size_t)FS_NSCRATCH * BS;
    if (bytes < map + fixed + (size_t)FS_TX_MIN * BS + least)
        return 0;
    fs->owned = mem;
    mem += map;
    size_t avail = bytes - map - fixed;
    size_t nlog = fs->sb.log_blocks;
    if (avail < nlog * BS + least)
        nlog = (avail - least) / BS;
    size_t ncache = (avail - nlog * BS) / per_cache;
    if (ncache > FS_CACHE_MAX)
        ncache = FS_CACHE_MAX;
    fs->scratch = (void *)mem;
    fs->cblk = (void *)(mem + fixed + nlog * BS);
    fs->cslot = (void *)(mem + fixed + (nlog + ncache) * BS);
    fs->ncache = (uint32_t)ncache;
    cache_drop_all(fs);
    return (uint32_t)nlog;
}

// Append s to the check report (cut if it does not fit).
static void
report_add(struct fs *fs, const char *s)
{
    size_t n = 0;
    while (fs->report[n] != '\0')
        n++;
    while (*s != '\0' && n + 1 < sizeof fs->report)
        fs->report[n++] = *s++;
    fs->report[n] = '\0';
}

// fscheck's callback: keep the first problem's text.
static void
note_problem(void *ctx, const struct fscheck_problem *p)
{
    struct fs *fs = ctx;
    if (fs->problems++ == 0)
        fscheck_describe(p, fs->report, sizeof fs->report);
}

// Run the mount check (fscheck.h) with the log buffers and the cache,
// both idle now, as its working memory; it fills fs->owned. A problem
// makes the mount read-only unless flags has FS_MOUNT_IGNORE_CHECK; too
// little memory to look makes it read-only in any case. Returns 0 or
// -FS_EIO (a read failed).
static int
mount_check(struct fs *fs, uint32_t nlog, unsigned flags)
{
    size_t idle = ((size_t)nlog + fs->ncache) * BS;
    uint8_t *work = fs->scratch[FS_NSCRATCH];       // log buffers, then the cache
    fs->problems = 0;
    fs->report[0] = '\0';
    if (fscheck_work_size(&fs->sb) > idle) {    // read-only whatever the flags
        mem_zero(fs->owned, FS_MAP_BYTES(fs->sb.nblocks));
        report_add(fs, "too little memory to check the disk");
        fs->problems = 1;
        fs->readonly = true;
        return 0;
    }
    long n = fscheck_run(&fs->sb, fs->dev, fs->owned, work, note_problem, fs);
    cache_drop_all(fs);
    if (n < 0)
        return -FS_EIO;
    if (n > 1) {
        char num[24], *p = num + sizeof num;
        *--p = '\0';
        for (long v = n - 1; v > 0 || p == num + sizeof num - 1; v /= 10)
            *--p = (char)('0' + v % 10);
        report_add(fs, ", and ");
        report_add(fs, p);
        report_add(fs, n == 2 ? " more problem" : " more problems");
    }
    fs->readonly = n > 0 && !(flags & FS_MOUNT_IGNORE_CHECK);
    return 0;
}

// Release every inode left with nlink 0 (open when the system stopped).
// Returns 0 or -FS_EIO.
static int
release_orphans(struct fs *fs)
{
    uint8_t *buf = fs->scratch[SC_DIR];
    for (uint32_t bi = 0; bi < fs->sb.inode_blocks; bi++) {
        const uint8_t *p;
        int r = bpeek(fs, fs->sb.inode_start + bi, &p);
        if (r < 0)
            return r;
        mem_copy(buf, p, BS);
        for (uint32_t j = 0; j < FS_INODES_PER_BLOCK; j++) {
            const struct dinode *d = (const void *)(buf + j * FS_INODE_SIZE);
            uint32_t inum = bi * FS_INODES_PER_BLOCK + j;
            if (inum == 0 || d->type == FS_T_FREE || d->nlink != 0)
                continue;
            if ((r = fs_release(fs, inum)) < 0)
                return r;
        }
    }
    return 0;
}

int
fs_mount(struct fs *fs, const struct blockdev *dev, uint64_t disk_blocks,
         void *mem, size_t mem_bytes)
{
    return fs_mount_opts(fs, dev, disk_blocks, mem, mem_bytes, 0);
}

int
fs_mount_opts(struct fs *fs, const struct blockdev *dev, uint64_t disk_blocks,
              void *mem, size_t mem_bytes, unsigned flags)
{
    mem_zero(fs, sizeof *fs);
    fs->why = "";
    if (dev == NULL || mem == NULL)
        return mount_fail(fs, -FS_EINVAL, "no device or no memory");
    uintptr_t a = ((uintptr_t)mem + 15) & ~(uintptr_t)15;
    if (mem_bytes < FS_MEM_MIN)
        return mount_fail(fs, -FS_ENOMEM, "mount memory too small");
    mem_bytes -= a - (uintptr_t)mem;
    fs->dev = dev;
    uint8_t *sbuf = (uint8_t *)a;
    if (dev->read(dev->ctx, FS_SUPER_BLOCK, sbuf) < 0)
        return mount_fail(fs, -FS_EIO, "cannot read the superblock");
    mem_copy(&fs->sb, sbuf, sizeof fs->sb);
    int err = fs_check_super(&fs->sb, disk_blocks);
    if (err < 0)
        return mount_fail(fs, -FS_EINVAL, fs_strerror(err));
    if (fs->sb.log_blocks < FS_TX_MIN)
        return mount_fail(fs, -FS_EINVAL, "log too small for the operations");
    uint32_t nlog = carve(fs, sbuf, mem_bytes);
    if (nlog == 0)
        return mount_fail(fs, -FS_ENOMEM, "mount memory too small");
    uint8_t *logbufs = fs->scratch[FS_NSCRATCH];
    if (log_init(&fs->log, dev, &fs->sb, logbufs, nlog) < 0)
        return mount_fail(fs, -FS_EINVAL, "cannot set up the log");
    err = log_recover(&fs->log);
    if (err == FSE_BADLOG)
        return mount_fail(fs, -FS_EINVAL, "corrupt log header");
    if (err < 0)
        return mount_fail(fs, -FS_EIO, "cannot replay the log");
    if ((err = mount_check(fs, nlog, flags)) < 0)
        return mount_fail(fs, err, "cannot read the disk to check it");
    struct dinode root;
    if ((err = iget(fs, FS_ROOT_INUM, &root)) < 0)
        return mount_fail(fs, err, "cannot read the root inode");
    if (root.type != FS_T_DIR || root.nlink == 0 || root.size == 0)
        return mount_fail(fs, -FS_EINVAL, "root inode is not a directory");
    fs->bhint = fs->sb.data_start;
    fs->ihint = FS_ROOT_INUM + 1;
    fs->mounted = true;
    if (!fs->readonly && (err = release_orphans(fs)) < 0)
        return mount_fail(fs, err, "cannot free orphaned inodes");
    return 0;
}

bool
fs_readonly(const struct fs *fs)
{
    return fs->mounted && fs->readonly;
}

const char *
fs_check_report(const struct fs *fs)
{
    return fs->report;
}

const char *
fs_mount_error(const struct fs *fs)
{
    return fs->why != NULL ? fs->why : "";
}

uint32_t
fs_tx_blocks(const struct fs *fs)
{
    return fs->log.cap;
}

// ---- namespace operations ----------------------------------------------------------

int
fs_namei(struct fs *fs, uint32_t cwd, const char *path, uint32_t *inum)
{
    struct pathend e;
    struct dinode ip;
    if (!fs->mounted)
        return -FS_EINVAL;
    int r = walk_parent(fs, cwd, path, &e);
    if (r < 0)
        return r;
    *inum = e.dir;
    if (e.len == 0)
        return 0;
    if ((r = step(fs, e.dir, e.name, e.len, inum)) < 0)
        return r;
    if (e.slash && (r = iget_used(fs, *inum, &ip)) == 0 && ip.type != FS_T_DIR)
        r = -FS_ENOTDIR;
    return r;
}

// The result of creating path when it exists as inode inum. Returns 0
// (an existing file may be opened) or the error of fs_create.
static int
create_existing(struct fs *fs, const struct pathend *e, uint32_t inum,
                int type, bool excl)
{
    struct dinode ip;
    int r = iget_used(fs, inum, &ip);
    if (r < 0)
        return r;
    if (excl || type == FS_T_DIR)
        return -FS_EEXIST;
    if (ip.type == FS_T_DIR)
        return -FS_EISDIR;
    return e->slash ? -FS_ENOTDIR : 0;
}

// Give the new directory inum (contents *ip) its first block, holding
// "." and ".." (naming parent), in the open transaction. Returns 0,
// -FS_ENOSPC or -FS_EIO.
static int
make_dir_block(struct fs *fs, uint32_t inum, struct dinode *ip,
               uint32_t parent)
{
    uint32_t b;
    bool fresh;
    int r = bmap_alloc(fs, ip, 0, &b, &fresh);
    if (r < 0)
        return r;
    dirblk_init(fs->scratch[SC_DIR], inum, parent);
    ip->size = BS;
    if ((r = bwrite(fs, b, fs->scratch[SC_DIR])) < 0)
        return r;
    return iput(fs, inum, ip);
}

// The transaction of fs_create for a new name: the inode, for a directory
// its first block, the entry in the parent. Returns 0 with *inum or an
// error (the transaction aborted).
static int
create_new(struct fs *fs, const struct pathend *e, int type, uint32_t *inum)
{
    struct dinode dp, ip;
    uint32_t ino = 0;
    bool dir = type == FS_T_DIR;
    int r = tx_begin(fs);
    if (r < 0)
        return r;
    r = live_dir(fs, e->dir, &dp);
    if (r == 0 && dir && dp.nlink >= UINT16_MAX)
        r = -FS_EMLINK;
    if (r == 0)
        r = ialloc(fs, (uint16_t)type, dir ? 2 : 1, &ino, &ip);
    if (r == 0 && dir)
        r = make_dir_block(fs, ino, &ip, e->dir);
    if (r == 0) {
        dp.nlink += dir;            // the new directory's ".."
        touch(fs, &dp);
        r = dir_add(fs, &dp, e->name, e->len, ino);
    }
    if (r == 0)
        r = iput(fs, e->dir, &dp);
    if ((r = tx_end(fs, r)) == 0)
        *inum = ino;
    return r;
}

int
fs_create(struct fs *fs, uint32_t cwd, const char *path, int type,
          uint32_t *inum, bool excl)
{
    struct pathend e;
    uint32_t found, dummy;
    if (!fs->mounted || (type != FS_T_FILE && type != FS_T_DIR))
        return -FS_EINVAL;
    if (inum == NULL)
        inum = &dummy;
    int r = walk_parent(fs, cwd, path, &e);
    if (r < 0)
        return r;
    if (e.len == 0)                             // the root
        return type == FS_T_DIR || excl ? -FS_EEXIST : -FS_EISDIR;
    r = step(fs, e.dir, e.name, e.len, &found);
    if (r == 0) {
        r = create_existing(fs, &e, found, type, excl);
        if (r == 0)
            *inum = found;
        return r;
    }
    if (r != -FS_ENOENT)
        return r;
    if (e.slash && type == FS_T_FILE)
        return -FS_EISDIR;
    return create_new(fs, &e, type, inum);
}

// Look up the last name of e inside the open transaction: *dp gets the
// parent, *ip and *inum the entry's inode, *fbn and *slot where the entry
// is. Returns 0 or the lookup errors.
static int
find_entry(struct fs *fs, const struct pathend *e, struct dinode *dp,
           uint32_t *inum, struct dinode *ip, uint64_t *fbn, int *slot)
{
    int r = live_dir(fs, e->dir, dp);
    if (r == 0)
        r = dir_lookup(fs, dp, e->name, e->len, inum, fbn, slot);
    if (r < 0)
        return r;
    r = iget_used(fs, *inum, ip);
    return r == -FS_ENOENT ? -FS_EIO : r;      // an entry naming a free inode
}

int
fs_unlink(struct fs *fs, uint32_t cwd, const char *path, uint32_t *inum)
{
    struct pathend e;
    struct dinode dp, ip;
    uint32_t ino = 0;
    uint64_t fbn;
    int slot;
    if (!fs->mounted)
        return -FS_EINVAL;
    int r = walk_parent(fs, cwd, path, &e);
    if (r < 0)
        return r;
    if (e.len == 0)
        return -FS_EISDIR;
    if ((r = tx_begin(fs)) < 0)
        return r;
    r = find_entry(fs, &e, &dp, &ino, &ip, &fbn, &slot);
    if (r == 0 && ip.type == FS_T_DIR)
        r = -FS_EISDIR;
    else if (r == 0 && e.slash)
        r = -FS_ENOTDIR;
    if (r == 0 && (r = dir_clear(fs, &dp, fbn, slot)) == 0) {
        ip.nlink--;
        touch(fs, &dp);
        if ((r = iput(fs, ino, &ip)) == 0)
            r = iput(fs, e.dir, &dp);
    }
    if ((r = tx_end(fs, r)) == 0 && inum != NULL)
        *inum = ino;
    return r;
}

// Checks of fs_rmdir before anything changes. Returns 0 or its error.
static int
rmdir_check(struct fs *fs, uint32_t ino, const struct dinode *ip)
{
    if (ip->type != FS_T_DIR)
        return -FS_ENOTDIR;
    if (ino == FS_ROOT_INUM)
        return -FS_EBUSY;
    int r = dir_empty(fs, ip);
    return r < 0 ? r : r == 0 ? -FS_ENOTEMPTY : 0;
}

int
fs_rmdir(struct fs *fs, uint32_t cwd, const char *path, uint32_t *inum)
{
    struct pathend e;
    struct dinode dp, ip;
    uint32_t ino = 0;
    uint64_t fbn;
    int slot;
    if (!fs->mounted)
        return -FS_EINVAL;
    int r = walk_parent(fs, cwd, path, &e);
    if (r < 0)
        return r;
    if (e.len == 0)
        return -FS_EBUSY;
    if (fs_name_is_dot(e.name, e.len))
        return e.len == 1 ? -FS_EINVAL : -FS_ENOTEMPTY;
    if ((r = tx_begin(fs)) < 0)
        return r;
    r = find_entry(fs, &e, &dp, &ino, &ip, &fbn, &slot);
    if (r == 0)
        r = rmdir_check(fs, ino, &ip);
    if (r == 0 && (r = dir_clear(fs, &dp, fbn, slot)) == 0) {
        ip.nlink = 0;               // its name and its "." are gone
        dp.nlink--;                 // its ".." no longer counts
        touch(fs, &dp);
        if ((r = iput(fs, ino, &ip)) == 0)
            r = iput(fs, e.dir, &dp);
    }
    if ((r = tx_end(fs, r)) == 0 && inum != NULL)
        *inum = ino;
    return r;
}

// Checks of fs_link inside its transaction: *dp gets the new parent, *ip
// the file inum. Returns 0 or fs_link's error.
static int
link_check(struct fs *fs, const struct pathend *e, uint32_t inum,
           struct dinode *dp, struct dinode *ip)
{
    uint32_t found;
    int r = live_dir(fs, e->dir, dp);
    if (r < 0)
        return r;
    r = dir_lookup(fs, dp, e->name, e->len, &found, NULL, NULL);
    if (r != -FS_ENOENT)
        return r == 0 ? -FS_EEXIST : r;
    if (e->slash)
        return -FS_ENOTDIR;
    if ((r = iget_file(fs, inum, ip)) < 0)
        return r;
    return ip->nlink >= UINT16_MAX ? -FS_EMLINK : 0;
}

int
fs_link(struct fs *fs, uint32_t cwd, const char *oldpath, const char *newpath)
{
    struct pathend e;
    struct dinode dp, ip;
    uint32_t ino;
    if (!fs->mounted)
        return -FS_EINVAL;
    int r = fs_namei(fs, cwd, oldpath, &ino);
    if (r == 0 && (r = iget_used(fs, ino, &ip)) == 0 && ip.type == FS_T_DIR)
        r = -FS_EPERM;
    if (r < 0 || (r = walk_parent(fs, cwd, newpath, &e)) < 0)
        return r;
    if (e.len == 0)
        return -FS_EEXIST;
    if ((r = tx_begin(fs)) < 0)
        return r;
    r = link_check(fs, &e, ino, &dp, &ip);
    if (r == 0 && (r = dir_add(fs, &dp, e.name, e.len, ino)) == 0) {
        ip.nlink++;
        touch(fs, &dp);
        if ((r = iput(fs, ino, &ip)) == 0)
            r = iput(fs, e.dir, &dp);
    }
    return tx_end(fs, r);
}

// Point the entry in slot of file block fbn of directory dp at inum.
// Returns 0 or -FS_EIO.
static int
dir_set(struct fs *fs, const struct dinode *dp, uint64_t fbn, int slot,
        uint32_t inum)
{
    const uint8_t *p;
    uint32_t b;
    int r = bmap_get(fs, dp, fbn, &b);
    if (r < 0 || b == 0 || (r = bpeek(fs, b, &p)) < 0)
        return r < 0 ? r : -FS_EIO;
    uint8_t *buf = fs->scratch[SC_DIR];
    mem_copy(buf, p, BS);
    ((struct fs_dirent *)buf)[slot].inum = inum;
    return bwrite(fs, b, buf);
}

// Whether directory dir is anc or lies below it (following ".." up to the
// root). Returns 1, 0, or an error (-FS_EIO for a loop).
static int
dir_below(struct fs *fs, uint32_t dir, uint32_t anc)
{
    for (uint32_t k = 0; k < fs->sb.ninodes; k++) {
        struct dinode d;
        if (dir == anc)
            return 1;
        if (dir == FS_ROOT_INUM)
            return 0;
        int r = live_dir(fs, dir, &d);
        if (r == 0)
            r = dir_lookup(fs, &d, "..", 2, &dir, NULL, NULL);
        if (r < 0)
            return r;
    }
    return -FS_EIO;
}

// What fs_rename works on inside its transaction: the old entry (parent
// od, inode ip), the new parent (*nd: od itself when they are the same
// directory) and the entry the new name replaces, if any (inode tp).
struct renaming {
    struct dinode od, nd_own, *nd, ip, tp;
    uint32_t ino, tino;
    uint64_t ofbn, nfbn;
    int oslot, nslot;
    bool replace;
};

// The checks of fs_rename inside its transaction, filling *w. Returns 0,
// 1 (nothing to do: both names are the same file) or fs_rename's error.
static int
rename_check(struct fs *fs, const struct pathend *eo, const struct pathend *en,
             struct renaming *w)
{
    int r = find_entry(fs, eo, &w->od, &w->ino, &w->ip, &w->ofbn, &w->oslot);
    if (r < 0)
        return r;
    bool dir = w->ip.type == FS_T_DIR;
    if (!dir && (eo->slash || en->slash))
        return -FS_ENOTDIR;
    w->nd = eo->dir == en->dir ? &w->od : &w->nd_own;
    if (w->nd != &w->od && (r = live_dir(fs, en->dir, w->nd)) < 0)
        return r;
    r = dir_lookup(fs, w->nd, en->name, en->len, &w->tino, &w->nfbn, &w->nslot);
    if (r < 0 && r != -FS_ENOENT)
        return r;
    w->replace = r == 0;
    if (w->replace && w->tino == w->ino)
        return 1;
    if (w->replace && (r = iget_used(fs, w->tino, &w->tp)) < 0)
        return r == -FS_ENOENT ? -FS_EIO : r;
    if (w->replace && w->tp.type == FS_T_DIR && !dir)
        return -FS_EISDIR;
    if (w->replace && w->tp.type != FS_T_DIR && dir)
        return -FS_ENOTDIR;
    if (w->replace && dir && (r = dir_empty(fs, &w->tp)) <= 0)
        return r < 0 ? r : -FS_ENOTEMPTY;
    if (dir && (r = dir_below(fs, en->dir, w->ino)) != 0)
        return r < 0 ? r : -FS_EINVAL;
    if (dir && !w->replace && w->nd != &w->od && w->nd->nlink >= UINT16_MAX)
        return -FS_EMLINK;
    return 0;
}

// The changes of fs_rename, in its transaction: the new name (a new entry,
// or the replaced one pointed at the inode), the old name cleared, a moved
// directory's ".." and the link counts. Returns 0 or an error.
static int
rename_apply(struct fs *fs, const struct pathend *eo, const struct pathend *en,
             struct renaming *w, uint32_t *gone)
{
    bool dir = w->ip.type == FS_T_DIR, move = dir && w->nd != &w->od;
    int r = w->replace ? dir_set(fs, w->nd, w->nfbn, w->nslot, w->ino)
                       : dir_add(fs, w->nd, en->name, en->len, w->ino);
    if (r == 0)
        r = dir_clear(fs, &w->od, w->ofbn, w->oslot);
    if (r == 0 && move)
        r = dir_set(fs, &w->ip, 0, 1, en->dir);     // its ".."
    if (r < 0)
        return r;
    if (move) {
        w->od.nlink--;
        w->nd->nlink++;
    }
    if (w->replace) {
        if (w->tp.type == FS_T_DIR) {
            w->tp.nlink = 0;                        // its name and "." are gone
            w->nd->nlink--;                         // and its ".."
        } else {
            w->tp.nlink--;
        }
        if (w->tp.nlink == 0)
            *gone = w->tino;
        if ((r = iput(fs, w->tino, &w->tp)) < 0)
            return r;
    }
    touch(fs, &w->od);
    touch(fs, w->nd);
    if ((r = iput(fs, eo->dir, &w->od)) == 0 && w->nd != &w->od)
        r = iput(fs, en->dir, w->nd);
    return r;
}

int
fs_rename(struct fs *fs, uint32_t cwd, const char *oldpath,
          const char *newpath, uint32_t *gone)
{
    struct pathend eo, en;
    struct renaming w;
    uint32_t dummy;
    if (gone == NULL)
        gone = &dummy;
    *gone = 0;
    if (!fs->mounted)
        return -FS_EINVAL;
    int r = walk_parent(fs, cwd, oldpath, &eo);
    if (r == 0)
        r = walk_parent(fs, cwd, newpath, &en);
    if (r < 0)
        return r;
    if (eo.len == 0 || en.len == 0)
        return -FS_EBUSY;                           // the root
    if (fs_name_is_dot(eo.name, eo.len) || fs_name_is_dot(en.name, en.len))
        return -FS_EINVAL;
    if ((r = tx_begin(fs)) < 0)
        return r;
    r = rename_check(fs, &eo, &en, &w);
    if (r == 0)
        r = rename_apply(fs, &eo, &en, &w, gone);
    if ((r = tx_end(fs, r < 0 ? r : 0)) < 0)
        *gone = 0;
    return r;
}

int
fs_touch(struct fs *fs, uint32_t inum)
{
    struct dinode ip;
    if (!fs->mounted)
        return -FS_EINVAL;
    int r = iget_used(fs, inum, &ip);
    if (r < 0 || fs->now == 0 || ip.mtime == fs->now)
        return r;
    if ((r = tx_begin(fs)) < 0)
        return r;
    if ((r = iget_used(fs, inum, &ip)) == 0) {
        ip.mtime = fs->now;
        r = iput(fs, inum, &ip);
    }
    return tx_end(fs, r);
}

int
fs_release(struct fs *fs, uint32_t inum)
{
    struct dinode ip;
    if (!fs->mounted)
        return -FS_EINVAL;
    int r = iget(fs, inum, &ip);
    if (r < 0 || ip.type == FS_T_FREE || ip.nlink != 0)
        return r;
    if ((r = tx_begin(fs)) < 0)
        return r;
    if ((r = shrink_to(fs, inum, &ip, 0)) == 0) {
        mem_zero(&ip, sizeof ip);
        r = iput(fs, inum, &ip);
    }
    return tx_end(fs, r);
}

// ---- file operations -------------------------------------------------------------------

int
fs_stat(struct fs *fs, uint32_t inum, struct fs_statbuf *st)
{
    struct dinode ip;
    uint64_t n;
    if (!fs->mounted)
        return -FS_EINVAL;
    int r = iget_used(fs, inum, &ip);
    if (r < 0 || (r = count_blocks(fs, &ip, &n)) < 0)
        return r;
    mem_zero(st, sizeof *st);
    st->inum = inum;
    st->type = ip.type;
    st->nlink = ip.nlink;
    st->size = ip.size;
    st->blocks = n;
    st->mtime = ip.mtime;
    return 0;
}

long
fs_read(struct fs *fs, uint32_t inum, uint64_t off, void *buf, uint64_t n)
{
    struct dinode ip;
    uint8_t *dst = buf;
    if (!fs->mounted)
        return -FS_EINVAL;
    int r = iget_file(fs, inum, &ip);
    if (r < 0)
        return r;
    if (off >= ip.size)
        return 0;
    n = min64(n, ip.size - off);
    for (uint64_t done = 0; done < n;) {
        uint64_t pos = off + done, boff = pos % BS, len = min64(BS - boff, n - done);
        uint32_t b;
        if ((r = bmap_get(fs, &ip, pos / BS, &b)) < 0)
            return r;
        if (b == 0) {
            mem_zero(dst + done, len);
        } else if (len == BS) {
            r = bread_data(fs, b, dst + done);
        } else if ((r = bread_data(fs, b, fs->scratch[SC_DATA])) == 0) {
            mem_copy(dst + done, fs->scratch[SC_DATA] + boff, len);
        }
        if (r < 0)
            return r;
        done += len;
    }
    return (long)n;
}

// Write the part of src (left bytes) that falls in the file block holding
// byte pos of ip, in the open transaction; *len gets the bytes written.
// Returns 0, -FS_ENOSPC (nothing changed) or -FS_EIO.
static int
write_step(struct fs *fs, struct dinode *ip, uint64_t pos, const uint8_t *src,
           uint64_t left, uint64_t *len)
{
    uint64_t boff = pos % BS;
    uint8_t *buf = fs->scratch[SC_DATA];
    uint32_t b;
    bool fresh;
    *len = min64(BS - boff, left);
    int r = bmap_alloc(fs, ip, pos / BS, &b, &fresh);
    if (r < 0)
        return r;
    if (*len == BS) {
        r = bwrite(fs, b, src);
    } else {
        if (fresh)
            mem_zero(buf, BS);
        else if ((r = bread_data(fs, b, buf)) < 0)
            return r;
        mem_copy(buf + boff, src, *len);
        r = bwrite(fs, b, buf);
    }
    ip->size = max64(ip->size, pos + *len);
    return r;
}

// One transaction of fs_write: write from the start of src (n bytes, at
// off) as many blocks as the log has room for and commit them; *done gets
// the bytes committed. Returns 0, -FS_ENOSPC (after committing the blocks
// that fit on the disk) or another error (nothing of this transaction
// committed).
static int
write_tx(struct fs *fs, uint32_t inum, uint64_t off, const uint8_t *src,
         uint64_t n, uint64_t *done)
{
    struct dinode ip;
    uint64_t k = 0, len;
    int err = 0;
    *done = 0;
    int r = tx_begin(fs);
    if (r < 0)
        return r;
    if ((r = iget_file(fs, inum, &ip)) < 0)
        return tx_end(fs, r);
    while (k < n && tx_room(fs, WRITE_ROOM)) {
        if ((err = write_step(fs, &ip, off + k, src + k, n - k, &len)) < 0)
            break;
        k += len;
    }
    if (err < 0 && err != -FS_ENOSPC)
        return tx_end(fs, err);
    if (k == 0)
        return tx_end(fs, err);
    touch(fs, &ip);
    if ((r = tx_end(fs, iput(fs, inum, &ip))) < 0)
        return r;
    *done = k;
    return err;
}

long
fs_write(struct fs *fs, uint32_t inum, uint64_t off, const void *buf,
         uint64_t n)
{
    const uint8_t *src = buf;
    uint64_t done = 0, chunk;
    struct dinode ip;
    if (!fs->mounted)
        return -FS_EINVAL;
    int r = iget_file(fs, inum, &ip);
    if (r < 0 || n == 0)
        return r;
    if (off >= FS_MAX_FILE_SIZE)
        return -FS_EFBIG;
    n = min64(n, FS_MAX_FILE_SIZE - off);
    while (done < n) {
        r = write_tx(fs, inum, off + done, src + done, n - done, &chunk);
        done += chunk;
        if (r < 0)
            return done > 0 ? (long)done : r;
    }
    return (long)done;
}

// fs_truncate and fs_set_size: set the size of file inum to len; zero_grow
// says whether growing zeroes the old last block past the old end.
static int
resize(struct fs *fs, uint32_t inum, uint64_t len, bool zero_grow)
{
    struct dinode ip;
    if (!fs->mounted)
        return -FS_EINVAL;
    if (len > FS_MAX_FILE_SIZE)
        return -FS_EFBIG;
    int r = tx_begin(fs);
    if (r < 0)
        return r;
    if ((r = iget_file(fs, inum, &ip)) < 0 || len == ip.size)
        return tx_end(fs, r);
    if (len < ip.size) {
        r = shrink_to(fs, inum, &ip, len);
    } else {
        if (zero_grow)
            r = zero_tail(fs, &ip, ip.size);
        ip.size = len;
    }
    touch(fs, &ip);
    if (r == 0)
        r = iput(fs, inum, &ip);
    return tx_end(fs, r);
}

int
fs_truncate(struct fs *fs, uint32_t inum, uint64_t len)
{
    return resize(fs, inum, len, true);
}

int
fs_set_size(struct fs *fs, uint32_t inum, uint64_t size)
{
    return resize(fs, inum, size, false);
}

int
fs_readdir(struct fs *fs, uint32_t dir, uint64_t *cookie,
           char name[FS_NAME_MAX + 1], uint32_t *inum)
{
    struct dinode dp;
    if (!fs->mounted)
        return -FS_EINVAL;
    int r = iget_used(fs, dir, &dp);
    if (r < 0)
        return r;
    if (dp.type != FS_T_DIR)
        return -FS_ENOTDIR;
    uint64_t nb = dp.nlink == 0 ? 0 : fs_size_blocks(dp.size);
    for (uint64_t i = *cookie; i < nb * FS_DIRENTS_PER_BLOCK;) {
        uint64_t f = i / FS_DIRENTS_PER_BLOCK;
        const uint8_t *p;
        uint32_t b;
        if ((r = bmap_get(fs, &dp, f, &b)) == 0 && b != 0)
            r = bpeek(fs, b, &p);
        if (r < 0)
            return r;
        int s = b != 0 ? dirblk_next(p, (int)(i % FS_DIRENTS_PER_BLOCK)) : -1;
        if (s < 0) {
            i = (f + 1) * FS_DIRENTS_PER_BLOCK;
            continue;
        }
        const struct fs_dirent *de = (const struct fs_dirent *)p + s;
        i = f * FS_DIRENTS_PER_BLOCK + (uint64_t)s + 1;
        if (fs_check_dirent(de) < 0 || !fs_inum_valid(&fs->sb, de->inum))
            continue;                   // a damaged entry (read-only mount)
        mem_copy(name, de->name, FS_NAME_MAX + 1);
        name[FS_NAME_MAX] = '\0';
        *inum = de->inum;
        *cookie = i;
        return 1;
    }
    return 0;
}

int
fs_map_block(struct fs *fs, uint32_t inum, uint64_t fbn, bool alloc,
             uint32_t *blockno)
{
    struct dinode ip;
    bool fresh;
    if (!fs->mounted)
        return -FS_EINVAL;
    int r = iget_file(fs, inum, &ip);
    if (r < 0)
        return r;
    if (!alloc)
        return bmap_get(fs, &ip, fbn, blockno);
    if ((r = tx_begin(fs)) < 0)
        return r;
    if ((r = iget_file(fs, inum, &ip)) < 0 ||
        (r = bmap_alloc(fs, &ip, fbn, blockno, &fresh)) < 0 || !fresh)
        return tx_end(fs, r);
    if (fbn >= fs_size_blocks(ip.size))
        ip.size = (fbn + 1) * BS;
    touch(fs, &ip);
    if ((r = bwrite(fs, *blockno, zero_block)) == 0)
        r = iput(fs, inum, &ip);
    return tx_end(fs, r);
}
