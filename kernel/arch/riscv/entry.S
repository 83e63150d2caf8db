# Boot entry, trap entry and return to user mode. Only register saving lives here;
# everything else is C (trap.c).
#include "regs.h"
#include "hart.h"
#include "abi.h"

    .section .text.entry
    .globl _entry
# OpenSBI jumps here in S-mode with the MMU off: a0 = hart id, a1 = device tree.
# The code is position independent (medany), so it runs at the physical address.
_entry:
    # Only the first hart here boots the kernel. A later one is a hart the kernel is
    # starting: OpenSBI 1.1 marks a hart START_PENDING before it writes the start
    # address and argument, so a hart that polls at that moment may come here, or to
    # secondary_entry, with the boot's argument: secondary_entry finds the hart's own
    # struct by its hart id.
    la t0, boot_claimed
    li t1, 1
    amoswap.w t1, t1, (t0)
    bnez t1, secondary_entry
    la sp, boot_stack_top          # pc-relative: the physical address for now
    mv s0, a0
    mv s1, a1
    call boot_pagetable            # fills the boot page table; returns satp in a0
    sd a0, boot_satp, t0           # for the other harts' start
    csrw satp, a0
    sfence.vma zero, zero
    # Move to the high half: sp and pc get KBASE added.
    li t0, 0xffffffc000000000
    add sp, sp, t0
    ld t1, kmain_addr              # an absolute address, loaded pc-relative
    mv a0, s0
    mv a1, s1
    jr t1
    .balign 8
kmain_addr:
    .dword kmain

# The other harts start here (SBI HSM hart_start), or come from _entry, MMU off:
# a0 = hart id; a1 is not trusted (above). start_harts has filled the hart's
# struct hart in harts[] before it asked for the start: the hart finds it by its
# id (a hart with none waits for good), turns the MMU on (the boot map holds this
# code at its physical address too) and runs secondary_main on its stack.
    .globl secondary_entry
secondary_entry:
    fence r, r
    la t0, harts                   # pc-relative: the physical address
    li t2, NHARTS_MAX
1:  ld t1, HART_HARTID(t0)
    bne t1, a0, 2f
    ld t1, HART_KSTACK(t0)
    bnez t1, 3f                    # filled in: this hart's
2:  addi t0, t0, HART_SIZE
    addi t2, t2, -1
    bnez t2, 1b
9:  wfi
    j 9b
3:  ld t1, boot_satp
    csrw satp, t1
    sfence.vma zero, zero
    li t1, 0xffffffc000000000
    add tp, t0, t1                 # its struct's kernel virtual address
    ld sp, HART_KSTACK(tp)
    ld t1, secondary_main_addr
    jr t1
    .balign 8
secondary_main_addr:
    .dword secondary_main

    .section .data
    .balign 8
boot_satp:
    .dword 0
boot_claimed:
    .word 0

    .text
# Every trap comes here. sscratch holds the current thread's register frame while
# user code runs, and 0 while the kernel runs. The frame names the hart (REG_HART),
# whose struct gives the kernel stack; tp holds that struct in the kernel. The
# big kernel lock is taken once the registers are saved (sched.c says what it covers).
    .text
    .globl trap_vector
    .balign 4
trap_vector:
    csrrw sp, sscratch, sp
    beqz sp, trap_from_kernel
    sd ra, REG_RA(sp)
    sd gp, REG_GP(sp)
    sd tp, REG_TP(sp)
    sd t0, REG_T0(sp)
    sd t1, REG_T1(sp)
    sd t2, REG_T2(sp)
    sd s0, REG_S0(sp)
    sd s1, REG_S1(sp)
    sd a0, REG_A0(sp)
    sd a1, REG_A1(sp)
    sd a2, REG_A2(sp)
    sd a3, REG_A3(sp)
    sd a4, REG_A4(sp)
    sd a5, REG_A5(sp)
    sd a6, REG_A6(sp)
    sd a7, REG_A7(sp)
    sd s2, REG_S2(sp)
    sd s3, REG_S3(sp)
    sd s4, REG_S4(sp)
    sd s5, REG_S5(sp)
    sd s6, REG_S6(sp)
    sd s7, REG_S7(sp)
    sd s8, REG_S8(sp)
    sd s9, REG_S9(sp)
    sd s10, REG_S10(sp)
    sd s11, REG_S11(sp)
    sd t3, REG_T3(sp)
    sd t4, REG_T4(sp)
    sd t5, REG_T5(sp)
    sd t6, REG_T6(sp)
    csrrw t0, sscratch, zero       # the user sp; sscratch = 0 while in the kernel
    sd t0, REG_SP(sp)
    csrr t0, sepc
    sd t0, REG_PC(sp)
    mv a0, sp
    ld tp, REG_HART(a0)
    ld sp, HART_KSTACK(tp)
    ld t1, HART_LOCK(tp)
    amoswap.d.aq t0, tp, (t1)      # the lock holds its holder's struct hart (never 0)
    bnez t0, lock_wait
locked:
    # ecall: the IPC fast paths for call and replyrecv, else the system-call path
    csrr t0, scause
    li t1, 8
    bne t0, t1, 3f
    li t1, SYS_CALL
    beq a7, t1, 4f
    li t1, SYS_REPLYRECV
    beq a7, t1, 5f
    tail trap_syscall              # none of these returns: they end in user_return()
4:  tail fastpath_call
5:  tail fastpath_replyrecv
3:  tail trap_user
1:  j 1b

# Another hart holds the lock: sleep until it is ours (sched.c), keeping a0 and
# the system-call number a7.
lock_wait:
    addi sp, sp, -16
    sd a0, 0(sp)
    call kernel_lock_slow
    ld a0, 0(sp)
    addi sp, sp, 16
    ld a7, REG_A7(a0)
    j locked

trap_from_kernel:
    csrrw sp, sscratch, sp         # back to the kernel sp, sscratch = 0 again
    addi sp, sp, -16
    sd ra, 8(sp)
    call trap_kernel               # panics: the kernel never traps
2:  j 2b

# void user_return(struct regs *r): run user code with the registers in r (the
# current thread's: no other hart touches them while it is current here), letting
# the kernel lock go.
    .globl user_return
user_return:
    sd tp, REG_HART(a0)
    csrw sscratch, a0
    ld t0, REG_PC(a0)
    csrw sepc, t0
    ld t1, HART_LOCK(tp)
    amoswap.d.aqrl t0, zero, (t1)
    bne t0, tp, wake_sleepers      # the word was marked: a hart sleeps (sched.c)
released:
    ld ra, REG_RA(a0)
    ld sp, REG_SP(a0)
    ld gp, REG_GP(a0)
    ld tp, REG_TP(a0)
    ld t0, REG_T0(a0)
    ld t1, REG_T1(a0)
    ld t2, REG_T2(a0)
    ld s0, REG_S0(a0)
    ld s1, REG_S1(a0)
    ld a1, REG_A1(a0)
    ld a2, REG_A2(a0)
    ld a3, REG_A3(a0)
    ld a4, REG_A4(a0)
    ld a5, REG_A5(a0)
    ld a6, REG_A6(a0)
    ld a7, REG_A7(a0)
    ld s2, REG_S2(a0)
    ld s3, REG_S3(a0)
    ld s4, REG_S4(a0)
    ld s5, REG_S5(a0)
    ld s6, REG_S6(a0)
    ld s7, REG_S7(a0)
    ld s8, REG_S8(a0)
    ld s9, REG_S9(a0)
    ld s10, REG_S10(a0)
    ld s11, REG_S11(a0)
    ld t3, REG_T3(a0)
    ld t4, REG_T4(a0)
    ld t5, REG_T5(a0)
    ld t6, REG_T6(a0)
    ld a0, REG_A0(a0)
    sret

wake_sleepers:
    call lock_wake                 # still on this hart's kernel stack
    csrr a0, sscratch
    j released

# Stacks live outside .bss so that kmain can clear .bss while running on one.
    .section .kstack, "aw", @nobits
    .balign 16
    .space 4096 * 4
    .globl kstack_top
kstack_top:
    .space 4096 * 4
boot_stack_top:
