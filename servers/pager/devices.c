/* Drivers and their devices. A driver is a process holding RIGHT_DRIVER: the
   file server the pager starts, or a process init asked the pager to start as
   one (and what such a process forks). Drivers get the DEVICE and IRQCTL caps
   and DMA memory. When a driver dies, the virtio devices it asked for are reset
   before its memory or the frames of its requests in flight are used again:
   a reset device writes nothing more into memory. */
#include "pager.h"

#define NDEV (sizeof bootinfo->dev / sizeof bootinfo->dev[0])
#define VIRTIO_STATUS 0x70          /* virtio-mmio: the device status register; 0 resets */
#define DEV_WINDOW 0x0fe0000000UL   /* where the pager maps device registers: device i at page i + 1 */
                                    /* (page 0 is fd.c's UART_VA, the console's) */

static long claimed[NDEV];          /* pid of the driver that claimed device i, 0 if none */

/* PG_DEVICE: where device `which` is. A driver also gets the caps to use it,
   and with DEVICE_CLAIM becomes its one driver. Returns the base address in w0
   (size and interrupt in w1, w2) or -ENOENT (no such device), -EINVAL (bad
   flags), -EBUSY (another live driver claimed it). */
long device_query(struct proc *p, long which, long flags, struct msg *reply)
{
    if (which < 0 || which >= (long)NDEV || !bootinfo->dev[which].base)
        return -ENOENT;
    if (flags & ~(long)DEVICE_CLAIM)
        return -EINVAL;
    if (p->rights & RIGHT_DRIVER) {
        if (flags & DEVICE_CLAIM) {
            struct proc *owner = proc_find(claimed[which]);
            if (owner && owner != p && owner->state == P_RUN)
                return -EBUSY;
            claimed[which] = p->pid;
        }
        p->devices |= 1u << which;
        sys_cap_copy(-1, BOOT_DEV_SLOT, p->vm.as_slot, DRV_DEV_SLOT, 0);  /* -EBUSY the 2nd time */
        sys_cap_copy(-1, BOOT_IRQ_SLOT, p->vm.as_slot, DRV_IRQ_SLOT, 0);
    } else if (flags & DEVICE_CLAIM) {
        return -EPERM;
    }
    reply->w[1] = (long)bootinfo->dev[which].size;
    reply->w[2] = bootinfo->dev[which].irq;
    return (long)bootinfo->dev[which].base;
}

/* The registers of device i in the pager's window (mapped at the first use),
   or NULL when they cannot be mapped. */
static volatile uint32_t *device_regs(unsigned i)
{
    static uint32_t mapped;
    uint64_t base = bootinfo->dev[i].base, va = DEV_WINDOW + (i + 1) * PAGE;
    if (!(mapped & (1u << i))) {
        long r = sys_map_device(BOOT_DEV_SLOT, -1, (long)va, (long)PG_ROUNDDOWN(base), PERM_R | PERM_W);
        if (r < 0) {
            printf("pager: cannot map device %u: %s\n", i, strerror(r));
            return NULL;
        }
        mapped |= 1u << i;
    }
    return (volatile uint32_t *)(va + (base & (PAGE - 1)));
}

/* Reset virtio device i: its status register to 0. The emulator finishes or
   drops the requests in flight before the write returns. */
static void reset_virtio(unsigned i)
{
    volatile uint32_t *regs = device_regs(i);
    if (!regs)
        return;
    regs[VIRTIO_STATUS / 4] = 0;
    for (long spin = 0; regs[VIRTIO_STATUS / 4] != 0; spin++) {
        if (spin == 1000000) {
            printf("pager: device %u does not reset\n", i);
            return;
        }
    }
}

void devices_driver_gone(struct proc *p)
{
    for (unsigned i = DEV_VIRTIO0; i < NDEV; i++) {
        if (!(p->devices & (1u << i)) || !bootinfo->dev[i].base)
            continue;
        struct proc *owner = proc_find(claimed[i]);
        if (owner && owner != p && owner->state == P_RUN)
            continue; /* another live driver drives it */
        claimed[i] = 0;
        reset_virtio(i);
    }
    p->devices = 0;
}

/* PG_DMA: physically contiguous memory for a driver's device queues and buffers,
   mapped read-write; its physical address goes back in w1. The frames stay put
   for as long as the region exists. Returns the address or -errno. */
long device_dma(struct proc *p, uint64_t len, struct msg *reply)
{
    if (len == 0 || len > (4UL << 20))
        return -EINVAL;
    unsigned order = 0;
    while ((PAGE << order) < len)
        order++;
    uint64_t n = 1UL << order, size = n * PAGE;
    uint64_t addr = vt_find_gap_top(&p->vm.vmas, size, PAGE, PG_ROUNDUP(p->vm.brk_base) + HEAP_MAX,
                                    USER_STACK_TOP - USER_STACK_SIZE - 16 * PAGE);
    struct memobj *o = addr ? shared_obj(n) : NULL;
    uint64_t pa = o ? frames_alloc_contig(order) : 0;
    if (!pa) {
        if (o)
            memobj_free(o);
        return -ENOMEM;
    }
    for (uint64_t k = 0; k < n; k++)
        o->pages[k] = pa + k * PAGE; /* the object holds the frames' references */
    if (!vm_add(&p->vm, addr, addr + size, PERM_R | PERM_W, &shared_ops, o, 0, 0)) {
        memobj_free(o);
        return -ENOMEM;
    }
    reply->w[1] = (long)pa;
    return (long)addr;
}

/* The wall clock at rdtime 0 in ns since 1970: the goldfish RTC (its TIME_LOW
   read first latches TIME_HIGH) less the rdtime of that moment, read once.
   Returns it, or -ENODEV when the device tree has no RTC. */
static long wall_at_boot(void)
{
    static long wall = -ENODEV;
    static bool known;
    if (known)
        return wall;
    volatile uint32_t *rtc = bootinfo->dev[DEV_RTC].base ? device_regs(DEV_RTC) : NULL;
    known = true;
    if (!rtc)
        return wall;
    uint64_t lo = rtc[0], hi = rtc[1], now = rdtime();
    wall = (long)((hi << 32 | lo) - now * (1000000000UL / RDTIME_HZ));
    return wall;
}

/* PG_TIME: w0 = 0 asks for the wall clock (wall_at_boot). Otherwise the
   caller's bytes go to (w1 > 0) or come from (w1 < 0, into reply w1..w4) its
   memory at w0: the C library's way to hand back a result through a pointer
   it cannot check itself. Returns 0, -EINVAL (bad count), -EFAULT, -ENOMEM,
   or -EAGAIN with rq->waited (the page is being read; the request is handled
   again). */
long device_time(struct req *rq)
{
    struct msg *m = rq->m;
    uint64_t uva = (uint64_t)m->w[0];
    long n = m->w[1];
    if (!uva)
        return wall_at_boot();
    if (n >= 1 && n <= (long)PG_TIME_BYTES) {
        char buf[PG_TIME_BYTES];
        memcpy(buf, &m->w[2], (size_t)n);
        int r = copy_out(rq, &rq->p->vm, uva, buf, (size_t)n);
        return r < 0 ? r : 0;
    }
    if (n < 0 && n >= -(long)PG_TIME_BYTES) {
        char buf[PG_TIME_BYTES] = { 0 };
        int r = copy_in(rq, &rq->p->vm, buf, uva, (size_t)-n);
        if (r < 0)
            return r;
        memcpy(&rq->reply->w[1], buf, sizeof buf);
        return 0;
    }
    return -EINVAL;
}
