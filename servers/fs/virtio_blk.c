// virtio-blk over virtio-mmio version 2 (see virtio_blk.h). Register offsets,
// status bits and feature bits are those of the virtio 1.x specification,
// sections 2 (basic facilities), 4.2 (virtio over MMIO) and 5.2 (block device).
#include "sys.h"
#include "virtio_blk.h"

// ---- virtio-mmio registers (byte offsets) --------------------------------

#define VIRTIO_MMIO_MAGIC               0x000   // "virt"
#define VIRTIO_MMIO_VERSION             0x004   // 1 legacy, 2 modern
#define VIRTIO_MMIO_DEVICE_ID           0x008
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL           0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034
#define VIRTIO_MMIO_QUEUE_NUM           0x038
#define VIRTIO_MMIO_QUEUE_READY         0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090   // the available ring
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0   // the used ring
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc
#define VIRTIO_MMIO_CONFIG              0x100   // device-specific configuration

#define VIRTIO_MMIO_MAGIC_VALUE 0x74726976
#define VIRTIO_ID_BLOCK         2

// Device status bits.
#define VIRTIO_S_ACKNOWLEDGE    1
#define VIRTIO_S_DRIVER         2
#define VIRTIO_S_DRIVER_OK      4
#define VIRTIO_S_FEATURES_OK    8
#define VIRTIO_S_NEEDS_RESET    64
#define VIRTIO_S_FAILED         128

// Feature bits.
#define VIRTIO_BLK_F_RO         5
#define VIRTIO_F_VERSION_1      32

// Interrupt status bits.
#define VIRTIO_INT_USED         1       // used buffer notification
#define VIRTIO_INT_CONFIG       2       // configuration change

// Descriptor and ring flags.
#define VQ_DESC_F_NEXT          1
#define VQ_DESC_F_WRITE         2       // the device writes this buffer
#define VQ_USED_F_NO_NOTIFY     1

// Block request types and status values.
#define VIRTIO_BLK_T_IN         0       // read from the disk
#define VIRTIO_BLK_T_OUT        1       // write to the disk
#define VIRTIO_BLK_S_OK         0

// ---- where things are ----------------------------------------------------

#define VIRTIO_NSLOTS   8               // QEMU virt: virtio-mmio slots 0..7
#define VBLK_REGS_VA    0x3000000000UL  // slot i's registers at + i * 4096
#define PAGE_SIZE       4096

// Offsets in the driver's DMA page (each part aligned beyond what 2.7 needs).
#define DESC_OFF        0               // 16 * 16 = 256 bytes, align 16
#define AVAIL_OFF       512             // 6 + 2 * 16 = 38 bytes, align 2
#define USED_OFF        1024            // 6 + 8 * 16 = 134 bytes, align 4
#define HDR_OFF         2048            // VBLK_NREQ * 16 bytes
#define STATUS_OFF      3072            // VBLK_NREQ bytes

_Static_assert(VBLK_QSIZE <= 16 && (VBLK_QSIZE & (VBLK_QSIZE - 1)) == 0,
               "queue size: a power of two that fits the page layout");
_Static_assert(sizeof(struct vq_desc) == 16 && sizeof(struct vblk_hdr) == 16,
               "virtio structure sizes");

// ---- register access -----------------------------------------------------

static uint32_t reg_read(struct vblk *d, uint32_t off)
{
    return d->regs[off / 4];
}

static void reg_write(struct vblk *d, uint32_t off, uint32_t v)
{
    d->regs[off / 4] = v;
}

// Write a 64-bit address into a LOW/HIGH register pair.
static void reg_write64(struct vblk *d, uint32_t off, uint64_t v)
{
    reg_write(d, off, (uint32_t)v);
    reg_write(d, off + 4, (uint32_t)(v >> 32));
}

// Set bits in the device status register.
static void status_set(struct vblk *d, uint32_t bits)
{
    reg_write(d, VIRTIO_MMIO_STATUS, reg_read(d, VIRTIO_MMIO_STATUS) | bits);
}

// ---- finding the disk ----------------------------------------------------

// Map the registers of virtio-mmio slot i (physical base) and return them,
// or NULL (*err set to the -errno of sys_map_device).
static volatile uint32_t *map_slot(int i, long base, int *err)
{
    uint64_t va = VBLK_REGS_VA + (uint64_t)i * PAGE_SIZE;
    long r = sys_map_device(DRV_DEV_SLOT, -1, (long)va, base, PERM_R | PERM_W);
    if (r < 0) {
        *err = (int)r;
        return NULL;
    }
    return (volatile uint32_t *)va;
}

// Point d at the nth (from 0) slot with a modern block device. Returns 0,
// -ENODEV (none), -ENOSYS (only legacy block devices) or a sys_map_device error.
static int find_disk(struct vblk *d, int nth)
{
    bool legacy = false;
    for (int i = 0; i < VIRTIO_NSLOTS; i++) {
        long size, irq;
        long base = device_info(DEV_VIRTIO0 + i, &size, &irq);
        if (base <= 0 || size < 0x200)
            continue;               // no such slot
        int err = 0;
        volatile uint32_t *r = map_slot(i, base, &err);
        if (!r)
            return err;
        if (r[VIRTIO_MMIO_MAGIC / 4] != VIRTIO_MMIO_MAGIC_VALUE ||
            r[VIRTIO_MMIO_DEVICE_ID / 4] != VIRTIO_ID_BLOCK)
            continue;
        uint32_t version = r[VIRTIO_MMIO_VERSION / 4];
        if (version != 2) {
            printf("virtio-blk: slot %d is a legacy (version %u) virtio-mmio device; "
                   "run QEMU with -global virtio-mmio.force-legacy=false\n", i, version);
            legacy = true;
            continue;
        }
        if (nth-- > 0)
            continue;
        long c = device_claim(DEV_VIRTIO0 + i); // the pager resets the device if we die
        if (c < 0)
            return (int)c;
        d->regs = r;
        d->slot = i;
        d->irq = irq;
        return 0;
    }
    return legacy ? -ENOSYS : -ENODEV;
}

// ---- initialisation (virtio 1.x, 3.1.1) ----------------------------------

// Reset the device: write 0 and wait for the status to read back 0 (4.2.3.1).
// Returns 0 or -EIO if it never does.
static int reset(struct vblk *d)
{
    reg_write(d, VIRTIO_MMIO_STATUS, 0);
    for (int i = 0; i < 1000000; i++)
        if (reg_read(d, VIRTIO_MMIO_STATUS) == 0)
            return 0;
    return -EIO;
}

// Read 32 feature bits starting at bit 32 * sel.
static uint32_t device_features(struct vblk *d, uint32_t sel)
{
    reg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, sel);
    return reg_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
}

static void driver_features(struct vblk *d, uint32_t sel, uint32_t bits)
{
    reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel);
    reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, bits);
}

// Reset, acknowledge, and agree on VIRTIO_F_VERSION_1 plus VIRTIO_BLK_F_RO if
// offered. Returns 0 or -EIO (reset failed, VERSION_1 not offered, or the
// device did not accept the features).
static int negotiate(struct vblk *d)
{
    if (reset(d) < 0)
        return -EIO;
    status_set(d, VIRTIO_S_ACKNOWLEDGE);
    status_set(d, VIRTIO_S_DRIVER);
    uint32_t lo = device_features(d, 0), hi = device_features(d, 1);
    if (!(hi & (1u << (VIRTIO_F_VERSION_1 - 32)))) {
        printf("virtio-blk: the device does not offer VIRTIO_F_VERSION_1\n");
        return -EIO;
    }
    d->readonly = (lo >> VIRTIO_BLK_F_RO) & 1;
    driver_features(d, 0, lo & (1u << VIRTIO_BLK_F_RO));
    driver_features(d, 1, 1u << (VIRTIO_F_VERSION_1 - 32));
    status_set(d, VIRTIO_S_FEATURES_OK);
    if (!(reg_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_S_FEATURES_OK)) {
        printf("virtio-blk: the device refused our features\n");
        return -EIO;
    }
    return 0;
}

// Chain the fixed descriptors of every request slot: header -> data -> status.
// The data descriptor's address, length and direction are set per request.
static void link_descriptors(struct vblk *d)
{
    for (int r = 0; r < VBLK_NREQ; r++) {
        volatile struct vq_desc *h = &d->desc[3 * r], *s = &d->desc[3 * r + 2];
        h->addr = d->page_pa + HDR_OFF + (uint64_t)r * sizeof(struct vblk_hdr);
        h->len = sizeof(struct vblk_hdr);
        h->flags = VQ_DESC_F_NEXT;
        h->next = (uint16_t)(3 * r + 1);
        d->desc[3 * r + 1].next = (uint16_t)(3 * r + 2);
        s->addr = d->page_pa + STATUS_OFF + (uint64_t)r;
        s->len = 1;
        s->flags = VQ_DESC_F_WRITE;
        s->next = 0;
    }
}

// Allocate the DMA page, lay out queue 0 in it and give it to the device
// (4.2.3.2). Returns 0, -ENOMEM or -EIO (queue 0 missing, in use, or smaller
// than VBLK_QSIZE).
static int setup_queue(struct vblk *d)
{
    uint64_t pa = 0;
    uint8_t *page = dma_alloc(PAGE_SIZE, &pa);
    if (!page)
        return -ENOMEM;
    d->page_pa = pa;
    d->desc = (volatile struct vq_desc *)(page + DESC_OFF);
    d->avail = (volatile struct vq_avail *)(page + AVAIL_OFF);
    d->used = (volatile struct vq_used *)(page + USED_OFF);
    d->hdr = (volatile struct vblk_hdr *)(page + HDR_OFF);
    d->status = page + STATUS_OFF;
    link_descriptors(d);

    reg_write(d, VIRTIO_MMIO_QUEUE_SEL, 0);
    if (reg_read(d, VIRTIO_MMIO_QUEUE_READY) != 0 ||
        reg_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX) < VBLK_QSIZE)
        return -EIO;
    reg_write(d, VIRTIO_MMIO_QUEUE_NUM, VBLK_QSIZE);
    reg_write64(d, VIRTIO_MMIO_QUEUE_DESC_LOW, pa + DESC_OFF);
    reg_write64(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, pa + AVAIL_OFF);
    reg_write64(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, pa + USED_OFF);
    __sync_synchronize();   // the page's contents before the device may use it
    reg_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
    return 0;
}

// Deliver the device's interrupt to a new notification. Returns 0 or the
// -errno of sys_ntfn_create / sys_irq_bind.
static int bind_irq(struct vblk *d)
{
    long n = sys_ntfn_create();
    if (n < 0)
        return (int)n;
    long r = sys_irq_bind(DRV_IRQ_SLOT, d->irq, n);
    if (r < 0) {
        sys_cap_delete(n);
        return (int)r;
    }
    d->ntfn = n;
    return 0;
}

// The capacity in sectors, read consistently (retry while the configuration
// generation changes under us, 4.2.2).
static uint64_t read_capacity(struct vblk *d)
{
    uint32_t gen, lo, hi;
    do {
        gen = reg_read(d, VIRTIO_MMIO_CONFIG_GENERATION);
        lo = reg_read(d, VIRTIO_MMIO_CONFIG + 0);
        hi = reg_read(d, VIRTIO_MMIO_CONFIG + 4);
    } while (gen != reg_read(d, VIRTIO_MMIO_CONFIG_GENERATION));
    return ((uint64_t)hi << 32) | lo;
}

int vblk_init(struct vblk *d, int nth)
{
    memset(d, 0, sizeof *d);
    int err = find_disk(d, nth);
    if (err < 0)
        return err;
    if ((err = bind_irq(d)) < 0)    // first: if the disk has an owner, leave it alone
        return err;
    if ((err = negotiate(d)) < 0 || (err = setup_queue(d)) < 0) {
        status_set(d, VIRTIO_S_FAILED);
        return err;
    }
    d->capacity = read_capacity(d);
    status_set(d, VIRTIO_S_DRIVER_OK);
    return 0;
}

// ---- requests -------------------------------------------------------------

// A free request slot, or -1.
static int free_slot(struct vblk *d)
{
    for (int r = 0; r < VBLK_NREQ; r++)
        if (d->state[r] == VBLK_FREE)
            return r;
    return -1;
}

// Put the chain starting at descriptor head in the available ring and tell
// the device (2.7.13), unless it asked not to be told.
static void publish(struct vblk *d, uint16_t head)
{
    d->avail->ring[d->avail_idx % VBLK_QSIZE] = head;
    __sync_synchronize();   // descriptors and ring entry before the index
    d->avail->idx = ++d->avail_idx;
    __sync_synchronize();   // the index before the notification and used->flags
    if (!(d->used->flags & VQ_USED_F_NO_NOTIFY))
        reg_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    d->nsubmitted++;
}

int vblk_start(struct vblk *d, uint64_t sector, uint64_t buf_pa, uint32_t len, bool write)
{
    uint64_t n = len / VBLK_SECTOR;
    if (len == 0 || len % VBLK_SECTOR != 0 || buf_pa == 0 ||
        sector >= d->capacity || n > d->capacity - sector)
        return -EINVAL;
    if (write && d->readonly)
        return -EPERM;
    int r = free_slot(d);
    if (r < 0)
        return -EBUSY;
    d->hdr[r].type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
    d->hdr[r].reserved = 0;
    d->hdr[r].sector = sector;
    d->status[r] = 0xff;    // anything but OK until the device writes it
    volatile struct vq_desc *data = &d->desc[3 * r + 1];
    data->addr = buf_pa;
    data->len = len;
    data->flags = VQ_DESC_F_NEXT | (write ? 0 : VQ_DESC_F_WRITE);
    d->state[r] = VBLK_BUSY;
    publish(d, (uint16_t)(3 * r));
    return r;
}

// Consume every new used-ring entry, marking its request done. Entries that
// name no request in flight are reported and ignored.
static void reap(struct vblk *d)
{
    while (d->used_seen != d->used->idx) {
        __sync_synchronize();   // the index before the entry and the status byte
        uint32_t id = d->used->ring[d->used_seen % VBLK_QSIZE].id;
        d->used_seen++;
        uint32_t r = id / 3;
        if (id % 3 == 0 && r < VBLK_NREQ && d->state[r] == VBLK_BUSY)
            d->state[r] = VBLK_DONE;
        else
            printf("virtio-blk: ignoring used entry for descriptor %u\n", id);
    }
}

// Block until the device interrupts, then acknowledge it at the device and at
// the interrupt controller. A wake-up with nothing pending (spurious) is fine:
// the caller looks at the used ring either way. Returns 0, or -EIO if the wait
// failed or the device needs a reset.
static int wait_irq(struct vblk *d)
{
    if (sys_wait(d->ntfn) < 0)
        return -EIO;
    d->ninterrupts++;
    uint32_t why = reg_read(d, VIRTIO_MMIO_INTERRUPT_STATUS);
    if (why)
        reg_write(d, VIRTIO_MMIO_INTERRUPT_ACK, why);
    sys_irq_ack(DRV_IRQ_SLOT, d->irq);
    if (reg_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_S_NEEDS_RESET) {
        printf("virtio-blk: the device needs a reset\n");
        return -EIO;
    }
    return 0;
}

int vblk_finish(struct vblk *d, int tag)
{
    if (tag < 0 || tag >= VBLK_NREQ || d->state[tag] == VBLK_FREE)
        return -EINVAL;
    for (;;) {
        reap(d);
        if (d->state[tag] == VBLK_DONE)
            break;
        int err = wait_irq(d);
        if (err < 0)
            return err;     // the request stays in flight: the device is broken
    }
    uint8_t st = d->status[tag];
    d->state[tag] = VBLK_FREE;
    return st == VIRTIO_BLK_S_OK ? 0 : -EIO;
}

int vblk_rw(struct vblk *d, uint64_t sector, uint64_t buf_pa, uint32_t len, bool write)
{
    int tag = vblk_start(d, sector, buf_pa, len, write);
    return tag < 0 ? tag : vblk_finish(d, tag);
}
