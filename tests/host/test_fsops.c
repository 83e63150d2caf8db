// Host tests for servers/fs/fsops.c: the file-system operations on an
// in-memory disk, an independent consistency checker (and build/tools/fsck
// when its path is given as argv[1] or it is at the default place), and
// crash tests that stop the disk after every possible number of block
// writes of an operation, remount (recovery) and check that the file
// system is consistent and shows the old or the new state.

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fsops.h"

#define BS FS_BLOCK_SIZE
#define ROOT FS_ROOT_INUM
#define FSCK_MAX_BLOCKS 8192        // fsck loads the image: only small ones

// ---- an in-memory disk that can crash ----------------------------------------

// Sparse: a block is allocated when first written, so that disks with
// many bitmap blocks fit. After `budget` more writes the disk "crashes":
// later writes fail and change nothing (budget < 0: no limit). Reads fail
// while fail_reads.
struct memdisk {
    uint8_t **blk;          // per block: its bytes, or NULL while all zero
    uint64_t nblocks;
    long budget;
    long writes;
    long commits;           // writes of the log header, 2 per commit
    bool fail_reads;
};

static struct memdisk disk;
static const uint8_t zero_blk[BS];

// Block b of the test disk for reading.
static const uint8_t *
dget(uint64_t b)
{
    return disk.blk[b] != NULL ? disk.blk[b] : zero_blk;
}

// Block b of the test disk for writing (allocated on first use).
static uint8_t *
dput(uint64_t b)
{
    if (disk.blk[b] == NULL && (disk.blk[b] = calloc(1, BS)) == NULL)
        abort();
    return disk.blk[b];
}

static int
md_read(void *ctx, uint64_t b, void *buf)
{
    struct memdisk *d = ctx;
    if (b >= d->nblocks || d->fail_reads)
        return -1;
    memcpy(buf, dget(b), BS);
    return 0;
}

static int
md_write(void *ctx, uint64_t b, const void *buf)
{
    struct memdisk *d = ctx;
    if (b >= d->nblocks || d->budget == 0)
        return -1;
    if (d->budget > 0)
        d->budget--;
    memcpy(dput(b), buf, BS);
    d->writes++;
    d->commits += b == FS_LOG_START;
    return 0;
}

// Free the blocks of the block array v of the test disk's size.
static void
blocks_free(uint8_t **v)
{
    for (uint64_t b = 0; v != NULL && b < disk.nblocks; b++)
        free(v[b]);
    free(v);
}

// A copy of the test disk's contents.
static uint8_t **
snap_take(void)
{
    uint8_t **v = calloc(disk.nblocks, sizeof *v);
    for (uint64_t b = 0; v != NULL && b < disk.nblocks; b++)
        if (disk.blk[b] != NULL && (v[b] = malloc(BS)) != NULL)
            memcpy(v[b], disk.blk[b], BS);
    return v;
}

// Make the test disk's contents those of snapshot v.
static void
snap_restore(uint8_t **v)
{
    for (uint64_t b = 0; b < disk.nblocks; b++) {
        if (v[b] != NULL) {
            memcpy(dput(b), v[b], BS);
        } else if (disk.blk[b] != NULL) {
            free(disk.blk[b]);
            disk.blk[b] = NULL;
        }
    }
}

static const struct blockdev dev = { md_read, md_write, &disk };
static struct fs fs;
static uint8_t *fsmem;
static size_t fsmem_size = FS_MEM_DEFAULT;

static struct superblock *
disk_sb(void)
{
    return (struct superblock *)dput(FS_SUPER_BLOCK);
}

static struct dinode *
disk_inode(uint32_t inum)
{
    const struct superblock *sb = disk_sb();
    return (struct dinode *)(dput(fs_inode_block(sb, inum)) +
                             fs_inode_offset(inum));
}

// Format a fresh disk of nblocks blocks as mkfs would, with an empty root
// directory. The free blocks of a small disk are filled with garbage (a
// free block's contents are undefined). Returns false on a setup failure.
static bool
disk_format(uint32_t nblocks, uint32_t ninodes, uint32_t log_blocks)
{
    struct superblock sb;
    if (fs_layout(&sb, nblocks, ninodes, log_blocks) != 0)
        return false;
    blocks_free(disk.blk);
    disk = (struct memdisk){ .nblocks = nblocks, .budget = -1 };
    disk.blk = calloc(nblocks, sizeof *disk.blk);
    if (disk.blk == NULL)
        return false;
    memcpy(dput(FS_SUPER_BLOCK), &sb, sizeof sb);
    uint32_t rootblk = sb.data_start;
    for (uint32_t b = 0; b <= rootblk; b++)
        bitmap_set(dput(fs_bitmap_block(&sb, b)), fs_bitmap_bit(b));
    struct dinode *ip = disk_inode(ROOT);
    ip->type = FS_T_DIR;
    ip->nlink = 2;
    ip->size = BS;
    ip->direct[0] = rootblk;
    dirblk_init(dput(rootblk), ROOT, ROOT);
    for (uint32_t b = rootblk + 1; nblocks <= FSCK_MAX_BLOCKS && b < nblocks; b++)
        memset(dput(b), 0xe5, BS);
    return true;
}

// "Reboot": the disk works again, every trace of the old struct fs is
// gone, and the file system is mounted anew. Returns fs_mount's result.
static int
remount(void)
{
    disk.budget = -1;
    disk.fail_reads = false;
    memset(&fs, 0xa5, sizeof fs);
    static size_t have;
    size_t n = fsmem_size + FS_MAP_BYTES(disk.nblocks);
    if (n > have) {
        free(fsmem);
        if ((fsmem = malloc(n)) == NULL)
            abort();
        have = n;
    }
    memset(fsmem, 0x5a, n);
    return fs_mount(&fs, &dev, disk.nblocks, fsmem, n);
}

// A fresh 16 MiB file system (mkfs's layout), mounted.
static bool
fresh_fs(void)
{
    fsmem_size = FS_MEM_DEFAULT;
    return disk_format(4096, 512, FS_LOG_BLOCKS) && remount() == 0;
}

// ---- an independent consistency checker ----------------------------------------

static char ckmsg[300];

#define CKFAIL(...) (snprintf(ckmsg, sizeof ckmsg, __VA_ARGS__), ckmsg)

struct ck {
    const struct superblock *sb;
    uint32_t *owner;    // per block: 0 free, else the inode (UINT32_MAX: meta)
    uint32_t *refs;     // per inode: entries naming it
    uint32_t *parent;   // per directory: where it is named
    uint32_t *queue;
    uint32_t qhead, qtail;
};

// Record that inode inum uses block b.
static const char *
ck_claim(struct ck *c, uint32_t b, uint32_t inum)
{
    if (!fs_data_block_valid(c->sb, b))
        return CKFAIL("inode %u points outside the data area (%u)", inum, b);
    if (c->owner[b] != 0)
        return CKFAIL("block %u used by inodes %u and %u", b, c->owner[b], inum);
    c->owner[b] = inum;
    return NULL;
}

// Claim what indirect block ind (file blocks from first on) maps.
static const char *
ck_ind(struct ck *c, uint32_t inum, uint32_t ind, uint64_t first, uint64_t nb)
{
    for (uint32_t s = 0; s < FS_NINDIRECT; s++) {
        uint32_t b = fs_ind_get(dget(ind), s);
        if (b == 0)
            continue;
        if (first + s >= nb)
            return CKFAIL("inode %u: file block %llu mapped beyond the size",
                          inum, (unsigned long long)(first + s));
        const char *m = ck_claim(c, b, inum);
        if (m != NULL)
            return m;
    }
    return NULL;
}

// Claim every block of inode inum.
static const char *
ck_blocks(struct ck *c, uint32_t inum, const struct dinode *ip)
{
    uint64_t nb = fs_size_blocks(ip->size);
    const char *m = NULL;
    for (uint32_t i = 0; i < FS_NDIRECT && m == NULL; i++)
        if (ip->direct[i] != 0)
            m = ck_claim(c, ip->direct[i], inum);
    if (m == NULL && ip->indirect != 0 &&
        (m = ck_claim(c, ip->indirect, inum)) == NULL)
        m = ck_ind(c, inum, ip->indirect, FS_IND_FIRST, nb);
    if (m != NULL || ip->dindirect == 0 ||
        (m = ck_claim(c, ip->dindirect, inum)) != NULL)
        return m;
    for (uint32_t s = 0; s < FS_NINDIRECT && m == NULL; s++) {
        uint32_t ind = fs_ind_get(dget(ip->dindirect), s);
        uint64_t first = FS_DIND_FIRST + (uint64_t)s * FS_NINDIRECT;
        if (ind == 0)
            continue;
        if (first >= nb)
            return CKFAIL("inode %u: indirect block past the size", inum);
        if ((m = ck_claim(c, ind, inum)) == NULL)
            m = ck_ind(c, inum, ind, first, nb);
    }
    return m;
}

// Disk block of file block f of ip (0 for a hole); pointers are valid.
static uint32_t
ck_file_block(const struct dinode *ip, uint64_t f)
{
    struct fs_bmap m;
    int level = fs_bmap(f, &m);
    if (level < 0)
        return 0;
    uint32_t b = level == 0 ? ip->direct[m.slot[0]] :
                 level == 1 ? ip->indirect : ip->dindirect;
    for (int i = 0; i < level && b != 0; i++)
        b = fs_ind_get(dget(b), m.slot[i]);
    return b;
}

// The bytes of the last block past the size are zero.
static const char *
ck_tail(uint32_t inum, const struct dinode *ip)
{
    if (ip->size % BS == 0)
        return NULL;
    uint32_t b = ck_file_block(ip, ip->size / BS);
    for (uint32_t i = ip->size % BS; b != 0 && i < BS; i++)
        if (dget(b)[i] != 0)
            return CKFAIL("inode %u: byte %u past the end is not zero", inum, i);
    return NULL;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

// Check one entry (slot s of file block f) of directory d.
static const char *
ck_entry(struct ck *c, uint32_t d, uint64_t f, uint32_t s,
         const struct fs_dirent *de)
{
    if (fs_check_dirent(de) < 0)
        return CKFAIL("directory %u: malformed entry %u", d, s);
    bool dot = f == 0 && s < 2;
    if (dot && (de->inum == 0 || strcmp(de->name, s == 0 ? "." : "..") != 0 ||
                de->inum != (s == 0 ? d : c->parent[d])))
        return CKFAIL("directory %u: bad \"%s\" entry", d, s == 0 ? "." : "..");
    if (de->inum == 0)
        return NULL;
    if (!dot && fs_name_is_dot(de->name, strlen(de->name)))
        return CKFAIL("directory %u: extra dot entry", d);
    if (!fs_inum_valid(c->sb, de->inum) || disk_inode(de->inum)->type == FS_T_FREE)
        return CKFAIL("directory %u: \"%s\" names a free inode", d, de->name);
    c->refs[de->inum]++;
    if (!dot && disk_inode(de->inum)->type == FS_T_DIR) {
        if (c->parent[de->inum] != 0)
            return CKFAIL("directory %u has two names", de->inum);
        c->parent[de->inum] = d;
        c->queue[c->qtail++] = de->inum;
    }
    return NULL;
}

// Check directory d: no holes, good entries, unique names.
static const char *
ck_dir(struct ck *c, uint32_t d)
{
    const struct dinode *dp = disk_inode(d);
    uint64_t nb = fs_size_blocks(dp->size);
    const char **names = malloc(nb * FS_DIRENTS_PER_BLOCK * sizeof *names);
    size_t n = 0;
    const char *m = NULL;
    for (uint64_t f = 0; f < nb && m == NULL; f++) {
        uint32_t b = ck_file_block(dp, f);
        if (b == 0) {
            m = CKFAIL("directory %u has a hole", d);
            break;
        }
        const struct fs_dirent *de = (const struct fs_dirent *)dget(b);
        for (uint32_t s = 0; s < FS_DIRENTS_PER_BLOCK && m == NULL; s++) {
            m = ck_entry(c, d, f, s, &de[s]);
            if (de[s].inum != 0)
                names[n++] = de[s].name;
        }
    }
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 1; i < n && m == NULL; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            m = CKFAIL("directory %u: \"%s\" twice", d, names[i]);
    free(names);
    return m;
}

// Bit b of the disk's bitmap.
static bool
ck_bit(const struct superblock *sb, uint64_t b)
{
    const uint8_t *map = dget(sb->bitmap_start + b / FS_BITS_PER_BLOCK);
    return bitmap_get(map, (uint32_t)(b % FS_BITS_PER_BLOCK));
}

// The bitmap marks exactly the blocks in use. Fast on big sparse disks:
// every used block's bit is set and there are no more set bits than used
// blocks; only a mismatch makes it look at every bit.
static const char *
ck_bitmap(struct ck *c)
{
    const struct superblock *sb = c->sb;
    uint64_t set = 0, used = 0, nbits = (uint64_t)sb->bitmap_blocks * FS_BITS_PER_BLOCK;
    for (uint32_t i = 0; i < sb->bitmap_blocks; i++) {
        const uint64_t *w = (const uint64_t *)dget(sb->bitmap_start + i);
        for (uint32_t k = 0; k < BS / 8; k++)
            set += (uint64_t)__builtin_popcountll(w[k]);
    }
    for (uint32_t b = 0; b < sb->nblocks; b++) {
        if (c->owner[b] == 0)
            continue;
        used++;
        if (!ck_bit(sb, b))
            return CKFAIL("block %u is in use but free in the bitmap", b);
    }
    for (uint64_t b = 0; set != used && b < nbits; b++)
        if (ck_bit(sb, b) && (b >= sb->nblocks || c->owner[b] == 0))
            return CKFAIL("bitmap bit %llu is set, block not in use",
                          (unsigned long long)b);
    return NULL;
}

// Inodes, tree, link counts and bitmap of the disk (log empty, as after
// a mount). Returns NULL or the first problem.
static const char *
ck_run(struct ck *c)
{
    const struct superblock *sb = c->sb;
    const char *m = NULL;
    if (((const struct logheader *)dget(sb->log_start))->count != 0)
        return CKFAIL("log not empty");
    for (uint32_t b = 0; b < sb->data_start; b++)
        c->owner[b] = UINT32_MAX;
    for (uint32_t i = 1; i < sb->ninodes && m == NULL; i++) {
        const struct dinode *ip = disk_inode(i);
        int err = fs_check_inode(sb, ip);
        if (err < 0)
            return CKFAIL("inode %u: %s", i, fs_strerror(err));
        if (ip->type != FS_T_FREE && (m = ck_blocks(c, i, ip)) == NULL)
            m = ck_tail(i, ip);
    }
    if (m != NULL)
        return m;
    if (disk_inode(ROOT)->type != FS_T_DIR)
        return CKFAIL("root is not a directory");
    c->parent[ROOT] = ROOT;
    c->queue[c->qtail++] = ROOT;
    while (c->qhead < c->qtail && m == NULL)
        m = ck_dir(c, c->queue[c->qhead++]);
    for (uint32_t i = 1; i < sb->ninodes && m == NULL; i++) {
        const struct dinode *ip = disk_inode(i);
        if (ip->type != FS_T_FREE && ip->nlink != c->refs[i])
            m = CKFAIL("inode %u: nlink %u, %u entries", i, ip->nlink, c->refs[i]);
    }
    return m != NULL ? m : ck_bitmap(c);
}

// Check the whole disk. Returns NULL if consistent, else the first problem.
static const char *
consistent(void)
{
    const struct superblock *sb = disk_sb();
    if (fs_check_super(sb, disk.nblocks) != 0)
        return CKFAIL("bad superblock");
    struct ck c = {
        .sb = sb,
        .owner = calloc(sb->nblocks, sizeof(uint32_t)),
        .refs = calloc(sb->ninodes, sizeof(uint32_t)),
        .parent = calloc(sb->ninodes, sizeof(uint32_t)),
        .queue = calloc(sb->ninodes, sizeof(uint32_t)),
    };
    const char *m = ck_run(&c);
    free(c.owner);
    free(c.refs);
    free(c.parent);
    free(c.queue);
    return m;
}

static const char *fsck_path;       // build/tools/fsck, if it exists

// Run fsck on a copy of the disk. Returns NULL if it says clean (or there
// is no fsck, or the disk is large), else its first line.
static const char *
run_fsck(void)
{
    if (fsck_path == NULL || disk.nblocks > FSCK_MAX_BLOCKS)
        return NULL;
    char img[] = "/tmp/test_fsops_XXXXXX";
    int fd = mkstemp(img);
    if (fd < 0)
        return CKFAIL("mkstemp failed");
    bool ok = ftruncate(fd, (off_t)(disk.nblocks * BS)) == 0;
    for (uint64_t b = 0; ok && b < disk.nblocks; b++)
        if (disk.blk[b] != NULL)
            ok = pwrite(fd, disk.blk[b], BS, (off_t)(b * BS)) == BS;
    close(fd);
    char cmd[600], line[200] = "";
    snprintf(cmd, sizeof cmd, "'%s' '%s' 2>&1", fsck_path, img);
    FILE *p = ok ? popen(cmd, "r") : NULL;
    if (p != NULL && fgets(line, sizeof line, p) != NULL)
        while (fgetc(p) != EOF)
            ;
    int st = p != NULL ? pclose(p) : -1;
    unlink(img);
    if (!ok || st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        line[strcspn(line, "\n")] = '\0';
        return CKFAIL("fsck: %s", line);
    }
    return NULL;
}

// Both checkers. Returns NULL or the first problem.
static const char *
all_checks(void)
{
    const char *m = consistent();
    return m != NULL ? m : run_fsck();
}

// Free data blocks according to the disk's bitmap.
static uint32_t
free_blocks(void)
{
    const struct superblock *sb = disk_sb();
    uint32_t n = 0;
    for (uint32_t b = sb->data_start; b < sb->nblocks; b++)
        n += !bitmap_get(dget(fs_bitmap_block(sb, b)), fs_bitmap_bit(b));
    return n;
}

// ---- helpers ----------------------------------------------------------------------

// Byte off of test pattern seed.
static uint8_t
pat(uint64_t off, int seed)
{
    return (uint8_t)((off ^ (off >> 9) ^ (off >> 17)) * 13 + (uint64_t)seed * 71 + 1);
}

#define NSEEDS 128
static uint8_t *patbuf[NSEEDS];
static size_t patlen[NSEEDS];

// The first n bytes of pattern seed (0 <= seed < NSEEDS), computed once.
static const uint8_t *
pattern(int seed, size_t n)
{
    if (patlen[seed] < n) {
        free(patbuf[seed]);
        if ((patbuf[seed] = malloc(n)) == NULL)
            abort();
        for (size_t i = 0; i < n; i++)
            patbuf[seed][i] = pat(i, seed);
        patlen[seed] = n;
    }
    return patbuf[seed];
}

static void
fill_pat(uint8_t *buf, uint64_t off, size_t n, int seed)
{
    if (n > 0)
        memcpy(buf, pattern(seed, off + n) + off, n);
}

// Offset of the first byte of buf that differs from the pattern, or -1.
static long
diff_pat(const uint8_t *buf, uint64_t off, size_t n, int seed)
{
    if (n == 0)
        return -1;
    const uint8_t *p = pattern(seed, off + n) + off;
    if (memcmp(buf, p, n) == 0)
        return -1;
    size_t i = 0;
    while (buf[i] == p[i])
        i++;
    return (long)(off + i);
}

// Create file path (cwd root) holding n bytes of pattern seed. Returns its
// inode number, 0 on failure.
static uint32_t
make_file(const char *path, size_t n, int seed)
{
    uint32_t inum;
    uint8_t *buf = malloc(n + 1);
    fill_pat(buf, 0, n, seed);
    bool ok = fs_create(&fs, ROOT, path, FS_T_FILE, &inum, false) == 0 &&
              fs_write(&fs, inum, 0, buf, n) == (long)n;
    free(buf);
    return ok ? inum : 0;
}

// Whether file path holds exactly n bytes of pattern seed.
static bool
file_is(const char *path, size_t n, int seed)
{
    uint32_t inum;
    struct fs_statbuf st;
    if (fs_namei(&fs, ROOT, path, &inum) != 0 || fs_stat(&fs, inum, &st) != 0 ||
        st.size != n)
        return false;
    uint8_t *buf = malloc(n + 1);
    bool ok = fs_read(&fs, inum, 0, buf, n + 1) == (long)n &&
              diff_pat(buf, 0, n, seed) < 0;
    free(buf);
    return ok;
}

// Inode number of path (cwd root), or 0.
static uint32_t
lookup(const char *path)
{
    uint32_t inum = 0;
    return fs_namei(&fs, ROOT, path, &inum) == 0 ? inum : 0;
}

static uint32_t
nlink_of(uint32_t inum)
{
    struct fs_statbuf st;
    return fs_stat(&fs, inum, &st) == 0 ? st.nlink : 0xdead;
}

static uint64_t
size_of(uint32_t inum)
{
    struct fs_statbuf st;
    return fs_stat(&fs, inum, &st) == 0 ? st.size : UINT64_MAX;
}

#define CHECK_CLEAN() do { \
        const char *ck_ = all_checks(); \
        CHECKF(ck_ == NULL, "inconsistent: %s", ck_); \
    } while (0)

// ---- cases ------------------------------------------------------------------------

static void
test_file_basics(void)
{
    uint32_t inum, again;
    char buf[64];
    REQUIRE(fresh_fs());
    REQUIRE(fs_create(&fs, ROOT, "/f", FS_T_FILE, &inum, false) == 0);
    CHECK(size_of(inum) == 0 && nlink_of(inum) == 1);
    CHECK(fs_write(&fs, inum, 0, "hello", 5) == 5);
    CHECK(fs_write(&fs, inum, size_of(inum), " world", 6) == 6);   // append
    memset(buf, 0, sizeof buf);
    CHECK(fs_read(&fs, inum, 0, buf, sizeof buf) == 11);
    CHECK(strcmp(buf, "hello world") == 0);
    CHECK(fs_read(&fs, inum, 6, buf, 3) == 3 && memcmp(buf, "wor", 3) == 0);
    CHECK(fs_read(&fs, inum, 11, buf, 5) == 0);
    CHECK(fs_read(&fs, inum, 1000, buf, 5) == 0);
    CHECK(fs_write(&fs, inum, 0, "J", 1) == 1);                      // overwrite
    CHECK(fs_read(&fs, inum, 0, buf, 5) == 5 && memcmp(buf, "Jello", 5) == 0);
    CHECK(fs_create(&fs, ROOT, "f", FS_T_FILE, &again, false) == 0 && again == inum);
    CHECK(size_of(inum) == 11);                     // opening keeps the data
    CHECK(fs_create(&fs, ROOT, "/f", FS_T_FILE, &again, true) == -FS_EEXIST);
    CHECK(fs_create(&fs, ROOT, "/f", FS_T_DIR, &again, false) == -FS_EEXIST);

    CHECK(fs_truncate(&fs, inum, 3) == 0 && size_of(inum) == 3);
    CHECK(fs_read(&fs, inum, 0, buf, sizeof buf) == 3 && memcmp(buf, "Jel", 3) == 0);
    CHECK(fs_truncate(&fs, inum, 10) == 0 && size_of(inum) == 10);  // grow: zeros
    CHECK(fs_read(&fs, inum, 0, buf, sizeof buf) == 10);
    CHECK(memcmp(buf, "Jel\0\0\0\0\0\0\0", 10) == 0);
    CHECK(fs_write(&fs, inum, 10, "x", 0) == 0 && size_of(inum) == 10);
    CHECK_CLEAN();

    uint32_t before = free_blocks(), un = 0;
    CHECK(fs_unlink(&fs, ROOT, "/f", &un) == 0 && un == inum);
    CHECK(lookup("/f") == 0);
    CHECK(fs_namei(&fs, ROOT, "/f", &again) == -FS_ENOENT);
    CHECK(nlink_of(inum) == 0);                 // still there until released
    CHECK(fs_release(&fs, inum) == 0);
    CHECK(fs_stat(&fs, inum, &(struct fs_statbuf){ 0 }) == -FS_ENOENT);
    CHECK(free_blocks() == before + 1);
    CHECK(fs_release(&fs, inum) == 0);          // a free inode: nothing to do
    CHECK_CLEAN();
}

static void
test_paths(void)
{
    uint32_t a, b, c, f, x;
    REQUIRE(fresh_fs());
    REQUIRE(fs_create(&fs, ROOT, "/a", FS_T_DIR, &a, false) == 0);
    REQUIRE(fs_create(&fs, ROOT, "/a/b", FS_T_DIR, &b, false) == 0);
    REQUIRE(fs_create(&fs, a, "b/c/", FS_T_DIR, &c, false) == 0);   // relative, trailing /
    REQUIRE(fs_create(&fs, c, "f", FS_T_FILE, &f, false) == 0);
    CHECK(lookup("/a/b/c/f") == f);
    CHECK(lookup("a//b///c/f") == f);
    CHECK(lookup("//a/./b/../b/c/./f") == f);
    CHECK(lookup("/a/b/c/") == c && lookup("/a/b/c//") == c);
    CHECK(lookup("/") == ROOT && lookup("///") == ROOT && lookup("/..") == ROOT);
    CHECK(lookup("/../../a") == a && lookup(".") == ROOT);
    CHECK(fs_namei(&fs, c, "../../..", &x) == 0 && x == ROOT);
    CHECK(fs_namei(&fs, b, "c/f", &x) == 0 && x == f);
    CHECK(fs_namei(&fs, b, "./c/../c/f", &x) == 0 && x == f);
    CHECK(fs_namei(&fs, c, "/a", &x) == 0 && x == a);       // absolute ignores cwd
    CHECK(fs_namei(&fs, ROOT, "/a/b/c/f/", &x) == -FS_ENOTDIR);
    CHECK(fs_namei(&fs, ROOT, "/a/b/c/f/.", &x) == -FS_ENOTDIR);
    CHECK(fs_namei(&fs, f, "x", &x) == -FS_ENOTDIR);         // cwd a file

    // nlink: a directory has its name, its "." and its children's "..".
    CHECK(nlink_of(ROOT) == 3 && nlink_of(a) == 3 && nlink_of(b) == 3);
    CHECK(nlink_of(c) == 2 && nlink_of(f) == 1);
    CHECK(fs_create(&fs, ROOT, "/a/b/c", FS_T_DIR, &x, false) == -FS_EEXIST);
    CHECK(fs_create(&fs, ROOT, "/a/b/c", FS_T_FILE, &x, false) == -FS_EISDIR);
    CHECK(fs_create(&fs, ROOT, "/", FS_T_DIR, &x, false) == -FS_EEXIST);
    CHECK(fs_create(&fs, ROOT, "/", FS_T_FILE, &x, false) == -FS_EISDIR);
    CHECK(fs_create(&fs, ROOT, "/a/.", FS_T_DIR, &x, false) == -FS_EEXIST);
    CHECK(fs_create(&fs, ROOT, "/a/new/", FS_T_FILE, &x, false) == -FS_EISDIR);
    CHECK(fs_create(&fs, ROOT, "/a/b/c/f/", FS_T_FILE, &x, false) == -FS_ENOTDIR);
    struct fs_statbuf st;
    CHECK(fs_stat(&fs, c, &st) == 0 && st.type == FS_T_DIR && st.size == BS &&
          st.blocks == 1 && st.inum == c);
    CHECK_CLEAN();
}

static void
test_many_files(void)
{
    enum { N = 100 };
    uint32_t d, inums[N];
    char path[64], name[FS_NAME_MAX + 1];
    REQUIRE(fresh_fs());
    REQUIRE(fs_create(&fs, ROOT, "/d", FS_T_DIR, &d, false) == 0);
    for (int i = 0; i < N; i++) {
        snprintf(path, sizeof path, "/d/file%03d", i);
        inums[i] = make_file(path, (size_t)i * 37, i);
        REQUIREF(inums[i] != 0, "creating %s", path);
    }
    CHECK(size_of(d) == 2 * BS);                    // 102 entries, 2 blocks
    int seen[N] = { 0 }, dots = 0, total = 0, r;
    uint64_t cookie = 0;
    uint32_t inum;
    while ((r = fs_readdir(&fs, d, &cookie, name, &inum)) == 1) {
        int i;
        total++;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            dots += inum == (name[1] ? ROOT : d);
        else if (sscanf(name, "file%03d", &i) == 1 && i >= 0 && i < N && inums[i] == inum)
            seen[i]++;
    }
    CHECK(r == 0 && total == N + 2 && dots == 2);
    for (int i = 0; i < N; i++)
        CHECKF(seen[i] == 1, "file%03d listed %d times", i, seen[i]);
    for (int i = 0; i < N; i++) {
        snprintf(path, sizeof path, "/d/file%03d", i);
        CHECKF(file_is(path, (size_t)i * 37, i), "%s", path);
    }
    for (int i = 0; i < N; i += 2) {                // remove half, reuse slots
        snprintf(path, sizeof path, "/d/file%03d", i);
        CHECK(fs_unlink(&fs, ROOT, path, &inum) == 0 && fs_release(&fs, inum) == 0);
    }
    for (cookie = 0, total = 0; fs_readdir(&fs, d, &cookie, name, &inum) == 1;)
        total++;
    CHECK(total == N / 2 + 2);
    for (int i = 0; i < N; i += 2) {
        snprintf(path, sizeof path, "/d/new%03d", i);
        CHECK(make_file(path, 10, i) != 0);
    }
    CHECK(size_of(d) == 2 * BS);                    // freed slots were reused
    CHECK(fs_readdir(&fs, inums[1], &cookie, name, &inum) == -FS_ENOTDIR);
    CHECK_CLEAN();
}

// A directory that grows into its indirect block: 1000 names (links to
// one file, so that inodes do not run out), listed, then removed.
static void
test_big_dir(void)
{
    enum { N = 1000 };
    uint32_t d, f, inum;
    char path[64], name[FS_NAME_MAX + 1];
    REQUIRE(fresh_fs());
    REQUIRE(fs_create(&fs, ROOT, "/d", FS_T_DIR, &d, false) == 0);
    REQUIRE((f = make_file("/f", 100, 1)) != 0);
    for (int i = 0; i < N; i++) {
        snprintf(path, sizeof path, "/d/link%04d", i);
        REQUIRE(fs_link(&fs, ROOT, "/f", path) == 0);
    }
    struct fs_statbuf st;
    uint64_t nb = (N + 2 + FS_DIRENTS_PER_BLOCK - 1) / FS_DIRENTS_PER_BLOCK;
    CHECK(fs_stat(&fs, d, &st) == 0 && st.size == nb * BS && st.blocks == nb + 1);
    CHECK(nlink_of(f) == N + 1);
    CHECK(lookup("/d/link0999") == f && lookup("/d/link0000") == f);
    uint64_t cookie = 0;
    int total = 0;
    while (fs_readdir(&fs, d, &cookie, name, &inum) == 1)
        total += inum == f;
    CHECK(total == N);
    CHECK_CLEAN();
    for (int i = 0; i < N; i++) {
        snprintf(path, sizeof path, "/d/link%04d", i);
        CHECK(fs_unlink(&fs, ROOT, path, NULL) == 0);
    }
    CHECK(nlink_of(f) == 1);
    uint32_t before = free_blocks();
    CHECK(fs_rmdir(&fs, ROOT, "/d", &inum) == 0 && fs_release(&fs, inum) == 0);
    CHECK(free_blocks() == before + nb + 1);
    CHECK_CLEAN();
}

static void
test_big_file(void)
{
    const size_t n = 10 * 1024 * 1024 + 512 * 1024 + 77;   // > 10 MiB
    uint32_t inum;
    uint8_t *buf = malloc(n), *back = malloc(n);
    REQUIRE(buf != NULL && back != NULL);
    REQUIREF(fresh_fs(), "setup");
    uint32_t before = free_blocks();
    fill_pat(buf, 0, n, 5);
    REQUIRE(fs_create(&fs, ROOT, "/big", FS_T_FILE, &inum, false) == 0);
    for (size_t off = 0; off < n; off += 300007) {         // odd-sized pieces
        size_t k = n - off < 300007 ? n - off : 300007;
        REQUIRE(fs_write(&fs, inum, off, buf + off, k) == (long)k);
    }
    uint64_t nb = fs_size_blocks(n);
    struct fs_statbuf st;
    CHECK(fs_stat(&fs, inum, &st) == 0 && st.size == n);
    // data + indirect + double-indirect + its indirect blocks
    CHECK(st.blocks == nb + 2 + (nb - FS_DIND_FIRST + FS_NINDIRECT - 1) / FS_NINDIRECT);
    CHECK(before - free_blocks() == st.blocks);
    memset(back, 0, n);
    for (size_t off = 0; off < n; off += 65549) {
        size_t k = n - off < 65549 ? n - off : 65549;
        CHECK(fs_read(&fs, inum, off, back + off, k) == (long)k);
    }
    CHECKF(memcmp(buf, back, n) == 0, "first difference at %ld",
           diff_pat(back, 0, n, 5));
    REQUIRE(remount() == 0);
    memset(back, 0, n);
    CHECK(fs_read(&fs, inum, 0, back, n + 100) == (long)n);
    CHECK(memcmp(buf, back, n) == 0);
    CHECK_CLEAN();
    CHECK(fs_truncate(&fs, inum, 5000 * 1000) == 0);        // into the dind range
    CHECK(fs_read(&fs, inum, 0, back, n) == 5000 * 1000);
    CHECK(memcmp(buf, back, 5000 * 1000) == 0);
    CHECK_CLEAN();
    CHECK(fs_truncate(&fs, inum, 0) == 0 && free_blocks() == before);
    CHECK(fs_stat(&fs, inum, &st) == 0 && st.blocks == 0 && st.size == 0);
    CHECK_CLEAN();
    free(buf);
    free(back);
}

static void
test_holes(void)
{
    uint32_t inum;
    uint8_t buf[3 * BS], zero[3 * BS] = { 0 };
    struct fs_statbuf st;
    REQUIRE(fresh_fs());
    REQUIRE(fs_create(&fs, ROOT, "/h", FS_T_FILE, &inum, false) == 0);
    const uint64_t far = 5 * 1024 * 1024 + 100;            // in the dind range
    CHECK(fs_write(&fs, inum, 0, "A", 1) == 1);
    CHECK(fs_write(&fs, inum, far, "B", 1) == 1);
    CHECK(fs_stat(&fs, inum, &st) == 0 && st.size == far + 1);
    CHECK(st.blocks == 4);                  // 2 data, dind and one indirect
    CHECK(fs_read(&fs, inum, 1, buf, sizeof buf) == sizeof buf);
    CHECK(memcmp(buf, zero, sizeof buf) == 0);
    CHECK(fs_read(&fs, inum, far - 5, buf, 10) == 6);
    CHECK(memcmp(buf, zero, 5) == 0 && buf[5] == 'B');
    // A write into the middle of a hole, across a block boundary.
    fill_pat(buf, 0, 2 * BS, 3);
    CHECK(fs_write(&fs, inum, 20 * BS - 10, buf, 2 * BS) == 2 * BS);
    CHECK(fs_stat(&fs, inum, &st) == 0 && st.size == far + 1 && st.blocks == 8);
    uint8_t back[4 * BS];
    CHECK(fs_read(&fs, inum, 19 * BS, back, 4 * BS) == 4 * BS);
    CHECK(memcmp(back, zero, BS - 10) == 0);
    CHECK(memcmp(back + BS - 10, buf, 2 * BS) == 0);
    CHECK(memcmp(back + 3 * BS - 10, zero, BS + 10) == 0);
    // Grow by truncate: a hole; the old tail stays zero.
    CHECK(fs_truncate(&fs, inum, far + 3 * BS) == 0);
    CHECK(fs_read(&fs, inum, far, back, 4 * BS) == 3 * BS);
    CHECK(back[0] == 'B' && memcmp(back + 1, zero, 3 * BS - 1) == 0);
    // Shrinking into a partial block zeroes its rest: growing shows zeros.
    CHECK(fs_truncate(&fs, inum, 20 * BS - 5) == 0);
    CHECK(fs_truncate(&fs, inum, 22 * BS) == 0);
    CHECK(fs_read(&fs, inum, 20 * BS - 10, back, 2 * BS) == 2 * BS);
    CHECK(memcmp(back, buf, 5) == 0 && memcmp(back + 5, zero, 2 * BS - 5) == 0);
    CHECK_CLEAN();
}

static void
test_links(void)
{
    uint32_t f, d, x;
    REQUIRE(fresh_fs());
    REQUIRE((f = make_file("/f", 9000, 1)) != 0);
    REQUIRE(fs_create(&fs, ROOT, "/d", FS_T_DIR, &d, false) == 0);
    uint32_t before = free_blocks();
    CHECK(fs_link(&fs, ROOT, "/f", "/g") == 0);
    CHECK(fs_link(&fs, d, "../f", "h") == 0);
    CHECK(lookup("/g") == f && lookup("/d/h") == f && nlink_of(f) == 3);
    CHECK(fs_link(&fs, ROOT, "/f", "/d/h") == -FS_EEXIST);
    CHECK(fs_link(&fs, ROOT, "/f", "/d") == -FS_EEXIST);
    CHECK(fs_link(&fs, ROOT, "/d", "/e") == -FS_EPERM);
    CHECK(fs_link(&fs, ROOT, "/nope", "/e") == -FS_ENOENT);
    CHECK(fs_link(&fs, ROOT, "/f", "/nope/e") == -FS_ENOENT);
    CHECK(fs_link(&fs, ROOT, "/f", "/e/") == -FS_ENOTDIR);
    CHECK(fs_link(&fs, ROOT, "/f", "/") == -FS_EEXIST);
    CHECK_CLEAN();
    CHECK(fs_unlink(&fs, ROOT, "/f", &x) == 0 && x == f && nlink_of(f) == 2);
    CHECK(fs_release(&fs, f) == 0);             // still named: nothing happens
    CHECK(file_is("/g", 9000, 1) && file_is("/d/h", 9000, 1));
    CHECK(fs_unlink(&fs, ROOT, "/g", NULL) == 0 && nlink_of(f) == 1);
    CHECK(fs_unlink(&fs, d, "h/", NULL) == -FS_ENOTDIR);
    CHECK(fs_unlink(&fs, d, "h", NULL) == 0 && nlink_of(f) == 0);
    CHECK(free_blocks() == before);             // not released yet
    CHECK(fs_release(&fs, f) == 0 && free_blocks() == before + 3);
    CHECK(fs_unlink(&fs, ROOT, "/d", NULL) == -FS_EISDIR);
    CHECK(fs_unlink(&fs, ROOT, "/", NULL) == -FS_EISDIR);
    CHECK(fs_unlink(&fs, ROOT, "/d/..", NULL) == -FS_EISDIR);
    CHECK(fs_unlink(&fs, ROOT, "/nope", NULL) == -FS_ENOENT);
    CHECK_CLEAN();
}

static void
test_rename(void)
{
    uint32_t f, g, d, e, sub, x, gone;
    REQUIRE(fresh_fs());
    REQUIRE((f = make_file("/f", 9000, 1)) != 0);
    REQUIRE((g = make_file("/g", 5000, 2)) != 0);
    REQUIRE(fs_create(&fs, ROOT, "/d", FS_T_DIR, &d, false) == 0);
    REQUIRE(fs_create(&fs, ROOT, "/e", FS_T_DIR, &e, false) == 0);
    REQUIRE(fs_create(&fs, ROOT, "/d/sub", FS_T_DIR, &sub, false) == 0);
    // a new name, then another directory
    CHECK(fs_rename(&fs, ROOT, "/f", "/f2", &gone) == 0 && gone == 0);
    CHECK(lookup("/f") == 0 && lookup("/f2") == f && file_is("/f2", 9000, 1));
    CHECK(fs_rename(&fs, d, "../f2", "f3", &gone) == 0 && lookup("/d/f3") == f);
    CHECK(nlink_of(f) == 1);
    CHECK_CLEAN();
    // replacing a file: the old one has no name left
    uint32_t before = free_blocks();
    CHECK(fs_rename(&fs, ROOT, "/d/f3", "/g", &gone) == 0 && gone == g);
    CHECK(lookup("/g") == f && lookup("/d/f3") == 0 && nlink_of(g) == 0);
    CHECK(free_blocks() == before);             // until released
    CHECK(fs_release(&fs, g) == 0 && free_blocks() == before + 2);
    CHECK_CLEAN();
    // replacing one of two names of a file: it keeps the other
    REQUIRE(make_file("/h", 100, 3) != 0 && fs_link(&fs, ROOT, "/h", "/d/h2") == 0);
    CHECK(fs_rename(&fs, ROOT, "/g", "/h", &gone) == 0 && gone == 0);
    CHECK(lookup("/h") == f && file_is("/d/h2", 100, 3) && nlink_of(lookup("/d/h2")) == 1);
    // two names of one file: nothing happens
    REQUIRE(fs_link(&fs, ROOT, "/h", "/h3") == 0);
    CHECK(fs_rename(&fs, ROOT, "/h", "/h3", &gone) == 0 && gone == 0);
    CHECK(lookup("/h") == f && lookup("/h3") == f && nlink_of(f) == 2);
    CHECK(fs_unlink(&fs, ROOT, "/h3", NULL) == 0);
    CHECK_CLEAN();
    // a directory to another parent: its ".." and the link counts follow
    CHECK(nlink_of(d) == 3 && nlink_of(e) == 2);
    CHECK(fs_rename(&fs, ROOT, "/d/sub", "/e/sub2", &gone) == 0 && gone == 0);
    CHECK(nlink_of(d) == 2 && nlink_of(e) == 3 && nlink_of(sub) == 2);
    CHECK(fs_namei(&fs, sub, "..", &x) == 0 && x == e);
    CHECK_CLEAN();
    // onto an empty directory: replaced (released by the caller)
    CHECK(fs_unlink(&fs, ROOT, "/d/h2", &x) == 0 && fs_release(&fs, x) == 0);
    CHECK(fs_rename(&fs, ROOT, "/e/sub2", "/d", &gone) == 0 && gone == d);
    CHECK(lookup("/d") == sub && lookup("/e/sub2") == 0 && nlink_of(d) == 0);
    CHECK(nlink_of(e) == 2 && nlink_of(ROOT) == 4);
    CHECK(fs_namei(&fs, sub, "..", &x) == 0 && x == ROOT);
    CHECK(fs_release(&fs, d) == 0);
    CHECK_CLEAN();
    // errors change nothing
    REQUIRE(make_file("/e/in", 10, 4) != 0);
    CHECK(fs_rename(&fs, ROOT, "/nope", "/x", &gone) == -FS_ENOENT);
    CHECK(fs_rename(&fs, ROOT, "/h", "/nope/x", &gone) == -FS_ENOENT);
    CHECK(fs_rename(&fs, ROOT, "", "/x", &gone) == -FS_ENOENT);
    CHECK(fs_rename(&fs, ROOT, "/h", "/e", &gone) == -FS_EISDIR);
    CHECK(fs_rename(&fs, ROOT, "/e", "/h", &gone) == -FS_ENOTDIR);
    CHECK(fs_rename(&fs, ROOT, "/h/", "/x", &gone) == -FS_ENOTDIR);
    CHECK(fs_rename(&fs, ROOT, "/h", "/x/", &gone) == -FS_ENOTDIR);
    CHECK(fs_rename(&fs, ROOT, "/d", "/e", &gone) == -FS_ENOTEMPTY);
    CHECK(fs_rename(&fs, ROOT, "/e", "/e/x", &gone) == -FS_EINVAL);
    CHECK(fs_rename(&fs, ROOT, "/", "/x", &gone) == -FS_EBUSY);
    CHECK(fs_rename(&fs, ROOT, "/h", "/", &gone) == -FS_EBUSY);
    CHECK(fs_rename(&fs, ROOT, "/e/.", "/x", &gone) == -FS_EINVAL);
    CHECK(fs_rename(&fs, ROOT, "/h", "/e/..", &gone) == -FS_EINVAL);
    CHECK(gone == 0 && lookup("/x") == 0 && lookup("/h") == f && file_is("/e/in", 10, 4));
    CHECK(fs_rename(&fs, ROOT, "/e", "/e", &gone) == 0);
    CHECK_CLEAN();
    // the modification time: stamped when fs->now is set
    fs.now = 1234567890;
    CHECK(fs_touch(&fs, f) == 0 && fs_stat(&fs, f, &(struct fs_statbuf){ 0 }) == 0);
    struct fs_statbuf st;
    CHECK(fs_stat(&fs, f, &st) == 0 && st.mtime == 1234567890);
    CHECK(fs_rename(&fs, ROOT, "/h", "/e/h", &gone) == 0);
    CHECK(fs_stat(&fs, e, &st) == 0 && st.mtime == 1234567890);
    fs.now = 0;
    CHECK_CLEAN();
}

static void
test_rmdir(void)
{
    uint32_t d, e, x;
    char name[FS_NAME_MAX + 1];
    uint64_t cookie = 0;
    REQUIRE(fresh_fs());
    REQUIRE(fs_create(&fs, ROOT, "/d", FS_T_DIR, &d, false) == 0);
    REQUIRE(fs_create(&fs, ROOT, "/d/e", FS_T_DIR, &e, false) == 0);
    REQUIRE(make_file("/d/f", 10, 1) != 0);
    CHECK(fs_rmdir(&fs, ROOT, "/d", NULL) == -FS_ENOTEMPTY);
    CHECK(fs_rmdir(&fs, ROOT, "/d/f", NULL) == -FS_ENOTDIR);
    CHECK(fs_rmdir(&fs, ROOT, "/", NULL) == -FS_EBUSY);
    CHECK(fs_rmdir(&fs, ROOT, "/d/.", NULL) == -FS_EINVAL);
    CHECK(fs_rmdir(&fs, ROOT, "/d/e/..", NULL) == -FS_ENOTEMPTY);
    CHECK(fs_rmdir(&fs, ROOT, "/d/nope", NULL) == -FS_ENOENT);
    CHECK(nlink_of(d) == 3);
    CHECK(fs_rmdir(&fs, ROOT, "/d/e/", &x) == 0 && x == e && nlink_of(d) == 2);
    // A removed directory that is still in use (someone's cwd): empty.
    CHECK(fs_create(&fs, e, "x", FS_T_FILE, &x, false) == -FS_ENOENT);
    CHECK(fs_namei(&fs, e, ".", &x) == -FS_ENOENT);
    CHECK(fs_readdir(&fs, e, &cookie, name, &x) == 0);
    CHECK(fs_release(&fs, e) == 0 && fs_stat(&fs, e, &(struct fs_statbuf){ 0 }) == -FS_ENOENT);
    CHECK(fs_unlink(&fs, ROOT, "/d/f", &x) == 0 && fs_release(&fs, x) == 0);
    CHECK(fs_rmdir(&fs, ROOT, "/d", &x) == 0 && x == d && fs_release(&fs, d) == 0);
    CHECK(nlink_of(ROOT) == 2 && lookup("/d") == 0);
    CHECK_CLEAN();
}

static void
test_bad_input(void)
{
    char longname[FS_NAME_MAX + 2], path[FS_PATH_MAX + 10];
    uint32_t f, x;
    uint8_t buf[16];
    REQUIRE(fresh_fs());
    REQUIRE((f = make_file("/f", 10, 1)) != 0);
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';                   // 60 bytes
    CHECK(fs_create(&fs, ROOT, longname, FS_T_FILE, &x, false) == -FS_ENAMETOOLONG);
    CHECK(fs_namei(&fs, ROOT, longname, &x) == -FS_ENAMETOOLONG);
    snprintf(path, sizeof path, "/%s/x", longname);
    CHECK(fs_namei(&fs, ROOT, path, &x) == -FS_ENAMETOOLONG);
    longname[FS_NAME_MAX] = '\0';                           // 59: fine
    CHECK(fs_create(&fs, ROOT, longname, FS_T_FILE, &x, false) == 0 && lookup(longname) == x);
    memset(path, 'a', sizeof path);
    for (unsigned i = 0; i < FS_PATH_MAX + 8; i += 2)
        path[i] = '/';
    path[FS_PATH_MAX + 8] = '\0';
    CHECK(fs_namei(&fs, ROOT, path, &x) == -FS_ENAMETOOLONG);
    CHECK(fs_namei(&fs, ROOT, "", &x) == -FS_ENOENT);
    CHECK(fs_create(&fs, ROOT, "", FS_T_FILE, &x, false) == -FS_ENOENT);
    CHECK(fs_create(&fs, ROOT, "/f/x", FS_T_FILE, &x, false) == -FS_ENOTDIR);
    CHECK(fs_create(&fs, ROOT, "/f/x/y", FS_T_DIR, &x, false) == -FS_ENOTDIR);
    CHECK(fs_namei(&fs, ROOT, "/f/x", &x) == -FS_ENOTDIR);
    CHECK(fs_namei(&fs, ROOT, "/nope/x", &x) == -FS_ENOENT);
    CHECK(fs_create(&fs, ROOT, "/nope/x", FS_T_DIR, &x, false) == -FS_ENOENT);
    CHECK(fs_unlink(&fs, ROOT, "/nope/x", NULL) == -FS_ENOENT);
    CHECK(fs_create(&fs, ROOT, "/z", 7, &x, false) == -FS_EINVAL);
    CHECK(fs_namei(&fs, 0, "x", &x) == -FS_EINVAL);                 // bad cwd
    CHECK(fs_namei(&fs, 100000, "x", &x) == -FS_EINVAL);
    CHECK(fs_namei(&fs, 0, "/f", &x) == 0 && x == f);              // not used
    CHECK(fs_read(&fs, ROOT, 0, buf, 4) == -FS_EISDIR);
    CHECK(fs_write(&fs, ROOT, 0, buf, 4) == -FS_EISDIR);
    CHECK(fs_truncate(&fs, ROOT, 0) == -FS_EISDIR);
    CHECK(fs_stat(&fs, 77, &(struct fs_statbuf){ 0 }) == -FS_ENOENT);
    CHECK(fs_stat(&fs, 0, &(struct fs_statbuf){ 0 }) == -FS_EINVAL);
    CHECK(fs_read(&fs, 77, 0, buf, 4) == -FS_ENOENT);
    CHECK(fs_truncate(&fs, f, FS_MAX_FILE_SIZE + 1) == -FS_EFBIG);
    CHECK(fs_write(&fs, f, FS_MAX_FILE_SIZE, buf, 1) == -FS_EFBIG);
    CHECK(fs_write(&fs, f, FS_MAX_FILE_SIZE - 2, buf, 4) == 2);    // short
    CHECK(fs_map_block(&fs, f, FS_MAX_FILE_BLOCKS, false, &x) == -FS_EFBIG);
    CHECK(fs_truncate(&fs, f, 10) == 0);
    CHECK_CLEAN();

    // Mount failures.
    struct fs other;
    size_t least = FS_MEM_MIN + FS_MAP_BYTES(disk.nblocks);
    uint8_t *mem = malloc(least);
    CHECK(fs_mount(&other, &dev, disk.nblocks, mem, FS_MEM_MIN - 1) == -FS_ENOMEM);
    CHECK(fs_mount(&other, &dev, disk.nblocks, mem, least - 17) == -FS_ENOMEM);
    CHECK(fs_mount(&other, &dev, disk.nblocks - 1, mem, least) == -FS_EINVAL);
    CHECK(strstr(fs_mount_error(&other), "truncated") != NULL);
    disk_sb()->magic ^= 1;
    CHECK(fs_mount(&other, &dev, disk.nblocks, mem, least) == -FS_EINVAL);
    CHECK(strstr(fs_mount_error(&other), "magic") != NULL);
    disk_sb()->magic ^= 1;
    CHECK(fs_mount(&other, &dev, disk.nblocks, mem, least) == 0 && !fs_readonly(&other));
    CHECK(*fs_mount_error(&other) == '\0' && fs_tx_blocks(&other) == FS_TX_MIN);
    CHECK(file_is("/f", 10, 1));
    free(mem);
}

static void
test_enospc(void)
{
    const size_t n = 3 * 1024 * 1024;
    uint32_t big, x;
    uint8_t *buf = malloc(n);
    REQUIRE(buf != NULL);
    fill_pat(buf, 0, n, 9);
    fsmem_size = FS_MEM_DEFAULT;
    REQUIRE(disk_format(512, 128, 32) && remount() == 0);
    REQUIRE(fs_create(&fs, ROOT, "/d", FS_T_DIR, &x, false) == 0);
    uint32_t empty = free_blocks();
    REQUIRE(fs_create(&fs, ROOT, "/big", FS_T_FILE, &big, false) == 0);
    long w = fs_write(&fs, big, 100, buf, n);
    CHECKF(w > 0 && (size_t)w < n, "wrote %ld", w);
    CHECK(free_blocks() == 0 && size_of(big) == 100 + (uint64_t)w);
    CHECK(fs_write(&fs, big, size_of(big), buf, 10) == -FS_ENOSPC);
    CHECK(fs_write(&fs, big, 0, "abc", 3) == 3);           // overwriting is fine
    CHECK_CLEAN();
    uint8_t *back = malloc(n);
    CHECK(fs_read(&fs, big, 100, back, n) == w && memcmp(back + 3, buf + 3, (size_t)w - 3) == 0);
    // Metadata that needs blocks fails cleanly; creating a file needs none.
    CHECK(fs_create(&fs, ROOT, "/d/sub", FS_T_DIR, &x, false) == -FS_ENOSPC);
    CHECK(lookup("/d/sub") == 0 && nlink_of(lookup("/d")) == 2);
    char path[32];
    int made = 0, r = 0;
    for (int i = 0; i < 200 && r == 0; i++) {       // fill /d's block, then ENOSPC
        snprintf(path, sizeof path, "/d/f%d", i);
        r = fs_create(&fs, ROOT, path, FS_T_FILE, &x, false);
        made += r == 0;
    }
    CHECK(r == -FS_ENOSPC && made == 62);
    CHECK(fs_map_block(&fs, x, 0, true, &x) == -FS_ENOSPC);
    CHECK_CLEAN();
    // Delete and write again.
    CHECK(fs_unlink(&fs, ROOT, "/big", &x) == 0 && fs_release(&fs, x) == 0);
    CHECK(free_blocks() == empty);
    CHECK(fs_write(&fs, lookup("/d/f0"), 0, buf, 1024 * 1024) == 1024 * 1024);
    CHECK(file_is("/d/f0", 1024 * 1024, 9));
    CHECK_CLEAN();
    // Out of inodes (128 on this disk, inode 0 unused).
    r = 0;
    for (int i = 0; i < 200 && r == 0; i++) {
        snprintf(path, sizeof path, "/i%d", i);
        r = fs_create(&fs, ROOT, path, FS_T_FILE, &x, false);
    }
    CHECK(r == -FS_ENOSPC);
    CHECK_CLEAN();
    free(buf);
    free(back);
}

static void
test_remount(void)
{
    uint32_t x;
    REQUIRE(fresh_fs());
    REQUIRE(fs_create(&fs, ROOT, "/a", FS_T_DIR, &x, false) == 0);
    REQUIRE(fs_create(&fs, ROOT, "/a/b", FS_T_DIR, &x, false) == 0);
    REQUIRE(make_file("/a/b/one", 12345, 1) != 0);
    REQUIRE(make_file("/two", 300000, 2) != 0);
    REQUIRE(fs_link(&fs, ROOT, "/two", "/a/two") == 0);
    REQUIRE(remount() == 0);
    CHECK(file_is("/a/b/one", 12345, 1) && file_is("/two", 300000, 2));
    CHECK(lookup("/a/two") == lookup("/two") && nlink_of(lookup("/two")) == 2);
    fsmem_size = FS_MEM_MIN;                // the smallest memory works too
    REQUIRE(remount() == 0);
    CHECK(fs_tx_blocks(&fs) == FS_TX_MIN);
    CHECK(file_is("/a/b/one", 12345, 1) && file_is("/two", 300000, 2));
    CHECK(make_file("/three", 500000, 3) != 0);
    fsmem_size = FS_MEM_DEFAULT;
    REQUIRE(remount() == 0);
    CHECK(file_is("/three", 500000, 3));
    CHECK_CLEAN();
}

static void
test_orphans(void)
{
    uint32_t f, d, x;
    uint8_t buf[100];
    REQUIRE(fresh_fs());
    uint32_t before = free_blocks();
    REQUIRE((f = make_file("/f", 200000, 4)) != 0);
    REQUIRE(fs_create(&fs, ROOT, "/d", FS_T_DIR, &d, false) == 0);
    CHECK(fs_unlink(&fs, ROOT, "/f", NULL) == 0);       // "open": not released
    CHECK(fs_rmdir(&fs, ROOT, "/d", NULL) == 0);
    CHECK(fs_read(&fs, f, 1000, buf, sizeof buf) == sizeof buf);
    CHECK(diff_pat(buf, 1000, sizeof buf, 4) < 0);
    CHECK(fs_write(&fs, f, 200000, buf, sizeof buf) == sizeof buf);
    REQUIRE(remount() == 0);                           // the crash "closes" them
    CHECK(fs_stat(&fs, f, &(struct fs_statbuf){ 0 }) == -FS_ENOENT);
    CHECK(fs_stat(&fs, d, &(struct fs_statbuf){ 0 }) == -FS_ENOENT);
    CHECK(free_blocks() == before);
    CHECK(fs_create(&fs, ROOT, "/g", FS_T_FILE, &x, false) == 0);
    CHECK_CLEAN();
}

static void
test_map_block(void)
{
    uint32_t f, b, b2;
    uint8_t buf[2 * BS];
    REQUIRE(fresh_fs());
    REQUIRE(fs_create(&fs, ROOT, "/m", FS_T_FILE, &f, false) == 0);
    CHECK(fs_map_block(&fs, f, 3, false, &b) == 0 && b == 0);
    memset(dput(disk_sb()->data_start + 1), 0xee, BS);      // garbage in free blocks
    memset(dput(disk_sb()->data_start + 2), 0xee, BS);
    CHECK(fs_map_block(&fs, f, 3, true, &b) == 0 && b != 0);
    CHECK(size_of(f) == 4 * BS);
    CHECK(fs_map_block(&fs, f, 3, false, &b2) == 0 && b2 == b);
    CHECK(fs_map_block(&fs, f, 3, true, &b2) == 0 && b2 == b);
    CHECK(fs_read(&fs, f, 3 * BS, buf, BS) == BS && buf[0] == 0 && buf[BS - 1] == 0);
    // The server writes the page straight to the disk, then sets the size.
    fill_pat(dput(b), 3 * BS, BS, 6);
    CHECK(fs_set_size(&fs, f, 3 * BS + 100) == 0);
    CHECK(fs_read(&fs, f, 3 * BS, buf, BS) == 100 && diff_pat(buf, 3 * BS, 100, 6) < 0);
    CHECK(fs_map_block(&fs, f, 4, true, &b2) == 0 && size_of(f) == 5 * BS);
    fill_pat(dput(b2), 4 * BS, BS, 6);
    CHECK(fs_set_size(&fs, f, 5 * BS) == 0);            // growing keeps the data
    CHECK(fs_read(&fs, f, 3 * BS, buf, 2 * BS) == 2 * BS);
    CHECK(diff_pat(buf, 3 * BS, 100, 6) < 0 && buf[100] == 0 && buf[BS - 1] == 0);
    CHECK(diff_pat(buf + BS, 4 * BS, BS, 6) < 0);
    CHECK(fs_map_block(&fs, f, 1, false, &b2) == 0 && b2 == 0);    // a hole
    CHECK(fs_map_block(&fs, ROOT, 0, false, &b2) == -FS_EISDIR);
    CHECK_CLEAN();
}

static void
test_io_errors(void)
{
    uint32_t f, x;
    uint8_t buf[BS];
    REQUIRE(fresh_fs());
    REQUIRE((f = make_file("/f", 5000, 1)) != 0);
    REQUIRE(remount() == 0);                // cold cache
    disk.fail_reads = true;
    CHECK(fs_namei(&fs, ROOT, "/f", &x) == -FS_EIO);
    CHECK(fs_read(&fs, f, 0, buf, 10) == -FS_EIO);
    disk.fail_reads = false;
    disk.budget = 3;        // 2 log blocks and the header: committed, not installed
    CHECK(fs_write(&fs, f, 0, "zzzz", 4) == -FS_EIO);
    CHECK(fs_create(&fs, ROOT, "/g", FS_T_FILE, &x, false) == -FS_EIO);
    disk.budget = -1;                       // the disk is back: recovery, then on
    CHECK(make_file("/g", 7000, 2) != 0);
    CHECK(file_is("/g", 7000, 2));
    REQUIRE(remount() == 0);
    CHECK(file_is("/g", 7000, 2));
    CHECK(lookup("/f") == f && size_of(f) == 5000);
    CHECK(fs_read(&fs, f, 0, buf, 5) == 5 && memcmp(buf, "zzzz", 4) == 0);
    CHECK_CLEAN();
}

// ---- crash tests ----------------------------------------------------------------
// A case builds a starting state, runs an operation, and classifies what a
// remount shows afterwards: OLD, NEW, MID (an allowed state between them,
// such as a prefix of a multi-transaction write) or BAD.

enum { OLD, NEW, MID, BAD };

static char crash_why[200];

// A small file (8 blocks of pattern 7) at path.
static bool
small_file(const char *path)
{
    return make_file(path, 30000, 7) != 0;
}

static bool
setup_dir(void)
{
    uint32_t x;
    return fs_create(&fs, ROOT, "/d", FS_T_DIR, &x, false) == 0 &&
           small_file("/d/keep");
}

static void
op_create_write(void)
{
    uint32_t x;
    uint8_t buf[10000];
    fill_pat(buf, 0, sizeof buf, 8);
    if (fs_create(&fs, ROOT, "/d/f", FS_T_FILE, &x, false) == 0)
        fs_write(&fs, x, 0, buf, sizeof buf);
}

static int
state_create_write(void)
{
    uint32_t x = lookup("/d/f");
    if (x == 0)
        return OLD;
    if (size_of(x) == 0)
        return MID;                         // created, not yet written
    return file_is("/d/f", 10000, 8) ? NEW : BAD;
}

static bool
setup_unlink(void)
{
    return setup_dir() && small_file("/d/f");
}

static void
op_unlink(void)
{
    uint32_t x;
    if (fs_unlink(&fs, ROOT, "/d/f", &x) == 0)
        fs_release(&fs, x);
}

static int
state_unlink(void)
{
    if (lookup("/d/f") == 0)
        return NEW;
    return file_is("/d/f", 30000, 7) ? OLD : BAD;
}

static void
op_mkdir(void)
{
    uint32_t x;
    fs_create(&fs, ROOT, "/d/sub", FS_T_DIR, &x, false);
}

static int
state_mkdir(void)
{
    uint32_t x = lookup("/d/sub"), y;
    if (x == 0)
        return nlink_of(lookup("/d")) == 2 ? OLD : BAD;
    return fs_namei(&fs, x, "..", &y) == 0 && y == lookup("/d") &&
           nlink_of(x) == 2 ? NEW : BAD;
}

static bool
setup_rmdir(void)
{
    uint32_t x;
    return setup_dir() && fs_create(&fs, ROOT, "/d/sub", FS_T_DIR, &x, false) == 0;
}

static void
op_rmdir(void)
{
    uint32_t x;
    if (fs_rmdir(&fs, ROOT, "/d/sub", &x) == 0)
        fs_release(&fs, x);
}

static int
state_rmdir(void)
{
    return state_mkdir() == OLD ? NEW : state_mkdir() == NEW ? OLD : BAD;
}

static bool
setup_link(void)
{
    return setup_dir() && small_file("/f");
}

static void
op_link(void)
{
    fs_link(&fs, ROOT, "/f", "/d/g");
}

static int
state_link(void)
{
    if (!file_is("/f", 30000, 7))
        return BAD;
    return lookup("/d/g") == 0 ? OLD : lookup("/d/g") == lookup("/f") ? NEW : BAD;
}

#define BIGW (100 * BS + 123)       // crosses into the indirect range

// rename: a file replacing another, and a directory moved to another parent.
static bool
setup_rename(void)
{
    uint32_t x;
    return setup_dir() && small_file("/f") &&
           fs_create(&fs, ROOT, "/e", FS_T_DIR, &x, false) == 0 &&
           fs_create(&fs, ROOT, "/e/sub", FS_T_DIR, &x, false) == 0;
}

static void
op_rename_file(void)
{
    uint32_t gone;
    if (fs_rename(&fs, ROOT, "/f", "/d/keep", &gone) == 0 && gone != 0)
        fs_release(&fs, gone);
}

static int
state_rename_file(void)
{
    if (lookup("/f") != 0)
        return file_is("/f", 30000, 7) && file_is("/d/keep", 30000, 7) &&
               lookup("/f") != lookup("/d/keep") ? OLD : BAD;
    return file_is("/d/keep", 30000, 7) && nlink_of(lookup("/d/keep")) == 1 ? NEW : BAD;
}

static void
op_rename_dir(void)
{
    fs_rename(&fs, ROOT, "/e/sub", "/d/sub2", NULL);
}

static int
state_rename_dir(void)
{
    uint32_t d = lookup("/d"), e = lookup("/e"), s = lookup("/e/sub"), t = lookup("/d/sub2"), up;
    if (s != 0 && t == 0)
        return nlink_of(e) == 3 && nlink_of(d) == 2 && fs_namei(&fs, s, "..", &up) == 0 && up == e
                   ? OLD : BAD;
    if (s == 0 && t != 0)
        return nlink_of(e) == 2 && nlink_of(d) == 3 && fs_namei(&fs, t, "..", &up) == 0 && up == d
                   ? NEW : BAD;
    return BAD;
}

static bool
setup_big(void)
{
    uint32_t x;
    return setup_dir() && fs_create(&fs, ROOT, "/big", FS_T_FILE, &x, false) == 0;
}

static void
op_big_write(void)
{
    fs_write(&fs, lookup("/big"), 0, pattern(11, BIGW), BIGW);
}

// Whether file path is the first n bytes of pattern seed.
static bool
prefix_ok(const char *path, uint64_t n, int seed)
{
    uint8_t *buf = malloc(n + 1);
    bool ok = fs_read(&fs, lookup(path), 0, buf, n + 1) == (long)n &&
              diff_pat(buf, 0, n, seed) < 0;
    free(buf);
    return ok;
}

static int
state_big_write(void)
{
    uint64_t s = size_of(lookup("/big"));
    if (s == UINT64_MAX || !prefix_ok("/big", s, 11))
        return BAD;
    if (s == 0 || s == BIGW)
        return s == 0 ? OLD : NEW;
    snprintf(crash_why, sizeof crash_why, "size %llu", (unsigned long long)s);
    return s % BS == 0 ? MID : BAD;             // whole transactions only
}

static bool
setup_truncate(void)
{
    return setup_dir() && make_file("/big", BIGW, 12) != 0;
}

static void
op_truncate(void)
{
    fs_truncate(&fs, lookup("/big"), 5000);
}

static int
state_truncate(void)
{
    uint64_t s = size_of(lookup("/big"));
    if (s == UINT64_MAX || s < 5000 || s > BIGW || !prefix_ok("/big", s, 12))
        return BAD;
    if (s == 5000 || s == BIGW)
        return s == 5000 ? NEW : OLD;
    return s % BS == 0 ? MID : BAD;
}

static void
op_truncate_small(void)
{
    fs_truncate(&fs, lookup("/d/keep"), 5000);
}

static int
state_truncate_small(void)
{
    uint64_t s = size_of(lookup("/d/keep"));
    if ((s != 5000 && s != 30000) || !prefix_ok("/d/keep", s, 7))
        return BAD;
    return s == 5000 ? NEW : OLD;
}

// The disks with many bitmap blocks: a file whose blocks lie in different
// bitmap blocks makes a shrink need several transactions.
#define SPREAD_NBLOCKS (12 * FS_BITS_PER_BLOCK)     // 1.5 GiB, sparse
#define SPREAD_FILE 40                              // blocks

// Create file path of nblk blocks of pattern seed, each block allocated in
// the next bitmap block's range (by moving the allocation hint). Returns
// its inode number or 0.
static uint32_t
spread_file(const char *path, uint32_t nblk, int seed)
{
    const struct superblock *sb = disk_sb();
    const uint8_t *p = pattern(seed, (size_t)nblk * BS);
    uint32_t inum;
    if (fs_create(&fs, ROOT, path, FS_T_FILE, &inum, false) != 0)
        return 0;
    for (uint32_t i = 0; i < nblk; i++) {
        fs.bhint = sb->data_start + (i % sb->bitmap_blocks) * FS_BITS_PER_BLOCK + i;
        if (fs_write(&fs, inum, (uint64_t)i * BS, p + (size_t)i * BS, BS) != BS)
            return 0;
    }
    return inum;
}

static bool
setup_spread(void)
{
    return setup_dir() && spread_file("/big", SPREAD_FILE, 13) != 0;
}

static void
op_truncate_spread(void)
{
    fs_truncate(&fs, lookup("/big"), 5000);
}

static int
state_truncate_spread(void)
{
    uint64_t s = size_of(lookup("/big"));
    if (s == UINT64_MAX || s < 5000 || s > SPREAD_FILE * BS ||
        !prefix_ok("/big", s, 13))
        return BAD;
    if (s == 5000 || s == SPREAD_FILE * BS)
        return s == 5000 ? NEW : OLD;
    return s % BS == 0 ? MID : BAD;
}

static void
op_release_spread(void)
{
    uint32_t x;
    if (fs_unlink(&fs, ROOT, "/big", &x) == 0)
        fs_release(&fs, x);
}

static int
state_release_spread(void)
{
    if (lookup("/big") == 0)
        return NEW;
    return file_is("/big", SPREAD_FILE * BS, 13) ? OLD : BAD;
}

static void
test_multi_tx_shrink(void)
{
    uint32_t f, x;
    fsmem_size = FS_MEM_MIN;                    // transactions of 16 blocks
    REQUIRE(disk_format(SPREAD_NBLOCKS, 64, FS_LOG_BLOCKS) && remount() == 0);
    uint32_t before = free_blocks();
    REQUIRE((f = spread_file("/s", 100, 14)) != 0);
    CHECK(file_is("/s", 100 * BS, 14));
    CHECK_CLEAN();
    disk.commits = 0;
    CHECK(fs_truncate(&fs, f, 30 * BS + 7) == 0);
    CHECKF(disk.commits / 2 >= 4, "%ld commits", disk.commits / 2);
    CHECK(file_is("/s", 30 * BS + 7, 14));
    CHECK_CLEAN();
    disk.commits = 0;
    CHECK(fs_unlink(&fs, ROOT, "/s", &x) == 0 && fs_release(&fs, x) == 0);
    CHECKF(disk.commits / 2 >= 3, "%ld commits", disk.commits / 2);
    CHECK(free_blocks() == before);
    CHECK_CLEAN();
    fsmem_size = FS_MEM_DEFAULT;
}

// A case: its disk (nblocks blocks, the smallest log), starting state,
// operation and classification; the uncrashed operation must commit at
// least min_commits times and the crashes must show a MID state if
// want_mid.
struct crashcase {
    uint32_t nblocks;
    bool (*setup)(void);
    void (*op)(void);
    int (*state)(void);
    long min_commits;
    bool want_mid;
};

static bool fsck_now;           // run fsck in this crash_at too

// Run the operation on the disk snap with the disk dying after `budget`
// writes (-1: never), storing in *writes how many it made; then remount
// and classify. Returns the state, or BAD with crash_why set.
static int
crash_at(const struct crashcase *cc, uint8_t **snap, long budget, long *writes)
{
    snap_restore(snap);
    if (remount() != 0)
        return snprintf(crash_why, sizeof crash_why, "mount before"), BAD;
    disk.budget = budget;
    disk.writes = disk.commits = 0;
    cc->op();
    *writes = disk.writes;
    int r = remount();
    if (r != 0)
        return snprintf(crash_why, sizeof crash_why, "mount: %d %s", r,
                        fs_mount_error(&fs)), BAD;
    if (fs_readonly(&fs))
        return snprintf(crash_why, sizeof crash_why, "mount check: %s",
                        fs_check_report(&fs)), BAD;
    const char *m = fsck_now ? all_checks() : consistent();
    if (m != NULL)
        return snprintf(crash_why, sizeof crash_why, "%s", m), BAD;
    crash_why[0] = '\0';
    return cc->state();
}

// Crash the operation after every possible number of writes; fsck (slow:
// a process) checks about 40 of the crash points of each case.
static void
crash_all(const struct crashcase *cc)
{
    fsmem_size = FS_MEM_DEFAULT;
    REQUIRE(disk_format(cc->nblocks, 64, FS_TX_MIN) && remount() == 0);
    REQUIRE(cc->setup());
    uint8_t **snap = snap_take();
    REQUIRE(snap != NULL);
    long total, w;
    fsck_now = true;
    int full = crash_at(cc, snap, -1, &total);
    long commits = disk.commits / 2;
    CHECKF(full == NEW && total > 0, "uncrashed run: state %d after %ld writes %s",
           full, total, crash_why);
    CHECKF(commits >= cc->min_commits, "%ld commits", commits);
    int seen[4] = { 0 };
    for (long n = 0; n < total; n++) {
        fsck_now = n % (total / 40 + 1) == 0;
        int st = crash_at(cc, snap, n, &w);
        seen[st]++;
        CHECKF(st != BAD, "crash after %ld of %ld writes: %s", n, total,
               crash_why[0] ? crash_why : "neither old nor new");
        if (st == BAD)
            break;
    }
    CHECKF(seen[OLD] > 0 && seen[NEW] + (full == NEW) > 0 &&
           (seen[MID] > 0 || !cc->want_mid), "old %d mid %d new %d",
           seen[OLD], seen[MID], seen[NEW]);
    blocks_free(snap);
}

#define CRASH_CASE(name, nblocks, setup, op, state, commits, mid) \
    static void test_crash_##name(void) \
    { \
        static const struct crashcase cc = { \
            nblocks, setup, op, state, commits, mid \
        }; \
        crash_all(&cc); \
    }

CRASH_CASE(create_write, 512, setup_dir, op_create_write, state_create_write, 2, true)
CRASH_CASE(unlink, 512, setup_unlink, op_unlink, state_unlink, 2, false)
CRASH_CASE(mkdir, 512, setup_dir, op_mkdir, state_mkdir, 1, false)
CRASH_CASE(rmdir, 512, setup_rmdir, op_rmdir, state_rmdir, 2, false)
CRASH_CASE(link, 512, setup_link, op_link, state_link, 1, false)
CRASH_CASE(rename_file, 512, setup_rename, op_rename_file, state_rename_file, 1, false)
CRASH_CASE(rename_dir, 512, setup_rename, op_rename_dir, state_rename_dir, 1, false)
CRASH_CASE(big_write, 512, setup_big, op_big_write, state_big_write, 10, true)
CRASH_CASE(truncate, 512, setup_truncate, op_truncate, state_truncate, 1, false)
CRASH_CASE(truncate_small, 512, setup_dir, op_truncate_small, state_truncate_small, 1, false)
CRASH_CASE(truncate_spread, SPREAD_NBLOCKS, setup_spread, op_truncate_spread,
           state_truncate_spread, 3, true)
CRASH_CASE(release_spread, SPREAD_NBLOCKS, setup_spread, op_release_spread,
           state_release_spread, 3, false)

// ---- the mount check on corrupted disks -------------------------------------------------

// A populated 4 MiB file system (mounted): nested directories, a file with an
// indirect block, a hard link, an empty directory. Returns false on a
// setup failure.
static bool
populated_fs(void)
{
    uint32_t x;
    fsmem_size = FS_MEM_DEFAULT;
    return disk_format(1024, 128, FS_LOG_BLOCKS) && remount() == 0 &&
           fs_create(&fs, ROOT, "/a", FS_T_DIR, &x, false) == 0 &&
           fs_create(&fs, ROOT, "/a/b", FS_T_DIR, &x, false) == 0 &&
           fs_create(&fs, ROOT, "/e", FS_T_DIR, &x, false) == 0 &&
           make_file("/f1", 5000, 21) != 0 &&
           make_file("/a/big", 80 * BS + 3, 22) != 0 &&
           make_file("/a/b/g", 3 * BS, 23) != 0 &&
           fs_link(&fs, ROOT, "/f1", "/a/l") == 0 &&
           all_checks() == NULL;
}

// The disk's contents equal snapshot v.
static bool
disk_equals(uint8_t **v)
{
    for (uint64_t b = 0; b < disk.nblocks; b++) {
        const uint8_t *x = v[b] != NULL ? v[b] : zero_blk;
        if (memcmp(x, dget(b), BS) != 0)
            return false;
    }
    return true;
}

// On a read-only mount every writing operation fails with EROFS.
static void
check_all_erofs(void)
{
    uint32_t f1 = lookup("/f1"), x;
    uint8_t buf[100] = { 1 };
    CHECK(fs_create(&fs, ROOT, "/new", FS_T_FILE, &x, false) == -FS_EROFS);
    CHECK(fs_create(&fs, ROOT, "/newdir", FS_T_DIR, &x, false) == -FS_EROFS);
    CHECK(fs_unlink(&fs, ROOT, "/f1", &x) == -FS_EROFS || f1 == 0);
    CHECK(fs_rmdir(&fs, ROOT, "/e", &x) == -FS_EROFS || lookup("/e") == 0);
    CHECK(fs_link(&fs, ROOT, "/f1", "/f1b") == -FS_EROFS || f1 == 0);
    if (f1 != 0) {
        CHECK(fs_write(&fs, f1, 10, buf, sizeof buf) == -FS_EROFS);
        CHECK(fs_write(&fs, f1, 1 << 20, buf, sizeof buf) == -FS_EROFS);
        CHECK(fs_truncate(&fs, f1, 0) == -FS_EROFS);
        CHECK(fs_set_size(&fs, f1, 9000) == -FS_EROFS);
        CHECK(fs_map_block(&fs, f1, 0, true, &x) == -FS_EROFS);
        CHECK(fs_map_block(&fs, f1, 40, true, &x) == -FS_EROFS);
    }
}

// Reading a damaged, read-only file system gives data or clean errors:
// names from readdir are never empty and always terminated.
static void
read_everything(void)
{
    static const char *const dirs[] = { "/", "/a", "/a/b", "/e" };
    static const char *const files[] = { "/f1", "/a/big", "/a/b/g", "/a/l" };
    char name[FS_NAME_MAX + 1];
    uint8_t *buf = malloc(100 * BS);
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        uint32_t d = lookup(dirs[i]), inum;
        uint64_t cookie = 0;
        for (int n = 0; d != 0 && n < 5000 && fs_readdir(&fs, d, &cookie, name, &inum) == 1; n++)
            CHECKF(name[0] != '\0' && strlen(name) <= FS_NAME_MAX && fs_check_name(name, strlen(name)) == 0,
                   "readdir of %s gave a bad name", dirs[i]);
    }
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        uint32_t f = lookup(files[i]);
        struct fs_statbuf st;
        if (f != 0 && fs_stat(&fs, f, &st) == 0)
            CHECK(fs_read(&fs, f, 0, buf, 100 * BS) <= (long)(100 * BS));
    }
    free(buf);
}

enum { CORRUPT_BITMAP, CORRUPT_INODES, CORRUPT_DIRS, CORRUPT_RANDOM, NCORRUPT };
static const char *const corrupt_names[] = { "bitmap", "inode table", "directory blocks", "random blocks" };

// Damage the disk (a populated_fs) the way kind says, from rng_state.
static void
corrupt(int kind)
{
    const struct superblock *sb = disk_sb();
    uint32_t dirblk[3] = { disk_inode(ROOT)->direct[0], disk_inode(lookup("/a"))->direct[0],
                           disk_inode(lookup("/e"))->direct[0] };
    int n = 1 + (int)rng_below(8);
    for (int i = 0; i < n; i++) {
        switch (kind) {
        case CORRUPT_BITMAP:        // bytes of the part of the bitmap in use
            dput(sb->bitmap_start)[rng_below(sb->data_start / 8 + 40)] = (uint8_t)rng();
            break;
        case CORRUPT_INODES:        // bytes of the first inode block (inodes 0..31)
            dput(sb->inode_start)[rng_below(BS)] = (uint8_t)rng();
            break;
        case CORRUPT_DIRS:          // bytes of the directory blocks, or a whole one
            if (i == 0 && rng_below(3) == 0)
                for (uint32_t k = 0; k < BS; k++)
                    dput(dirblk[rng_below(3)])[k] = (uint8_t)rng();
            else
                dput(dirblk[rng_below(3)])[rng_below(BS)] = (uint8_t)rng();
            break;
        default: {                  // whole blocks from the inode table on
            uint32_t b = sb->inode_start + (uint32_t)rng_below(sb->data_start + 150 - sb->inode_start);
            for (uint32_t k = 0; k < BS; k++)
                dput(b)[k] = (uint8_t)rng();
        }
        }
    }
}

// One corrupted disk: the check agrees with the test's own checker; a
// read-only mount rejects every write and writes nothing.
static void
corrupt_case(uint8_t **clean, int kind, uint64_t seed, int *ro)
{
    snap_restore(clean);
    rng_state = seed * 0x9E3779B97F4A7C15ull + (uint64_t)kind;
    corrupt(kind);
    const char *m = consistent();
    bool tail_only = m != NULL && strstr(m, "past the end is not zero") != NULL;
    char why[300];
    snprintf(why, sizeof why, "%s", m != NULL ? m : "consistent");
    uint8_t **bad = snap_take();
    long writes = disk.writes;
    int r = remount();
    if (r == 0 && fs_readonly(&fs))
        (*ro)++;
    if (r == 0 && !tail_only)
        CHECKF(fs_readonly(&fs) == (m != NULL), "%s seed %llu: checker says \"%s\", mount %s (%s)",
               corrupt_names[kind], (unsigned long long)seed, why,
               fs_readonly(&fs) ? "read-only" : "read-write", fs_check_report(&fs));
    if (r == 0 && fs_readonly(&fs)) {
        CHECKF(fs_check_report(&fs)[0] != '\0', "no report");
        check_all_erofs();
        read_everything();
    }
    if (r != 0 || fs_readonly(&fs))
        CHECKF(disk.writes == writes && disk_equals(bad), "%s seed %llu: the disk was written",
               corrupt_names[kind], (unsigned long long)seed);
    blocks_free(bad);
}

// Random damage of each kind with fixed seeds.
static void
test_check_corrupt(void)
{
    REQUIRE(populated_fs());
    uint8_t **clean = snap_take();
    REQUIRE(clean != NULL);
    for (int kind = 0; kind < NCORRUPT; kind++) {
        int ro = 0;
        for (uint64_t seed = 1; seed <= 25 && check_case_failures() == 0; seed++)
            corrupt_case(clean, kind, seed, &ro);
        CHECKF(ro >= (kind == CORRUPT_RANDOM ? 5 : 10), "%s: only %d of 25 damaged disks mounted read-only", corrupt_names[kind], ro);
    }
    snap_restore(clean);
    CHECK(remount() == 0 && !fs_readonly(&fs) && fs_check_report(&fs)[0] == '\0');
    CHECK(file_is("/a/big", 80 * BS + 3, 22));
    blocks_free(clean);
}

// Each kind of problem by hand, with the line the server prints.
static void
test_check_reports(void)
{
    REQUIRE(populated_fs());
    uint8_t **clean = snap_take();
    uint32_t f1 = lookup("/f1"), g = lookup("/a/b/g"), a = lookup("/a");
    REQUIRE(clean != NULL && f1 != 0 && g != 0 && a != 0);
    char want[120];
    // block owned twice
    uint32_t b = disk_inode(f1)->direct[0];
    disk_inode(g)->direct[1] = b;
    snprintf(want, sizeof want, "block %u owned by inodes %u and %u", b, f1, g);
    CHECK(remount() == 0 && fs_readonly(&fs) && strstr(fs_check_report(&fs), want) == fs_check_report(&fs));
    CHECKF(strstr(fs_check_report(&fs), "more problem") != NULL, "%s", fs_check_report(&fs));
    // an owned block free in the bitmap
    snap_restore(clean);
    b = disk_inode(g)->direct[2];
    bitmap_clear(dput(fs_bitmap_block(disk_sb(), b)), fs_bitmap_bit(b));
    snprintf(want, sizeof want, "block %u is in use but free in the bitmap", b);
    CHECK(remount() == 0 && fs_readonly(&fs) && strcmp(fs_check_report(&fs), want) == 0);
    // an empty name in a directory (the root's third entry)
    snap_restore(clean);
    dput(disk_inode(ROOT)->direct[0])[2 * FS_DIRENT_SIZE + 4] = '\0';
    CHECK(remount() == 0 && fs_readonly(&fs) &&
          strncmp(fs_check_report(&fs), "directory 1: entry 2 is malformed", 33) == 0);
    // a wrong link count
    snap_restore(clean);
    disk_inode(a)->nlink = 7;
    snprintf(want, sizeof want, "inode %u: nlink is 7 but 3 entries name it", a);
    CHECK(remount() == 0 && fs_readonly(&fs) && strcmp(fs_check_report(&fs), want) == 0);
    // a file size smaller than its blocks
    snap_restore(clean);
    disk_inode(g)->size = 10;
    CHECK(remount() == 0 && fs_readonly(&fs) && strstr(fs_check_report(&fs), "past its size") != NULL);
    // an entry naming a free inode
    snap_restore(clean);
    ((struct fs_dirent *)dput(disk_inode(ROOT)->direct[0]))[2].inum = 100;
    CHECK(remount() == 0 && fs_readonly(&fs) && strstr(fs_check_report(&fs), "inode 100, which is not in use") != NULL);
    CHECK(lookup("/f1") != 0 || lookup("/a") != 0);
    // an orphan is no problem, but a read-only mount keeps it
    snap_restore(clean);
    blocks_free(clean);
    REQUIRE(remount() == 0 && !fs_readonly(&fs));
    uint32_t o = make_file("/o", 3 * BS, 24);
    REQUIRE(o != 0 && fs_unlink(&fs, ROOT, "/o", NULL) == 0);
    disk_inode(a)->nlink = 9;
    REQUIRE(remount() == 0 && fs_readonly(&fs));
    CHECK(fs_release(&fs, o) == -FS_EROFS);
    CHECK(fs_stat(&fs, o, &(struct fs_statbuf){ 0 }) == 0);
    disk_inode(a)->nlink = 3;
    CHECK(remount() == 0 && !fs_readonly(&fs));
    CHECK(fs_stat(&fs, o, &(struct fs_statbuf){ 0 }) == -FS_ENOENT);    // released at mount
    CHECK_CLEAN();
    // Too little memory to check 8192 inodes: read-only, even when asked to ignore the check.
    fsmem_size = FS_MEM_MIN;
    REQUIRE(disk_format(16384, 8192, FS_LOG_BLOCKS));
    CHECK(remount() == 0 && fs_readonly(&fs));
    CHECK(strcmp(fs_check_report(&fs), "too little memory to check the disk") == 0);
    size_t n = FS_MAP_BYTES(disk.nblocks) + FS_MEM_MIN;
    CHECK(fs_mount_opts(&fs, &dev, disk.nblocks, fsmem, n, FS_MOUNT_IGNORE_CHECK) == 0 && fs_readonly(&fs));
    fsmem_size = FS_MEM_DEFAULT;
    CHECK(remount() == 0 && !fs_readonly(&fs));
}

// With the bitmap saying every data block is free and the check's verdict
// ignored, the allocator still never hands out a block that a file owns.
static void
test_alloc_guard(void)
{
    uint32_t x;
    REQUIRE(populated_fs());
    const struct superblock *sb = disk_sb();
    for (uint32_t b = sb->data_start; b < sb->nblocks; b++)
        bitmap_clear(dput(fs_bitmap_block(sb, b)), fs_bitmap_bit(b));
    disk.writes = 0;
    REQUIRE(remount() == 0 && fs_readonly(&fs) && disk.writes == 0);
    CHECK(fs_create(&fs, ROOT, "/n", FS_T_FILE, &x, false) == -FS_EROFS);
    size_t n = FS_MAP_BYTES(disk.nblocks) + FS_MEM_DEFAULT;
    REQUIRE(fs_mount_opts(&fs, &dev, disk.nblocks, fsmem, n, FS_MOUNT_IGNORE_CHECK) == 0);
    CHECK(!fs_readonly(&fs) && strstr(fs_check_report(&fs), "free in the bitmap") != NULL);
    CHECK(make_file("/n1", 20 * BS, 25) != 0);
    CHECK(fs_create(&fs, ROOT, "/d2", FS_T_DIR, &x, false) == 0);
    CHECK(make_file("/d2/n2", 3 * BS + 5, 26) != 0);
    REQUIRE(fs_create(&fs, ROOT, "/m", FS_T_FILE, &x, false) == 0);
    uint32_t b;
    for (uint64_t f = 0; f < 30; f++)
        CHECK(fs_map_block(&fs, x, f, true, &b) == 0);
    const char *m = consistent();
    CHECKF(m != NULL && strstr(m, "used by inodes") == NULL && strstr(m, "in use but free") != NULL,
           "%s", m);
    CHECK(file_is("/a/big", 80 * BS + 3, 22) && file_is("/f1", 5000, 21) && file_is("/a/b/g", 3 * BS, 23));
    CHECK(file_is("/n1", 20 * BS, 25) && file_is("/d2/n2", 3 * BS + 5, 26));
    // Freed blocks can be used again.
    CHECK(fs_unlink(&fs, ROOT, "/n1", &x) == 0 && fs_release(&fs, x) == 0);
    CHECK(make_file("/n3", 20 * BS, 27) != 0 && file_is("/a/big", 80 * BS + 3, 22));
}

int
main(int argc, char **argv)
{
    fsck_path = argc > 1 ? argv[1] : "build/tools/fsck";
    if (access(fsck_path, X_OK) != 0)
        fsck_path = NULL;
    CHECK_RUN(fsops, file_basics);
    CHECK_RUN(fsops, paths);
    CHECK_RUN(fsops, many_files);
    CHECK_RUN(fsops, big_dir);
    CHECK_RUN(fsops, big_file);
    CHECK_RUN(fsops, holes);
    CHECK_RUN(fsops, links);
    CHECK_RUN(fsops, rename);
    CHECK_RUN(fsops, rmdir);
    CHECK_RUN(fsops, bad_input);
    CHECK_RUN(fsops, enospc);
    CHECK_RUN(fsops, remount);
    CHECK_RUN(fsops, orphans);
    CHECK_RUN(fsops, map_block);
    CHECK_RUN(fsops, io_errors);
    CHECK_RUN(fsops, multi_tx_shrink);
    CHECK_RUN(fsops, crash_create_write);
    CHECK_RUN(fsops, crash_unlink);
    CHECK_RUN(fsops, crash_mkdir);
    CHECK_RUN(fsops, crash_rmdir);
    CHECK_RUN(fsops, crash_link);
    CHECK_RUN(fsops, crash_rename_file);
    CHECK_RUN(fsops, crash_rename_dir);
    CHECK_RUN(fsops, crash_big_write);
    CHECK_RUN(fsops, crash_truncate);
    CHECK_RUN(fsops, crash_truncate_small);
    CHECK_RUN(fsops, crash_truncate_spread);
    CHECK_RUN(fsops, crash_release_spread);
    CHECK_RUN(fsops, check_corrupt);
    CHECK_RUN(fsops, check_reports);
    CHECK_RUN(fsops, alloc_guard);
    blocks_free(disk.blk);
    free(fsmem);
    for (int i = 0; i < NSEEDS; i++)
        free(patbuf[i]);
    return check_exit_code();
}
