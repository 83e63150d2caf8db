/* The swap driver: `swap N` drives the Nth virtio-blk disk, which must carry
   a swap header (swapformat.h), for the pager. Like the file server it calls
   no one but the pager: it hands in the result of a job and gets the next
   with PG_SWAP_NEXT, so the pager never waits for it. Its first PG_SWAP_NEXT
   says how many slots the disk has, or why there is no swap. It takes all its
   memory at start and allocates nothing afterwards; the pager never takes
   its pages away. */
#include "sys.h"
#include "virtio_blk.h"
#include "swapformat.h"

#define SECTORS (SWAP_BLOCK / VBLK_SECTOR)

static struct vblk disk;
static uint64_t nslots;

/* Find and check the disk. Returns its number of slots, or -errno after
   saying why: -ENODEV (no such disk), -EINVAL (no swap header), others from
   the driver. */
static long start(int nth)
{
    long err = vblk_init(&disk, nth);
    if (err < 0) {
        printf("swap: disk %d: %s\n", nth, strerror(err));
        return err;
    }
    uint64_t pa;
    struct swap_header *h = dma_alloc(SWAP_BLOCK, &pa);
    if (!h)
        return -ENOMEM;
    err = vblk_rw(&disk, 0, pa, SWAP_BLOCK, false);
    if (err < 0) {
        printf("swap: cannot read disk %d: %s\n", nth, strerror(err));
        return err;
    }
    int64_t n = swap_header_check(h, disk.capacity / SECTORS);
    if (n < 0) {
        printf("swap: disk %d has no swap header (tools/mkswap makes one); not using it\n", nth);
        return -EINVAL;
    }
    if (disk.readonly) {
        printf("swap: disk %d is read-only; not using it\n", nth);
        return -EROFS;
    }
    nslots = (uint64_t)n;
    return n;
}

/* One page between slot m->w[0] and the frame at physical address m->w[1].
   Returns 0, -EINVAL (no such slot or no frame) or -EIO. */
static long transfer(const struct msg *m, bool write)
{
    uint64_t slot = (uint64_t)m->w[0], pa = (uint64_t)m->w[1];
    if (slot >= nslots || pa == 0 || pa % SWAP_BLOCK)
        return -EINVAL;
    return vblk_rw(&disk, (1 + slot) * SECTORS, pa, SWAP_BLOCK, write);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        printf("usage: swap N (started by the pager with the disk that swap=N names)\n");
        return 1;
    }
    struct msg m = { .label = MSG_PG_SWAP_NEXT, .w = { start((int)atol(argv[1])) } };
    bool ready = m.w[0] >= 0;
    for (;;) {
        m.label = MSG_PG_SWAP_NEXT;
        if (sys_call(PAGER_SLOT, &m) < 0 || !ready)
            return 1;
        uint64_t t0 = my_instret(); /* the job's cost, for the pager's counters */
        switch (m.label) {
        case MSG_SWJ_READ:
            m.w[0] = transfer(&m, false);
            break;
        case MSG_SWJ_WRITE:
            m.w[0] = transfer(&m, true);
            break;
        default:
            m.w[0] = -ENOSYS;
        }
        m.w[1] = (long)(my_instret() - t0);
    }
}
