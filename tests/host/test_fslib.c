// Host unit tests for servers/fs/fslib.c: superblock validation, inode and
// block-map math, bitmap, names and directory blocks, and the write-ahead
// log, including a crash at every possible write of a commit.

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fslib.h"

// ---- an in-memory disk that can crash -------------------------------------

// Blocks live in memory. After `budget` more successful writes the disk
// "crashes": every later write fails and changes nothing (budget < 0 means
// no limit). Reads fail while fail_reads is set.
struct memdisk {
    uint8_t (*blk)[FS_BLOCK_SIZE];
    uint64_t nblocks;
    long budget;
    long writes;            // successful writes so far
    bool fail_reads;
    bool bad_access;        // a read or write past the end was attempted
};

static int
md_read(void *ctx, uint64_t b, void *buf)
{
    struct memdisk *d = ctx;
    if (b >= d->nblocks) {
        d->bad_access = true;
        return -1;
    }
    if (d->fail_reads)
        return -1;
    memcpy(buf, d->blk[b], FS_BLOCK_SIZE);
    return 0;
}

static int
md_write(void *ctx, uint64_t b, const void *buf)
{
    struct memdisk *d = ctx;
    if (b >= d->nblocks) {
        d->bad_access = true;
        return -1;
    }
    if (d->budget == 0)
        return -1;
    if (d->budget > 0)
        d->budget--;
    memcpy(d->blk[b], buf, FS_BLOCK_SIZE);
    d->writes++;
    return 0;
}

// A small file system for the log tests: 256 blocks, 64 inodes, 8 log
// blocks (inode_start 11, bitmap 13, data 14).
#define T_NBLOCKS 256
#define T_LOG 8

static struct superblock tsb;
static struct memdisk tdisk;
static struct blockdev tdev = { md_read, md_write, &tdisk };
static uint8_t tbufs[T_LOG][FS_BLOCK_SIZE];
static struct fslog tlog;

// Byte pattern of block b in generation gen.
static uint8_t
pattern(uint32_t b, int gen)
{
    return (uint8_t)(b * 7 + (uint32_t)gen * 101 + 1);
}

static void
fill(void *buf, uint32_t b, int gen)
{
    memset(buf, pattern(b, gen), FS_BLOCK_SIZE);
}

// True if block b on the test disk is entirely pattern(b, gen).
static bool
block_is(uint32_t b, int gen)
{
    for (uint32_t i = 0; i < FS_BLOCK_SIZE; i++)
        if (tdisk.blk[b][i] != pattern(b, gen))
            return false;
    return true;
}

// Fresh test disk: valid layout, every block from inode_start on holds
// generation 0, the log header is empty. Returns false on setup failure.
static bool
disk_setup(void)
{
    if (fs_layout(&tsb, T_NBLOCKS, 64, T_LOG) != 0)
        return false;
    free(tdisk.blk);
    tdisk = (struct memdisk){ .nblocks = T_NBLOCKS, .budget = -1 };
    tdisk.blk = calloc(T_NBLOCKS, FS_BLOCK_SIZE);
    if (tdisk.blk == NULL)
        return false;
    for (uint32_t b = tsb.inode_start; b < T_NBLOCKS; b++)
        fill(tdisk.blk[b], b, 0);
    return log_init(&tlog, &tdev, &tsb, tbufs, T_LOG) == 0;
}

// "Reboot": unlimited writes again and a fresh log object.
static bool
reboot(void)
{
    tdisk.budget = -1;
    tdisk.fail_reads = false;
    memset(&tlog, 0xa5, sizeof tlog);       // no state may survive
    return log_init(&tlog, &tdev, &tsb, tbufs, T_LOG) == 0;
}

static const struct logheader *
disk_header(void)
{
    return (const struct logheader *)tdisk.blk[tsb.log_start];
}

// ---- superblock ----------------------------------------------------------

static void
test_super_good(void)
{
    struct superblock sb;
    REQUIRE(fs_layout(&sb, 4096, 512, FS_LOG_BLOCKS) == 0);
    CHECK(fs_check_super(&sb, 4096) == 0);
    CHECK(fs_check_super(&sb, 5000) == 0);     // disk may be larger
    CHECK(sb.log_start == 2 && sb.inode_start == 67);
    CHECK(sb.inode_blocks == 16 && sb.ninodes == 512);
    CHECK(sb.bitmap_start == 83 && sb.bitmap_blocks == 1);
    CHECK(sb.data_start == 84 && sb.data_blocks == 4096 - 84);

    // Non-multiples round up; a bitmap of several blocks.
    REQUIRE(fs_layout(&sb, 70000, 33, 1) == 0);
    CHECK(fs_check_super(&sb, 70000) == 0);
    CHECK(sb.ninodes == 64 && sb.inode_blocks == 2);
    CHECK(sb.bitmap_blocks == 3);
    CHECK(sb.data_start == sb.bitmap_start + 3);

    // Smallest possible: boot, super, header, 1 log, 1 inode, 1 bitmap, 1 data.
    REQUIRE(fs_layout(&sb, 7, 2, 1) == 0);
    CHECK(fs_check_super(&sb, 7) == 0);
    CHECK(sb.data_start == 6 && sb.data_blocks == 1);
}

static void
test_layout_errors(void)
{
    struct superblock sb;
    CHECK(fs_layout(&sb, 6, 2, 1) == FSE_DATA);
    CHECK(fs_layout(&sb, 100, 2, 0) == FSE_LOG);
    CHECK(fs_layout(&sb, 1000, 2, FS_LOG_MAX + 1) == FSE_LOG);
    CHECK(fs_layout(&sb, 1000, 1, 8) == FSE_INODES);
    CHECK(fs_layout(&sb, 1000, UINT32_MAX, 8) == FSE_INODES);
    CHECK(fs_layout(&sb, 100, 10000, 8) == FSE_DATA);
    CHECK(fs_layout(&sb, 1000, 2, FS_LOG_MAX) == 0);
}

// One corrupted-field case: offset of the uint32_t field, the value to
// store and the error expected.
struct sbcase {
    size_t off;
    uint32_t val;
    int err;
};

#define SBF(f) offsetof(struct superblock, f)

static void
test_super_corrupt(void)
{
    struct superblock good;
    REQUIRE(fs_layout(&good, 4096, 512, 64) == 0);
    const struct sbcase cases[] = {
        { SBF(magic), 0, FSE_MAGIC },
        { SBF(magic), FS_MAGIC ^ 1, FSE_MAGIC },
        { SBF(version), 2, FSE_VERSION },
        { SBF(block_size), 512, FSE_BSIZE },
        { SBF(nblocks), 4097, FSE_DATA },
        { SBF(nblocks), 0, FSE_BITMAP },
        { SBF(nblocks), 40000, FSE_BITMAP },
        { SBF(log_start), 3, FSE_LOG },
        { SBF(log_blocks), 0, FSE_LOG },
        { SBF(log_blocks), 63, FSE_INODES },
        { SBF(log_blocks), FS_LOG_MAX + 1, FSE_LOG },
        { SBF(inode_start), 66, FSE_INODES },
        { SBF(inode_blocks), 0, FSE_INODES },
        { SBF(inode_blocks), 0x08000000, FSE_INODES },
        { SBF(ninodes), 511, FSE_INODES },
        { SBF(ninodes), 0, FSE_INODES },
        { SBF(bitmap_start), 84, FSE_BITMAP },
        { SBF(bitmap_blocks), 2, FSE_BITMAP },
        { SBF(data_start), 85, FSE_DATA },
        { SBF(data_blocks), 4096, FSE_DATA },
        { SBF(data_blocks), 0, FSE_DATA },
        { SBF(root_inum), 0, FSE_ROOT },
        { SBF(root_inum), 2, FSE_ROOT },
        { SBF(reserved), 1, FSE_SBRESERVED },
        { SBF(reserved) + 4, 1, FSE_SBRESERVED },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct superblock sb = good;
        memcpy((uint8_t *)&sb + cases[i].off, &cases[i].val, 4);
        int err = fs_check_super(&sb, 1u << 20);
        CHECKF(err == cases[i].err, "case %zu (offset %zu = %u): got %d (%s), want %d",
               i, cases[i].off, cases[i].val, err, fs_strerror(err), cases[i].err);
    }
    CHECK(fs_check_super(&good, 4095) == FSE_TRUNC);
    CHECK(fs_check_super(&good, 0) == FSE_TRUNC);
}

// Random superblocks and random single-field mutations of a good one must
// never be accepted with areas that do not fit the disk.
static void
test_super_fuzz(void)
{
    struct superblock good;
    REQUIRE(fs_layout(&good, 4096, 512, 64) == 0);
    srand(12345);
    for (int i = 0; i < 200000; i++) {
        struct superblock sb = good;
        uint8_t *p = (uint8_t *)&sb;
        if (i % 4 == 0) {
            for (size_t j = 0; j < sizeof sb; j++)
                p[j] = (uint8_t)rand();
            sb.magic = FS_MAGIC;
            sb.version = FS_VERSION;
        } else {
            p[rand() % sizeof sb] ^= (uint8_t)(1u << (rand() % 8));
        }
        uint64_t disk = (uint64_t)rand() % 8192;
        if (fs_check_super(&sb, disk) != 0)
            continue;
        CHECKF(sb.nblocks <= disk && sb.data_start < sb.nblocks &&
               sb.inode_start > sb.log_start + sb.log_blocks &&
               sb.bitmap_blocks * (uint64_t)FS_BITS_PER_BLOCK >= sb.nblocks,
               "accepted a bad superblock at iteration %d", i);
    }
}

static void
test_strerror(void)
{
    for (int e = -1; e >= -FSE_NERRORS; e--) {
        const char *s = fs_strerror(e);
        CHECKF(s != NULL && strcmp(s, "unknown error") != 0, "code %d", e);
    }
    CHECK(strcmp(fs_strerror(0), "success") == 0);
    CHECK(strcmp(fs_strerror(-FSE_NERRORS - 1), "unknown error") == 0);
    CHECK(strcmp(fs_strerror(5), "unknown error") == 0);
}

// ---- inodes and block map ------------------------------------------------

static void
test_inode_math(void)
{
    struct superblock sb;
    REQUIRE(fs_layout(&sb, 4096, 512, 64) == 0);
    CHECK(fs_inode_block(&sb, 0) == 67 && fs_inode_offset(0) == 0);
    CHECK(fs_inode_block(&sb, 1) == 67 && fs_inode_offset(1) == 128);
    CHECK(fs_inode_block(&sb, 31) == 67 && fs_inode_offset(31) == 31 * 128);
    CHECK(fs_inode_block(&sb, 32) == 68 && fs_inode_offset(32) == 0);
    CHECK(fs_inode_block(&sb, 511) == 82 && fs_inode_offset(511) == 3968);
    CHECK(!fs_inum_valid(&sb, 0));
    CHECK(fs_inum_valid(&sb, 1) && fs_inum_valid(&sb, 511));
    CHECK(!fs_inum_valid(&sb, 512));
    CHECK(!fs_data_block_valid(&sb, 83) && fs_data_block_valid(&sb, 84));
    CHECK(fs_data_block_valid(&sb, 4095) && !fs_data_block_valid(&sb, 4096));
    CHECK(!fs_data_block_valid(&sb, 0));
}

static void
test_check_inode(void)
{
    struct superblock sb;
    REQUIRE(fs_layout(&sb, 4096, 512, 64) == 0);
    struct dinode z, ip;
    memset(&z, 0, sizeof z);
    CHECK(fs_check_inode(&sb, &z) == 0);

    ip = z;
    ip.nlink = 1;
    CHECK(fs_check_inode(&sb, &ip) == FSE_IFREE);

    struct dinode f = z;
    f.type = FS_T_FILE;
    f.nlink = 1;
    f.size = 12 * 4096 + 1;
    f.direct[0] = 84;
    f.direct[11] = 4095;
    f.indirect = 100;
    CHECK(fs_check_inode(&sb, &f) == 0);

    ip = f; ip.type = 3;                CHECK(fs_check_inode(&sb, &ip) == FSE_ITYPE);
    ip = f; ip.nlink = 0;               CHECK(fs_check_inode(&sb, &ip) == FSE_INLINK);
    ip = f; ip.size = FS_MAX_FILE_SIZE + 1;
    CHECK(fs_check_inode(&sb, &ip) == FSE_ISIZE);
    ip = f; ip.flags = 1;               CHECK(fs_check_inode(&sb, &ip) == FSE_IRESERVED);
    ip = f; ip.reserved[11] = 1;        CHECK(fs_check_inode(&sb, &ip) == FSE_IRESERVED);
    ip = f; ip.direct[3] = 83;          CHECK(fs_check_inode(&sb, &ip) == FSE_IBLOCK);
    ip = f; ip.direct[3] = 4096;        CHECK(fs_check_inode(&sb, &ip) == FSE_IBLOCK);
    ip = f; ip.indirect = 1;            CHECK(fs_check_inode(&sb, &ip) == FSE_IBLOCK);
    ip = f; ip.dindirect = 5000;        CHECK(fs_check_inode(&sb, &ip) == FSE_IBLOCK);
    ip = f; ip.size = 12 * 4096;        CHECK(fs_check_inode(&sb, &ip) == FSE_IBEYOND);
    ip = f; ip.size = 11 * 4096;        CHECK(fs_check_inode(&sb, &ip) == FSE_IBEYOND);
    ip = f; ip.dindirect = 200;         CHECK(fs_check_inode(&sb, &ip) == FSE_IBEYOND);
    ip.size = FS_DIND_FIRST * 4096;     CHECK(fs_check_inode(&sb, &ip) == FSE_IBEYOND);
    ip.size++;                          CHECK(fs_check_inode(&sb, &ip) == 0);
    ip.size = FS_MAX_FILE_SIZE;         CHECK(fs_check_inode(&sb, &ip) == 0);

    struct dinode d = z;
    d.type = FS_T_DIR;
    d.nlink = 2;
    d.size = 4096;
    d.direct[0] = 90;
    CHECK(fs_check_inode(&sb, &d) == 0);
    ip = d; ip.size = 4095;             CHECK(fs_check_inode(&sb, &ip) == FSE_ISIZE);
    ip = d; ip.size = 0;                CHECK(fs_check_inode(&sb, &ip) == FSE_ISIZE);
}

// fs_bmap(fbn) must give level and slots lv, s0, s1.
static bool
bmap_is(uint64_t fbn, int lv, uint32_t s0, uint32_t s1)
{
    struct fs_bmap m;
    return fs_bmap(fbn, &m) == lv && m.level == lv && m.slot[0] == s0 &&
           m.slot[1] == s1;
}

static void
test_bmap_boundaries(void)
{
    CHECK(bmap_is(0, 0, 0, 0));
    CHECK(bmap_is(11, 0, 11, 0));                   // last direct
    CHECK(bmap_is(12, 1, 0, 0));                    // first indirect
    CHECK(bmap_is(1035, 1, 1023, 0));               // last indirect
    CHECK(bmap_is(1036, 2, 0, 0));                  // first double-indirect
    CHECK(bmap_is(1036 + 1023, 2, 0, 1023));
    CHECK(bmap_is(1036 + 1024, 2, 1, 0));
    CHECK(bmap_is(FS_MAX_FILE_BLOCKS - 1, 2, 1023, 1023));
    struct fs_bmap m = { .level = 7 };
    CHECK(fs_bmap(FS_MAX_FILE_BLOCKS, &m) == FSE_RANGE && m.level == 7);
    CHECK(fs_bmap(UINT64_MAX, &m) == FSE_RANGE);
    CHECK(FS_MAX_FILE_BLOCKS == 12 + 1024 + 1024 * 1024);

    CHECK(fs_size_blocks(0) == 0 && fs_size_blocks(1) == 1);
    CHECK(fs_size_blocks(4096) == 1 && fs_size_blocks(4097) == 2);
    CHECK(fs_size_blocks(UINT64_MAX) == UINT64_MAX / 4096 + 1);

    uint32_t ind[FS_NINDIRECT] = { 0 };
    fs_ind_set(ind, 0, 5);
    fs_ind_set(ind, 1023, 0xfffffffe);
    CHECK(fs_ind_get(ind, 0) == 5 && fs_ind_get(ind, 1023) == 0xfffffffe);
    CHECK(fs_ind_get(ind, 1) == 0);
}

// ---- bitmap --------------------------------------------------------------

static void
test_bitmap_ops(void)
{
    uint8_t map[16];
    memset(map, 0, sizeof map);
    bitmap_set(map, 0);
    bitmap_set(map, 9);
    bitmap_set(map, 127);
    CHECK(map[0] == 0x01 && map[1] == 0x02 && map[15] == 0x80);
    CHECK(bitmap_get(map, 9) && !bitmap_get(map, 8) && !bitmap_get(map, 10));
    bitmap_clear(map, 9);
    CHECK(!bitmap_get(map, 9) && map[1] == 0);
    CHECK(bitmap_get(map, 0) && bitmap_get(map, 127));

    CHECK(bitmap_find_clear(map, 0, 128) == 1);
    memset(map, 0xff, sizeof map);
    CHECK(bitmap_find_clear(map, 0, 128) == -1);
    bitmap_clear(map, 77);
    CHECK(bitmap_find_clear(map, 0, 128) == 77);
    CHECK(bitmap_find_clear(map, 77, 128) == 77);
    CHECK(bitmap_find_clear(map, 78, 128) == -1);
    CHECK(bitmap_find_clear(map, 0, 77) == -1);     // limit is exclusive
    CHECK(bitmap_find_clear(map, 0, 78) == 77);
    CHECK(bitmap_find_clear(map, 200, 128) == -1);
    bitmap_clear(map, 3);
    CHECK(bitmap_find_clear(map, 1, 128) == 3);
    CHECK(bitmap_find_clear(map, 4, 128) == 77);

    // Full 4096-byte block: last bit of the block.
    static uint8_t big[FS_BLOCK_SIZE];
    memset(big, 0xff, sizeof big);
    bitmap_clear(big, FS_BITS_PER_BLOCK - 1);
    CHECK(bitmap_find_clear(big, 0, FS_BITS_PER_BLOCK) == FS_BITS_PER_BLOCK - 1);
    CHECK(bitmap_find_clear(big, 0, FS_BITS_PER_BLOCK - 1) == -1);

    struct superblock sb;
    REQUIRE(fs_layout(&sb, 70000, 64, 8) == 0);
    CHECK(fs_bitmap_block(&sb, 0) == sb.bitmap_start && fs_bitmap_bit(0) == 0);
    CHECK(fs_bitmap_block(&sb, 32767) == sb.bitmap_start && fs_bitmap_bit(32767) == 32767);
    CHECK(fs_bitmap_block(&sb, 32768) == sb.bitmap_start + 1 && fs_bitmap_bit(32768) == 0);
    CHECK(fs_bitmap_block(&sb, 69999) == sb.bitmap_start + 2);
    CHECK(fs_bitmap_nbits(&sb, 0) == 32768 && fs_bitmap_nbits(&sb, 1) == 32768);
    CHECK(fs_bitmap_nbits(&sb, 2) == 70000 - 65536 && fs_bitmap_nbits(&sb, 3) == 0);
}

// ---- names and directory blocks -------------------------------------------

static void
test_names(void)
{
    char buf[80];
    CHECK(fs_check_name("a", 1) == 0);
    CHECK(fs_check_name("hello.txt", 9) == 0);
    CHECK(fs_check_name("", 0) == FSE_NAME_EMPTY);
    memset(buf, 'x', sizeof buf);
    CHECK(fs_check_name(buf, FS_NAME_MAX) == 0);
    CHECK(fs_check_name(buf, FS_NAME_MAX + 1) == FSE_NAME_LONG);
    CHECK(fs_check_name("a/b", 3) == FSE_NAME_SLASH);
    CHECK(fs_check_name("/", 1) == FSE_NAME_SLASH);
    CHECK(fs_check_name("a\0b", 3) == FSE_NAME_NUL);
    CHECK(fs_check_name("ab", 3) == FSE_NAME_NUL);       // includes the NUL
    CHECK(fs_check_name(".", 1) == 0 && fs_check_name("..", 2) == 0);
    CHECK(fs_name_is_dot(".", 1) && fs_name_is_dot("..", 2));
    CHECK(!fs_name_is_dot("...", 3) && !fs_name_is_dot(".a", 2));
    CHECK(!fs_name_is_dot("", 0) && !fs_name_is_dot("a", 1));
}

static void
test_dirent_ops(void)
{
    static uint8_t blk[FS_BLOCK_SIZE];
    const struct fs_dirent *de = (const struct fs_dirent *)blk;
    dirblk_init(blk, 5, 1);
    CHECK(de[0].inum == 5 && strcmp(de[0].name, ".") == 0);
    CHECK(de[1].inum == 1 && strcmp(de[1].name, "..") == 0);
    CHECK(dirblk_count(blk) == 2);
    CHECK(dirblk_lookup(blk, ".", 1) == 0 && dirblk_lookup(blk, "..", 2) == 1);

    CHECK(dirblk_add(blk, "abc", 3, 7) == 2);
    CHECK(dirblk_add(blk, "ab", 2, 8) == 3);
    CHECK(dirblk_lookup(blk, "abc", 3) == 2);
    CHECK(dirblk_lookup(blk, "ab", 2) == 3);
    CHECK(dirblk_lookup(blk, "a", 1) == FSE_NOENT);
    CHECK(dirblk_lookup(blk, "abcd", 4) == FSE_NOENT);
    CHECK(dirblk_lookup(blk, "ab\0", 3) == FSE_NOENT);
    CHECK(dirblk_lookup(blk, "", 0) == FSE_NOENT);
    CHECK(dirblk_add(blk, "abc", 3, 9) == FSE_EXIST);
    CHECK(dirblk_add(blk, "x", 1, 0) == FSE_INVAL);
    CHECK(dirblk_add(blk, "x/y", 3, 4) == FSE_NAME_SLASH);
    CHECK(dirblk_add(blk, "", 0, 4) == FSE_NAME_EMPTY);

    uint32_t inum = 0;
    CHECK(dirblk_remove(blk, "abc", 3, &inum) == 2 && inum == 7);
    CHECK(dirblk_lookup(blk, "abc", 3) == FSE_NOENT);
    CHECK(dirblk_remove(blk, "abc", 3, &inum) == FSE_NOENT);
    CHECK(fs_check_dirent(&de[2]) == 0 && de[2].inum == 0);
    CHECK(dirblk_count(blk) == 3);

    // Fill the block: 64 slots, 3 used.
    char name[FS_NAME_MAX + 1];
    int added = 0;
    for (int i = 0;; i++) {
        snprintf(name, sizeof name, "%0*d", (int)FS_NAME_MAX, i);   // 59 chars
        int r = dirblk_add(blk, name, FS_NAME_MAX, 100 + (uint32_t)i);
        if (r == FSE_DIRFULL)
            break;
        REQUIREF(r >= 0, "add %d: %d", i, r);
        added++;
    }
    CHECK(added == 61 && dirblk_count(blk) == 64);
    CHECK(dirblk_remove(blk, "ab", 2, NULL) == 3);
    CHECK(dirblk_add(blk, "new", 3, 50) == 3);          // reuses the slot
    CHECK(dirblk_add(blk, "more", 4, 51) == FSE_DIRFULL);

    // Iteration visits every used slot once, in order.
    int n = 0, last = -1;
    for (int s = dirblk_next(blk, 0); s >= 0; s = dirblk_next(blk, s + 1)) {
        CHECK(s > last && de[s].inum != 0);
        CHECK(fs_check_dirent(&de[s]) == 0);
        last = s;
        n++;
    }
    CHECK(n == 64 && last == 63);
    CHECK(dirblk_next(blk, 64) == FSE_NOENT);
    snprintf(name, sizeof name, "%0*d", (int)FS_NAME_MAX, 60);
    int s = dirblk_lookup(blk, name, FS_NAME_MAX);
    CHECK(s == 63 && fs_dirent_namelen(&de[s]) == FS_NAME_MAX);

    // Entry checks.
    struct fs_dirent e;
    memset(&e, 0, sizeof e);
    CHECK(fs_check_dirent(&e) == 0);
    e.name[3] = 'x';
    CHECK(fs_check_dirent(&e) == FSE_DIRENT);               // free, not zero
    memset(&e, 0, sizeof e);
    e.inum = 3;
    CHECK(fs_check_dirent(&e) == FSE_DIRENT);               // empty name
    strcpy(e.name, "ok");
    CHECK(fs_check_dirent(&e) == 0);
    e.name[10] = 'z';
    CHECK(fs_check_dirent(&e) == FSE_DIRENT);               // bad padding
    memset(e.name, 'y', sizeof e.name);
    CHECK(fs_check_dirent(&e) == FSE_DIRENT);               // no NUL
    CHECK(fs_dirent_namelen(&e) == FS_NAME_MAX + 1);
    memset(&e, 0, sizeof e);
    e.inum = 3;
    strcpy(e.name, "a/b");
    CHECK(fs_check_dirent(&e) == FSE_DIRENT);
}

// ---- log -----------------------------------------------------------------

static void
test_log_basic(void)
{
    REQUIRE(disk_setup());
    static uint8_t buf[FS_BLOCK_SIZE];
    uint32_t b1 = tsb.data_start, b2 = tsb.inode_start;

    fill(buf, b1, 1);
    CHECK(log_write(&tlog, b1, buf) == FSE_LOGSTATE);      // no transaction
    CHECK(log_commit(&tlog) == FSE_LOGSTATE);
    CHECK(log_pending(&tlog, b1) == NULL);
    CHECK(log_begin(&tlog) == 0);
    CHECK(log_begin(&tlog) == FSE_LOGSTATE);
    CHECK(log_recover(&tlog) == FSE_LOGSTATE);
    CHECK(log_room(&tlog) == T_LOG);
    CHECK(log_write(&tlog, 0, buf) == FSE_RANGE);
    CHECK(log_write(&tlog, tsb.log_start + 1, buf) == FSE_RANGE);
    CHECK(log_write(&tlog, tsb.inode_start - 1, buf) == FSE_RANGE);
    CHECK(log_write(&tlog, T_NBLOCKS, buf) == FSE_RANGE);
    CHECK(log_write(&tlog, b1, buf) == 0);
    fill(buf, b1, 2);
    CHECK(log_write(&tlog, b1, buf) == 0);                  // absorbed
    CHECK(log_room(&tlog) == T_LOG - 1);
    const uint8_t *p = log_pending(&tlog, b1);
    CHECK(p != NULL && p[0] == pattern(b1, 2) && p[4095] == pattern(b1, 2));
    CHECK(log_pending(&tlog, b2) == NULL);
    CHECK(block_is(b1, 0) && tdisk.writes == 0);            // nothing home yet
    static uint8_t rd[FS_BLOCK_SIZE];
    CHECK(log_read(&tlog, b1, rd) == 0 && rd[0] == pattern(b1, 2));
    CHECK(log_read(&tlog, b2, rd) == 0 && rd[0] == pattern(b2, 0));
    tdisk.fail_reads = true;
    CHECK(log_read(&tlog, b1, rd) == 0);                    // from memory
    CHECK(log_read(&tlog, b2, rd) == FSE_IO);
    tdisk.fail_reads = false;
    fill(buf, b2, 1);
    CHECK(log_write(&tlog, b2, buf) == 0);
    CHECK(log_commit(&tlog) == 0);
    CHECK(tdisk.writes == 2 + 1 + 2 + 1);
    CHECK(block_is(b1, 2) && block_is(b2, 1));
    CHECK(disk_header()->count == 0);
    CHECK(log_pending(&tlog, b1) == NULL);

    // Aborted and empty transactions write nothing; full ones refuse.
    long w = tdisk.writes;
    CHECK(log_begin(&tlog) == 0);
    CHECK(log_commit(&tlog) == 0);
    CHECK(log_begin(&tlog) == 0);
    for (uint32_t i = 0; i < T_LOG; i++)
        CHECK(log_write(&tlog, tsb.data_start + i, buf) == 0);
    CHECK(log_room(&tlog) == 0);
    CHECK(log_write(&tlog, tsb.data_start + T_LOG, buf) == FSE_LOGFULL);
    CHECK(log_write(&tlog, tsb.data_start, buf) == 0);      // absorbed: fits
    log_abort(&tlog);
    CHECK(tdisk.writes == w && block_is(tsb.data_start + 1, 0));
    CHECK(log_recover(&tlog) == 0 && tdisk.writes == w);     // empty log

    // Fewer buffers than log blocks limit the transaction.
    struct fslog small;
    CHECK(log_init(&small, &tdev, &tsb, tbufs, 3) == 0);
    CHECK(log_begin(&small) == 0 && log_room(&small) == 3);
    CHECK(log_init(&small, &tdev, &tsb, tbufs, 0) == FSE_INVAL);
    CHECK(log_init(&small, &tdev, &tsb, NULL, 3) == FSE_INVAL);
    CHECK(!tdisk.bad_access);
}

// The blocks of the crash-test transaction, one written twice (absorbed),
// covering the inode table, the bitmap, data blocks and the last block.
static const uint32_t txblocks[] = { 11, 13, 14, 20, 20, 255, 12 };
#define NTX (sizeof txblocks / sizeof txblocks[0])
#define NDISTINCT 6

// Run the transaction writing generation gen; the disk crashes after
// budget writes. Returns log_commit's result (or a setup error < -100).
static int
run_tx(int gen, long budget)
{
    static uint8_t buf[FS_BLOCK_SIZE];
    if (log_begin(&tlog) != 0)
        return -101;
    for (size_t i = 0; i < NTX; i++) {
        fill(buf, txblocks[i], i == 3 ? gen + 50 : gen);    // 20: overwritten
        if (log_write(&tlog, txblocks[i], buf) != 0)
            return -102;
    }
    tdisk.budget = budget;
    return log_commit(&tlog);
}

// 0 if every transaction block is generation gen, 1 if all are gen + 1
// (the block names the old/new state), -1 for a mix or a torn block.
static int
tx_state(int gen)
{
    int state = -1;
    for (size_t i = 0; i < NTX; i++) {
        int s = block_is(txblocks[i], gen) ? 0 :
                block_is(txblocks[i], gen + 1) ? 1 : -1;
        if (s < 0 || (state >= 0 && s != state))
            return -1;
        state = s;
    }
    return state;
}

// True if every block outside the transaction and the log still holds
// generation 0.
static bool
others_untouched(void)
{
    for (uint32_t b = tsb.inode_start; b < T_NBLOCKS; b++) {
        bool in_tx = false;
        for (size_t i = 0; i < NTX; i++)
            in_tx |= txblocks[i] == b;
        if (!in_tx && !block_is(b, 0))
            return false;
    }
    return true;
}

static void
test_log_crash_atomic(void)
{
    // Count the writes of a complete commit first.
    REQUIRE(disk_setup());
    REQUIRE(run_tx(1, -1) == 0);
    long total = tdisk.writes;
    CHECKF(total == 2 * NDISTINCT + 2, "commit took %ld writes", total);
    CHECK(tx_state(0) == 1 && others_untouched());

    int seen_old = 0, seen_new = 0;
    for (long crash = 0; crash <= total; crash++) {
        REQUIRE(disk_setup());
        int r = run_tx(1, crash);
        REQUIRE(r > -100);
        CHECKF((r == 0) == (crash == total), "crash %ld: commit returned %d", crash, r);
        REQUIRE(reboot());
        int n = log_recover(&tlog);
        int st = tx_state(0);
        CHECKF(st >= 0, "crash after %ld writes: mixed state after recovery", crash);
        // Before the header write everything is old; from it on, new.
        bool committed = crash > NDISTINCT;
        CHECKF(st == (committed ? 1 : 0), "crash %ld: state %d", crash, st);
        CHECKF(n >= 0 && (n == 0 || n == NDISTINCT), "crash %ld: recover %d", crash, n);
        CHECKF(disk_header()->count == 0, "crash %ld: log not cleared", crash);
        CHECKF(others_untouched(), "crash %ld: other blocks changed", crash);
        seen_old += st == 0;
        seen_new += st == 1;
    }
    CHECK(seen_old == NDISTINCT + 1 && seen_new == NDISTINCT + 2);
    CHECK(!tdisk.bad_access);
}

// A crash while recovering is repaired by recovering again.
static void
test_log_crash_recovery(void)
{
    for (long rcrash = 0; rcrash <= NDISTINCT + 1; rcrash++) {
        REQUIRE(disk_setup());
        // Crash right after the commit point: nothing installed yet.
        REQUIRE(run_tx(1, NDISTINCT + 1) == FSE_IO);
        REQUIRE(reboot());
        tdisk.budget = rcrash;
        int n = log_recover(&tlog);
        CHECKF((n == NDISTINCT) == (rcrash == NDISTINCT + 1),
               "recover crash %ld: %d", rcrash, n);
        REQUIRE(reboot());
        n = log_recover(&tlog);
        CHECKF(n == (rcrash == NDISTINCT + 1 ? 0 : NDISTINCT),
               "second recover after crash %ld: %d", rcrash, n);
        CHECKF(tx_state(0) == 1, "recover crash %ld: state %d", rcrash, tx_state(0));
        CHECK(disk_header()->count == 0 && others_untouched());
    }
}

// Two transactions in a row; the second crashes at every point. The first
// stays fully installed and the second is all-or-nothing.
static void
test_log_crash_sequence(void)
{
    for (long crash = 0; crash <= 2 * NDISTINCT + 2; crash++) {
        REQUIRE(disk_setup());
        REQUIRE(run_tx(1, -1) == 0);
        REQUIRE(run_tx(2, crash) > -100);
        REQUIRE(reboot());
        CHECK(log_recover(&tlog) >= 0);
        int st = tx_state(1);
        CHECKF(st == (crash > NDISTINCT ? 1 : 0), "crash %ld: state %d", crash, st);
    }
}

static void
test_log_bad_header(void)
{
    REQUIRE(disk_setup());
    struct logheader *h = (struct logheader *)tdisk.blk[tsb.log_start];
    h->count = T_LOG + 1;
    CHECK(log_check_header(&tsb, h) == FSE_BADLOG);
    CHECK(log_recover(&tlog) == FSE_BADLOG && tdisk.writes == 0);
    h->count = 2;
    h->home[0] = tsb.data_start;
    h->home[1] = tsb.log_start;                 // may not log the log
    CHECK(log_check_header(&tsb, h) == FSE_BADLOG);
    CHECK(log_recover(&tlog) == FSE_BADLOG && tdisk.writes == 0);
    h->home[1] = T_NBLOCKS;
    CHECK(log_recover(&tlog) == FSE_BADLOG && tdisk.writes == 0);
    h->home[1] = tsb.inode_start;
    CHECK(log_check_header(&tsb, h) == 0);
    h->count = 0xffffffff;
    CHECK(log_recover(&tlog) == FSE_BADLOG && tdisk.writes == 0);

    // Read errors are reported, not ignored.
    h->count = 1;
    tdisk.fail_reads = true;
    CHECK(log_recover(&tlog) == FSE_IO);
    tdisk.fail_reads = false;
    CHECK(log_recover(&tlog) == 1 && h->count == 0);
    CHECK(!tdisk.bad_access);
}

int
main(void)
{
    CHECK_RUN(fslib, super_good);
    CHECK_RUN(fslib, layout_errors);
    CHECK_RUN(fslib, super_corrupt);
    CHECK_RUN(fslib, super_fuzz);
    CHECK_RUN(fslib, strerror);
    CHECK_RUN(fslib, inode_math);
    CHECK_RUN(fslib, check_inode);
    CHECK_RUN(fslib, bmap_boundaries);
    CHECK_RUN(fslib, bitmap_ops);
    CHECK_RUN(fslib, names);
    CHECK_RUN(fslib, dirent_ops);
    CHECK_RUN(fslib, log_basic);
    CHECK_RUN(fslib, log_crash_atomic);
    CHECK_RUN(fslib, log_crash_recovery);
    CHECK_RUN(fslib, log_crash_sequence);
    CHECK_RUN(fslib, log_bad_header);
    free(tdisk.blk);
    return check_exit_code();
}
