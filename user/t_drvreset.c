/* When a driver dies, the pager resets the devices it drove before their
   memory is used again: a child driver claims the scratch disk, brings it
   out of reset and dies (by exit, then by a fault); the device reads reset
   afterwards. A claimed device cannot be claimed by a second live driver.
   Started by testinit with RIGHT_DRIVER (fork passes it on). */
#include "test.h"

#define VA 0x3000000000L
#define STATUS 0x70                 /* virtio-mmio status register */
#define MAGIC 0x74726976            /* "virt" */

volatile uintptr_t bad_address = 0x10; /* not a constant: the compiler would refuse it */

/* The slot of the second virtio block device (the first is the file
   system), mapped at VA + slot pages; its registers in *regs. */
static long scratch_slot(volatile uint32_t **regs)
{
    long blocks = 0;
    for (long i = 0; i < 8; i++) {
        long base = device_info(DEV_VIRTIO0 + i, 0, 0);
        if (base <= 0)
            continue;
        volatile uint32_t *r = (volatile uint32_t *)(VA + i * 4096);
        long m = sys_map_device(DRV_DEV_SLOT, -1, (long)r, base, PERM_R | PERM_W);
        CHECK(m == 0 || m == -EEXIST || m == -EBUSY);
        if (r[0] != MAGIC || r[2] != 2) /* device id 2: block */
            continue;
        if (++blocks == 2) {
            *regs = r;
            return i;
        }
    }
    return -1;
}

/* A child that claims the scratch disk, sets it going (ACKNOWLEDGE |
   DRIVER), tells us and then dies: by exit, or by a fault. The device must
   read reset afterwards. Returns its slot. */
static long child_driver(bool fault)
{
    int up[2], down[2];
    CHECK_EQ(pipe(up), 0);
    CHECK_EQ(pipe(down), 0);
    long pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        volatile uint32_t *regs;
        long slot = scratch_slot(&regs);
        CHECK(slot >= 0);
        CHECK(device_claim(DEV_VIRTIO0 + slot) > 0);
        regs[STATUS / 4] = 0;
        regs[STATUS / 4] = 1;
        regs[STATUS / 4] = 3;
        CHECK_EQ(regs[STATUS / 4], 3);
        char c = 1;
        CHECK_EQ(write(up[1], &c, 1), 1);
        CHECK_EQ(read(down[0], &c, 1), 1); /* the parent has tried to claim it */
        if (fault)
            *(volatile int *)(uintptr_t)bad_address = 1;
        exit(0);
    }
    char c;
    CHECK_EQ(read(up[0], &c, 1), 1);
    volatile uint32_t *regs;
    long slot = scratch_slot(&regs);
    CHECK(slot >= 0);
    CHECK_EQ(regs[STATUS / 4], 3);                      /* the child set it going */
    CHECK_EQ(device_claim(DEV_VIRTIO0 + slot), -EBUSY); /* one live driver per device */
    CHECK_EQ(write(down[1], &c, 1), 1);
    long how = -1, code = -1;
    CHECK_EQ(wait_how(pid, &how, &code), pid);
    CHECK_EQ(how, fault ? WAIT_KILLED : WAIT_EXITED);
    CHECK_EQ(regs[STATUS / 4], 0);                      /* reset when it died */
    for (int i = 0; i < 2; i++) {
        close(up[i]);
        close(down[i]);
    }
    return slot;
}

int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    child_driver(false);
    long slot = child_driver(true);
    CHECK(device_claim(DEV_VIRTIO0 + slot) > 0);       /* free to claim again */
    return 0;
}
