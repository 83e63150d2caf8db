/* The platform-level interrupt controller: every interrupt goes to supervisor
   mode of the boot hart (QEMU virt: context 2 * hartid + 1). */
#include "kernel.h"
#include "riscv.h"
#include "plic.h"

#define PRIORITY(irq) (0x0 + 4 * (irq))
#define ENABLE(ctx) (0x2000 + 0x80 * (ctx))
#define THRESHOLD(ctx) (0x200000 + 0x1000 * (ctx))
#define CLAIM(ctx) (0x200004 + 0x1000 * (ctx))

static volatile uint8_t *plic;
static uint64_t context; /* the boot hart's S-mode context */

static volatile uint32_t *reg(uint64_t off)
{
    return (volatile uint32_t *)(plic + off);
}

void plic_init(uint64_t pa, uint64_t hartid)
{
    plic = pa ? P2V(pa) : NULL;
    context = 2 * hartid + 1;
    if (plic)
        *reg(THRESHOLD(context)) = 0;
}

void plic_enable(uint32_t irq)
{
    if (!plic)
        return;
    *reg(PRIORITY(irq)) = 1;
    *reg(ENABLE(context) + 4 * (irq / 32)) |= 1u << (irq % 32);
}

void plic_disable(uint32_t irq)
{
    if (plic)
        *reg(ENABLE(context) + 4 * (irq / 32)) &= ~(1u << (irq % 32));
}

/* The highest pending interrupt (now in service), or 0. */
uint32_t plic_claim(void)
{
    return plic ? *reg(CLAIM(context)) : 0;
}

void plic_complete(uint32_t irq)
{
    if (plic)
        *reg(CLAIM(context)) = irq;
}
