#pragma once
#include <stdint.h>

void plic_init(uint64_t pa, uint64_t hartid); /* interrupts go to that hart */
void plic_enable(uint32_t irq);
void plic_disable(uint32_t irq);
uint32_t plic_claim(void);   /* 0 when nothing is pending */
void plic_complete(uint32_t irq);
