/* memstress: 24 MiB written and checked prints ok and exits 0; bad
   arguments exit 2; memory it cannot map exits 2 with a message. */
#include "test.h"

int main(void)
{
    long how, code;
    run_child("memstress", 24, &how, &code);
    CHECK_EQ(how, WAIT_EXITED);
    CHECK_EQ(code, 0);
    run_child("memstress", 0, &how, &code);      /* usage */
    CHECK_EQ(how, WAIT_EXITED);
    CHECK_EQ(code, 2);
    run_child("memstress", 1L << 21, &how, &code); /* 2 TiB: more than the arguments allow */
    CHECK_EQ(how, WAIT_EXITED);
    CHECK_EQ(code, 2);
    run_child("memstress", 1L << 20, &how, &code); /* 1 TiB: more than the mmap area */
    CHECK_EQ(how, WAIT_EXITED);
    CHECK_EQ(code, 2);
    printf("t_memstress: ok\n");
    return 0;
}
