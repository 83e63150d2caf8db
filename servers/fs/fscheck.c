// The mount check: see fscheck.h for the contract and fsformat.h for the
// format. Four passes: the inodes and the blocks they own, the directory
// tree from the root, the link counts, the bitmap.
//
// Pure module: only fslib and the standard integer headers.

#include "fscheck.h"

#define BS FS_BLOCK_SIZE
#define NDUP 8              // doubly owned blocks whose first owner is looked up

// Block buffers, one per use so that nested reads never share one.
enum { B_INODE, B_IND, B_DIND, B_DIR, B_DIR2, NBUF };

struct ck {
    const struct superblock *sb;
    const struct blockdev *dev;
    fscheck_report_fn report;
    void *ctx;
    long problems;
    bool io;                    // a read failed
    uint8_t *owned;             // nblocks bits
    uint32_t *refs;             // per inode: valid entries naming it
    uint32_t *parent;           // per directory reached: its parent (root: root)
    uint32_t *queue;            // directories still to look at
    uint32_t qhead, qtail;
    uint8_t (*buf)[BS];
    uint32_t held[NBUF];        // block in each buffer (0: none)
    struct { uint32_t block, second; } dup[NDUP];
    uint32_t ndup;
    bool searching;             // walking to find the owner of `want`
    uint32_t want, found;
};

// ---- helpers -----------------------------------------------------------------

static void
problem(struct ck *c, int kind, uint32_t a, uint32_t b, uint32_t d)
{
    if (c->searching)
        return;
    c->problems++;
    struct fscheck_problem p = { kind, a, b, d };
    if (c->report != NULL)
        c->report(c->ctx, &p);
}

// Block b in buffer which, read unless it is there already. Returns NULL
// (and notes the failure) if the read fails.
static const uint8_t *
rd(struct ck *c, int which, uint32_t b)
{
    if (c->held[which] == b && b != 0)
        return c->buf[which];
    c->held[which] = 0;
    if (b >= c->sb->nblocks || c->dev->read(c->dev->ctx, b, c->buf[which]) < 0) {
        c->io = true;
        return NULL;
    }
    c->held[which] = b;
    return c->buf[which];
}

// Copy inode inum (< ninodes) into *ip. Returns false on a read error.
static bool
iget(struct ck *c, uint32_t inum, struct dinode *ip)
{
    const uint8_t *p = rd(c, B_INODE, fs_inode_block(c->sb, inum));
    if (p == NULL)
        return false;
    const uint8_t *s = p + fs_inode_offset(inum);
    uint8_t *d = (uint8_t *)ip;
    for (size_t i = 0; i < sizeof *ip; i++)
        d[i] = s[i];
    return true;
}

static bool
is_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return false;
    return true;
}

// True if used entries x and y have the same name.
static bool
same_name(const struct fs_dirent *x, const struct fs_dirent *y)
{
    for (size_t i = 0; i < sizeof x->name; i++) {
        if (x->name[i] != y->name[i])
            return false;
        if (x->name[i] == '\0')
            return true;
    }
    return true;
}

// ---- pass 1: inodes and their blocks ------------------------------------------------

// Inode inum points at data block b: claim it (or, while searching, see
// whether it is the block looked for).
static void
visit(struct ck *c, uint32_t inum, uint32_t b)
{
    if (c->searching) {
        if (b == c->want && c->found == 0)
            c->found = inum;
        return;
    }
    if (!bitmap_get(c->owned, b)) {
        bitmap_set(c->owned, b);
    } else if (c->ndup < NDUP) {
        c->dup[c->ndup].block = b;
        c->dup[c->ndup++].second = inum;
    } else {
        problem(c, FSP_TWICE, b, 0, inum);
    }
}

// Check pointer b of inode inum (held in block `in`, 0 for the inode
// itself) standing for file blocks from fbn on: in the data area, not
// wholly past the nb blocks of the size. Returns true if b is a data block
// (then it has been visited).
static bool
pointer(struct ck *c, uint32_t inum, uint32_t in, uint32_t b, uint64_t fbn,
        uint64_t nb)
{
    if (b == 0)
        return false;
    if (!fs_data_block_valid(c->sb, b)) {
        problem(c, FSP_PTR, inum, in, b);
        return false;
    }
    if (fbn >= nb)
        problem(c, FSP_BEYOND, inum, b, (uint32_t)fbn);
    visit(c, inum, b);
    return true;
}

// The blocks indirect block ind (file blocks from first on) maps, read
// into buffer which.
static void
walk_ind(struct ck *c, uint32_t inum, uint32_t ind, uint64_t first,
         uint64_t nb, int which)
{
    const uint8_t *p = rd(c, which, ind);
    for (uint32_t s = 0; p != NULL && s < FS_NINDIRECT; s++)
        pointer(c, inum, ind, fs_ind_get(p, s), first + s, nb);
}

// Every block inode inum (contents *ip) points at, at every level.
static void
walk_inode(struct ck *c, uint32_t inum, const struct dinode *ip)
{
    uint64_t nb = fs_size_blocks(ip->size);
    for (uint32_t i = 0; i < FS_NDIRECT; i++)
        pointer(c, inum, 0, ip->direct[i], i, nb);
    if (pointer(c, inum, 0, ip->indirect, FS_IND_FIRST, nb))
        walk_ind(c, inum, ip->indirect, FS_IND_FIRST, nb, B_IND);
    if (!pointer(c, inum, 0, ip->dindirect, FS_DIND_FIRST, nb))
        return;
    for (uint32_t s = 0; s < FS_NINDIRECT; s++) {
        const uint8_t *p = rd(c, B_DIND, ip->dindirect);
        uint64_t first = FS_DIND_FIRST + (uint64_t)s * FS_NINDIRECT;
        if (p == NULL)
            return;
        uint32_t ind = fs_ind_get(p, s);
        if (pointer(c, inum, ip->dindirect, ind, first, nb))
            walk_ind(c, inum, ind, first, nb, B_IND);
    }
}

// True if the inode's block map is worth walking: in use and not garbage
// (a bad type or reserved fields set say the inode is not one).
static bool
walkable(int err, const struct dinode *ip)
{
    return ip->type != FS_T_FREE && err != FSE_ITYPE && err != FSE_IRESERVED;
}

// Check inode inum's own fields and claim its blocks.
static void
check_inode(struct ck *c, uint32_t inum)
{
    struct dinode ip;
    if (!iget(c, inum, &ip))
        return;
    int err = fs_check_inode(c->sb, &ip);
    // nlink 0: an orphan (pass 3); pointer errors: reported by the walk
    if (err < 0 && err != FSE_INLINK && err != FSE_IBLOCK && err != FSE_IBEYOND)
        problem(c, FSP_INODE, inum, (uint32_t)-err, 0);
    if (walkable(err, &ip))
        walk_inode(c, inum, &ip);
}

// The first inode at or below `upto` that points at block b (upto itself
// if no lower one does: then it points at b twice), or 0.
static uint32_t
find_owner(struct ck *c, uint32_t b, uint32_t upto)
{
    struct dinode ip;
    c->searching = true;
    c->want = b;
    c->found = 0;
    for (uint32_t i = 1; i < upto && c->found == 0; i++)
        if (iget(c, i, &ip) && walkable(fs_check_inode(c->sb, &ip), &ip))
            walk_inode(c, i, &ip);
    c->searching = false;
    return c->found != 0 ? c->found : upto;
}

static void
pass_inodes(struct ck *c)
{
    struct dinode ip;
    for (uint32_t b = 0; b < c->sb->data_start; b++)
        bitmap_set(c->owned, b);
    if (iget(c, 0, &ip) && !is_zero(&ip, sizeof ip))
        problem(c, FSP_INODE0, 0, 0, 0);
    for (uint32_t i = 1; i < c->sb->ninodes; i++)
        check_inode(c, i);
    for (uint32_t k = 0; k < c->ndup; k++)
        problem(c, FSP_TWICE, c->dup[k].block,
                find_owner(c, c->dup[k].block, c->dup[k].second), c->dup[k].second);
}

// ---- pass 2: the tree ------------------------------------------------------------------

// Disk block of file block f of ip, or 0 for a hole, a bad pointer or a
// read error (pass 1 reported the pointers).
static uint32_t
file_block(struct ck *c, const struct dinode *ip, uint64_t f)
{
    struct fs_bmap m;
    int level = fs_bmap(f, &m);
    if (level < 0)
        return 0;
    uint32_t b = level == 0 ? ip->direct[m.slot[0]] :
                 level == 1 ? ip->indirect : ip->dindirect;
    for (int i = 0; i < level; i++) {
        if (!fs_data_block_valid(c->sb, b))
            return 0;
        const uint8_t *p = rd(c, i == 0 && level == 2 ? B_DIND : B_IND, b);
        if (p == NULL)
            return 0;
        b = fs_ind_get(p, m.slot[i]);
    }
    return fs_data_block_valid(c->sb, b) ? b : 0;
}

// File blocks of directory dp to look at: its size, but never more than
// the data area could hold.
static uint64_t
dir_blocks(const struct ck *c, const struct dinode *dp)
{
    uint64_t nb = fs_size_blocks(dp->size);
    return nb < c->sb->data_blocks ? nb : c->sb->data_blocks;
}

// True if a valid used entry before slot s of file block f of directory
// dp (whose block f is blk) has the name of de.
static bool
name_seen(struct ck *c, const struct dinode *dp, uint64_t f, uint32_t s,
          const struct fs_dirent *blk, const struct fs_dirent *de)
{
    for (uint64_t g = 0; g <= f; g++) {
        const struct fs_dirent *e = blk;
        if (g < f) {
            uint32_t b = file_block(c, dp, g);
            if (b == 0 || (e = (const void *)rd(c, B_DIR2, b)) == NULL)
                continue;
        }
        uint32_t n = g < f ? FS_DIRENTS_PER_BLOCK : s;
        for (uint32_t k = 0; k < n; k++)
            if (e[k].inum != 0 && fs_check_dirent(&e[k]) == 0 &&
                same_name(&e[k], de))
                return true;
    }
    return false;
}

// Check the "." (s 0) or ".." (s 1) entry of directory d. Returns true if
// it has that name (its inode number was checked and counted as well).
static bool
check_dot(struct ck *c, uint32_t d, uint32_t s, const struct fs_dirent *de)
{
    uint32_t want = s == 0 ? d : c->parent[d];
    size_t len = fs_dirent_namelen(de);
    if (de->inum == 0 || len != s + 1 || !fs_name_is_dot(de->name, len)) {
        problem(c, FSP_DOT, d, s, 0);
        return false;
    }
    if (de->inum != want)
        problem(c, FSP_DOT, d, s, de->inum);
    else
        c->refs[want]++;
    return true;
}

// Check the used entry de, number idx, of directory d (contents *dp, the
// entry in slot s of file block f, whose contents are blk).
static void
check_entry(struct ck *c, uint32_t d, const struct dinode *dp, uint64_t f,
            uint32_t s, const struct fs_dirent *blk)
{
    const struct fs_dirent *de = &blk[s];
    uint32_t idx = (uint32_t)(f * FS_DIRENTS_PER_BLOCK + s);
    struct dinode ip;
    if (!fs_inum_valid(c->sb, de->inum)) {
        problem(c, FSP_DIRENT_INUM, d, idx, de->inum);
        return;
    }
    if (!iget(c, de->inum, &ip))
        return;
    if (ip.type != FS_T_FILE && ip.type != FS_T_DIR) {
        problem(c, FSP_DIRENT_FREE, d, idx, de->inum);
        return;
    }
    if (fs_name_is_dot(de->name, fs_dirent_namelen(de))) {
        problem(c, FSP_EXTRA_DOT, d, idx, 0);
        return;
    }
    if (name_seen(c, dp, f, s, blk, de)) {
        problem(c, FSP_DUPNAME, d, idx, 0);
        return;
    }
    if (ip.type == FS_T_DIR) {
        if (c->parent[de->inum] != 0) {
            problem(c, FSP_DIRNAME2, de->inum, d, idx);
            return;
        }
        c->parent[de->inum] = d;
        c->queue[c->qtail++] = de->inum;
    }
    c->refs[de->inum]++;
}

// Check every entry of directory d.
static void
check_dir(struct ck *c, uint32_t d)
{
    struct dinode dp;
    bool hole = false;
    if (!iget(c, d, &dp))
        return;
    uint64_t nb = dir_blocks(c, &dp);
    for (uint64_t f = 0; f < nb; f++) {
        uint32_t b = file_block(c, &dp, f);
        const struct fs_dirent *de = b ? (const void *)rd(c, B_DIR, b) : NULL;
        if (de == NULL) {
            if (b == 0 && !hole)
                problem(c, FSP_HOLE, d, (uint32_t)f, 0);
            hole = true;
            continue;
        }
        for (uint32_t s = 0; s < FS_DIRENTS_PER_BLOCK; s++) {
            if (fs_check_dirent(&de[s]) < 0) {
                problem(c, FSP_DIRENT, d, (uint32_t)(f * FS_DIRENTS_PER_BLOCK + s), 0);
                continue;
            }
            if (f == 0 && s < 2 && check_dot(c, d, s, &de[s]))
                continue;
            if (de[s].inum != 0)
                check_entry(c, d, &dp, f, s, de);
        }
    }
}

static void
pass_tree(struct ck *c)
{
    struct dinode root;
    if (!iget(c, FS_ROOT_INUM, &root))
        return;
    if (root.type != FS_T_DIR) {
        problem(c, FSP_ROOT, FS_ROOT_INUM, 0, 0);
        return;
    }
    c->parent[FS_ROOT_INUM] = FS_ROOT_INUM;
    c->queue[c->qtail++] = FS_ROOT_INUM;
    while (c->qhead < c->qtail)
        check_dir(c, c->queue[c->qhead++]);
}

// ---- pass 3: link counts -----------------------------------------------------------------

static void
pass_links(struct ck *c)
{
    struct dinode ip;
    for (uint32_t i = 1; i < c->sb->ninodes; i++) {
        if (!iget(c, i, &ip) || (ip.type != FS_T_FILE && ip.type != FS_T_DIR))
            continue;
        bool reached = c->refs[i] > 0 || c->parent[i] != 0;
        if (!reached && ip.nlink != 0)
            problem(c, FSP_UNREACHABLE, i, ip.nlink, 0);
        else if (reached && ip.nlink != c->refs[i])
            problem(c, FSP_NLINK, i, ip.nlink, c->refs[i]);
    }
}

// ---- pass 4: the bitmap ---------------------------------------------------------------------

static void
pass_bitmap(struct ck *c)
{
    const struct superblock *sb = c->sb;
    for (uint32_t i = 0; i < sb->bitmap_blocks; i++) {
        const uint8_t *map = rd(c, B_DIR, sb->bitmap_start + i);
        uint32_t base = i * FS_BITS_PER_BLOCK, n = fs_bitmap_nbits(sb, i);
        if (map == NULL)
            return;
        for (uint32_t k = 0; k < FS_BITS_PER_BLOCK; k++) {
            if (k % 8 == 0 && k + 8 <= n && map[k / 8] == c->owned[(base + k) / 8]) {
                k += 7;                 // a whole byte that agrees
                continue;
            }
            bool marked = bitmap_get(map, k);
            if (k >= n) {
                if (marked)
                    problem(c, FSP_BM_PAST, base + k, 0, 0);
                continue;
            }
            bool owned = bitmap_get(c->owned, base + k);
            if (owned && !marked)
                problem(c, FSP_BM_FREE, base + k, 0, 0);
            else if (!owned && marked)
                problem(c, FSP_BM_LEAK, base + k, 0, 0);
        }
    }
}

// ---- the run ------------------------------------------------------------------------------

size_t
fscheck_map_size(const struct superblock *sb)
{
    return ((size_t)sb->nblocks + 63) / 64 * 8;
}

size_t
fscheck_work_size(const struct superblock *sb)
{
    return (size_t)sb->ninodes * 3 * sizeof(uint32_t) + (size_t)NBUF * BS;
}

long
fscheck_run(const struct superblock *sb, const struct blockdev *dev,
            void *map, void *work, fscheck_report_fn report, void *ctx)
{
    if (sb == NULL || dev == NULL || map == NULL || work == NULL ||
        (((uintptr_t)map | (uintptr_t)work) & 7) != 0)
        return FSE_INVAL;
    struct ck c = { .sb = sb, .dev = dev, .report = report, .ctx = ctx };
    c.owned = map;
    c.refs = work;
    c.parent = c.refs + sb->ninodes;
    c.queue = c.parent + sb->ninodes;
    c.buf = (void *)(c.queue + sb->ninodes);
    uint8_t *z = map;
    for (size_t i = 0; i < fscheck_map_size(sb); i++)
        z[i] = 0;
    for (size_t i = 0; i < 3 * (size_t)sb->ninodes; i++)
        c.refs[i] = 0;
    pass_inodes(&c);
    pass_tree(&c);
    pass_links(&c);
    pass_bitmap(&c);
    return c.io ? FSE_IO : c.problems;
}

// ---- text ---------------------------------------------------------------------------------

struct out {
    char *p;
    size_t left;                // bytes left, the NUL's included
};

static void
put_s(struct out *o, const char *s)
{
    while (*s != '\0' && o->left > 1) {
        *o->p++ = *s++;
        o->left--;
    }
    *o->p = '\0';
}

static void
put_u(struct out *o, uint32_t v)
{
    char d[12];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    char s[12];
    for (int i = 0; i < n; i++)
        s[i] = d[n - 1 - i];
    s[n] = '\0';
    put_s(o, s);
}

// Append the pieces: strings, with "%" standing for the next number.
static void
put_f(struct out *o, const char *f, uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t v[3] = { a, b, c };
    int k = 0;
    char one[2] = { 0, 0 };
    for (; *f != '\0'; f++) {
        if (*f == '%' && k < 3) {
            put_u(o, v[k++]);
        } else {
            one[0] = *f;
            put_s(o, one);
        }
    }
}

char *
fscheck_describe(const struct fscheck_problem *p, char *buf, size_t n)
{
    struct out o = { buf, n };
    if (n == 0)
        return buf;
    buf[0] = '\0';
    switch (p->kind) {
    case FSP_INODE0:
        put_s(&o, "inode 0 is not zero");
        break;
    case FSP_INODE:
        put_f(&o, "inode %: ", p->a, 0, 0);
        put_s(&o, fs_strerror(-(int)p->b));
        break;
    case FSP_PTR:
        if (p->b == 0)
            put_f(&o, "inode % points at block %, outside the data area", p->a, p->c, 0);
        else
            put_f(&o, "inode %: indirect block % points at block %, outside the data area",
                  p->a, p->b, p->c);
        break;
    case FSP_BEYOND:
        put_f(&o, "inode %: block % mapped at file block %, past its size", p->a, p->b, p->c);
        break;
    case FSP_TWICE:
        if (p->b == 0)
            put_f(&o, "block % owned by inode % and another", p->a, p->c, 0);
        else if (p->b == p->c)
            put_f(&o, "block % mapped twice by inode %", p->a, p->b, 0);
        else
            put_f(&o, "block % owned by inodes % and %", p->a, p->b, p->c);
        break;
    case FSP_ROOT:
        put_s(&o, "the root inode is not a directory");
        break;
    case FSP_HOLE:
        put_f(&o, "directory % has a hole at block %", p->a, p->b, 0);
        break;
    case FSP_DIRENT:
        put_f(&o, "directory %: entry % is malformed", p->a, p->b, 0);
        break;
    case FSP_DIRENT_INUM:
        put_f(&o, "directory %: entry % names inode %, out of range", p->a, p->b, p->c);
        break;
    case FSP_DIRENT_FREE:
        put_f(&o, "directory %: entry % names inode %, which is not in use", p->a, p->b, p->c);
        break;
    case FSP_DOT:
        if (p->c == 0)
            put_f(&o, p->b == 0 ? "directory %: entry 0 is not \".\"" :
                                  "directory %: entry 1 is not \"..\"", p->a, 0, 0);
        else
            put_f(&o, p->b == 0 ? "directory %: \".\" names inode %" :
                                  "directory %: \"..\" names inode %", p->a, p->c, 0);
        break;
    case FSP_EXTRA_DOT:
        put_f(&o, "directory %: entry % is another \".\" or \"..\"", p->a, p->b, 0);
        break;
    case FSP_DUPNAME:
        put_f(&o, "directory %: entry % repeats a name", p->a, p->b, 0);
        break;
    case FSP_DIRNAME2:
        put_f(&o, "directory % has a second name (entry % of directory %)", p->a, p->c, p->b);
        break;
    case FSP_UNREACHABLE:
        put_f(&o, "inode % is in use (nlink %) but no directory names it", p->a, p->b, 0);
        break;
    case FSP_NLINK:
        put_f(&o, "inode %: nlink is % but % entries name it", p->a, p->b, p->c);
        break;
    case FSP_BM_FREE:
        put_f(&o, "block % is in use but free in the bitmap", p->a, 0, 0);
        break;
    case FSP_BM_LEAK:
        put_f(&o, "block % is marked in the bitmap but no inode owns it", p->a, 0, 0);
        break;
    case FSP_BM_PAST:
        put_f(&o, "bitmap bit % (past the last block) is set", p->a, 0, 0);
        break;
    default:
        put_s(&o, "unknown problem");
    }
    return buf;
}
