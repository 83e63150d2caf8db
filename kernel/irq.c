/* Interrupts reach user-level drivers as notifications. An interrupt stays
   masked in the PLIC (claimed, not completed) until its driver acknowledges it. */
#include "obj.h"
#include "arch/riscv/plic.h"

#define NIRQ 64

static struct ntfn *bound[NIRQ];
static struct aspace *owner[NIRQ];
static uint64_t bound_bits[NIRQ];
static bool in_service[NIRQ];

/* Deliver irq to n (with bits). Returns 0, or -EINVAL for a bad number, -EBUSY if bound. */
long irq_bind(struct aspace *as, uint32_t irq, struct ntfn *n, uint64_t bits)
{
    if (irq == 0 || irq >= NIRQ)
        return -EINVAL;
    if (bound[irq])
        return -EBUSY;
    bound[irq] = n;
    owner[irq] = as;
    bound_bits[irq] = bits;
    n->holders++;
    plic_enable(irq);
    return 0;
}

/* The driver has handled irq: complete it so that it can come again. */
long irq_ack(uint32_t irq)
{
    if (irq == 0 || irq >= NIRQ || !bound[irq])
        return -EINVAL;
    if (in_service[irq]) {
        in_service[irq] = false;
        plic_complete(irq);
    }
    return 0;
}

/* The driver's address space is going: its interrupts are masked and free again. */
void irq_release(struct aspace *as)
{
    for (uint32_t irq = 1; irq < NIRQ; irq++) {
        if (!bound[irq] || owner[irq] != as)
            continue;
        plic_disable(irq);
        if (in_service[irq]) {
            in_service[irq] = false;
            plic_complete(irq);
        }
        struct ntfn *n = bound[irq];
        bound[irq] = NULL;
        owner[irq] = NULL;
        ntfn_put(n);
    }
}

/* External interrupt: notify the drivers of everything pending. */
void irq_handle(void)
{
    uint32_t irq;
    while ((irq = plic_claim()) != 0) {
        if (irq < NIRQ && bound[irq]) {
            in_service[irq] = true;
            ntfn_notify(bound[irq], bound_bits[irq]);
        } else {
            plic_complete(irq); /* nobody wants it */
        }
    }
}
