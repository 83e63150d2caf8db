/* Bad accesses kill only the task that makes them: reads of an unmapped address,
   a kernel address and an address above the Sv39 limit, a write to text and an
   illegal instruction. The parent sees each child killed and goes on. A
   floating-point instruction is not bad: its first use turns FP on (t_fp). */
#include "test.h"

static volatile uint64_t *const targets[] = {
    (uint64_t *)0x5000,                /* unmapped */
    (uint64_t *)0xffffffc080200000UL,  /* the kernel's own text */
    (uint64_t *)0x4000000000UL,        /* just above the user half (not canonical in Sv39) */
    (uint64_t *)0x0,                   /* null */
};
#define NTARGETS (sizeof targets / sizeof targets[0])

int main(int argc, char **argv)
{
    long arg = argc > 1 ? atol(argv[1]) : 0;
    if (arg >= 1 && arg <= (long)NTARGETS) {
        uint64_t v = *targets[arg - 1];
        printf("child %ld read %lx and lives: wrong\n", arg, v);
        return 0;
    }
    if (arg == 100) {
        *(volatile uint32_t *)(uintptr_t)main = 0; /* text is read-only */
        return 0;
    }
    if (arg == 101) {
        asm volatile(".word 0"); /* an illegal instruction */
        return 0;
    }
    if (arg == 102) {
        asm volatile(".word 0xf0000053"); /* fmv.w.x ft0, zero: FP goes on at first use */
        return 0;
    }
    long how, code;
    for (long i = 1; i <= (long)NTARGETS; i++) {
        run_child("t_badaccess", i, &how, &code);
        CHECK_EQ(how, WAIT_KILLED);
    }
    run_child("t_badaccess", 100, &how, &code);
    CHECK_EQ(how, WAIT_KILLED);
    CHECK_EQ(code, SIGSEGV); /* a store page fault */
    run_child("t_badaccess", 101, &how, &code);
    CHECK_EQ(how, WAIT_KILLED);
    CHECK_EQ(code, SIGILL);  /* an illegal instruction */
    run_child("t_badaccess", 102, &how, &code);
    CHECK_EQ(how, WAIT_EXITED);
    CHECK_EQ(code, 0);
    /* and a well-behaved child still runs normally afterwards */
    run_child("hello", 0, &how, &code);
    CHECK_EQ(how, WAIT_EXITED);
    CHECK_EQ(code, 0);
    return 0;
}
