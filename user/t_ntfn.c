/* Notifications: bits from notify (the cap's badge) accumulate until wait takes
   them; a child signals the parent through a badged copy; a timer reaches a
   user task as a notification no earlier than asked. */
#include "test.h"

#define TICKS_PER_MS 10000 /* QEMU virt timebase: 10 MHz */

int main(int argc, char **argv)
{
    long arg = argc > 1 ? atol(argv[1]) : 0;
    if (arg == 1) {
        CHECK_EQ(sys_notify(GRANT_SLOT), 0);
        return 0;
    }
    long n = sys_ntfn_create();
    CHECK(n > 0);
    CHECK_EQ(sys_notify(n), 0);
    CHECK_EQ(sys_wait(n), 1);               /* unbadged: bit 0 */

    CHECK_EQ(sys_cap_copy(-1, n, -1, GRANT_SLOT, 0x30), GRANT_SLOT);
    long pid = spawn("t_ntfn", 1);
    CHECK(pid > 0);
    CHECK_EQ(sys_wait(n), 0x30);            /* the child's badge */
    long how, code;
    CHECK_EQ(wait_how(pid, &how, &code), pid);
    CHECK_EQ(how, WAIT_EXITED);
    CHECK_EQ(code, 0);

    CHECK_EQ(sys_notify(GRANT_SLOT), 0);    /* bits accumulate */
    CHECK_EQ(sys_notify(n), 0);
    CHECK_EQ(sys_wait(n), 0x31);

    uint64_t t0 = rdtime();
    CHECK_EQ(sys_timer_notify(n, t0 + 30 * TICKS_PER_MS), 0);
    CHECK_EQ(sys_wait(n), 1);
    uint64_t waited = rdtime() - t0;
    CHECK(waited >= 30 * TICKS_PER_MS);
    CHECK(waited < 20000 * TICKS_PER_MS); /* loose: a busy host may stall the guest */

    /* a cancelled timer does not fire */
    CHECK_EQ(sys_timer_notify(n, rdtime() + 5 * TICKS_PER_MS), 0);
    CHECK_EQ(sys_timer_notify(n, 0), 0);
    CHECK_EQ(sys_timer_notify(GRANT_SLOT, rdtime() + 20 * TICKS_PER_MS), 0);
    CHECK_EQ(sys_wait(n), 0x30);            /* only the second timer, with its badge */

    CHECK_EQ(sys_wait(PAGER_SLOT), -EBADCAP);
    CHECK_EQ(sys_timer_notify(PAGER_SLOT, 1), -EBADCAP);
    return 0;
}
