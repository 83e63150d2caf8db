/* The stack has a guard page below it: overflowing into it kills the child.
   Executing data kills too; both with the right message. */
#include "test.h"

static int depth(int n)
{
    volatile char pad[1024];
    pad[0] = (char)n;
    return n > 0 ? depth(n - 1) + pad[0] : 0;
}

static unsigned char code[16] = { 0x13, 0, 0, 0 };  /* a nop, in data */

int main(int argc, char **argv)
{
    long arg = argc > 1 ? atol(argv[1]) : 0;
    if (arg == 1)
        return depth(1 << 20);                 /* 1 GiB of frames: far past the 1 MiB stack */
    if (arg == 2) {
        ((void (*)(void))code)();              /* data is not executable */
        return 0;
    }
    volatile int fine = depth(500);            /* 500 KiB of stack is fine */
    (void)fine;
    long how, code_;
    run_child("t_stack", 1, &how, &code_);
    CHECK_EQ(how, WAIT_KILLED);
    CHECK_EQ(code_, SIGSEGV);
    run_child("t_stack", 2, &how, &code_);
    CHECK_EQ(how, WAIT_KILLED);
    CHECK_EQ(code_, SIGSEGV);                  /* an instruction page fault */
    return 0;
}
