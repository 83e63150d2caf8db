/* Trap handling in C. trap_vector (entry.S) saved the user registers into the
   current thread and calls trap_user; a fault is packed into a message for the
   thread's pager, never resolved here, except on hardware that faults for the
   A and D bits (Svade): such a fault only asks for the bits, which the kernel sets. */
#include "obj.h"
#include "vm.h"

bool sw_ad; /* set at boot: the hardware does not set A and D itself */

void fastpath_fault(struct thread *t, uint64_t addr, uint64_t access, uint64_t scause);

void trap_user(struct regs *r)
{
    (void)r; /* == &current->regs */
    struct thread *t = current;
    uint64_t scause = csr_read(scause);

    if (scause == EXC_ECALL_U) {
        syscall(t);
    } else if (scause & SCAUSE_INTR) {
        if ((scause & 0xff) == IRQ_S_TIMER)
            sched_tick();
        else if ((scause & 0xff) == IRQ_S_EXT)
            irq_handle();
        else if ((scause & 0xff) == IRQ_S_SOFT)
            sched_ipi(); /* another hart wants this one to look at the queues */
    } else {
        uint64_t access = FAULT_READ;
        if (scause == EXC_INSN_PAGE || scause == EXC_INSN_ACCESS || scause == EXC_INSN_MISALIGNED)
            access = FAULT_EXEC;
        else if (scause == EXC_STORE_PAGE || scause == EXC_STORE_ACCESS || scause == EXC_STORE_MISALIGNED)
            access = FAULT_WRITE;
        uint64_t addr = csr_read(stval);
        bool pf = scause == EXC_LOAD_PAGE || scause == EXC_STORE_PAGE || scause == EXC_INSN_PAGE;
        if (pf && sw_ad && pt_set_ad(t->as->root, addr, access))
            schedule(t); /* the bits are set: run the instruction again */
        if (pf)
            fastpath_fault(t, addr, access, scause); /* returns only if it cannot take the fault */
        else if (scause == EXC_ILLEGAL && fp_first_use(t))
            schedule(t); /* its first FP instruction: FS is on now, it runs again */
        ipc_fault(t, addr, access, scause, 0);
    }
    schedule(t);
}

/* ecall from user mode (entry.S sends it here directly). */
void user_return(struct regs *r) __attribute__((noreturn));

void trap_syscall(struct regs *r)
{
    struct thread *t = current;
    syscall(t);
    /* the common case: the same thread goes on, in the same address space */
    if (current == t && t->state == TS_RUNNING && !ready_above(t->prio) && !dead_thread)
        user_return(r);
    schedule(t);
}

/* The kernel itself never traps: anything arriving here is a kernel bug. */
void trap_kernel(void)
{
    kprintf("kernel trap: scause %lx sepc %lx stval %lx\n", csr_read(scause), csr_read(sepc), csr_read(stval));
    panic("trap_kernel: trap in the kernel");
}
