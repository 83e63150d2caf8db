/* Bad pointers passed to a system call get an error code, not a kill; a buffer
   in lazily allocated memory is faulted in for the call. */
#include "test.h"

int main(int argc, char **argv)
{
    long arg = argc > 1 ? atol(argv[1]) : 0;
    (void)arg;
    CHECK_EQ(sys_debug_write(0, 10), -EFAULT);
    CHECK_EQ(sys_debug_write(0x5000, 10), -EFAULT);
    CHECK_EQ(sys_debug_write((long)0xffffffc080200000UL, 10), -EFAULT);
    CHECK_EQ(sys_debug_write(0x4000000000L, 10), -EFAULT);
    CHECK_EQ(sys_debug_write(-1L, 10), -EFAULT);
    CHECK_EQ(sys_debug_write(0x3ffffffffffL, 0x10), -EFAULT);
    char *p = anon_map(8192);
    CHECK(p != NULL);
    /* untouched: the kernel asks the pager (zero page), then prints nothing visible */
    CHECK_EQ(sys_debug_write((long)p + 4096, 0), 0);
    CHECK_EQ(sys_debug_write((long)p + 4090, 10), 10);
    memcpy(p, "lazy buffer ok\n", 15);
    CHECK_EQ(sys_debug_write((long)p, 15), 15);
    struct msg m = { 0 };
    CHECK_EQ(sys_call(0, &m), -EBADCAP);
    CHECK_EQ(sys_call(63, &m), -EBADCAP);
    CHECK_EQ(sys_call(64, &m), -EBADCAP);
    CHECK_EQ(sys_call(-1, &m), -EBADCAP);
    CHECK_EQ(sys_recv(1000000, &m), -EBADCAP);
    CHECK_EQ(sys_notify(1), -EBADCAP);
    return 0;
}
