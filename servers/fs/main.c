/* The file server: mounts the file system of the first virtio-blk disk and
   then works for the pager (docs/fs.md): it hands in the result of a job and
   gets the next with PG_FS_NEXT. It never calls anyone else, so the pager
   never waits for it. `fs selftest N` exercises the driver on the Nth disk
   instead (selftest.c). */
#include "sys.h"
#include "virtio_blk.h"
#include "fsops.h"

#define SECTORS_PER_BLOCK (FS_BLOCK_SIZE / VBLK_SECTOR)

int selftest(int nth);

static struct vblk disk;
static struct fs fs;
static char jobpage[4096] __attribute__((aligned(4096))); /* paths from the pager */
static uint8_t *bounce;          /* one DMA block for metadata reads and writes */
static uint64_t bounce_pa;

static int block_read(void *ctx, uint64_t blockno, void *buf)
{
    (void)ctx;
    int r = vblk_rw(&disk, blockno * SECTORS_PER_BLOCK, bounce_pa, FS_BLOCK_SIZE, false);
    if (r == 0)
        memcpy(buf, bounce, FS_BLOCK_SIZE);
    return r;
}

static int block_write(void *ctx, uint64_t blockno, const void *buf)
{
    (void)ctx;
    memcpy(bounce, buf, FS_BLOCK_SIZE);
    return vblk_rw(&disk, blockno * SECTORS_PER_BLOCK, bounce_pa, FS_BLOCK_SIZE, true);
}

static const struct blockdev dev = { block_read, block_write, NULL };

static void __attribute__((noinline)) touch_stack(void)
{
    volatile char deep[32 * 1024];
    for (size_t i = 0; i < sizeof deep; i += 4096)
        deep[i] = 0;
}

/* Find the disk and mount it. Returns 0 or -errno (after saying why). */
static long start(void)
{
    long err = vblk_init(&disk, 0);
    if (err < 0) {
        printf("fs: %s\n", err == -ENODEV ? "no disk" : strerror(err));
        return err;
    }
    bounce = dma_alloc(FS_BLOCK_SIZE, &bounce_pa);
    void *mem = malloc(FS_MEM_DEFAULT);
    if (!bounce || !mem)
        return -ENOMEM;
    /* Take the frames of everything the server will use now, not while
       others run (tests count frames): mount memory, job page, stack. */
    memset(mem, 0, FS_MEM_DEFAULT);
    memset(jobpage, 0, sizeof jobpage);
    touch_stack();
    err = fs_mount(&fs, &dev, disk.capacity / SECTORS_PER_BLOCK, mem, FS_MEM_DEFAULT);
    if (err < 0) {
        printf("fs: cannot mount the disk: %s\n", err == -FS_EINVAL ? fs_mount_error(&fs) : strerror(err));
        return err;
    }
    printf("fs: mounted the %lu MiB disk\n", disk.capacity / 2048);
    return 0;
}

/* LOOKUP: the path is in the job page. */
static void lookup(struct msg *m)
{
    uint32_t inum;
    struct fs_statbuf st;
    jobpage[sizeof jobpage - 1] = 0;
    long r = fs_namei(&fs, (uint32_t)m->w[0], jobpage, &inum);
    if (r == 0)
        r = fs_stat(&fs, inum, &st);
    m->w[0] = r < 0 ? r : inum;
    m->w[1] = r < 0 ? 0 : st.type;
    m->w[2] = r < 0 ? 0 : (long)st.size;
}

/* READPAGE: the file's block goes straight into the frame (a hole leaves the
   frame as the pager gave it: zeroed). */
static void readpage(struct msg *m)
{
    uint32_t blockno;
    long r = fs_map_block(&fs, (uint32_t)m->w[0], (uint64_t)m->w[1], false, &blockno);
    if (r == 0 && blockno)
        r = vblk_rw(&disk, (uint64_t)blockno * SECTORS_PER_BLOCK, (uint64_t)m->w[2], FS_BLOCK_SIZE, false);
    m->w[0] = r;
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "selftest") == 0)
        return selftest((int)atol(argv[2]));
    struct msg m = { .w = { start(), (long)jobpage } };
    if (m.w[0] < 0) {
        fs_next(&m); /* tells the pager there are no files */
        return 1;
    }
    for (;;) {
        if (fs_next(&m) < 0)
            return 1;
        switch (m.label) {
        case MSG_FSJ_LOOKUP:
            lookup(&m);
            break;
        case MSG_FSJ_READPAGE:
            readpage(&m);
            break;
        default:
            m.w[0] = -ENOSYS;
        }
    }
}
