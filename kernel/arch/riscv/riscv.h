/* RISC-V privileged-architecture definitions used by the kernel (S-mode, Sv39). */
#pragma once
#include <stdint.h>

#define PGSIZE 4096UL
#define PGSHIFT 12

/* The kernel sees all physical memory at KBASE + pa (gigapage direct map). */
#define KBASE 0xffffffc000000000UL
#define P2V(pa) ((void *)((uint64_t)(pa) + KBASE))
#define V2P(va) ((uint64_t)(va) - KBASE)

/* sstatus */
#define SSTATUS_SIE (1UL << 1)
#define SSTATUS_SPIE (1UL << 5)
#define SSTATUS_SPP (1UL << 8)
#define SSTATUS_SUM (1UL << 18)
#define SSTATUS_FS (3UL << 13)
/* sie / sip */
#define SIE_SSIE (1UL << 1)
#define SIE_STIE (1UL << 5)
#define SIE_SEIE (1UL << 9)
#define SIP_SSIP (1UL << 1)
/* scause */
#define SCAUSE_INTR (1UL << 63)
#define IRQ_S_SOFT 1
#define IRQ_S_TIMER 5
#define IRQ_S_EXT 9
#define EXC_INSN_MISALIGNED 0
#define EXC_INSN_ACCESS 1
#define EXC_ILLEGAL 2
#define EXC_BREAKPOINT 3
#define EXC_LOAD_MISALIGNED 4
#define EXC_LOAD_ACCESS 5
#define EXC_STORE_MISALIGNED 6
#define EXC_STORE_ACCESS 7
#define EXC_ECALL_U 8
#define EXC_INSN_PAGE 12
#define EXC_LOAD_PAGE 13
#define EXC_STORE_PAGE 15

/* Sv39 page-table entries */
#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_G (1UL << 5)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define PTE_PA(pte) (((pte) >> 10) << 12)
#define PA_PTE(pa) (((uint64_t)(pa) >> 12) << 10)
#define PX(level, va) ((((uint64_t)(va)) >> (12 + 9 * (level))) & 0x1ff)
#define SATP_SV39 (8UL << 60)
#define MAKE_SATP(pa) (SATP_SV39 | ((uint64_t)(pa) >> 12))
#define SATP_ASID_SHIFT 44

typedef uint64_t pte_t;

#define csr_read(csr) ({ uint64_t v_; asm volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csr_write(csr, val) asm volatile("csrw " #csr ", %0" ::"rK"((uint64_t)(val)))
#define csr_set(csr, val) asm volatile("csrs " #csr ", %0" ::"rK"((uint64_t)(val)))
#define csr_clear(csr, val) asm volatile("csrc " #csr ", %0" ::"rK"((uint64_t)(val)))

static inline void sfence_vma(void) { asm volatile("sfence.vma zero, zero" ::: "memory"); }
static inline void sfence_vma_va(uint64_t va) { asm volatile("sfence.vma %0, zero" ::"r"(va) : "memory"); }
static inline void sfence_vma_asid(uint64_t asid) { asm volatile("sfence.vma zero, %0" ::"r"(asid) : "memory"); }
static inline void wfi(void) { asm volatile("wfi"); }
static inline uint64_t rdtime(void) { uint64_t t; asm volatile("rdtime %0" : "=r"(t)); return t; }
static inline uint64_t rdinstret(void) { uint64_t n; asm volatile("rdinstret %0" : "=r"(n)); return n; }
