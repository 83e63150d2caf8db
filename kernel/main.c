/* Kernel start-up: device tree, memory, page tables, the pager, the other harts,
   then the scheduler. */
#include "obj.h"
#include "fdt.h"
#include "arch/riscv/vm.h"
#include "arch/riscv/sbi.h"
#include "arch/riscv/plic.h"

extern char _bss_start[], _bss_end[], _kernel_end[];
extern char _entry[], trap_vector[], kstack_top[], secondary_entry[];
extern volatile uint64_t kernel_lock_word;
void boot_pager(const struct fdt_info *fi, uint64_t free_pa, uint64_t ram_end, uint64_t kernel_pages);

#define MiB (1UL << 20)

static struct fdt_info fdt;

/* The trap set-up every hart makes for itself. */
static void hart_csrs(void)
{
    csr_write(stvec, (uint64_t)trap_vector);
    csr_write(sscratch, 0);
    /* FS = off: user floating point traps (as illegal), so no FP state leaks between tasks */
    csr_clear(sstatus, SSTATUS_SPP | SSTATUS_SIE | SSTATUS_FS);
    csr_write(scounteren, 7); /* cycle, time and instret readable in U-mode */
}

/* Start every other hart the device tree names at entry (each waits for the
   lock, which this hart holds until it first leaves the kernel). A hart that
   cannot have a stack or does not start is left out. */
static void start_harts(uint64_t boot_hartid, uint64_t entry)
{
    for (uint32_t i = 0; i < fdt.nharts && nharts < NHARTS_MAX; i++) {
        uint64_t id = fdt.hartid[i];
        if (id == boot_hartid || id >= 64)
            continue;
        void *stack = pages_alloc(2);
        if (!stack)
            break;
        struct hart *h = &harts[nharts];
        h->kstack_top = (uint64_t)stack + 4 * PGSIZE;
        h->lock = &kernel_lock_word;
        h->hartid = id;
        h->index = nharts;
        h->flush_epoch = 1;
        h->ran_off = offsetof(struct aspace, ptq.ran) + 8 * h->index;
        if (sbi_hart_start(id, entry, 0) != 0) { /* no argument: secondary_entry finds h by id */
            kprintf("kernel: hart %lu did not start\n", id);
            memset(h, 0, sizeof *h); /* should it come after all, secondary_entry finds nothing */
            pages_free(stack, 2);
            continue;
        }
        nharts++;
    }
}

/* The number after key (e.g. "asidbits=") in the boot arguments, or dflt. */
static unsigned long bootarg(const char *args, const char *key, unsigned long dflt)
{
    size_t k = strlen(key);
    for (const char *p = args; *p; p++) {
        if ((p == args || p[-1] == ' ') && strncmp(p, key, k) == 0 && p[k] >= '0' && p[k] <= '9') {
            unsigned long v = 0;
            for (p += k; *p >= '0' && *p <= '9' && v < 1000000; p++)
                v = v * 10 + (unsigned long)(*p - '0');
            return v;
        }
    }
    return dflt;
}

/* A hart other than the boot hart, on its own stack with tp = its struct hart. */
void secondary_main(void)
{
    struct hart *h = this_hart();
    hart_csrs();
    pt_activate_kernel();
    kernel_lock();
    h->up = 1;
    h->instret0 = h->acct_start = rdinstret();
    sched_init_hart();
    kprintf("kernel: hart %lu running\n", h->hartid);
    schedule(NULL);
}

void kmain(uint64_t hartid, uint64_t dtb_pa)
{
    memset(_bss_start, 0, (size_t)(_bss_end - _bss_start));
    struct hart *h0 = &harts[0];
    h0->kstack_top = (uint64_t)kstack_top;
    h0->lock = &kernel_lock_word;
    h0->hartid = hartid;
    h0->flush_epoch = 1;
    h0->ran_off = offsetof(struct aspace, ptq.ran);
    asm volatile("mv tp, %0" ::"r"(h0));
    kernel_lock();
    h0->up = 1;
    hart_csrs();

    int err = fdt_parse(P2V(dtb_pa), 1 << 20, &fdt);
    if (err < 0) {
        console_init(0x10000000); /* QEMU virt's UART, to be able to say why */
        kprintf("device tree at %p: error %d\n", (void *)dtb_pa, err);
        panic("kmain: unusable device tree");
    }
    console_init(fdt.uart_base);
    uint64_t ram_end = fdt.mem_base + fdt.mem_size;
    kprintf("\nkernel: hart %lu, %lu MiB of RAM at %p\n", hartid, fdt.mem_size / MiB, (void *)fdt.mem_base);

    /* The kernel keeps an eighth of RAM (4..64 MiB) for its objects; the rest goes to the pager. */
    uint64_t kstart = ROUNDUP(V2P(_kernel_end), PGSIZE);
    uint64_t ksize = ROUNDDOWN(fdt.mem_size / 8, PGSIZE);
    if (ksize < 4 * MiB)
        ksize = 4 * MiB;
    if (ksize > 64 * MiB)
        ksize = 64 * MiB;
    if (kstart + ksize + 8 * MiB > ram_end)
        panic("kmain: not enough RAM");
    kmem_setup(kstart, kstart + ksize);
    vm_init(ram_end);
    sw_ad = !vm_hw_ad();
    if (sw_ad)
        kprintf("kernel: the hardware faults for A/D bits (Svade): the kernel sets them\n");
    plic_init(fdt.plic_base, hartid);
    device_add(fdt.rtc_base, fdt.rtc_size);
    device_add(fdt.uart_base, PGSIZE); /* the console driver reads input there */
    for (uint32_t i = 0; i < fdt.nvirtio; i++)
        device_add(fdt.virtio[i].base, fdt.virtio[i].size);
    /* hartentry=1 (a test stage): start them at _entry, where OpenSBI 1.1 sometimes sends them (entry.S) */
    start_harts(hartid, bootarg(fdt.bootargs, "hartentry=", 0) ? V2P(_entry) : V2P(secondary_entry));
    sched_asid_init(bootarg(fdt.bootargs, "asidbits=", 16));
    boot_pager(&fdt, kstart + ksize, ram_end, ksize / PGSIZE);
    sched_init(fdt.timebase_hz);
    schedule(NULL); /* the instructions so far (the firmware's, boot) are idle's */
}
