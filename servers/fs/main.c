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

/* Never writes on a read-only mount (a second guard: fsops writes nothing then). */
static int block_write(void *ctx, uint64_t blockno, const void *buf)
{
    (void)ctx;
    if (fs_readonly(&fs))
        return -EROFS;
    memcpy(bounce, buf, FS_BLOCK_SIZE);
    return vblk_rw(&disk, blockno * SECTORS_PER_BLOCK, bounce_pa, FS_BLOCK_SIZE, true);
}

static const struct blockdev dev = { block_read, block_write, NULL };

_Static_assert(FILE_MAX == FS_MAX_FILE_SIZE, "abi.def's FILE_MAX is the format's largest file");

/* The clock for modification times: the goldfish RTC of the device tree
   (TIME_LOW at +0, then TIME_HIGH at +4: nanoseconds since 1970; reading
   TIME_LOW latches TIME_HIGH). NULL when there is none: times are left
   alone (0, "unknown"). */
#define RTC_VA 0x3100000000UL
static volatile uint32_t *rtc;

static void rtc_init(void)
{
    long base = device_info(DEV_RTC, NULL, NULL);
    if (base > 0 && sys_map_device(DRV_DEV_SLOT, -1, (long)RTC_VA, base, PERM_R) == 0)
        rtc = (volatile uint32_t *)RTC_VA;
}

/* Seconds since 1970 by the RTC, or 0 without one. */
static uint64_t rtc_seconds(void)
{
    if (!rtc)
        return 0;
    uint64_t lo = rtc[0], hi = rtc[1];
    return (hi << 32 | lo) / 1000000000UL;
}

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
    uint64_t blocks = disk.capacity / SECTORS_PER_BLOCK;
    size_t memsize = FS_MEM_DEFAULT + FS_MAP_BYTES(blocks);
    void *mem = malloc(memsize);
    if (!bounce || !mem)
        return -ENOMEM;
    /* Take the frames of everything the server will use now, not while
       others run (tests count frames): mount memory, job page, stack. */
    memset(mem, 0, memsize);
    memset(jobpage, 0, sizeof jobpage);
    touch_stack();
    rtc_init();
    err = fs_mount(&fs, &dev, blocks, mem, memsize);
    if (err < 0) {
        printf("fs: cannot mount the disk: %s\n", err == -FS_EINVAL ? fs_mount_error(&fs) : strerror(err));
        return err;
    }
    if (fs_readonly(&fs))
        printf("fs: the disk is inconsistent (%s); mounted read-only; run fsck -y\n",
               fs_check_report(&fs));
    else
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

/* CREATE: a file or directory (the path is in the job page). */
static void create(struct msg *m)
{
    uint32_t inum;
    jobpage[sizeof jobpage - 1] = 0;
    long r = fs_create(&fs, (uint32_t)m->w[0], jobpage, (int)m->w[1], &inum, m->w[2] != 0);
    struct fs_statbuf st;
    if (r == 0)
        r = fs_stat(&fs, inum, &st);
    m->w[0] = r < 0 ? r : inum;
    m->w[1] = r < 0 ? 0 : st.type;
    m->w[2] = r < 0 ? 0 : (long)st.size;
}

/* WRITEPAGE (-EROFS on a read-only mount, from fs_map_block): the frame goes straight to the file's block (allocated if need
   be); the file then reaches the size the pager says, but not past this page
   (a page that could not be written never makes the file longer), and never
   shrinks (TRUNCATE does that). */
static void writepage(struct msg *m)
{
    uint32_t blockno, inum = (uint32_t)m->w[0];
    uint64_t idx = (uint64_t)m->w[1], size = (uint64_t)m->w[3];
    struct fs_statbuf st;
    long r = fs_stat(&fs, inum, &st);
    uint64_t want = size < (idx + 1) * FS_BLOCK_SIZE ? size : (idx + 1) * FS_BLOCK_SIZE;
    if (want < st.size)
        want = st.size;
    if (r == 0)
        r = fs_map_block(&fs, inum, idx, true, &blockno);
    if (r == 0)
        r = vblk_rw(&disk, (uint64_t)blockno * SECTORS_PER_BLOCK, (uint64_t)m->w[2], FS_BLOCK_SIZE, true);
    if (r == 0)
        r = fs_stat(&fs, inum, &st);
    if (r == 0 && st.size != want)
        r = fs_set_size(&fs, inum, want); /* map_block may have grown it to the block's end */
    if (r == 0)
        r = fs_touch(&fs, inum); /* the modification time (a transaction at most once a second) */
    m->w[0] = r;
}

/* STAT: what the disk says of an inode. */
static void do_stat(struct msg *m)
{
    struct fs_statbuf st;
    long r = fs_stat(&fs, (uint32_t)m->w[0], &st);
    m->w[0] = r;
    m->w[1] = r < 0 ? 0 : st.type;
    m->w[2] = r < 0 ? 0 : (long)st.size;
    m->w[3] = r < 0 ? 0 : st.nlink;
    m->w[4] = r < 0 ? 0 : (long)st.mtime;
    m->w[5] = r < 0 ? 0 : (long)st.blocks;
}

static void do_readdir(struct msg *m)
{
    uint64_t cookie = (uint64_t)m->w[1];
    uint32_t inum;
    long r = fs_readdir(&fs, (uint32_t)m->w[0], &cookie, jobpage, &inum);
    m->w[0] = r;
    m->w[1] = inum;
    m->w[2] = (long)cookie;
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
        fs.now = rtc_seconds(); /* what this job changes is modified now */
        switch (m.label) {
        case MSG_FSJ_LOOKUP:
            lookup(&m);
            break;
        case MSG_FSJ_READPAGE:
            readpage(&m);
            break;
        case MSG_FSJ_CREATE:
            create(&m);
            break;
        case MSG_FSJ_WRITEPAGE:
            writepage(&m);
            break;
        case MSG_FSJ_TRUNCATE:
            m.w[0] = fs_truncate(&fs, (uint32_t)m.w[0], (uint64_t)m.w[1]);
            break;
        case MSG_FSJ_UNLINK: case MSG_FSJ_RMDIR: {
            uint32_t inum = 0;
            jobpage[sizeof jobpage - 1] = 0;
            long r = m.label == MSG_FSJ_UNLINK ? fs_unlink(&fs, (uint32_t)m.w[0], jobpage, &inum)
                                               : fs_rmdir(&fs, (uint32_t)m.w[0], jobpage, &inum);
            m.w[0] = r < 0 ? r : inum;
            break;
        }
        case MSG_FSJ_LINK:
            jobpage[2047] = 0;
            jobpage[sizeof jobpage - 1] = 0;
            m.w[0] = m.w[1] == -1 ? -ENOENT : fs_link(&fs, (uint32_t)m.w[0], jobpage, jobpage + 2048);
            break;
        case MSG_FSJ_RENAME: {
            uint32_t gone = 0;
            jobpage[2047] = 0;
            jobpage[sizeof jobpage - 1] = 0;
            long r = m.w[1] == -1 ? -ENOENT : fs_rename(&fs, (uint32_t)m.w[0], jobpage, jobpage + 2048, &gone);
            m.w[0] = r < 0 ? r : gone;
            break;
        }
        case MSG_FSJ_STAT:
            do_stat(&m);
            break;
        case MSG_FSJ_RELEASE:
            m.w[0] = fs_release(&fs, (uint32_t)m.w[0]);
            break;
        case MSG_FSJ_READDIR:
            do_readdir(&m);
            break;
        default:
            m.w[0] = -ENOSYS;
        }
    }
}
