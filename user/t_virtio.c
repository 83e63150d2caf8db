/* The virtio-blk driver of the file server, tested in the guest: run
   `fs selftest` and expect exit status 0 (testinit starts this test with
   RIGHT_DRIVER; the forked child inherits it and keeps it across exec). Needs QEMU to attach a disk of at
   least 256 KiB over modern virtio-mmio:
     -global virtio-mmio.force-legacy=false
     -drive file=IMG,if=none,format=raw,id=hd0 -device virtio-blk-device,drive=hd0
   The self-test puts back whatever it overwrites. It runs twice: the second
   driver can bind the disk's interrupt only if the first one's was released
   when it exited. */
#include "test.h"

static void selftest(void)
{
    int pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char *av[] = { "fs", "selftest", "1", NULL }; /* the second disk: the first is the file system */
        execv("fs", av);
        printf("t_virtio: cannot exec fs: %s\n", errstr(errno));
        exit(127);
    }
    int status = -1;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    selftest();
    selftest();
    return 0;
}
