/* A task in a busy loop does not stop the others: the parent yields to two
   spinning children and must still get the processor back (without a timer
   interrupt it never would, and the runner's timeout fails the test). */
#include "test.h"

int main(int argc, char **argv)
{
    long arg = argc > 1 ? atol(argv[1]) : 0;
    if (arg == 1)
        for (;;)
            asm volatile("");
    long a = spawn("t_preempt", 1), b = spawn("t_preempt", 1);
    CHECK(a > 0 && b > 0);
    for (int i = 0; i < 20; i++)
        sys_yield(); /* puts us behind the spinners */
    uint64_t t0 = rdtime();
    while (rdtime() - t0 < 10000000 / 10) /* 100 ms of our own spinning */
        sys_yield();
    CHECK_EQ(kill(a, SIGKILL), 0);
    CHECK_EQ(kill(b, SIGKILL), 0);
    long how, code;
    CHECK_EQ(wait_how(a, &how, &code), a);
    CHECK_EQ(how, WAIT_KILLED);
    CHECK_EQ(wait_how(b, &how, &code), b);
    CHECK_EQ(how, WAIT_KILLED);
    return 0;
}
