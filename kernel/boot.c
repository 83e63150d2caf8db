/* Start the pager: the first program of the boot archive, loaded eagerly (it must
   never fault), with the user pool mapped at PAGER_WINDOW and its boot caps. */
#include "obj.h"
#include "bootimg.h"
#include "bootinfo.h"
#include "elf.h"
#include "fdt.h"
#include "arch/riscv/vm.h"

#define MEGA2 (1UL << 21)
#define PAGER_STACK_PAGES 16
#define PAGER_PRIO 7

extern const uint8_t _bootimg_start[], _bootimg_end[];

static uint64_t next_frame; /* bump allocator for the pager's own pages */

static uint64_t take_frame(void)
{
    uint64_t pa = next_frame;
    next_frame += PGSIZE;
    memset(P2V(pa), 0, PGSIZE);
    return pa;
}

static void map_or_panic(struct aspace *as, uint64_t va, uint64_t pa, uint64_t flags, int level)
{
    if (pt_map(as->root, &as->ptq, va, pa, flags | PTE_U, level) < 0)
        panic("boot_pager: out of kernel memory");
}

static void load_segments(struct aspace *as, const uint8_t *img, const struct elf_info *ei)
{
    for (int i = 0; i < ei->nseg; i++) {
        const struct elf_seg *s = &ei->seg[i];
        uint64_t flags = ((s->flags & PF_R) ? PTE_R : 0) | ((s->flags & PF_W) ? PTE_W | PTE_R : 0) |
                         ((s->flags & PF_X) ? PTE_X : 0);
        for (uint64_t va = ROUNDDOWN(s->vaddr, PGSIZE); va < s->vaddr + s->memsz; va += PGSIZE) {
            uint64_t pa = take_frame();
            /* the part of [va, va+PGSIZE) that comes from the file */
            uint64_t lo = va < s->vaddr ? s->vaddr : va;
            uint64_t hi = va + PGSIZE;
            if (hi > s->vaddr + s->filesz)
                hi = s->vaddr + s->filesz;
            if (lo < hi)
                memcpy((uint8_t *)P2V(pa) + (lo - va), img + s->offset + (lo - s->vaddr), hi - lo);
            map_or_panic(as, va, pa, flags, 0);
        }
    }
}

/* Build the pager's address space out of [free_pa, ram_end); the rest of that
   range, from a 2 MiB boundary on, becomes the user pool. */
void boot_pager(const struct fdt_info *fi, uint64_t free_pa, uint64_t ram_end, uint64_t kernel_pages)
{
    const struct bootimg_header *h = (const void *)_bootimg_start;
    uint64_t archive_size = (uint64_t)(_bootimg_end - _bootimg_start);
    if (archive_size < sizeof *h || h->magic != BOOTIMG_MAGIC || h->count == 0)
        panic("boot_pager: no boot archive");
    const struct bootimg_entry *e = &h->entry[0];
    struct elf_info ei;
    int err = elf_parse(_bootimg_start + e->offset, e->size, USER_LIMIT, &ei);
    if (err < 0) {
        kprintf("pager image %s: %s\n", e->name, elf_strerror(err));
        panic("boot_pager: bad pager image");
    }

    struct aspace *as = as_create(PAGER_NSLOTS);
    if (!as)
        panic("boot_pager: out of kernel memory");
    next_frame = free_pa;
    load_segments(as, _bootimg_start + e->offset, &ei);
    for (uint64_t i = 1; i <= PAGER_STACK_PAGES; i++)
        map_or_panic(as, USER_STACK_TOP - i * PGSIZE, take_frame(), PTE_R | PTE_W, 0);

    uint64_t bi_pa = take_frame();
    map_or_panic(as, PAGER_BOOTINFO, bi_pa, PTE_R, 0);
    for (uint64_t off = 0; off < archive_size; off += PGSIZE) {
        uint64_t pa = take_frame();
        uint64_t n = archive_size - off < PGSIZE ? archive_size - off : PGSIZE;
        memcpy(P2V(pa), _bootimg_start + off, n);
        map_or_panic(as, PAGER_ARCHIVE + off, pa, PTE_R, 0);
    }

    pool_base = ROUNDUP(next_frame, MEGA2);
    pool_end = ROUNDDOWN(ram_end, PGSIZE);
    if (pool_base >= pool_end)
        panic("boot_pager: no memory left for the user pool");
    for (uint64_t pa = pool_base; pa < pool_end;) {
        int mega = (pa % MEGA2) == 0 && pool_end - pa >= MEGA2;
        map_or_panic(as, PAGER_WINDOW + (pa - pool_base), pa, PTE_R | PTE_W | PTE_A | PTE_D, mega);
        pa += mega ? MEGA2 : PGSIZE;
    }

    struct bootinfo *bi = P2V(bi_pa);
    bi->magic = BOOTINFO_MAGIC;
    bi->pool_base = pool_base;
    bi->pool_pages = (pool_end - pool_base) / PGSIZE;
    bi->ram_base = fi->mem_base;
    bi->ram_size = fi->mem_size;
    bi->kernel_pages = kernel_pages;
    bi->archive_size = archive_size;
    bi->timebase_hz = fi->timebase_hz;
    bi->nharts = nharts;
    memcpy(bi->bootargs, fi->bootargs, sizeof bi->bootargs);
    bi->bootargs[sizeof bi->bootargs - 1] = 0;
    bi->dev[DEV_RTC].base = fi->rtc_base;
    bi->dev[DEV_RTC].size = fi->rtc_size;
    bi->dev[DEV_RTC].irq = fi->rtc_irq;
    bi->dev[DEV_UART].base = fi->uart_base;
    bi->dev[DEV_UART].size = PGSIZE;
    bi->dev[DEV_UART].irq = fi->uart_irq;
    for (uint32_t i = 0; i < fi->nvirtio && DEV_VIRTIO0 + i < ARRAY_SIZE(bi->dev); i++) {
        bi->dev[DEV_VIRTIO0 + i].base = fi->virtio[i].base;
        bi->dev[DEV_VIRTIO0 + i].size = fi->virtio[i].size;
        bi->dev[DEV_VIRTIO0 + i].irq = fi->virtio[i].irq;
    }

    struct endpoint *ep = kzalloc(sizeof *ep);
    if (!ep || cap_insert(as, CAP_ENDPOINT, ep, 0) != (long)BOOT_EP_SLOT ||
        cap_insert(as, CAP_MEMORY, NULL, 0) != (long)BOOT_MEM_SLOT ||
        cap_insert(as, CAP_SYSCTL, NULL, 0) != (long)BOOT_SYSCTL_SLOT ||
        cap_insert(as, CAP_IRQCTL, NULL, 0) != (long)BOOT_IRQ_SLOT ||
        cap_insert(as, CAP_DEVICE, NULL, 0) != (long)BOOT_DEV_SLOT)
        panic("boot_pager: cannot set up the boot caps");

    /* sp points at argc = 0 and an empty argv, as crt0 expects */
    struct thread *t = thread_create(as, ei.entry, USER_STACK_TOP - 16, PAGER_PRIO);
    if (!t)
        panic("boot_pager: out of kernel memory");
    t->regs.x[RI_A0] = PAGER_BOOTINFO;
    sched_ready(t);
    kprintf("kernel: pager %s started; user pool %lu MiB at %p\n", e->name,
            (pool_end - pool_base) >> 20, (void *)pool_base);
}
