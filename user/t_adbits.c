/* The kernel's accessed and dirty bits (ad_bits) and its batched map (map_batch).
   ad_bits on the task's own address space (-1): touching a page sets A, writing
   sets D, and AD_CLEAR_A / AD_CLEAR_D clear one without the other (a clock hand
   clears A and must not lose D). map_batch needs a MEMORY or DEVICE cap; a task
   cannot have MEMORY, so this test (started with RIGHT_DRIVER) maps device pages:
   the virtio-mmio slots, whose first registers are known. Last, the page-table
   quota: a batch that needs a table past it maps the pages before and says how many. */
#include "test.h"

#define PG 4096L
#define VIRTIO_MAGIC 0x74726976 /* "virt" */
#define VA_SINGLE 0x3000000000L /* device pages mapped one by one */
#define VA_BATCH 0x3000100000L  /* ... and in batches */
#define VA_QUOTA 0x2000000000L  /* one page every 2 MiB up to the quota */

static long acc, dirty;

/* The bitmaps of n pages at p; flags says what to clear afterwards. */
static void bits(volatile char *p, long n, long flags)
{
    acc = dirty = -1;
    CHECK_EQ(sys_ad_bits(-1, (long)p, n, flags, &acc, &dirty), 0);
}

static void adbits_one_page(void)
{
    volatile char *p = anon_map(PG);
    CHECK(p != NULL);
    p[0] = 1;                      /* zero-fill: a fresh writable mapping, then the store */
    bits(p, 1, 0);
    CHECK_EQ(acc, 1);
    CHECK_EQ(dirty, 1);
    bits(p, 1, 0);                 /* flags 0 only reads */
    CHECK_EQ(acc, 1);
    CHECK_EQ(dirty, 1);
    bits(p, 1, AD_CLEAR_A);        /* the clock hand: A goes, D stays */
    CHECK_EQ(acc, 1);
    CHECK_EQ(dirty, 1);
    bits(p, 1, 0);
    CHECK_EQ(acc, 0);
    CHECK_EQ(dirty, 1);
    (void)p[0];                    /* a read sets A again (the TLB was flushed) */
    bits(p, 1, AD_CLEAR_D);        /* write-back: D goes, A stays */
    CHECK_EQ(acc, 1);
    CHECK_EQ(dirty, 1);
    bits(p, 1, 0);
    CHECK_EQ(acc, 1);
    CHECK_EQ(dirty, 0);
    p[0] = 2;                      /* a write sets D again */
    bits(p, 1, AD_CLEAR_A | AD_CLEAR_D);
    CHECK_EQ(acc, 1);
    CHECK_EQ(dirty, 1);
    bits(p, 1, 0);
    CHECK_EQ(acc, 0);
    CHECK_EQ(dirty, 0);
    (void)p[0];
    bits(p, 1, 0);
    CHECK_EQ(acc, 1);
    CHECK_EQ(dirty, 0);
    CHECK_EQ(p[0], 2);
    munmap((void *)p, PG);
}

/* 64 pages: written (k % 3 == 0), read (k % 3 == 1) or untouched; the bitmaps say which. */
static void adbits_bitmaps(void)
{
    volatile char *p = anon_map(64 * PG);
    CHECK(p != NULL);
    unsigned long want_acc = 0, want_dirty = 0;
    for (long k = 0; k < 64; k++) {
        if (k % 3 == 0) {
            p[k * PG] = (char)k;
            want_dirty |= 1UL << k;
        } else if (k % 3 == 1) {
            (void)p[k * PG];
        } else {
            continue;
        }
        want_acc |= 1UL << k;
    }
    bits(p, 64, AD_CLEAR_A);
    CHECK_EQ(acc, (long)want_acc);
    CHECK_EQ(dirty, (long)want_dirty);
    bits(p + 8 * PG, 8, 0);        /* a range that starts inside: bit 0 is page 8 */
    CHECK_EQ(acc, 0);
    CHECK_EQ(dirty, (long)((want_dirty >> 8) & 0xff));
    bits(p, 64, AD_CLEAR_D);
    CHECK_EQ(acc, 0);
    CHECK_EQ(dirty, (long)want_dirty);
    bits(p, 64, 0);
    CHECK_EQ(dirty, 0);
    CHECK_EQ(sys_ad_bits(-1, (long)p, 65, 0, &acc, &dirty), -EINVAL);
    CHECK_EQ(sys_ad_bits(-1, (long)p, 1, 4, &acc, &dirty), -EINVAL);
    CHECK_EQ(sys_ad_bits(-1, (long)p + 1, 1, 0, &acc, &dirty), -EINVAL);
    CHECK_EQ(sys_ad_bits(-1, USER_LIMIT, 1, 0, &acc, &dirty), -EINVAL);
    CHECK_EQ(sys_ad_bits(PAGER_SLOT, (long)p, 1, 0, &acc, &dirty), -EBADCAP);
    munmap((void *)p, 64 * PG);
}

static volatile uint32_t *reg(long va, long off) { return (volatile uint32_t *)(va + off); }

/* The virtio-mmio slots: batched maps show each slot's registers where a single map does. */
static long batch_contents(long *pas)
{
    long n = 0, base;
    while (n < 8 && (base = device_info(DEV_VIRTIO0 + n, NULL, NULL)) > 0)
        pas[n++] = base;
    CHECK(n >= 2);
    for (long i = 0; i < n; i++)
        CHECK_EQ(sys_map_device(DRV_DEV_SLOT, -1, VA_SINGLE + i * PG, pas[i], PERM_R), 0);
    long rev[8];                   /* in reverse order: page k shows slot n-1-k */
    for (long k = 0; k < n; k++)
        rev[k] = pas[n - 1 - k];
    CHECK_EQ(sys_map_batch(DRV_DEV_SLOT, -1, VA_BATCH, (long)rev, n, PERM_R), n);
    long disks = 0;
    for (long k = 0; k < n; k++) {
        long one = VA_SINGLE + (n - 1 - k) * PG, b = VA_BATCH + k * PG;
        CHECK_EQ(*reg(b, 0), VIRTIO_MAGIC);
        CHECK_EQ(*reg(b, 8), *reg(one, 8));   /* device id */
        CHECK_EQ(*reg(b, 12), *reg(one, 12)); /* vendor */
        disks += *reg(b, 8) == 2;
    }
    CHECK(disks >= 1 && disks < n); /* the ids differ, so the order was checked */
    return n;
}

static void batch_errors(long *pas, long n)
{
    static long many[MAP_BATCH_MAX + 1];
    for (long i = 0; i <= (long)MAP_BATCH_MAX; i++)
        many[i] = pas[0];
    CHECK_EQ(sys_map_batch(DRV_DEV_SLOT, -1, VA_BATCH, (long)many, MAP_BATCH_MAX + 1, PERM_R), -EINVAL);
    CHECK_EQ(sys_map_batch(DRV_DEV_SLOT, -1, VA_BATCH, (long)many, 0, PERM_R), -EINVAL);
    CHECK_EQ(sys_map_batch(DRV_DEV_SLOT, -1, VA_BATCH + 1, (long)many, 1, PERM_R), -EINVAL);
    CHECK_EQ(sys_map_batch(DRV_DEV_SLOT, -1, USER_LIMIT - PG, (long)many, 2, PERM_R), -EINVAL);
    CHECK_EQ(sys_map_batch(DRV_DEV_SLOT, -1, VA_BATCH, (long)many, 1, PERM_R | PERM_X), -EINVAL);
    CHECK_EQ(sys_map_batch(DRV_DEV_SLOT, -1, VA_BATCH, (long)many, 1, PERM_W), -EINVAL);
    CHECK_EQ(sys_map_batch(PAGER_SLOT, -1, VA_BATCH, (long)many, 1, PERM_R), -EBADCAP);
    CHECK_EQ(sys_map_batch(DRV_DEV_SLOT, PAGER_SLOT, VA_BATCH, (long)many, 1, PERM_R), -EBADCAP);
    /* bad arrays: kernel memory, above Sv39, unmapped (the pager says EFAULT) */
    CHECK_EQ(sys_map_batch(DRV_DEV_SLOT, -1, VA_BATCH, (long)0xffffffc000000000UL, 1, PERM_R), -EFAULT);
    CHECK_EQ(sys_map_batch(DRV_DEV_SLOT, -1, VA_BATCH, USER_LIMIT - 8, 2, PERM_R), -EFAULT);
    long *gone = anon_map(PG);
    CHECK(gone != NULL);
    munmap(gone, PG);
    CHECK_EQ(sys_map_batch(DRV_DEV_SLOT, -1, VA_BATCH, (long)gone, 1, PERM_R), -EFAULT);
    /* an array across two pages the kernel's table lacks (PROT_NONE and back
       unmaps them; the pager keeps them): the pager faults them in for the call */
    long *two = anon_map(2 * PG);
    CHECK(two != NULL);
    long *edge = two + PG / 8 - 1;
    edge[0] = edge[1] = pas[1];
    CHECK_EQ(mprotect(two, 2 * PG, PROT_NONE), 0);
    CHECK_EQ(mprotect(two, 2 * PG, PROT_READ | PROT_WRITE), 0);
    CHECK_EQ(sys_map_batch(DRV_DEV_SLOT, -1, VA_BATCH + 16 * PG, (long)edge, 2, PERM_R), 2);
    CHECK_EQ(*reg(VA_BATCH + 17 * PG, 0), VIRTIO_MAGIC);
    CHECK_EQ(*reg(VA_BATCH + 17 * PG, 8), *reg(VA_SINGLE + PG, 8));
    munmap(two, 2 * PG);
    /* a page outside the devices: nothing of the batch is mapped */
    long before = sys_pt_info(NULL);
    long mixed[3] = { pas[0], 0x80200000L, pas[n - 1] };  /* the kernel's image */
    CHECK_EQ(sys_map_batch(DRV_DEV_SLOT, -1, VA_QUOTA - 0x40000000L, (long)mixed, 3, PERM_R), -EPERM);
    mixed[1] = pas[0] + 8;
    CHECK_EQ(sys_map_batch(DRV_DEV_SLOT, -1, VA_QUOTA - 0x40000000L, (long)mixed, 3, PERM_R), -EPERM);
    CHECK_EQ(sys_pt_info(NULL), before); /* no table was made for the refused batches */
}

/* One page every 2 MiB (a new level-0 table each) until the quota refuses, then a
   batch whose second page needs another table: the first is mapped, and 1 says so. */
static void batch_quota(long pa)
{
    long limit = 0, used = sys_pt_info(&limit);
    CHECK(limit > 0 && used < limit);
    long k = 0, r;
    while ((r = sys_map_batch(DRV_DEV_SLOT, -1, VA_QUOTA + k * (2L << 20), (long)&pa, 1, PERM_R)) == 1)
        k++;
    CHECK_EQ(r, -ENOMEM);
    CHECK(k > 0);
    CHECK(sys_pt_info(NULL) >= limit - 1); /* 2 tables were needed at a 1 GiB boundary */
    long two[2] = { pa, pa };
    long last = VA_QUOTA + (k - 1) * (2L << 20) + 511 * PG; /* the last page of the last table */
    CHECK_EQ(sys_map_batch(DRV_DEV_SLOT, -1, last, (long)two, 2, PERM_R), 1);
    CHECK_EQ(*reg(last, 0), VIRTIO_MAGIC);
    CHECK_EQ(*reg(VA_QUOTA, 0), VIRTIO_MAGIC);
}

int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    adbits_one_page();
    adbits_bitmaps();
    long pas[8];
    CHECK_EQ(sys_map_batch(DRV_DEV_SLOT, -1, VA_BATCH, (long)pas, 1, PERM_R), -EBADCAP); /* no cap yet */
    long n = batch_contents(pas);
    batch_errors(pas, n);
    batch_quota(pas[0]);            /* last: afterwards no new table can be had */
    return 0;
}
