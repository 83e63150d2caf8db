/* `fs selftest N`: exercises the virtio-blk driver on the Nth disk (run by the
   in-guest test t_virtio); it puts back everything it overwrites. */
#include "sys.h"
#include "virtio_blk.h"

#define BLOCK       4096                    /* a file-system block: 8 sectors */
#define BLOCK_SECS  (BLOCK / VBLK_SECTOR)
#define BIG         (64 * 1024)             /* the multi-page request */
#define BIG_SECS    (BIG / VBLK_SECTOR)
#define NSINGLE     3                       /* single blocks: first, middle, last */

/* A DMA buffer: the program's address and the device's. */
struct dmabuf {
    uint8_t *va;
    uint64_t pa;
};

static struct vblk disk; /* the self-test's own */
static uint64_t seed;                       /* differs per run: stale data never passes */

/* ---- helpers ---------------------------------------------------------------- */

/* Report a failed step and exit 1. Never returns. */
static void fail(const char *what, long err)
{
    printf("fs: selftest: FAIL: %s (%ld: %s)\n", what, err, strerror(err));
    exit(1);
}

/* A new DMA buffer of len bytes. Exits through fail() if there is no memory. */
static struct dmabuf dma_buf(size_t len)
{
    struct dmabuf b;
    b.va = dma_alloc(len, &b.pa);
    if (!b.va)
        fail("dma_alloc", -ENOMEM);
    return b;
}

/* The 8 bytes the pattern puts at byte offset off of the disk. */
static uint64_t pattern_word(uint64_t off)
{
    return seed ^ (off * 0x9e3779b97f4a7c15UL) ^ (off >> 3);
}

/* Fill len bytes (a multiple of 8) with the pattern of the disk from sector on. */
static void fill(uint8_t *p, size_t len, uint64_t sector)
{
    uint64_t *w = (uint64_t *)p;
    for (size_t i = 0; i < len / 8; i++)
        w[i] = pattern_word(sector * VBLK_SECTOR + i * 8);
}

/* Check that len bytes hold the pattern of the disk from sector on. Returns
   true, or false after printing where the first difference is. */
static bool matches(const uint8_t *p, size_t len, uint64_t sector)
{
    const uint64_t *w = (const uint64_t *)p;
    for (size_t i = 0; i < len / 8; i++) {
        uint64_t want = pattern_word(sector * VBLK_SECTOR + i * 8);
        if (w[i] != want) {
            printf("fs: selftest: sector %lu + byte %lu: %lx, expected %lx\n",
                   sector + i * 8 / VBLK_SECTOR, i * 8 % VBLK_SECTOR, w[i], want);
            return false;
        }
    }
    return true;
}

/* One synchronous request that must succeed; exits through fail() otherwise. */
static void io(uint64_t sector, uint64_t pa, uint32_t len, bool write, const char *what)
{
    int err = vblk_rw(&disk, sector, pa, len, write);
    if (err < 0)
        fail(what, err);
}

/* Read len bytes at sector into buf (first scribbled over) and check the
   pattern. Exits through fail() on an error or a mismatch. */
static void read_check(uint64_t sector, struct dmabuf buf, uint32_t len, const char *what)
{
    memset(buf.va, 0x5a, len);
    io(sector, buf.pa, len, false, what);
    if (!matches(buf.va, len, sector))
        fail(what, -EIO);
}

/* ---- the tests --------------------------------------------------------------- */

/* Blocks at the start, in the middle and at the end of the disk: write them
   all, then read each back into another buffer (so that requests which
   ignored the sector number would read the same data everywhere). */
static void test_single(const uint64_t *secs, struct dmabuf wbuf, struct dmabuf rbuf)
{
    for (int i = 0; i < NSINGLE; i++) {
        fill(wbuf.va, BLOCK, secs[i]);
        io(secs[i], wbuf.pa, BLOCK, true, "write a block");
    }
    for (int i = 0; i < NSINGLE; i++)
        read_check(secs[i], rbuf, BLOCK, "read a block back");
    printf("fs: selftest: blocks at sectors %lu, %lu, %lu written and read back\n",
           secs[0], secs[1], secs[2]);
}

/* One 64 KiB request each way, then reads of parts of it at sector
   granularity (one sector at an odd place, three sectors across a page). */
static void test_big(uint64_t sec, struct dmabuf wbuf, struct dmabuf rbuf)
{
    fill(wbuf.va, BIG, sec);
    io(sec, wbuf.pa, BIG, true, "write 64 KiB in one request");
    read_check(sec, rbuf, BIG, "read 64 KiB in one request");
    read_check(sec + 13, rbuf, VBLK_SECTOR, "read one sector");
    read_check(sec + BLOCK_SECS - 1, rbuf, 3 * VBLK_SECTOR, "read 3 sectors across a block edge");
    printf("fs: selftest: 64 KiB request at sector %lu ok\n", sec);
}

/* VBLK_NREQ reads in flight at once (one more is refused with -EBUSY),
   finished in reverse order: completions that arrive together are kept for
   their own vblk_finish. */
static void test_parallel(uint64_t sec, struct dmabuf rbuf)
{
    int tag[VBLK_NREQ];
    uint64_t before = disk.ninterrupts;
    memset(rbuf.va, 0x5a, VBLK_NREQ * BLOCK);
    for (int i = 0; i < VBLK_NREQ; i++) {
        tag[i] = vblk_start(&disk, sec + (uint64_t)(3 * i) * BLOCK_SECS,
                            rbuf.pa + (uint64_t)i * BLOCK, BLOCK, false);
        if (tag[i] < 0)
            fail("start a read while others are in flight", tag[i]);
    }
    int extra = vblk_start(&disk, sec, rbuf.pa, BLOCK, false);
    if (extra != -EBUSY)
        fail("one request more than the queue holds is not -EBUSY", extra);
    for (int i = VBLK_NREQ - 1; i >= 0; i--) {
        int err = vblk_finish(&disk, tag[i]);
        if (err < 0)
            fail("finish a read", err);
    }
    for (int i = 0; i < VBLK_NREQ; i++)
        if (!matches(rbuf.va + i * BLOCK, BLOCK, sec + (uint64_t)(3 * i) * BLOCK_SECS))
            fail("parallel read", -EIO);
    printf("fs: selftest: %d reads in flight ok (%lu interrupts)\n",
           VBLK_NREQ, disk.ninterrupts - before);
}

/* Expect err == -EINVAL for a bad request; exits through fail() otherwise. */
static void expect_einval(int err, const char *what)
{
    if (err != -EINVAL)
        fail(what, err);
}

/* Bad requests fail with -EINVAL and never reach the device; the very last
   sector itself is fine. */
static void test_bad(struct dmabuf buf)
{
    uint64_t cap = disk.capacity, sent = disk.nsubmitted;
    uint16_t avail = disk.avail->idx;
    expect_einval(vblk_rw(&disk, cap, buf.pa, VBLK_SECTOR, false), "read past the end");
    expect_einval(vblk_rw(&disk, cap, buf.pa, VBLK_SECTOR, true), "write past the end");
    expect_einval(vblk_rw(&disk, cap - BLOCK_SECS + 1, buf.pa, BLOCK, false), "read across the end");
    expect_einval(vblk_rw(&disk, ~0UL - 3, buf.pa, BLOCK, true), "sector + length overflows");
    expect_einval(vblk_rw(&disk, 0, buf.pa, 0, false), "zero length");
    expect_einval(vblk_rw(&disk, 0, buf.pa, 100, false), "length not a multiple of 512");
    expect_einval(vblk_rw(&disk, 0, buf.pa, BLOCK + 1, true), "length not a multiple of 512");
    expect_einval(vblk_rw(&disk, 0, 0, VBLK_SECTOR, false), "no buffer");
    expect_einval(vblk_finish(&disk, -1), "finish a bad tag");
    expect_einval(vblk_finish(&disk, VBLK_NREQ), "finish a bad tag");
    expect_einval(vblk_finish(&disk, 0), "finish a request not in flight");
    if (disk.nsubmitted != sent || disk.avail->idx != avail)
        fail("a bad request reached the device", -EIO);
    io(cap - 1, buf.pa, VBLK_SECTOR, false, "read the last sector");
    printf("fs: selftest: bad requests refused without touching the device\n");
}

/* Read the original contents of every range the test writes into save. */
static void save(const uint64_t *secs, uint64_t big, struct dmabuf s)
{
    for (int i = 0; i < NSINGLE; i++)
        io(secs[i], s.pa + (uint64_t)i * BLOCK, BLOCK, false, "save a block");
    io(big, s.pa + NSINGLE * BLOCK, BIG, false, "save 64 KiB");
}

/* Write the saved contents back and check that they are there. */
static void restore(const uint64_t *secs, uint64_t big, struct dmabuf s, struct dmabuf rbuf)
{
    for (int i = 0; i < NSINGLE; i++)
        io(secs[i], s.pa + (uint64_t)i * BLOCK, BLOCK, true, "restore a block");
    io(big, s.pa + NSINGLE * BLOCK, BIG, true, "restore 64 KiB");
    for (int i = 0; i < NSINGLE; i++) {
        io(secs[i], rbuf.pa, BLOCK, false, "read a restored block");
        if (memcmp(rbuf.va, s.va + i * BLOCK, BLOCK) != 0)
            fail("restored block differs", -EIO);
    }
    io(big, rbuf.pa, BIG, false, "read the restored 64 KiB");
    if (memcmp(rbuf.va, s.va + NSINGLE * BLOCK, BIG) != 0)
        fail("restored 64 KiB differ", -EIO);
    printf("fs: selftest: original contents restored\n");
}

/* The driver test. Returns 0 (all passed); failures exit 1 through fail(). */
int selftest(int nth)
{
    int err = vblk_init(&disk, nth);
    if (err < 0)
        fail(err == -ENODEV ? "no virtio-blk disk" : "vblk_init", err);
    printf("fs: selftest: disk in virtio-mmio slot %d (irq %ld): %lu sectors (%lu MiB)%s\n",
           disk.slot, disk.irq, disk.capacity, disk.capacity / 2048,
           disk.readonly ? ", read-only" : "");
    if (disk.readonly)
        fail("the disk is read-only", -EPERM);
    uint64_t nblocks = disk.capacity / BLOCK_SECS;
    if (nblocks < 64)
        fail("the disk is too small for the test (256 KiB at least)", -ENOSPC);
    seed = rdtime() * 0x2545f4914f6cdd1dUL + 1;

    uint64_t secs[NSINGLE] = { 0, nblocks / 2 * BLOCK_SECS, (nblocks - 1) * BLOCK_SECS };
    uint64_t big = nblocks / 4 * BLOCK_SECS;   /* 16 blocks, clear of secs[] */
    struct dmabuf saved = dma_buf(NSINGLE * BLOCK + BIG);
    struct dmabuf wbuf = dma_buf(BIG), rbuf = dma_buf(BIG);

    save(secs, big, saved);
    test_single(secs, wbuf, rbuf);
    test_big(big, wbuf, rbuf);
    test_parallel(big, rbuf);
    test_bad(rbuf);
    restore(secs, big, saved, rbuf);
    printf("fs: selftest: ok (%lu requests, %lu interrupts)\n",
           disk.nsubmitted, disk.ninterrupts);
    return 0;
}

